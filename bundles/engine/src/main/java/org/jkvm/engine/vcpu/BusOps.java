package org.jkvm.engine.vcpu;

import java.util.Arrays;

import org.jkvm.devices.IoBus;
import org.jkvm.hypervisor.VmOps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the vCPU reaches the devices ({@link VmOps}): port I/O to the port bus, MMIO to the MMIO bus. Accesses nobody
 * claims are logged (the first few, then every 10000th) and reads of them return all ones, like an unclaimed ISA
 * port; guest misbehaviour never stops the vCPU. Allocates nothing. Called on the vCPU thread only; the access
 * count may be read from any thread.
 */
public final class BusOps implements VmOps {
    private static final Logger LOG = LoggerFactory.getLogger(BusOps.class);
    private static final int LOG_FIRST = 10;
    private static final int LOG_EVERY = 10_000;

    private final IoBus pio;
    private final IoBus mmio;
    private volatile long pioAccesses;
    private long unclaimedPio;
    private long unclaimedMmio;

    /**
     * @param pio  the port-I/O bus
     * @param mmio the MMIO bus
     */
    public BusOps(IoBus pio, IoBus mmio) {
        this.pio = pio;
        this.mmio = mmio;
    }

    @Override
    public void pioRead(int port, byte[] data) {
        pioAccesses++; // single writer (the vCPU thread); volatile so statistics readers see it
        if (!pio.read(port, data)) {
            Arrays.fill(data, (byte) 0xff);
            unclaimed("in", port, data.length, true);
        }
    }

    @Override
    public void pioWrite(int port, byte[] data) {
        pioAccesses++;
        if (!pio.write(port, data)) {
            unclaimed("out", port, data.length, true);
        }
    }

    @Override
    public void mmioRead(long gpa, byte[] data) {
        if (!mmio.read(gpa, data)) {
            Arrays.fill(data, (byte) 0xff);
            unclaimed("read", gpa, data.length, false);
        }
    }

    @Override
    public void mmioWrite(long gpa, byte[] data) {
        if (!mmio.write(gpa, data)) {
            unclaimed("write", gpa, data.length, false);
        }
    }

    /** Port accesses so far (each element of a string instruction counts; statistics for benchmarks and tests). */
    public long pioAccesses() {
        return pioAccesses;
    }

    private void unclaimed(String what, long address, int size, boolean isPio) {
        long n = isPio ? ++unclaimedPio : ++unclaimedMmio;
        if (n <= LOG_FIRST || n % LOG_EVERY == 0) {
            LOG.warn("guest {} {} 0x{} ({} bytes) hits no device; ignored ({} such accesses so far)",
                    isPio ? "port" : "MMIO", what, Long.toHexString(address), size, n);
        }
    }
}
