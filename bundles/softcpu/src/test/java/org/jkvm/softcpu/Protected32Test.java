package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.junit.jupiter.api.Test;

/**
 * 32-bit protected mode: 32-bit paging with 4 MiB (PSE) and 4 KiB pages, PAE paging, a #PF through a 32-bit
 * interrupt gate, and a ring-3 program calling a DPL-3 gate (stack switch through the 32-bit TSS) and returning
 * with IRETD.
 */
class Protected32Test {
    static final long GDT = 0x60000;
    static final long IDT = 0x61000;
    static final long TSS = 0x62000;

    /** GDT: 0x08 code32, 0x10 data, 0x1b user code32, 0x23 user data, 0x28 TSS32. Paging from {@code cr3}. */
    private static TestVm vm(String body, long cr3, long cr4) {
        TestVm t = new TestVm(16L << 20);
        Mem m = new Mem(t.memory);
        m.desc(GDT, 0x08, 0, 0xfffff, 0x9a, 0xc);
        m.desc(GDT, 0x10, 0, 0xfffff, 0x92, 0xc);
        m.desc(GDT, 0x18, 0, 0xfffff, 0xfa, 0xc);
        m.desc(GDT, 0x20, 0, 0xfffff, 0xf2, 0xc);
        m.desc(GDT, 0x28, TSS, 0x67, 0x89, 0);
        m.w32(TSS + 4, 0x9f000);   // ESP0
        m.w32(TSS + 8, 0x10);      // SS0
        t.load(0x100000, Asm.assemble32(".code32\n" + body));
        SystemRegisters s = SystemRegisters.reset().withSegments(SegmentRegister.flat32(0x08, true),
                SegmentRegister.flat32(0x10, false))
                .withTables(new DescriptorTable(GDT, 0x2f), new DescriptorTable(IDT, 0x7ff))
                .withControl(SystemRegisters.CR0_PE | SystemRegisters.CR0_ET | (cr3 != 0 ? SystemRegisters.CR0_PG
                        : 0), cr3, cr4, 0);
        t.vcpu.setSystemRegisters(s);
        long[] g = new long[16];
        g[4] = 0x90000;
        t.vcpu.setRegisters(Registers.of(g, 0x100000, 2));
        return t;
    }

