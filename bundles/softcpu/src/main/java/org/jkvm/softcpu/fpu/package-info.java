/**
 * The x87/MMX/SSE state of a vCPU ({@code Fpu}) and its arithmetic: 80-bit extended precision with the x87
 * precision and rounding controls ({@code Fp}, {@code FpMath}, {@code FpConv}, {@code Transcend}), SSE's single and
 * double math under MXCSR ({@code SseMath}), and the FXSAVE/XSAVE image ({@code FpuImage}). Intel SDM vol. 1
 * chapters 4, 8, 10 and 11. Not thread-safe: each belongs to one vCPU.
 */
package org.jkvm.softcpu.fpu;
