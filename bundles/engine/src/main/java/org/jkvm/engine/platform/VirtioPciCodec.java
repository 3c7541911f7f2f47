package org.jkvm.engine.platform;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.pci.PciConfigSpace;
import org.jkvm.devices.virtio.VirtQueueState;
import org.jkvm.devices.virtio.VirtioPciState;
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
 * </pre>
 */
public final class VirtioPciCodec {
    private static final int MAX_QUEUES = 64;

    private VirtioPciCodec() {
    }

    /** Writes {@code s} in the layout above. */
    public static void encode(VirtioPciState s, StateWriter out) {
        out.bytes(s.pciConfig()).u8(s.status()).u32(s.deviceFeatureSelect()).u32(s.driverFeatureSelect())
                .u64(s.driverFeatures()).u16(s.queueSelect()).u8(s.configGeneration()).u8(s.isr())
                .u16(s.queues().size());
        for (VirtQueueState q : s.queues()) {
            out.u16(q.size()).bool(q.ready()).u64(q.descGpa()).u64(q.driverGpa()).u64(q.deviceGpa())
                    .u16(q.lastAvail()).u16(q.usedIdx()).u16(q.signalledUsed());
        }
    }

    /**
     * Reads the layout above, validating every value.
     *
     * @throws org.jkvm.vmstate.VmStateException naming the bad value
     */
    public static VirtioPciState decode(StateReader in) {
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
        return new VirtioPciState(config, status, dfs, gfs, features, queueSelect, generation, isr, queues);
    }
}
