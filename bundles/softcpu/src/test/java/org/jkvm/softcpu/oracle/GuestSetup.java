package org.jkvm.softcpu.oracle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.memory.GuestMemory;

/**
 * The 64-bit guest the oracle runs cases in: 4-level page tables that map the code and data areas with 4 KiB pages
 * at their {@link Layout} addresses (identity) and nothing else in the lower half, so that an access outside them
 * faults as on the host; and, at {@link #SYS_VA} in the upper half, the GDT, an IDT whose 32 exception gates
 * switch to IST1 and point at one HLT each, the TSS and the IST stack. A case ends in HLT: at one of its ends, or
 * at the stub of the exception it raised, whose frame then sits at the top of the IST stack.
 *
 * <pre>
 *   physical 0x1000 PML4   0x2000 PDPT (low)  0x3000 PD (low)  0x4000 PT 0-2 MiB  0x5000 PT 2-4 MiB
 *            0x6000 PDPT (high)  0x7000 PD (high)  0x8000 PT (high)
 *            0x10000 GDT  0x11000 IDT  0x12000 TSS  0x13000 exception stubs  0x14000-0x17fff IST stack
 *   linear   SYS_VA + (physical - 0x10000) for the last five
 * </pre>
 */
final class GuestSetup {
    /** Guest RAM size. */
    static final long RAM_BYTES = 4L << 20;
    /**
     * Linear base of the system area: an odd place in the upper half, so that a case's computed addresses do not
     * reach it by accident (the top 2 GiB, which a sign-extended disp32 reaches, did: a read there succeeded in the
     * guest while the host faulted). 2 MiB aligned: one page table maps it.
     */
    static final long SYS_VA = 0xFFFFD8ABCD000000L;
    static final long SYS_PA = 0x10000;
    static final long GDT_VA = SYS_VA;
    static final long IDT_VA = SYS_VA + 0x1000;
    static final long TSS_VA = SYS_VA + 0x2000;
    /** The exception stubs: vector {@code v}'s HLT is at {@code STUBS_VA + 16 * v}. */
    static final long STUBS_VA = SYS_VA + 0x3000;
    /** The top of the IST1 stack (16-byte aligned, so the frame starts exactly 40 or 48 bytes below). */
    static final long IST_TOP = SYS_VA + 0x8000;
    /** The exception vectors with a gate. */
    static final int VECTORS = 32;

    private static final long PML4 = 0x1000;
    private static final long PTE = 0x1 | 0x2 | 0x20 | 0x40;

    private GuestSetup() {
    }

    /** Physical address of a linear address in the system area. */
    static long sysPhys(long va) {
        return va - SYS_VA + SYS_PA;
    }

    /** Writes the page tables, GDT, IDT, TSS and stubs, and fills the code area with HLT. */
    static void writeTables(GuestMemory mem) {
        put(mem, PML4, 0x2000 | 3);
        put(mem, PML4 + 8 * (SYS_VA >>> 39 & 511), 0x6000 | 3);
        put(mem, 0x2000, 0x3000 | 3);
        put(mem, 0x3000, 0x4000 | 3);
        put(mem, 0x3000 + 8, 0x5000 | 3);
        for (long va = Layout.CODE_VA; va < Layout.CODE_VA + Layout.CODE_SIZE; va += 0x1000) {
            put(mem, 0x4000 + 8 * (va >> 12 & 511), va | PTE);
        }
        for (long va = Layout.DATA_VA; va < Layout.DATA_VA + Layout.DATA_SIZE; va += 0x1000) {
            put(mem, 0x5000 + 8 * (va >> 12 & 511), va | PTE);
        }
        put(mem, 0x6000 + 8 * (SYS_VA >>> 30 & 511), 0x7000 | 3);
        put(mem, 0x7000 + 8 * (SYS_VA >>> 21 & 511), 0x8000 | 3);
        for (int i = 0; i < 8; i++) {
            put(mem, 0x8000 + 8 * i, SYS_PA + 0x1000L * i | PTE);
        }
        long gdt = sysPhys(GDT_VA);
        put(mem, gdt + 8, 0x00AF9B000000FFFFL);
        put(mem, gdt + 16, 0x00CF93000000FFFFL);
        long tssLow = 0x67 | (TSS_VA & 0xFFFFFF) << 16 | 0x8BL << 40 | (TSS_VA >>> 24 & 0xFF) << 56;
        put(mem, gdt + 24, tssLow);
        put(mem, gdt + 32, TSS_VA >>> 32);
        long tss = sysPhys(TSS_VA);
        put(mem, tss + 4, IST_TOP);
        put(mem, tss + 0x24, IST_TOP);
        long idt = sysPhys(IDT_VA);
        for (int v = 0; v < VECTORS; v++) {
            long handler = STUBS_VA + 16L * v;
            long low = handler & 0xFFFF | 0x08L << 16 | 1L << 32 | 0x8EL << 40 | (handler >>> 16 & 0xFFFF) << 48;
            put(mem, idt + 16L * v, low);
            put(mem, idt + 16L * v + 8, handler >>> 32);
        }
        fill(mem, sysPhys(STUBS_VA), 0x1000, Layout.HLT);
        fill(mem, Layout.CODE_VA, Layout.CODE_SIZE, Layout.HLT);
    }

    /** 64-bit mode at CPL 0: paging on, CS 64-bit, flat data segments, GS based at {@link Layout#GS_BASE}. */
    static SystemRegisters systemRegisters(SystemRegisters reset) {
        SegmentRegister cs = SegmentRegister.code64(0x08);
        SegmentRegister data = new SegmentRegister(0x10, 0, 0xFFFFFFFF, 0x3, true, 0, true, false, false, true,
                true, false);
        SegmentRegister tr = new SegmentRegister(0x18, TSS_VA, 0x67, 0xB, false, 0, true, false, false, false,
                false, false);
        long cr0 = SystemRegisters.CR0_PE | SystemRegisters.CR0_MP | SystemRegisters.CR0_ET | SystemRegisters.CR0_NE
                | SystemRegisters.CR0_WP | SystemRegisters.CR0_PG;
        // OSXMMEXCPT as Linux sets it: an unmasked SSE exception is #XM on both sides.
        long cr4 = SystemRegisters.CR4_PAE | SystemRegisters.CR4_OSFXSR | 1L << 10;
        long efer = SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA;
        return new SystemRegisters(cs, data, data, data, data.withBase(Layout.GS_BASE), data, tr,
                SegmentRegister.unusableNull(), new DescriptorTable(GDT_VA, 5 * 8 - 1),
                new DescriptorTable(IDT_VA, VECTORS * 16 - 1), cr0, 0, PML4, cr4, 0, efer, reset.apicBase());
    }

    /** Whether the exception pushes an error code (#DF #TS #NP #SS #GP #PF #AC). */
    static boolean hasErrorCode(int vector) {
        return vector == 8 || vector >= 10 && vector <= 14 || vector == 17;
    }

    private static void put(GuestMemory mem, long gpa, long value) {
        mem.write(gpa, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    private static void fill(GuestMemory mem, long gpa, int size, byte value) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, value);
        mem.write(gpa, ByteBuffer.wrap(b));
    }
}
