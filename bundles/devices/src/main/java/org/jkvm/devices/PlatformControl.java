package org.jkvm.devices;

/**
 * What the guest asks of the whole machine through a device: a system reset (the i8042's reset pulse, port 0xCF9,
 * the ACPI reset register) or power off (ACPI sleep state S5). The engine implements it.
 *
 * <p>Devices call it on the vCPU thread, in the middle of the guest's I/O instruction: an implementation only
 * records the request and makes the vCPU leave the guest; the machine resets or stops once the instruction is
 * over. Safe to call more than once (the first request wins until it has been handled).
 */
public interface PlatformControl {
    /** Ignores every request (devices under test, or a machine that cannot reset). */
    PlatformControl NONE = new PlatformControl() {
        @Override
        public void requestReset(String source) {
        }

        @Override
        public void requestPowerOff(String source) {
        }
    };

    /**
     * The guest asked for a system reset (as the reset line of a PC: every CPU and device back to power-on, the
     * firmware or kernel loaded again).
     *
     * @param source the mechanism, for logs and events, e.g. {@code "i8042"}, {@code "cf9"}, {@code "acpi"}
     */
    void requestReset(String source);

    /**
     * The guest asked to be switched off; the engine ends with status 0.
     *
     * @param source the mechanism, e.g. {@code "acpi"}
     */
    void requestPowerOff(String source);
}