    @Test
    void pse4MiBAnd4KiBPagesAndAPageFaultThroughA32BitGate() {
        try (TestVm t = vm(" movl $0x11223344, 0x40000010\n mov 0x400010, %eax\n out %eax, $0xa1\n"
                + " movl $0x55, 0x80001008\n mov 0x501008, %eax\n out %eax, $0xa2\n"
                + " mov 0x80400000, %eax\n hlt\n"
                + "pf: mov %cr2, %eax\n out %eax, $0xe0\n pop %eax\n out %eax, $0xe1\n hlt\n",
                0x10000, SystemRegisters.CR4_PSE)) {
            Mem m = new Mem(t.memory);
            m.w32(0x10000, 0x83);                          // 0-4 MiB identity, 4 MiB page
            m.w32(0x10004, 0x400083);                      // 4-8 MiB identity
            m.w32(0x10000 + (0x40000000 >>> 22) * 4, 0x400083);   // 1 GiB -> 4 MiB, 4 MiB page
            m.w32(0x10000 + (0x80000000L >>> 22) * 4, 0x11003);   // 2 GiB -> page table at 0x11000
            m.w32(0x11000 + 4, 0x501003);                  // 2 GiB + 4 KiB -> 0x501000
            long pf = 0x100000 + indexOfPf(t);
            m.gate32(IDT, 14, pf, 0x08, 0);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x11223344L), t.ops.valuesAt(0xa1));
            assertEquals(List.of(0x55L), t.ops.valuesAt(0xa2));
            assertEquals(List.of(0x80400000L), t.ops.valuesAt(0xe0));
            assertEquals(List.of(0L), t.ops.valuesAt(0xe1));
            assertEquals(0x60, m.r32(0x10000 + (0x40000000 >>> 22) * 4) & 0x60, "A and D of the 4 MiB page");
        }
    }

    /** The offset of label pf: the first "mov %cr2, %eax" (0f 20 d0). */
    private static int indexOfPf(TestVm t) {
        java.nio.ByteBuffer b = t.memory.regions().get(0).view(0x100000, 4096);
        for (int i = 0; i < 4093; i++) {
            if (b.get(i) == 0x0f && b.get(i + 1) == 0x20 && b.get(i + 2) == (byte) 0xd0) {
                return i;
            }
        }
        throw new AssertionError("no pf label");
    }

    @Test
    void paePaging() {
        try (TestVm t = vm(" movl $0x77, 0x40200010\n mov 0x600010, %eax\n out %eax, $0xa1\n hlt\n",
                0x20000, SystemRegisters.CR4_PAE)) {
            Mem m = new Mem(t.memory);
            m.w64(0x20000, 0x21001);                        // PDPTE 0 -> PD 0x21000
            m.w64(0x20008, 0x22001);                        // PDPTE 1 -> PD 0x22000
            m.w64(0x21000, 0x83);                           // 0-2 MiB identity
            m.w64(0x21008, 0x200083);                       // 2-4 MiB identity
            m.w64(0x21018, 0x600083);                       // 6-8 MiB identity
            m.w64(0x22008, 0x600083);                       // 1 GiB + 2 MiB -> 6 MiB
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x77L), t.ops.valuesAt(0xa1));
        }
    }

    @Test
    void ringThreeCallsAGateAndReturnsWithIretd() {
        // Ring 0: LTR, IRETD to ring 3; ring 3: INT 0x80 (DPL 3 gate), then INT 0x81; the handlers report.
        String body = " mov $0x28, %ax\n ltr %ax\n push $0x23\n push $0x98000\n push $0x202\n push $0x1b\n"
                + " push $(user - 0 + 0x100000)\n iret\n"
                + "user: mov $7, %ebx\n int $0x80\n mov %eax, %ebx\n int $0x81\n"
                + "h80: mov %esp, %eax\n out %eax, $0xb1\n mov 4(%esp), %eax\n out %eax, $0xb2\n"
                + " mov 16(%esp), %eax\n out %eax, $0xb3\n mov %ebx, %eax\n add $1, %eax\n iret\n"
                + "h81: mov %ebx, %eax\n out %eax, $0xb4\n hlt\n";
        try (TestVm t = vm(body, 0, 0)) {
            Mem m = new Mem(t.memory);
            byte[] code = Asm.assemble32(".code32\n" + body);
            long h80 = 0x100000 + find(code, new byte[] {(byte) 0x89, (byte) 0xe0});
            long h81 = 0x100000 + findLast(code, new byte[] {(byte) 0x89, (byte) 0xd8});
            m.gate32(IDT, 0x80, h80, 0x08, 3);
            m.gate32(IDT, 0x81, h81, 0x08, 3);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x9f000L - 20), t.ops.valuesAt(0xb1), "frame on the TSS stack: SS ESP EFLAGS CS EIP");
            assertEquals(List.of(0x1bL), t.ops.valuesAt(0xb2), "the user CS");
            assertEquals(List.of(0x23L), t.ops.valuesAt(0xb3), "the user SS");
            assertEquals(List.of(8L), t.ops.valuesAt(0xb4), "IRETD went back to ring 3 with EAX = 8");
        }
    }

    private static int find(byte[] a, byte[] b) {
        for (int i = 0; i <= a.length - b.length; i++) {
            if (a[i] == b[0] && a[i + 1] == b[1]) {
                return i;
            }
        }
        return -1;
    }

    private static int findLast(byte[] a, byte[] b) {
        for (int i = a.length - b.length; i >= 0; i--) {
            if (a[i] == b[0] && a[i + 1] == b[1]) {
                return i;
            }
        }
        return -1;
    }
}
