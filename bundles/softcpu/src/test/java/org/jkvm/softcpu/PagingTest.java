package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Consumer;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.junit.jupiter.api.Test;

/**
 * 4-level paging with 4 KiB, 2 MiB and 1 GiB pages, accessed/dirty bits, and page faults with CR2 and error
 * codes (not present, write to read-only with and without CR0.WP, NX, user access to a supervisor page through a
 * privilege change with the stack from TSS.RSP0, reserved bits), delivered through a 64-bit IDT gate with IST.
 */
class PagingTest {
    /** PML4[1] (VA 0x80_0000_0000): PDPT at 0x73000 -> [0] 1 GiB page at PA 0, [1] PD 0x74000, [2] PD 0x75000. */
    static final long VA1G = 0x8000000000L;
    static final long VA2M = 0x8040000000L;
    static final long VA4K = 0x8080000000L;

    /** Installs #PF (IST 1) at IDT 0x80000, the TSS at 0x90000 (RSP0 0x2f0000, IST1 0x2e0008), then the body. */
    private static final String PROLOGUE = ".code64\n lea pf(%rip), %rax\n mov $0x800e0, %rdi\n mov %ax, (%rdi)\n"
            + " movw $0x08, 2(%rdi)\n movw $0x8e01, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n"
            + " shr $16, %rax\n mov %eax, 8(%rdi)\n movl $0, 12(%rdi)\n lidt idtr(%rip)\n mov $0x40, %ax\n ltr %ax\n";
    private static final String EPILOGUE = " mov $1, %al\n out %al, $0xee\n hlt\n"
            + "pf: mov %cr2, %rax\n out %eax, $0xe0\n shr $32, %rax\n out %eax, $0xe4\n pop %rax\n out %eax, $0xe1\n"
            + " mov %rsp, %rax\n out %eax, $0xe3\n mov 8(%rsp), %rax\n out %eax, $0xe5\n hlt\n"
            + "idtr: .word 0xfff\n .quad 0x80000\n";

    private static TestVm vm(String body, Consumer<Mem> setup) {
        TestVm t = new TestVm(32L << 20);
        Mem m = new Mem(t.memory);
        t.load(0x100000, Asm.assemble(PROLOGUE + body + EPILOGUE));
        t.longMode(0x100000, 0x200000);
        m.w64(0x70008, 0x73000 | 7);
        m.w64(0x73000, 0x83);
        m.w64(0x73008, 0x74000 | 7);
        m.w64(0x73010, 0x75000 | 7);
        m.w64(0x74000, 0x400000 | 0x83);
        m.w64(0x75000, 0x76000 | 7);
        m.w64(0x76000, 0x500000 | 3);
        m.w64(0x90000 + 4, 0x2f0000);
        m.w64(0x90000 + 0x24, 0x2e0008);
        m.tssDesc64(TestVm.GDT, 0x40, 0x90000, 0x67);
        setup.accept(m);
        return t;
    }

    private static long port(TestVm t, int p) {
        List<Long> v = t.ops.valuesAt(p);
        return v.isEmpty() ? -1 : v.get(v.size() - 1);
    }

    @Test
    void eachPageSizeTranslatesAndSetsAccessedAndDirty() {
        String body = " movabs $" + VA1G + " + 0x300000, %rdi\n movq $0x1111, (%rdi)\n"
                + " movabs $" + VA2M + " + 0x10, %rdi\n movq $0x2222, (%rdi)\n"
                + " movabs $" + VA4K + " + 0x20, %rdi\n mov (%rdi), %rax\n movq $0x3333, 8(%rdi)\n"
                + " mov 0x300000, %rax\n out %eax, $0xa1\n mov 0x400010, %rax\n out %eax, $0xa2\n"
                + " mov 0x500028, %rax\n out %eax, $0xa3\n";
        try (TestVm t = vm(body, m -> m.w64(0x500020, 0x77))) {
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(1, port(t, 0xee));
            assertEquals(0x1111, port(t, 0xa1));
            assertEquals(0x2222, port(t, 0xa2));
            assertEquals(0x3333, port(t, 0xa3));
            Mem m = new Mem(t.memory);
            assertEquals(0x60, m.r64(0x73000) & 0x60, "1 GiB page: A and D");
            assertEquals(0x60, m.r64(0x74000) & 0x60, "2 MiB page: A and D");
            assertEquals(0x60, m.r64(0x76000) & 0x60, "4 KiB page: A and D");
            assertEquals(0x20, m.r64(0x75000) & 0x60, "a table entry gets A only");
            assertEquals(0x20, m.r64(0x70008) & 0x20);
        }
    }

