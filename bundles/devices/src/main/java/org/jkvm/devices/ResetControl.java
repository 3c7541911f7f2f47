package org.jkvm.devices;

import java.util.Arrays;

/**
 * The reset control register at port 0xCF9 of PC chipsets (Intel PIIX/ICH RST_CNT): bit 1 SYS_RST (a hard reset
 * when the reset comes), bit 2 RST_CPU (writing it as 1 resets the system), bit 3 FULL_RST. Reads return the bits
 * last written. A write with bit 2 set asks {@link PlatformControl} for a system reset, which is how Linux's
 * {@code reboot=pci} and its CF9 fallback reboot.
 *
 * <p>Thread-safe.
 */
public final class ResetControl implements BusDevice {
    /** The port. */
    public static final int PORT = 0xcf9;
    private static final int RST_CPU = 0x04;
    /** The bits of the register (SYS_RST, RST_CPU, FULL_RST). */
    private static final int MASK = 0x0e;

    private final PlatformControl platform;
    private volatile int value;

    /** @param platform told about the reset */
    public ResetControl(PlatformControl platform) {
        this.platform = platform;
    }

    @Override
    public void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0);
        if (offset == 0 && data.length > 0) {
            data[0] = (byte) value;
        }
    }

    @Override
    public void write(long offset, byte[] data) {
        if (offset != 0 || data.length == 0) {
            return;
        }
        int v = data[0] & MASK;
        if ((v & RST_CPU) != 0) {
            // RST_CPU self-clears once the reset happens: after the reset the register reads 0.
            value = 0;
            platform.requestReset("cf9");
        } else {
            value = v;
        }
    }

    /** The register after a system reset: 0. */
    public void reset() {
        value = 0;
    }

    @Override
    public String name() {
        return "reset-control";
    }
}
