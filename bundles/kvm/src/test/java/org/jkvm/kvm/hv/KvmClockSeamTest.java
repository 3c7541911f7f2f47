package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmCaps;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The VM's kvmclock behind the seam on the real KVM device ({@code KVM_SET_CLOCK}, {@code KVM_GET_CLOCK}): a set
 * value reads back and counts on from there, also when it is set lower than the clock was (a migration's destination
 * takes the source's value whatever its own); after a pause the guest's structure says it was stopped.
 */
class KvmClockSeamTest {
    /** A bound no two consecutive ioctls come near: the clock is the set value plus what elapsed. */
    private static final long SLACK_NS = 60_000_000_000L;

    @Test
    void aSetClockReadsBackAndCountsOn() {
        Require.kvm();
        try (Hypervisor h = HypervisorProvider.find(Accelerator.KVM, KvmClockSeamTest.class.getClassLoader())
                .open(new HypervisorProvider.Options(Require.kvmDevice()));
                MmapGuestMemory memory = MmapGuestMemory.allocate(1 << 20);
                HvVm vm = h.createVm(memory)) {
            for (long set : new long[] {5_000_000_000_000L, 1_000_000_000L}) {
                vm.setKvmClockNanos(set);
                long first = vm.kvmClockNanos();
                long second = vm.kvmClockNanos();
                assertTrue(first >= set && first < set + SLACK_NS, "set " + set + ", read " + first);
                assertTrue(second >= first, "counts on: " + first + " then " + second);
            }
        }
    }

    /**
     * Real mode at 0x1000: enables the kvmclock at 0x5000, stops at port 0x99, then halts.
     * <pre>
     *   66 b9 01 4d 56 4b   mov ecx, 0x4b564d01   ; MSR_KVM_SYSTEM_TIME_NEW
     *   66 b8 01 50 00 00   mov eax, 0x5001       ; the structure at 0x5000, enabled
     *   66 31 d2 0f 30      xor edx, edx; wrmsr
     *   e6 99 f4            out 0x99, al; hlt
     * </pre>
     */
    private static final byte[] KVMCLOCK_ON = KvmAdapterTest.hex("66b9014d564b66b8015000006631d20f30e699f4");
    private static final int FLAGS = 0x5000 + 29;
    private static final int PVCLOCK_GUEST_STOPPED = 2;

    @Test
    void afterAPauseTheGuestsKvmclockSaysItWasStopped() {
        Require.kvm();
        try (Kvm kvm = Kvm.open(Require.kvmDevice())) {
            Assumptions.assumeTrue(kvm.checkExtension(KvmCaps.KVM_CAP_KVMCLOCK_CTRL) > 0,
                    "this KVM has no KVM_CAP_KVMCLOCK_CTRL");
        }
        try (Hypervisor h = HypervisorProvider.find(Accelerator.KVM, KvmClockSeamTest.class.getClassLoader())
                .open(new HypervisorProvider.Options(Require.kvmDevice()));
                MmapGuestMemory memory = MmapGuestMemory.allocate(1 << 20);
                HvVm vm = h.createVm(memory)) {
            HvVcpu[] self = new HvVcpu[1];
            VmOps ops = new VmOps() {
                @Override
                public void pioRead(int port, byte[] data) {
                }

                @Override
                public void pioWrite(int port, byte[] data) {
                    self[0].kick();
                }

                @Override
                public void mmioRead(long gpa, byte[] data) {
                }

                @Override
                public void mmioWrite(long gpa, byte[] data) {
                }
            };
            try (HvVcpu vcpu = vm.createVcpu(0, ops)) {
                self[0] = vcpu;
                memory.write(0x1000, ByteBuffer.wrap(KVMCLOCK_ON));
                SystemRegisters s = vcpu.systemRegisters();
                vcpu.setSystemRegisters(s.withSegments(SegmentRegister.realMode(0, true), s.ds()));
                vcpu.setRegisters(Registers.atRip(0x1000));
                vcpu.bindToCurrentThread();
                assertEquals(VcpuExit.INTERRUPTED, runUntilStopped(vcpu), "stopped at port 0x99");
                int version = memory.readIntLE(0x5000);
                assertTrue(version > 0 && version % 2 == 0, "KVM wrote the structure: version " + version);
                assertEquals(0, memory.readByte(FLAGS) & PVCLOCK_GUEST_STOPPED, "not paused yet");
                vm.pauseGuestTime();
                vm.resumeGuestTime();
                assertEquals(VcpuExit.HLT, runUntilStopped(vcpu));
                assertEquals(PVCLOCK_GUEST_STOPPED, memory.readByte(FLAGS) & PVCLOCK_GUEST_STOPPED,
                        "KVM_KVMCLOCK_CTRL before the vCPU ran on: flags 0x" + Integer.toHexString(
                                memory.readByte(FLAGS) & 0xff));
            }
        }
    }

    private static VcpuExit runUntilStopped(HvVcpu vcpu) {
        VcpuExit e;
        do {
            e = vcpu.run();
        } while (e == VcpuExit.CONTINUE);
        return e;
    }
}
