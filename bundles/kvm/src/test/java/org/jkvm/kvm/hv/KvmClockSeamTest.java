package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * The VM's kvmclock behind the seam on the real KVM device ({@code KVM_SET_CLOCK}, {@code KVM_GET_CLOCK}): a set
 * value reads back and counts on from there, also when it is set lower than the clock was (a migration's destination
 * takes the source's value whatever its own).
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
}
