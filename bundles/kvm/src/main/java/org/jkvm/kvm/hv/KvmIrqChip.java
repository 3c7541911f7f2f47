package org.jkvm.kvm.hv;

import java.util.function.LongSupplier;

import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.kvm.IrqRoute;
import org.jkvm.kvm.KvmException;
import org.jkvm.kvm.VmFd;

/**
 * KVM's in-kernel irqchip and PIT behind the seam: {@code KVM_IRQ_LINE} and {@code KVM_SIGNAL_MSI} for devices,
 * {@code KVM_GET/SET_IRQCHIP} and {@code KVM_GET/SET_PIT2} converted to the architectural records
 * ({@link KvmPlatform}, {@link KvmPit}). The VM fd is owned by {@link KvmVm}. Thread-safe (the VM fd's calls are).
 */
final class KvmIrqChip implements HvIrqChip {
    private final VmFd fd;
    /** The clock of {@code count_load_time}: the host's CLOCK_MONOTONIC in ns. */
    private final LongSupplier monotonicNs;

    KvmIrqChip(VmFd fd, LongSupplier monotonicNs) {
        this.fd = fd;
        this.monotonicNs = monotonicNs;
    }

    @Override
    public void setIrq(int gsi, boolean level) {
        if (gsi < 0 || gsi >= KvmPlatform.GSIS) {
            throw new IllegalArgumentException("GSI " + gsi + " is not 0-" + (KvmPlatform.GSIS - 1));
        }
        try {
            fd.irqLine(gsi, level);
        } catch (KvmException e) {
            throw new HypervisorException("KVM could not set GSI " + gsi + " to " + (level ? 1 : 0) + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void signalMsi(long address, int data) {
        try {
            fd.signalMsi(address, data);
        } catch (KvmException e) {
            throw new HypervisorException("KVM could not deliver the MSI 0x" + Long.toHexString(address) + "/0x"
                    + Integer.toHexString(data) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public PicState savePic() {
        return get("read the PICs", () -> new PicState(KvmPlatform.chip(fd.getPic(IrqRoute.PIC_MASTER)),
                KvmPlatform.chip(fd.getPic(IrqRoute.PIC_SLAVE))));
    }

    @Override
    public void restorePic(PicState state) {
        get("restore the PICs", () -> {
            fd.setPic(IrqRoute.PIC_MASTER, KvmPlatform.kvmPic(state.master()));
            fd.setPic(IrqRoute.PIC_SLAVE, KvmPlatform.kvmPic(state.slave()));
            return null;
        });
    }

    @Override
    public IoapicState saveIoapic() {
        return get("read the I/O APIC", () -> KvmPlatform.ioapic(fd.getIoapic()));
    }

    @Override
    public void restoreIoapic(IoapicState state) {
        get("restore the I/O APIC", () -> {
            fd.setIoapic(KvmPlatform.kvmIoapic(state));
            return null;
        });
    }

    @Override
    public PitState savePit() {
        return get("read the PIT", () -> KvmPit.pit(fd.getPit2(), monotonicNs.getAsLong()));
    }

    @Override
    public void restorePit(PitState state) {
        get("restore the PIT", () -> {
            fd.setPit2(KvmPit.kvmPit(state, monotonicNs.getAsLong()));
            return null;
        });
    }

    private interface KvmGet<T> {
        T get();
    }

    private static <T> T get(String what, KvmGet<T> c) {
        try {
            return c.get();
        } catch (KvmException | IllegalArgumentException e) {
            throw new HypervisorException("KVM could not " + what + ": " + e.getMessage(), e);
        }
    }
}