    private static void expectFault(TestVm t, long cr2, int error) {
        assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
        assertEquals(-1, port(t, 0xee), "no fault happened");
        assertEquals(cr2 & 0xffffffffL, port(t, 0xe0), "CR2 low");
        assertEquals(cr2 >>> 32, port(t, 0xe4), "CR2 high");
        assertEquals(error, port(t, 0xe1), "error code");
    }

    /** Page walks made by running {@code body} (its pages' PTEs at 0x76000 + 8k map PA 0x500000 + 4 KiB k). */
    private static long walks(String body, int pages) {
        try (TestVm t = vm(body, m -> {
            for (int k = 0; k < pages; k++) {
                m.w64(0x76000 + 8L * k, 0x500000 + 0x1000L * k | 3);
            }
        })) {
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(1, port(t, 0xee));
            Mem m = new Mem(t.memory);
            for (int k = 0; k < pages; k++) {
                assertEquals(0x60, m.r64(0x76000 + 8L * k) & 0x60, "A and D of page " + k);
            }
            return ((SoftVcpu) t.vcpu).pageWalks();
        }
    }

    @Test
    void readModifyWriteFillsTheTlbWithOneWalkPerPage() {
        // Eight fresh pages (PTE dirty bits clear), one ADD to memory each: the probe fills the entry for writing,
        // so the read and the store hit it. Measured against the same loop storing with MOV (one walk per page).
        String loop = " movabs $" + VA4K + ", %%rdi\n mov $8, %%ecx\n1: %s\n add $0x1000, %%rdi\n dec %%ecx\n"
                + " jnz 1b\n";
        long rmw = walks(String.format(loop, "addq $5, 8(%rdi)"), 8);
        long store = walks(String.format(loop, "movq $5, 8(%rdi)"), 8);
        assertEquals(store, rmw, "an RMW of a fresh page walks once, as a store does");
        // RMWs of data sharing a page with the running code (a write-code TLB tag) walk no more than stores.
        String code = " mov $100, %%ecx\n1: %s\n dec %%ecx\n jnz 1b\n jmp 2f\n .balign 64\nd: .quad 0\n2:\n";
        assertEquals(walks(String.format(code, "movq $5, d(%rip)"), 0),
                walks(String.format(code, "addq $5, d(%rip)"), 0), "RMW beside code");
    }

    @Test
    void readModifyWriteAcrossAPageBoundaryWalksEachPageOnce() {
        // A quadword straddling pages 0 and 1, shifted and added to 1000 times (a packed field at a page's end, as
        // in the bzImage's decompressor): the walks are those of one such RMW, not one or more per access and byte.
        String loop = " movabs $" + VA4K + " + 0xffc, %%rdi\n movq $1, (%%rdi)\n mov $%d, %%ecx\n"
                + "1: shlq $1, (%%rdi)\n addq $1, (%%rdi)\n dec %%ecx\n jnz 1b\n";
        long once = walks(String.format(loop, 1), 2);
        assertEquals(once, walks(String.format(loop, 1000), 2), "walks of 1 and of 1000 crossing RMWs");
    }

    @Test
    void notPresentReadAndWrite() {
        try (TestVm t = vm(" movabs $" + VA4K + " + 0x1008, %rdi\n mov (%rdi), %rax\n", m -> { })) {
            expectFault(t, VA4K + 0x1008, 0);
            // IST 1: the frame is at the 16-byte aligned IST stack: 0x2e0000 - 5 * 8 (+ error code popped).
            assertEquals(0x2e0000 - 40, port(t, 0xe3));
        }
        try (TestVm t = vm(" movabs $" + VA4K + " + 0x1008, %rdi\n movq $1, (%rdi)\n", m -> { })) {
            expectFault(t, VA4K + 0x1008, 2);
        }
    }

