package org.jkvm.engine.platform;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/**
 * The {@code kvmclock} migration section (instance 0, version 1): the guest's kvmclock in nanoseconds at the save,
 * one u64 (big-endian), whichever backend saved it (KVM's {@code KVM_GET_CLOCK}, the software CPU's clock). The
 * destination sets its clock to that value ({@code KVM_SET_CLOCK}) and each vCPU rewrites its
 * {@code pvclock_vcpu_time_info} before it runs, so the guest's CLOCK_MONOTONIC goes on from the saved value: it
 * neither goes back nor jumps by more than the downtime (it does not count the downtime, as the restored TSC does not).
 * The vCPUs' kvmclock MSRs travel in their {@code cpu} sections. Only a VM whose CPUID offers kvmclock has the
 * section (the configuration fingerprint compares CPUID, so both ends agree). Stateless.
 */
public final class KvmClockSection {
    /** The section's version. */
    public static final int VERSION = 1;
    /** KVM's paravirtual feature leaf. */
    public static final int LEAF_KVM_FEATURES = 0x40000001;
    /** KVM_FEATURE_CLOCKSOURCE (0) and KVM_FEATURE_CLOCKSOURCE2 (3) in its EAX. */
    private static final int CLOCKSOURCES = 1 | 1 << 3;

    private KvmClockSection() {
    }

    /** Whether the guest's CPUID offers kvmclock (either MSR pair), so the VM has the section. */
    public static boolean offered(List<CpuidEntry> cpuid) {
        for (CpuidEntry e : cpuid) {
            if (e.function() == LEAF_KVM_FEATURES && (e.eax() & CLOCKSOURCES) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The section; {@code save} and {@code restore} run on vCPU 0's thread (the caller arranges it). Restore it
     * after the {@code cpu} sections (either order gives the same clock, this one rewrites the structure once).
     */
    public static Stateful<Long> of(Supplier<Long> save, Consumer<Long> restore) {
        return new Section<>("kvmclock", 0, VERSION, save, restore, KvmClockSection::encode,
                KvmClockSection::decode);
    }

    static void encode(Long nanos, StateWriter out) {
        out.u64(nanos);
    }

    static Long decode(StateReader in) {
        long nanos = in.u64();
        in.expectEnd();
        return nanos;
    }
}
