package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * KVM's in-kernel irqchip and PIT behind the seam, on the real KVM device: a real-mode guest takes PIT interrupts
 * through the PIC and its IVT, its platform state moves to a second VM where the ticks go on, and the local APIC,
 * the I/O APIC, MSIs and the TSC-deadline MSR keep what they are given.
 */
class KvmIrqChipTest {
    /**
     * Real mode at 0x1000 (guest2.S in the commit message's words): IVT vector 8 -> handler; PIC master ICW1-4
     * (0x11, base 0x08, 0x04, 0x01), IMR 0xfe; PIT channel 0 mode 2, count 11932 (100 Hz); STI; then
     * {@code 1: hlt; mov ax,[0xff0]; cmp [count],ax; jb 1b; mov al,[count]; out 0xf4,al; jmp 1b}; the handler
     * increments the word {@code count} at 0x1054 and writes a non-specific EOI to port 0x20.
     */
    static final byte[] TICKS = KvmAdapterTest.hex("fa31c08ed88ed0bc0080c70620004910c70622000000b011e620b008e621b004e6"
            + "21b001e621b0fee621b034e643b89c2ee64088e0e640fbf4a1f00f3906541072f6a05410e6f4ebefff06541050b020e62058cf"
            + "0000");
    static final long COUNT = 0x1054;
    static final long LIMIT = 0xff0;
    static final long RAM = 1 << 20;

    /** Counts the guest's ticks it reports on port 0xf4 and stops the run loop at {@code target}. */
    static final class Ticks implements VmOps {
        final AtomicInteger reported = new AtomicInteger();
        final List<String> other = new ArrayList<>();

        @Override
        public void pioRead(int port, byte[] data) {
            other.add("in 0x" + Integer.toHexString(port));
            data[0] = (byte) 0xff;
        }

        @Override
        public void pioWrite(int port, byte[] data) {
            if (port == 0xf4) {
                reported.set(data[0] & 0xff);
            } else {
                other.add("out 0x" + Integer.toHexString(port));
            }
        }

        @Override
        public void mmioRead(long gpa, byte[] data) {
            other.add("read 0x" + Long.toHexString(gpa));
        }

        @Override
        public void mmioWrite(long gpa, byte[] data) {
            other.add("write 0x" + Long.toHexString(gpa));
        }
    }

    private static Hypervisor open() {
        Require.kvm();
        return HypervisorProvider.find(Accelerator.KVM, KvmIrqChipTest.class.getClassLoader())
                .open(new HypervisorProvider.Options(Require.kvmDevice()));
    }

    private static HvIrqChip irqChip(HvVm vm) {
        Require.that(vm.irqChipSupported(), "this host's KVM has no in-kernel irqchip and PIT");
        return vm.createIrqChip();
    }

    private static void realMode(HvVcpu vcpu, long rip) {
        SystemRegisters s = vcpu.systemRegisters();
        vcpu.setSystemRegisters(s.withSegments(SegmentRegister.realMode(0, true), s.ds()));
        vcpu.setRegisters(Registers.atRip(rip));
    }

    /** Runs {@code vcpu} on a thread of its own until the guest has reported {@code target} ticks. */
    private static void runUntil(HvVcpu vcpu, Ticks ops, int target) throws Exception {
        AtomicReference<Object> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                vcpu.bindToCurrentThread();
                while (ops.reported.get() < target) {
                    VcpuExit e = vcpu.run();
                    if (e != VcpuExit.CONTINUE && e != VcpuExit.INTERRUPTED) {
                        failure.set(e + ": " + vcpu.exitDetail());
                        return;
                    }
                }
                vcpu.completePendingIo();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        t.start();
        t.join(60_000);
        assertFalse(t.isAlive(), "the guest reported " + ops.reported.get() + " of " + target + " ticks in 60 s");
        assertEquals(null, failure.get());
    }

