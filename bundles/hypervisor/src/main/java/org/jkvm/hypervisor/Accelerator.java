package org.jkvm.hypervisor;

import java.util.Locale;

/**
 * The backends that run guest code, named as QEMU's {@code -accel} option names them, so that QEMU command lines
 * and libvirt's domain types map directly ({@code <domain type='kvm'>} is {@link #KVM}, {@code type='qemu'} is
 * {@link #TCG}).
 */
public enum Accelerator {
    /** Linux KVM through {@code /dev/kvm}: guest code runs on the host CPU. */
    KVM("kvm", "KVM"),
    /** jkvm's software x86-64 CPU (QEMU calls its software emulation "tcg"): runs anywhere, slower. */
    TCG("tcg", "software CPU (tcg)");

    private final String optionName;
    private final String displayName;

    Accelerator(String optionName, String displayName) {
        this.optionName = optionName;
        this.displayName = displayName;
    }

    /** The {@code -accel} spelling: {@code kvm} or {@code tcg}. */
    public String optionName() {
        return optionName;
    }

    /** A short name for log lines and monitor output, e.g. {@code KVM}. */
    public String displayName() {
        return displayName;
    }

    /**
     * Parses an {@code -accel} name.
     *
     * @throws HypervisorException naming the accepted values when {@code name} is not one
     */
    public static Accelerator byName(String name) {
        for (Accelerator a : values()) {
            if (a.optionName.equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new HypervisorException("unknown accelerator '" + name + "'; use kvm or tcg");
    }
}
