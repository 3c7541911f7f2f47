/** The x87 instructions (opcodes D8-DF and FWAIT), as {@code Op}s over the vCPU's {@code Fpu}. */
package org.jkvm.softcpu.ops.x87;
