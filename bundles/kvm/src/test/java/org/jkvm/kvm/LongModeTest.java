package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Enters 64-bit long mode directly through KVM_SET_SREGS, as the engine does for the firmware (contracts.md §1:
 * GDT at 0x500, PML4 at 0x1000, PDPT at 0x2000, page directory at 0x3000 with 2 MiB pages, CS 0x08, data 0x10).
 */
class LongModeTest {
    /**
     * Loaded at 0x100000:
     * <pre>
     *   66 ba f8 03                    mov  $0x3f8, %dx
     *   b0 4c                          mov  $0x4c, %al
     *   ee                             out  %al, (%dx)
     *   48 b8 88 77 66 55 44 33 22 11  movabs $0x1122334455667788, %rax
     *   48 89 04 25 00 10 20 00        mov  %rax, 0x201000
     *   f4                             hlt
     * </pre>
     */
    static final byte[] CODE64 = {0x66, (byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xb0, 0x4c, (byte) 0xee, 0x48,
        (byte) 0xb8, (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x48, (byte) 0x89, 0x04, 0x25, 0x00,
        0x10, 0x20, 0x00, (byte) 0xf4};

    static final Segment CS64 = new Segment(0, 0xffffffff, 0x08, 11, 1, 0, 0, 1, 1, 1, 0, 0);
    static final Segment DS64 = new Segment(0, 0xffffffff, 0x10, 3, 1, 0, 1, 1, 0, 1, 0, 0);

    @BeforeEach
    void kvm() {
        Require.kvm();
    }

    /** Writes the GDT and identity page tables (first 1 GiB, 2 MiB pages) and switches the vCPU to long mode. */
    static void enterLongMode(TestGuest g, long rip) {
        g.ram.putLong(0x500, 0L);
        g.ram.putLong(0x508, 0x00af9a000000ffffL); // code64: P, DPL0, S, type 0xA, L, G
        g.ram.putLong(0x510, 0x00cf92000000ffffL); // data: P, DPL0, S, type 0x2, D/B, G
        g.ram.putLong(0x1000, 0x2000 | 0x3); // PML4[0] -> PDPT, present + writable
        g.ram.putLong(0x2000, 0x3000 | 0x3); // PDPT[0] -> page directory
        for (int i = 0; i < 512; i++) {
            g.ram.putLong(0x3000 + 8 * i, ((long) i << 21) | 0x83); // 2 MiB page: present, writable, PS
        }
        g.vcpu.setCpuid2(g.kvm.supportedCpuid());
        Sregs s = g.vcpu.getSregs().withSegments(CS64, DS64).withTables(new Dtable(0x500, 0x17), new Dtable(0, 0))
                .withControl(Sregs.CR0_PE | Sregs.CR0_ET | Sregs.CR0_PG, 0x1000, Sregs.CR4_PAE,
                        Sregs.EFER_LME | Sregs.EFER_LMA);
        g.vcpu.setSregs(s);
        g.vcpu.setRegs(Regs.atRip(rip));
    }

    @Test
    void runsSixtyFourBitCode() {
        try (TestGuest g = new TestGuest(4 << 20, KvmCaps.KVM_MEM_LOG_DIRTY_PAGES)) {
            g.load(0x100000, CODE64);
            enterLongMode(g, 0x100000);
            long[] bitmap = new long[g.vm.dirtyLogWords(0)];
            g.vm.getDirtyLog(0, bitmap);

            assertEquals(KvmRun.EXIT_IO, g.vcpu.run(), () -> KvmRun.exitName(g.vcpu.kvmRun().exitReason()));
            assertEquals(0x3f8, g.vcpu.kvmRun().ioPort());
            assertEquals(0x4c, g.vcpu.kvmRun().ioValue());
            assertEquals(KvmRun.EXIT_HLT, g.vcpu.run());

            Regs regs = g.vcpu.getRegs();
            assertEquals(0x100000 + CODE64.length, regs.rip());
            assertEquals(0x1122334455667788L, regs.rax());
            assertEquals(0x1122334455667788L, g.ram.getLong(0x201000));
            Sregs s = g.vcpu.getSregs();
            assertTrue((s.efer() & Sregs.EFER_LMA) != 0, "long mode is active");
            assertEquals(1, s.cs().l());

            g.vm.getDirtyLog(0, bitmap);
            long page = 0x201000 / 4096;
            assertTrue((bitmap[(int) (page / 64)] & (1L << (page % 64))) != 0, "page 0x201 is dirty");
            long count = 0;
            for (long w : bitmap) {
                count += Long.bitCount(w);
            }
            // The CPU may set accessed/dirty bits in the page tables; no other page is written.
            assertTrue(count >= 1 && count <= 4, "dirty pages: " + count);
        }
    }

    /**
     * Real mode MMIO, at 0x1000 with RAM 0..0x3fff:
     * <pre>
     *   c7 06 00 80 ef be   movw $0xbeef, (0x8000)   ; MMIO write, 2 bytes
     *   66 8b 1e 04 80      movl (0x8004), %ebx      ; MMIO read, 4 bytes
     *   f4                  hlt
     * </pre>
     */
    @Test
    void mmioWriteAndReadExits() {
        byte[] code = {(byte) 0xc7, 0x06, 0x00, (byte) 0x80, (byte) 0xef, (byte) 0xbe, 0x66, (byte) 0x8b, 0x1e, 0x04,
            (byte) 0x80, (byte) 0xf4};
        try (TestGuest g = new TestGuest(4 * 4096, 0)) {
            g.load(0x1000, code);
            g.realMode(0x1000);
            KvmRun run = g.vcpu.kvmRun();
            assertEquals(KvmRun.EXIT_MMIO, g.vcpu.run());
            assertEquals(0x8000, run.mmioPhysAddr());
            assertTrue(run.mmioIsWrite());
            assertEquals(2, run.mmioLen());
            assertEquals(0xbeef, run.mmioData());

            assertEquals(KvmRun.EXIT_MMIO, g.vcpu.run());
            assertEquals(0x8004, run.mmioPhysAddr());
            assertFalse(run.mmioIsWrite());
            assertEquals(4, run.mmioLen());
            run.mmioData(0xcafef00dL);
            assertEquals(KvmRun.EXIT_HLT, g.vcpu.run());
            assertEquals(0xcafef00dL, g.vcpu.getRegs().rbx());
        }
    }

    @Test
    void supportedCpuidHasTheBasicLeaves() {
        try (Kvm kvm = Kvm.open()) {
            List<CpuidEntry> leaves = kvm.supportedCpuid();
            assertTrue(leaves.stream().anyMatch(e -> e.function() == 0), "leaf 0");
            assertTrue(leaves.stream().anyMatch(e -> e.function() == 0x80000001), "leaf 0x80000001");
            CpuidEntry ext = leaves.stream().filter(e -> e.function() == 0x80000001).findFirst().orElseThrow();
            assertTrue((ext.edx() & (1 << 29)) != 0, "long mode (LM) is supported");
        }
    }
}
