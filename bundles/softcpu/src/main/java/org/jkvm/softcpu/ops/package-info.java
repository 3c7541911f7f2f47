/**
 * One class per group of instruction forms, each an {@code Op} whose {@code exec(Cpu)} runs it ({@code Alu}, {@code
 * Mov}, {@code Str}, {@code Branch}, {@code Cr}, ...); {@code EOp} is a ModRM operand, register or memory. An op
 * completes or throws before changing architectural state.
 */
package org.jkvm.softcpu.ops;
