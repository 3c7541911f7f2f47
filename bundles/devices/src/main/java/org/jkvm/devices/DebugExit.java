package org.jkvm.devices;

import java.util.function.IntConsumer;

/**
 * The jkvm debug-exit port (contracts §2, port 0xf4): a one-byte write ends the VM and the engine exits with
 * that value as its status. Reads return 0.
 *
 * <p>The exit itself is the engine's business; the device only reports the value to the injected handler,
 * once per write, from the vCPU thread.
 */
public final class DebugExit implements BusDevice {
    /** The port the firmware writes. */
    public static final int PORT = 0xf4;

    private final IntConsumer onExit;

    /** @param onExit receives the status byte (0-255) each time the guest writes the port */
    public DebugExit(IntConsumer onExit) {
        this.onExit = onExit;
    }

    @Override
    public void read(long offset, byte[] data) {
        java.util.Arrays.fill(data, (byte) 0);
    }

    @Override
    public void write(long offset, byte[] data) {
        // Only the low byte matters: QEMU's isa-debug-exit takes the value the same way.
        if (offset == 0 && data.length > 0) {
            onExit.accept(data[0] & 0xff);
        }
    }

    @Override
    public String name() {
        return "debug-exit";
    }
}
