/**
 * The mutable CPU: registers, segment caches, control registers, MSR fields, the TLB arrays and the fast memory
 * paths ({@code Cpu}), the lazy flags ({@code FlagState}) and the preallocated {@code GuestFault}.
 */
package org.jkvm.softcpu.cpu;
