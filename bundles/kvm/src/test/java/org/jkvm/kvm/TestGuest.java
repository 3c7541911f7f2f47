package org.jkvm.kvm;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tiny VM for tests: one anonymous mapping as slot 0 at gpa 0, one vCPU. Closes everything in reverse order.
 * Uses its own mmap rather than the memory module, which the KVM layer must not depend on, with the same flags
 * as {@code MmapGuestMemory} (shared, anonymous, no swap reservation).
 */
final class TestGuest implements AutoCloseable {
    static final int MAP_SHARED_ANONYMOUS_NORESERVE = 0x01 | 0x20 | 0x4000;

    final Kvm kvm;
    final VmFd vm;
    final long hva;
    final long sizeBytes;
    final ByteBuffer ram;
    final VcpuFd vcpu;

    TestGuest(long sizeBytes, int slotFlags) {
        this.sizeBytes = sizeBytes;
        this.kvm = Kvm.open();
        this.vm = kvm.createVm();
        this.hva = LibC.check(LibC.mmap(0, sizeBytes, LibC.PROT_READ | LibC.PROT_WRITE, MAP_SHARED_ANONYMOUS_NORESERVE,
                -1, 0), "mmap");
        this.ram = new Pointer(hva).getByteBuffer(0, sizeBytes).order(ByteOrder.LITTLE_ENDIAN);
        vm.setTssAddr(0xfffbd000L);
        vm.setUserMemoryRegion(0, slotFlags, 0, sizeBytes, hva);
        this.vcpu = vm.createVcpu(0);
    }

    /** Copies code to {@code gpa}. */
    void load(long gpa, byte[] code) {
        ram.put((int) gpa, code);
    }

    /** Real mode with flat CS base 0 at {@code rip}. */
    void realMode(long rip) {
        Sregs s = vcpu.getSregs();
        Segment cs = s.cs();
        Segment flatCs = new Segment(0, cs.limit(), 0, cs.type(), cs.present(), cs.dpl(), cs.db(), cs.s(), cs.l(),
                cs.g(), cs.avl(), cs.unusable());
        vcpu.setSregs(new Sregs(flatCs, s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt(), s.gdt(), s.idt(),
                s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase(), s.interruptBitmap()));
        vcpu.setRegs(Regs.atRip(rip));
    }

    @Override
    public void close() {
        vcpu.close();
        vm.close();
        LibC.munmap(hva, sizeBytes);
        kvm.close();
    }
}