    @Test
    void writeToReadOnlyFaultsOnlyWithWriteProtect() {
        String body = " movabs $" + VA4K + " + 0x10, %rdi\n movq $5, (%rdi)\n mov 0x500010, %rax\n out %eax, $0xa1\n";
        try (TestVm t = vm(body, m -> m.w64(0x76000, 0x500000 | 1))) {
            SystemRegisters s = t.vcpu.systemRegisters();
            t.vcpu.setSystemRegisters(s.withControl(s.cr0() | SystemRegisters.CR0_WP, s.cr3(), s.cr4(), s.efer()));
            expectFault(t, VA4K + 0x10, 3);
        }
        try (TestVm t = vm(body, m -> m.w64(0x76000, 0x500000 | 1))) {
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(5, port(t, 0xa1), "CR0.WP = 0: the supervisor writes a read-only page");
        }
    }

    @Test
    void executeFromNoExecutePage() {
        String body = " movabs $" + VA4K + ", %rax\n call *%rax\n";
        try (TestVm t = vm(body, m -> {
            m.w64(0x76000, 0x500000 | 3 | 1L << 63);
            m.w64(0x500000, 0xc3);
        })) {
            SystemRegisters s = t.vcpu.systemRegisters();
            t.vcpu.setSystemRegisters(s.withControl(s.cr0(), s.cr3(), s.cr4(), s.efer() | SystemRegisters.EFER_NXE));
            expectFault(t, VA4K, 0x11);
        }
    }

    @Test
    void reservedBitFaults() {
        try (TestVm t = vm(" movabs $" + VA4K + ", %rdi\n mov (%rdi), %rax\n",
                m -> m.w64(0x76000, 0x500000 | 3 | 1L << 45))) {
            expectFault(t, VA4K, 9);
        }
    }

    @Test
    void userAccessToSupervisorPageFaultsWithPrivilegeChange() {
        // Map the code page and a user stack for ring 3 in the 4 KiB table, enter ring 3 with IRETQ.
        String body = " push $0x3b\n movabs $" + (VA4K + 0x3000) + ", %rax\n push %rax\n push $2\n push $0x33\n"
                + " lea user(%rip), %rax\n sub $0x100000, %rax\n movabs $" + (VA4K + 0x1000) + ", %rbx\n"
                + " add %rbx, %rax\n push %rax\n iretq\n"
                + "user: mov 0x200000, %rax\n";
        try (TestVm t = vm(body, m -> {
            m.w64(0x76008, 0x100000 | 7);
            m.w64(0x76010, 0x2d0000 | 7);
        })) {
            expectFault(t, 0x200000, 5);
            assertEquals(0x33, port(t, 0xe5), "the frame holds the user CS");
            assertEquals(0x2e0000 - 40, port(t, 0xe3), "IST 1 wins over RSP0");
        }
    }

    @Test
    void invlpgAnywhereInALargePageDropsAllOfIt() {
        // Read VA2M + 0x1000 (TLB entry from the 2 MiB page), remap the PDE, INVLPG VA2M (another 4 KiB page of
        // the same large page), read VA2M + 0x1000 again: the new mapping.
        String body = " movabs $" + (VA2M + 0x1000) + ", %rsi\n mov (%rsi), %rax\n out %eax, $0xa1\n"
                + " movq $0x600083, 0x74000\n movabs $" + VA2M + ", %rdi\n invlpg (%rdi)\n"
                + " mov (%rsi), %rax\n out %eax, $0xa2\n";
        try (TestVm t = vm(body, m -> {
            m.w64(0x401000, 0xaaaa);
            m.w64(0x601000, 0xbbbb);
        })) {
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(0xaaaa, port(t, 0xa1));
            assertEquals(0xbbbb, port(t, 0xa2));
        }
    }
}
