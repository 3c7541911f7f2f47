package org.jkvm.devices;

import java.util.Arrays;

/**
 * The jkvm power-control port (contracts §2, port 0xf5): a read returns {@link #REQUESTED} (0xA5) once a
 * shutdown has been requested by the monitor ({@code system_powerdown}), else 0x00. Writes are ignored.
 *
 * <p>Thread-safe: the request comes from a monitor thread, the read from the vCPU thread.
 */
public final class PowerControl implements BusDevice {
    /** The port the firmware polls. */
    public static final int PORT = 0xf5;
    /** The value read once a shutdown has been requested. */
    public static final int REQUESTED = 0xA5;

    private volatile boolean requested;

    /** Asks the guest to shut down; it sees the request on its next poll. */
    public void requestShutdown() {
        requested = true;
    }

    /** Withdraws a pending request (used on system_reset). */
    public void reset() {
        requested = false;
    }

    /** Whether a shutdown request is pending. */
    public boolean shutdownRequested() {
        return requested;
    }

    @Override
    public void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0);
        if (offset == 0 && data.length > 0 && requested) {
            data[0] = (byte) REQUESTED;
        }
    }

    @Override
    public void write(long offset, byte[] data) {
        // read-only port
    }

    @Override
    public String name() {
        return "power-control";
    }
}
