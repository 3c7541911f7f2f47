/**
 * The MMX, SSE, SSE2 and SSE3 instructions, FXSAVE/FXRSTOR, XSAVE/XRSTOR/XSAVEOPT, XGETBV/XSETBV, LDMXCSR/STMXCSR,
 * as {@code Op}s over the vCPU's {@code Fpu}.
 */
package org.jkvm.softcpu.ops.sse;
