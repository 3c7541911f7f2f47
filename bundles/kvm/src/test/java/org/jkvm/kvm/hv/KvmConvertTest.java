package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.kvm.DebugRegs;
import org.jkvm.kvm.Dtable;
import org.jkvm.kvm.MsrEntry;
import org.jkvm.kvm.Regs;
import org.jkvm.kvm.Segment;
import org.jkvm.kvm.Sregs;
import org.jkvm.kvm.Xcrs;
import org.jkvm.kvm.Xsave;
import org.junit.jupiter.api.Test;

/** Every conversion between KVM's structures and the architectural records, both ways, with exact values. */
class KvmConvertTest {
    static final Segment KVM_CODE64 = new Segment(0, 0xffffffff, 0x08, 11, 1, 0, 0, 1, 1, 1, 0, 0);
    static final SegmentRegister CODE64 = new SegmentRegister(0x08, 0, 0xffffffff, 11, true, 0, true, false, true,
            false, true, false);
    /** Every flag that differs from CODE64: DPL 3, D/B, AVL, unusable, no L, no G, a base and a limit. */
    static final Segment KVM_ODD = new Segment(0xffff800012345000L, 0xfffff, 0x2b, 3, 0, 3, 1, 1, 0, 0, 1, 1);
    static final SegmentRegister ODD = new SegmentRegister(0x2b, 0xffff800012345000L, 0xfffff, 3, true, 3, false,
            true, false, true, false, true);

