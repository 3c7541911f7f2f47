package org.jkvm.engine.platform;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.pci.MsixEntry;
import org.jkvm.devices.pci.MsixTable;
import org.jkvm.devices.pci.PciConfigSpace;
import org.jkvm.devices.virtio.VirtQueueState;
import org.jkvm.devices.virtio.VirtioMsixState;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;

/**
 * The virtio-pci transport's state in a migration section, shared by every virtio device's section (virtio-blk's
 * is this alone, virtio-net's adds its own fields after it). Stateless; thread-safe.
 *
 * <pre>
 * bytes  pci_config (256)          u8  device_status    u32 device_feature_select   u32 driver_feature_select
 * u64    driver_features           u16 queue_select     u8  config_generation       u8  isr
 * u16    queue count, then per queue:
 *        u16 size | bool ready | u64 desc | u64 driver | u64 device | u16 last_avail | u16 used_idx | u16 signalled
 * version 2 adds MSI-X (its enable and function-mask bits are in pci_config):
 * u16    msix_config | per queue: u16 queue_msix_vector (0xffff: none; else below the table size)
 * u16    table size (0: the function had no MSI-X), then per vector:
 *        u64 message address | u32 message data | u32 vector control (bit 0: masked) | bool pending
 * </pre>
 */
public final class VirtioPciCodec {
    /** The layout version with MSI-X. */
    public static final int VERSION = 2;
    /** The first layout, without MSI-X: still read. */
    public static final int VERSION_NO_MSIX = 1;
    private static final int MAX_QUEUES = 64;

    private VirtioPciCodec() {
    }

    /** Writes {@code s} in the layout above at {@link #VERSION}. */
    public static void encode(VirtioPciState s, StateWriter out) {
        encode(s, out, VERSION);
    }

    /**
     * Writes {@code s} in the layout of {@code version} (1 leaves the MSI-X state out: golden files of version 1).
     */
    public static void encode(VirtioPciState s, StateWriter out, int version) {
        out.bytes(s.pciConfig()).u8(s.status()).u32(s.deviceFeatureSelect()).u32(s.driverFeatureSelect())
                .u64(s.driverFeatures()).u16(s.queueSelect()).u8(s.configGeneration()).u8(s.isr())
                .u16(s.queues().size());
        for (VirtQueueState q : s.queues()) {
            out.u16(q.size()).bool(q.ready()).u64(q.descGpa()).u64(q.driverGpa()).u64(q.deviceGpa())
                    .u16(q.lastAvail()).u16(q.usedIdx()).u16(q.signalledUsed());
        }
        if (version >= VERSION) {
            encodeMsix(s, out);
        }
    }

    private static void encodeMsix(VirtioPciState s, StateWriter out) {
        VirtioMsixState m = s.msix();
        out.u16(m == null ? VirtioPciTransport.NO_VECTOR : m.configVector());
        for (int i = 0; i < s.queues().size(); i++) {
            out.u16(m == null ? VirtioPciTransport.NO_VECTOR : m.queueVectors().get(i));
        }
        List<MsixEntry> table = m == null ? List.of() : m.table();
        out.u16(table.size());
        for (MsixEntry e : table) {
            out.u64(e.address()).u32(e.data()).u32(e.vectorControl()).bool(e.pending());
        }
    }

    /** Reads the layout of {@link #VERSION}; see {@link #decode(StateReader, int)}. */
    public static VirtioPciState decode(StateReader in) {
        return decode(in, VERSION);
    }

    /**
     * Reads the layout above as {@code version} wrote it, validating every value; version 1 gives a state without
     * MSI-X ({@link VirtioPciState#msix()} null).
     *
     * @throws org.jkvm.vmstate.VmStateException naming the bad value
     */
    public static VirtioPciState decode(StateReader in, int version) {
        byte[] config = in.bytes(PciConfigSpace.SIZE);
        if (config.length != PciConfigSpace.SIZE) {
            throw in.corrupt("a PCI configuration space of " + config.length + " bytes, not 256");
        }
        int status = in.u8();
        int dfs = in.u32();
        int gfs = in.u32();
        long features = in.u64();
        int queueSelect = in.u16();
        int generation = in.u8();
        int isr = in.u8();
        if (isr > 3) {
            throw in.corrupt("ISR " + isr + " (only bits 0 and 1 exist)");
        }
        int n = in.u16();
        if (n > MAX_QUEUES) {
            throw in.corrupt(n + " virtqueues (at most " + MAX_QUEUES + ")");
        }
        List<VirtQueueState> queues = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int size = in.u16();
            if (size == 0 || Integer.bitCount(size) != 1) {
                throw in.corrupt("queue " + i + " size " + size + " (a power of two from 1 to 32768)");
            }
            queues.add(new VirtQueueState(size, in.bool(), in.u64(), in.u64(), in.u64(), in.u16(), in.u16(),
                    in.u16()));
        }
        VirtioMsixState msix = version >= VERSION ? decodeMsix(in, n) : null;
        return new VirtioPciState(config, status, dfs, gfs, features, queueSelect, generation, isr, queues, msix);
    }

    private static VirtioMsixState decodeMsix(StateReader in, int queueCount) {
        int configVector = in.u16();
        List<Integer> vectors = new ArrayList<>();
        for (int i = 0; i < queueCount; i++) {
            vectors.add(in.u16());
        }
        int size = in.u16();
        if (size > MsixTable.MAX_VECTORS) {
            throw in.corrupt("an MSI-X table of " + size + " vectors (at most " + MsixTable.MAX_VECTORS + ")");
        }
        checkVector(in, "msix_config", configVector, size);
        for (int i = 0; i < queueCount; i++) {
            checkVector(in, "queue " + i + " MSI-X vector", vectors.get(i), size);
        }
        List<MsixEntry> table = new ArrayList<>();
        for (int v = 0; v < size; v++) {
            long address = in.u64();
            int data = in.u32();
            int control = in.u32();
            if ((control & ~1) != 0) {
                throw in.corrupt("MSI-X vector " + v + " control 0x" + Integer.toHexString(control)
                        + " (only the mask bit, 0x1, exists)");
            }
            table.add(new MsixEntry(address, data, control, in.bool()));
        }
        return size == 0 ? null : new VirtioMsixState(configVector, vectors, table);
    }

    private static void checkVector(StateReader in, String what, int vector, int size) {
        if (vector != VirtioPciTransport.NO_VECTOR && vector >= size) {
            throw in.corrupt(what + " " + vector + " beyond the " + size + "-vector MSI-X table");
        }
    }
}
