package org.jkvm.engine.vcpu;

import java.nio.ByteBuffer;

import org.jkvm.devices.IoBus;
import org.jkvm.kvm.KvmRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves port-I/O and MMIO exits between {@code kvm_run} and the buses, without allocating: one preallocated
 * array per access width. Accesses nobody claims are logged (the first few, then every 10000th) and answered
 * with all ones, like an unclaimed ISA port; guest misbehaviour never stops the vCPU. Used by one vCPU thread.
 */
final class ExitDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ExitDispatcher.class);
    private static final int LOG_FIRST = 10;
    private static final int LOG_EVERY = 10_000;

    private final KvmRun run;
    private final IoBus pio;
    private final IoBus mmio;
    private final byte[][] byWidth = {null, new byte[1], new byte[2], null, new byte[4], null, null, null,
        new byte[8]};
    private volatile long ioExits;
    private long unclaimedPio;
    private long unclaimedMmio;

    ExitDispatcher(KvmRun run, IoBus pio, IoBus mmio) {
        this.run = run;
        this.pio = pio;
        this.mmio = mmio;
    }

    /** Handles a KVM_EXIT_IO: every repetition of a string instruction goes to the bus. */
    void io() {
        ioExits++; // single writer (the vCPU thread); volatile so statistics readers see it
        int size = run.ioSize();
        int port = run.ioPort();
        int count = run.ioCount();
        boolean out = run.ioDirection() == KvmRun.IO_OUT;
        ByteBuffer page = run.buffer();
        int offset = run.ioDataOffset();
        byte[] data = size < byWidth.length ? byWidth[size] : null;
        if (data == null) {
            return; // KVM only reports 1, 2 or 4
        }
        for (int i = 0; i < count; i++) {
            int at = offset + i * size;
            if (out) {
                for (int b = 0; b < size; b++) {
                    data[b] = page.get(at + b);
                }
                if (!pio.write(port, data)) {
                    unclaimed("out", port, size, true);
                }
            } else {
                if (!pio.read(port, data)) {
                    java.util.Arrays.fill(data, (byte) 0xff);
                    unclaimed("in", port, size, true);
                }
                for (int b = 0; b < size; b++) {
                    page.put(at + b, data[b]);
                }
            }
        }
    }

    /** Port-I/O exits handled so far. */
    long ioExits() {
        return ioExits;
    }

    /** Handles a KVM_EXIT_MMIO: an access to guest-physical memory that is not RAM. */
    void mmio() {
        long gpa = run.mmioPhysAddr();
        int len = run.mmioLen();
        byte[] data = len > 0 && len < byWidth.length ? byWidth[len] : null;
        if (data == null) {
            return;
        }
        if (run.mmioIsWrite()) {
            long v = run.mmioData();
            for (int b = 0; b < len; b++) {
                data[b] = (byte) (v >>> (8 * b));
            }
            if (!mmio.write(gpa, data)) {
                unclaimed("write", gpa, len, false);
            }
        } else {
            if (!mmio.read(gpa, data)) {
                java.util.Arrays.fill(data, (byte) 0xff);
                unclaimed("read", gpa, len, false);
            }
            long v = 0;
            for (int b = 0; b < len; b++) {
                v |= (data[b] & 0xffL) << (8 * b);
            }
            run.mmioData(v);
        }
    }

    private void unclaimed(String what, long address, int size, boolean isPio) {
        long n = isPio ? ++unclaimedPio : ++unclaimedMmio;
        if (n <= LOG_FIRST || n % LOG_EVERY == 0) {
            LOG.warn("guest {} {} 0x{} ({} bytes) hits no device; ignored ({} such accesses so far)",
                    isPio ? "port" : "MMIO", what, Long.toHexString(address), size, n);
        }
    }
}