    @Test
    void pitTicksReachTheGuestThroughThePicAndGoOnInAnotherVm() throws Exception {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM);
                GuestMemory mem2 = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem);
                HvVm vm2 = hv.createVm(mem2)) {
            HvIrqChip chip = irqChip(vm);
            Ticks ops = new Ticks();
            PicState pic;
            IoapicState ioapic;
            PitState pit;
            CpuState cpu;
            LapicState lapic;
            try (HvVcpu vcpu = vm.createVcpu(0, ops)) {
                mem.write(0x1000, ByteBuffer.wrap(TICKS));
                mem.writeShortLE(LIMIT, (short) 5);
                realMode(vcpu, 0x1000);
                runUntil(vcpu, ops, 5);
                assertEquals(List.of(), ops.other, "PIC, PIT and HLT stay in the kernel: no other exit");
                pic = chip.savePic();
                ioapic = chip.saveIoapic();
                pit = chip.savePit();
                cpu = vcpu.saveState();
                lapic = vcpu.saveLapic();
            }
            assertEquals(0x08, pic.master().vectorBase());
            assertEquals(0xfe, pic.master().imr());
            assertEquals(0, pic.master().initState());
            PitState.Channel c0 = pit.channels().get(0);
            assertEquals(11932, c0.initialCount());
            assertEquals(2, c0.mode());
            assertEquals(3, c0.rwMode());
            assertTrue(c0.currentCount() >= 1 && c0.currentCount() <= 11932, "current " + c0.currentCount());
            assertEquals(IoapicState.reset().redirection()[2], ioapic.redirection()[2], "pin 2 left masked");
            assertEquals(0x700, lapic.register(0x350), "LINT0 passes the PIC through (ExtINT)");

            byte[] ram = new byte[(int) RAM];
            mem.read(0, ByteBuffer.wrap(ram));
            mem2.write(0, ByteBuffer.wrap(ram));
            mem2.writeShortLE(LIMIT, (short) 10);
            HvIrqChip chip2 = irqChip(vm2);
            Ticks ops2 = new Ticks();
            try (HvVcpu copy = vm2.createVcpu(0, ops2)) {
                chip2.restorePic(pic);
                chip2.restoreIoapic(ioapic);
                chip2.restorePit(pit);
                copy.restoreState(cpu);
                copy.restoreLapic(lapic);
                assertEquals(pic, chip2.savePic());
                assertEquals(ioapic, chip2.saveIoapic());
                assertEquals(pit.channels().get(0).initialCount(), chip2.savePit().channels().get(0).initialCount());
                runUntil(copy, ops2, 10);
                assertEquals(List.of(), ops2.other);
            }
            assertEquals(10, mem2.readShortLE(COUNT), "the ticks went on from 5 on the second VM");
        }
    }

    @Test
    void aHaltedVcpuStaysInTheKernelAndItsHaltedStateRoundTrips() throws Exception {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem)) {
            irqChip(vm);
            try (HvVcpu vcpu = vm.createVcpu(0, new Ticks())) {
                mem.write(0x1000, ByteBuffer.wrap(KvmAdapterTest.hex("faf4"))); // cli; hlt
                realMode(vcpu, 0x1000);
                AtomicReference<CpuState> halted = new AtomicReference<>();
                Thread t = new Thread(() -> {
                    vcpu.bindToCurrentThread();
                    while (true) {
                        VcpuExit e = vcpu.run();
                        assertTrue(e == VcpuExit.CONTINUE || e == VcpuExit.INTERRUPTED, "with the irqchip HLT is "
                                + "no exit: " + e);
                        CpuState s = vcpu.saveState();
                        if (s.activity() == ActivityState.HALTED) {
                            halted.set(s);
                            return;
                        }
                    }
                });
                t.start();
                // HLT with IF clear: nothing wakes the vCPU but a kick, which ends the run with the vCPU still
                // halted (a kick before the HLT ends it before the guest got there; the thread then runs again).
                while (t.isAlive()) {
                    vcpu.kick();
                    t.join(100);
                }
                CpuState s = halted.get();
                assertEquals(ActivityState.HALTED, s.activity());
                assertEquals(0x1002, s.registers().rip());
                CpuState active = new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), s.msrs(), s.events(),
                        ActivityState.ACTIVE, s.debug());
                vcpu.restoreState(active);
                assertEquals(ActivityState.ACTIVE, vcpu.saveState().activity());
                vcpu.restoreState(s);
                assertEquals(ActivityState.HALTED, vcpu.saveState().activity());
                HypervisorException e = assertThrows(HypervisorException.class, () -> vcpu.injectInterrupt(0x40));
                assertTrue(e.getMessage().contains("raise a GSI through the irqchip"), e.getMessage());
            }
        }
    }

    @Test
    void theIrqchipComesBeforeTheVcpusAndOnlyOnce() {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem);
                GuestMemory mem2 = MmapGuestMemory.allocate(RAM); HvVm vm2 = hv.createVm(mem2)) {
            irqChip(vm);
            assertThrows(HypervisorException.class, vm::createIrqChip);
            try (HvVcpu vcpu = vm2.createVcpu(0, new Ticks())) {
                HypervisorException e = assertThrows(HypervisorException.class, vm2::createIrqChip);
                assertEquals("the KVM irqchip must be created before the first vCPU; create it first", e.getMessage());
                assertThrows(HypervisorException.class, vcpu::saveLapic, "no local APIC without the irqchip");
            }
        }
    }

    /** An xAPIC page: APIC enabled (SVR 0x1ff), everything else as {@code base} has it. */
    private static byte[] enabled(LapicState base) {
        byte[] page = base.registers();
        ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN).putInt(LapicState.SVR, 0x1ff);
        return page;
    }

    @Test
    void gsisAndMsisReachTheLocalApicThroughTheIoapicRouting() {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem)) {
            HvIrqChip chip = irqChip(vm);
            try (HvVcpu vcpu = vm.createVcpu(0, new Ticks())) {
                vcpu.restoreLapic(new LapicState(enabled(vcpu.saveLapic())));
                long[] table = IoapicState.reset().redirection();
                table[4] = 0x34; // edge, active high, fixed, physical destination 0, unmasked
                table[2] = 0x32; // the PIT's pin
                chip.restoreIoapic(new IoapicState(0, 0, 0, table));
                chip.setIrq(4, true);
                chip.setIrq(4, false);
                chip.signalMsi(0xfee00000L, 0x41);
                LapicState s = vcpu.saveLapic();
                assertTrue(irr(s, 0x34), "GSI 4 -> pin 4 -> vector 0x34");
                assertTrue(irr(s, 0x41), "the MSI's vector");
                assertFalse(irr(s, 0x32), "nothing on pin 2 yet");
                chip.setIrq(0, true);
                chip.setIrq(0, false);
                assertTrue(irr(vcpu.saveLapic(), 0x32), "GSI 0 (the PIT) is pin 2 on a PC");
                assertThrows(IllegalArgumentException.class, () -> chip.setIrq(24, true));
            }
        }
    }

    private static boolean irr(LapicState s, int vector) {
        return (s.register(LapicState.IRR + (vector / 32) * 16) & 1 << (vector % 32)) != 0;
    }

    @Test
    void theTimerResumesFromTheSavedCountAndTheDeadlineMsrSurvivesTheRestore() {
        try (Hypervisor hv = open(); GuestMemory mem = MmapGuestMemory.allocate(RAM); HvVm vm = hv.createVm(mem)) {
            irqChip(vm);
            try (HvVcpu vcpu = vm.createVcpu(0, new Ticks())) {
                vcpu.setCpuid(hv.supportedCpuid()); // TSC-deadline mode needs CPUID.1:ECX[24]
                ByteBuffer oneShot = ByteBuffer.wrap(enabled(vcpu.saveLapic())).order(ByteOrder.LITTLE_ENDIAN);
                oneShot.putInt(LapicState.LVT_TIMER, 0xec).putInt(LapicState.TIMER_DIVIDE, 0xb)
                        .putInt(LapicState.TIMER_INITIAL, 0xffffffff).putInt(LapicState.TIMER_CURRENT, 1_000_000_000);
                vcpu.restoreLapic(new LapicState(oneShot.array()));
                int current = vcpu.saveLapic().register(LapicState.TIMER_CURRENT);
                assertTrue(current <= 1_000_000_000, "counts on from the saved 1e9, not from the initial 2^32-1: "
                        + current);

                CpuState s = vcpu.saveState();
                long deadline = s.tsc() + 1_000_000_000_000L;
                List<Msr> msrs = new ArrayList<>();
                for (Msr m : s.msrs()) {
                    msrs.add(m.index() == KvmVcpu.MSR_TSC_DEADLINE ? new Msr(m.index(), deadline) : m);
                }
                assertTrue(msrs.stream().anyMatch(m -> m.index() == KvmVcpu.MSR_TSC_DEADLINE),
                        "IA32_TSC_DEADLINE is in the vCPU's MSR list");
                vcpu.restoreState(new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), msrs, s.events(),
                        s.activity(), s.debug()));
                ByteBuffer tscMode = ByteBuffer.wrap(enabled(vcpu.saveLapic())).order(ByteOrder.LITTLE_ENDIAN);
                tscMode.putInt(LapicState.LVT_TIMER, 0x400ec).putInt(LapicState.TIMER_INITIAL, 0)
                        .putInt(LapicState.TIMER_CURRENT, 0);
                vcpu.restoreLapic(new LapicState(tscMode.array()));
                assertEquals(0x400ec, vcpu.saveLapic().register(LapicState.LVT_TIMER));
                long after = vcpu.saveState().msrs().stream().filter(m -> m.index() == KvmVcpu.MSR_TSC_DEADLINE)
                        .findFirst().orElseThrow().value();
                assertEquals(deadline, after, "written again once the LVT is in TSC-deadline mode");
                assertNotEquals(0, after);
            }
        }
    }
}