    @Test
    void registersKeepEveryValueInTheirPlace() {
        Regs kvm = new Regs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xffffffff81000000L, 0x246);
        Registers arch = new Registers(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xffffffff81000000L,
                0x246);
        assertEquals(arch, KvmConvert.registers(kvm));
        assertEquals(kvm, KvmConvert.regs(arch));
        assertEquals(7, arch.rsp());
        assertEquals(8, arch.rbp());
    }

    @Test
    void segmentsKeepTheDescriptorCache() {
        assertEquals(CODE64, KvmConvert.segment(KVM_CODE64));
        assertEquals(KVM_CODE64, KvmConvert.segment(CODE64));
        assertEquals(ODD, KvmConvert.segment(KVM_ODD));
        assertEquals(KVM_ODD, KvmConvert.segment(ODD));
        assertEquals(new DescriptorTable(0x500, 0x1f), KvmConvert.table(new Dtable(0x500, 0x1f)));
        assertEquals(new Dtable(0xfffffe0000000000L, 0xfff),
                KvmConvert.dtable(new DescriptorTable(0xfffffe0000000000L, 0xfff)));
    }

    @Test
    void systemRegistersAndTheQueuedInterruptBitmap() {
        Sregs kvm = new Sregs(KVM_CODE64, KVM_ODD, KVM_ODD, KVM_ODD, KVM_ODD, KVM_ODD, KVM_CODE64, KVM_ODD,
                new Dtable(0x500, 31), new Dtable(0x3000, 0xfff), 0x80050033L, 0x7f00deadb000L, 0x1000, 0x6b0, 0xf,
                0xd01, 0xfee00900L, new long[] {1L << 48, 0, 0, 0});
        SystemRegisters arch = new SystemRegisters(CODE64, ODD, ODD, ODD, ODD, ODD, CODE64, ODD,
                new DescriptorTable(0x500, 31), new DescriptorTable(0x3000, 0xfff), 0x80050033L, 0x7f00deadb000L,
                0x1000, 0x6b0, 0xf, 0xd01, 0xfee00900L);
        assertEquals(arch, KvmConvert.systemRegisters(kvm));
        assertEquals(kvm, KvmConvert.sregs(arch, 0x30));
        assertEquals(0x30, KvmConvert.bitmapVector(kvm.interruptBitmap()));
        assertArrayEquals(new long[] {0, 0, 0, 1L << 8}, KvmConvert.sregs(arch, 200).interruptBitmap());
        assertArrayEquals(new long[4], KvmConvert.sregs(arch, -1).interruptBitmap());
        assertEquals(-1, KvmConvert.bitmapVector(new long[4]));
        assertEquals(255, KvmConvert.bitmapVector(new long[] {0, 0, 0, 1L << 63}));
    }

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        return b;
    }

    @Test
    void kvmXsaveIsTheStandardFormatByteForByte() {
        byte[] bytes = pattern(4096);
        assertArrayEquals(bytes, KvmConvert.xsaveArea(new Xsave(bytes)).bytes());
        assertEquals(new Xsave(bytes), KvmConvert.xsave(new XsaveArea(bytes), 4096));
        // A size that is no multiple of 64 (KVM_CAP_XSAVE2 reports the CPU's) is padded with zeros.
        byte[] odd = pattern(4100);
        byte[] padded = KvmConvert.xsaveArea(new Xsave(odd)).bytes();
        assertEquals(4160, padded.length);
        assertArrayEquals(odd, Arrays.copyOf(padded, 4100));
        assertArrayEquals(new byte[60], Arrays.copyOfRange(padded, 4100, 4160));
    }

    @Test
    void anotherBackendsAreaIsPaddedOrTruncatedToKvmsSize() {
        byte[] small = pattern(576);
        byte[] kvm = KvmConvert.xsave(new XsaveArea(small), 4096).bytes();
        assertEquals(4096, kvm.length);
        assertArrayEquals(small, Arrays.copyOf(kvm, 576));
        assertArrayEquals(new byte[4096 - 576], Arrays.copyOfRange(kvm, 576, 4096));
        byte[] big = pattern(8192);
        assertArrayEquals(Arrays.copyOf(big, 4096), KvmConvert.xsave(new XsaveArea(big), 4096).bytes());
        assertArrayEquals(Arrays.copyOf(big, 4160), KvmConvert.xsave(new XsaveArea(big), 4160).bytes());
    }

    @Test
    void xcr0() {
        assertEquals(7, KvmConvert.xcr0(new Xcrs(List.of(new Xcrs.Xcr(1, 5), new Xcrs.Xcr(0, 7)), 0)));
        assertEquals(1, KvmConvert.xcr0(new Xcrs(List.of(), 0)), "no XCR0 listed: x87 only");
        assertEquals(new Xcrs(List.of(new Xcrs.Xcr(0, 0xe7)), 0), KvmConvert.xcrs(0xe7));
    }

    @Test
    void msrs() {
        assertEquals(new Msr(0xc0000082, 0xffffffff81800000L),
                KvmConvert.msr(new MsrEntry(0xc0000082, 0xffffffff81800000L)));
        assertEquals(new MsrEntry(0x10, 123456789012L), KvmConvert.msrEntry(new Msr(0x10, 123456789012L)));
    }

    @Test
    void cpuidIndexedFlag() {
        org.jkvm.kvm.CpuidEntry indexed = new org.jkvm.kvm.CpuidEntry(0xd, 1, 1, 0xf, 0x3c0, 0, 0);
        org.jkvm.kvm.CpuidEntry plain = new org.jkvm.kvm.CpuidEntry(0x80000001, 0, 0, 0xa00f11, 0, 0x400393,
                0x23d3fbff);
        assertEquals(new CpuidEntry(0xd, 1, true, 0xf, 0x3c0, 0, 0), KvmConvert.cpuid(indexed));
        assertEquals(new CpuidEntry(0x80000001, 0, false, 0xa00f11, 0, 0x400393, 0x23d3fbff),
                KvmConvert.cpuid(plain));
        assertEquals(indexed, KvmConvert.kvmCpuid(KvmConvert.cpuid(indexed)));
        assertEquals(plain, KvmConvert.kvmCpuid(KvmConvert.cpuid(plain)));
        // The stateful-leaf flags (2, 4) of KVM's output are not part of the architectural table.
        assertEquals(new CpuidEntry(2, 0, false, 1, 2, 3, 4),
                KvmConvert.cpuid(new org.jkvm.kvm.CpuidEntry(2, 0, 6, 1, 2, 3, 4)));
    }

    @Test
    void debugRegisters() {
        DebugRegs kvm = new DebugRegs(new long[] {0x1000, 0x2000, 0x3000, 0x4000}, 0xffff0ff1L, 0x403, 0);
        DebugRegisters arch = new DebugRegisters(0x1000, 0x2000, 0x3000, 0x4000, 0xffff0ff1L, 0x403);
        assertEquals(arch, KvmConvert.debug(kvm));
        assertEquals(kvm, KvmConvert.debugRegs(arch));
    }
}
