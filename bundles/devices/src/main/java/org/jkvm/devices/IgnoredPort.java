package org.jkvm.devices;

import java.util.Arrays;

/**
 * A port whose writes are dropped and whose reads return all ones, like an unclaimed ISA port; used for the
 * POST code port 0x80, which firmware writes as a progress marker and as an I/O delay.
 */
public final class IgnoredPort implements BusDevice {
    /** The POST code port. */
    public static final int POST_PORT = 0x80;

    private final String name;
    private volatile int last;

    /** @param name the name shown in logs */
    public IgnoredPort(String name) {
        this.name = name;
    }

    /** The last byte written (the last POST code), for debugging. */
    public int lastWritten() {
        return last;
    }

    @Override
    public void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0xff);
    }

    @Override
    public void write(long offset, byte[] data) {
        if (data.length > 0) {
            last = data[0] & 0xff;
        }
    }

    @Override
    public String name() {
        return name;
    }
}
