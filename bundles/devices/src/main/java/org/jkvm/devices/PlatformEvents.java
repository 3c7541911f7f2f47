package org.jkvm.devices;

/**
 * What a device asks of the machine around it: to power off (ACPI S5 through the PM1 control register) or to
 * reset the whole system (the ACPI reset register, the i8042 reset pulse, port 0xCF9). The engine implements it:
 * power off ends the engine with status 0, reset reloads the firmware or kernel and restarts the vCPUs as QEMU's
 * system reset does (or exits under {@code -no-reboot}).
 *
 * <p>Called on the vCPU thread in the middle of a port or MMIO access: implementations only record the request
 * (and kick the vCPU); the action happens after the access completes. Both methods are idempotent until acted on.
 */
public interface PlatformEvents {
    /** Events that go nowhere (a device used outside a machine, tests). */
    PlatformEvents NONE = new PlatformEvents() {
        @Override
        public void powerOff() {
        }

        @Override
        public void reset() {
        }
    };

    /** The guest entered S5 (soft off): the machine powers off. */
    void powerOff();

    /** The guest asked for a system reset. */
    void reset();
}
