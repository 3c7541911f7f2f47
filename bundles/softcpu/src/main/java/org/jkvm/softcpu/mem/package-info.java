/**
 * Guest memory as the CPU sees it: the guest-physical map with dirty epochs and the code bitmap
 * ({@code PhysMemory}), the slow memory path and TLB maintenance ({@code Mmu}), page walks ({@code PageWalker}) and raw
 * host memory access ({@code Host}).
 */
package org.jkvm.softcpu.mem;
