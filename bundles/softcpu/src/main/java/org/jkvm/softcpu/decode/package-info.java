/**
 * The instruction decoder: prefixes, ModRM, SIB and displacements ({@code Dec}), the one-byte map ({@code Decoder}),
 * the 0F maps ({@code Decoder0F}) and VEX ({@code DecoderVex}), each instruction decoded into an {@code Op}.
 */
package org.jkvm.softcpu.decode;
