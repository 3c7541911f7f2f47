package org.jkvm.engine;

/**
 * How the PC platform is put together, from QEMU's {@code -machine ...,kernel-irqchip=on|off} and
 * {@code -no-reboot}.
 *
 * @param irqchip  whether the backend's interrupt controllers and PIT are created
 * @param noReboot a guest reset (i8042 pulse, port 0xCF9, triple fault) ends the engine instead of resetting the
 *                 machine ({@code -no-reboot})
 */
public record MachineOptions(IrqChip irqchip, boolean noReboot) {
    /** The defaults: interrupt controllers when the backend has them, guest resets reset the machine. */
    public static final MachineOptions DEFAULT = new MachineOptions(IrqChip.AUTO, false);

    /** Requires the mode. */
    public MachineOptions {
        java.util.Objects.requireNonNull(irqchip, "irqchip");
    }

    /** {@code kernel-irqchip}: the PC's 8259A pair, I/O APIC, 8254 and local APICs in the backend. */
    public enum IrqChip {
        /** When the backend has them (the default; QEMU's KVM default is on). */
        AUTO,
        /** Required: the engine refuses to start on a backend without them. */
        ON,
        /** None: the firmware-only machine, where HLT ends the guest. */
        OFF
    }

    /** A copy with {@code mode}. */
    public MachineOptions withIrqchip(IrqChip mode) {
        return new MachineOptions(mode, noReboot);
    }

    /** A copy with {@code -no-reboot} set as given. */
    public MachineOptions withNoReboot(boolean value) {
        return new MachineOptions(irqchip, value);
    }
}
