package org.jkvm.kvm.hv;

import java.nio.ByteBuffer;

import org.jkvm.hypervisor.VmOps;
import org.jkvm.kvm.KvmRun;

/**
 * Moves port-I/O and MMIO exits between {@code kvm_run} and {@link VmOps} without allocating: one preallocated
 * array per access width, reused. A string instruction ({@code rep ins/outs}) reaches {@link VmOps} once per
 * element. Used by the vCPU thread only.
 */
final class KvmIo {
    private final KvmRun run;
    private final VmOps ops;
    private final byte[][] byWidth = {null, new byte[1], new byte[2], null, new byte[4], null, null, null,
        new byte[8]};

    KvmIo(KvmRun run, VmOps ops) {
        this.run = run;
        this.ops = ops;
    }

    /** Handles {@code KVM_EXIT_IO}: the data is at {@code io.data_offset} of the shared page. */
    void pio() {
        int size = run.ioSize();
        byte[] data = size > 0 && size < byWidth.length ? byWidth[size] : null;
        if (data == null) {
            return; // KVM only reports 1, 2 or 4
        }
        int port = run.ioPort();
        int count = run.ioCount();
        boolean out = run.ioDirection() == KvmRun.IO_OUT;
        ByteBuffer page = run.buffer();
        int offset = run.ioDataOffset();
        for (int i = 0; i < count; i++) {
            int at = offset + i * size;
            if (out) {
                for (int b = 0; b < size; b++) {
                    data[b] = page.get(at + b);
                }
                ops.pioWrite(port, data);
            } else {
                ops.pioRead(port, data);
                for (int b = 0; b < size; b++) {
                    page.put(at + b, data[b]);
                }
            }
        }
    }

    /** Handles {@code KVM_EXIT_MMIO}: an access to guest-physical memory that is not RAM. */
    void mmio() {
        int len = run.mmioLen();
        byte[] data = len > 0 && len < byWidth.length ? byWidth[len] : null;
        if (data == null) {
            return;
        }
        long gpa = run.mmioPhysAddr();
        if (run.mmioIsWrite()) {
            long v = run.mmioData();
            for (int b = 0; b < len; b++) {
                data[b] = (byte) (v >>> (8 * b)); // little-endian, as on the bus
            }
            ops.mmioWrite(gpa, data);
        } else {
            ops.mmioRead(gpa, data);
            long v = 0;
            for (int b = 0; b < len; b++) {
                v |= (data[b] & 0xffL) << (8 * b);
            }
            run.mmioData(v);
        }
    }
}
