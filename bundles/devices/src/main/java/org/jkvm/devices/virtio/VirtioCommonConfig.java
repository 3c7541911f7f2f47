package org.jkvm.devices.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.devices.DeviceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common configuration structure of a modern virtio PCI function ({@code virtio_pci_common_cfg}, virtio 1.2,
 * 4.1.4.3) as the driver reads and writes it at BAR 4 + 0: the feature selectors and the driver's features, the
 * queue selector and the selected queue's size, enable, vector and ring addresses, and the MSI-X vectors of the
 * configuration change and of each queue. Device status and the configuration generation belong to the
 * {@link VirtioPciTransport} (a status write activates or resets the device) and are passed in where the structure
 * shows them.
 *
 * <p>Not thread-safe: the transport calls every method with its own lock held.
 */
final class VirtioCommonConfig {
    /** The structure's size as the driver sees it (0x38 bytes, rounded up). */
    static final int SIZE = 0x40;
    /** The device_status byte's offset. */
    static final int STATUS = 0x14;
    private static final Logger LOG = LoggerFactory.getLogger(VirtioCommonConfig.class);

    private final String name;
    private final List<VirtQueue> queues;
    private final int msixSize;
    private final int[] queueVectors;
    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int queueSelect;
    private int configVector = VirtioPciTransport.NO_VECTOR;

    /**
     * @param name     the function's name, for the log
     * @param queues   the function's queues (this structure configures them)
     * @param msixSize entries of the function's MSI-X table (a vector beyond it reads back as NO_VECTOR)
     */
    VirtioCommonConfig(String name, List<VirtQueue> queues, int msixSize) {
        this.name = name;
        this.queues = queues;
        this.msixSize = msixSize;
        this.queueVectors = new int[queues.size()];
        Arrays.fill(queueVectors, VirtioPciTransport.NO_VECTOR);
    }

    /** The features the driver wrote (accepted once FEATURES_OK is set). */
    long driverFeatures() {
        return driverFeatures;
    }

    /** The MSI-X vector of configuration changes, or NO_VECTOR. */
    int configVector() {
        return configVector;
    }

    /** The MSI-X vector of queue {@code q}'s used buffers, or NO_VECTOR. */
    int queueVector(int q) {
        return q < queueVectors.length ? queueVectors[q] : VirtioPciTransport.NO_VECTOR;
    }

    /** Fills {@code data} from {@code offset}: the registers, with the transport's status and generation. */
    void read(int offset, byte[] data, long offered, int status, int configGeneration) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x00, deviceFeatureSelect);
        b.putInt(0x04, deviceFeatureSelect < 2 ? (int) (offered >>> (32 * deviceFeatureSelect)) : 0);
        b.putInt(0x08, driverFeatureSelect);
        b.putInt(0x0c, driverFeatureSelect < 2 ? (int) (driverFeatures >>> (32 * driverFeatureSelect)) : 0);
        b.putShort(0x10, (short) configVector);
        b.putShort(0x12, (short) queues.size());
        b.put(STATUS, (byte) status);
        b.put(0x15, (byte) configGeneration);
        b.putShort(0x16, (short) queueSelect);
        VirtQueue q = queueSelect < queues.size() ? queues.get(queueSelect) : null;
        if (q != null) {
            b.putShort(0x18, (short) q.size());
            b.putShort(0x1a, (short) queueVectors[queueSelect]);
            b.putShort(0x1c, (short) (q.ready() ? 1 : 0));
            b.putShort(0x1e, (short) q.index());
            b.putLong(0x20, q.descGpa());
            b.putLong(0x28, q.driverGpa());
            b.putLong(0x30, q.deviceGpa());
        }
        for (int i = 0; i < data.length && offset + i < SIZE; i++) {
            data[i] = b.get(offset + i);
        }
    }

    /** A driver's write of {@code size} bytes {@code v} at {@code offset} other than device_status. */
    void write(int offset, int size, long v, int status) {
        VirtQueue q = queueSelect < queues.size() ? queues.get(queueSelect) : null;
        switch (offset) {
            case 0x00 -> deviceFeatureSelect = (int) v;
            case 0x08 -> driverFeatureSelect = (int) v;
            case 0x0c -> {
                if ((status & VirtioPciTransport.FEATURES_OK) == 0 && driverFeatureSelect < 2) {
                    int shift = 32 * driverFeatureSelect;
                    driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((v & 0xffffffffL) << shift);
                }
            }
            case 0x10 -> configVector = vector((int) v & 0xffff);
            case 0x16 -> queueSelect = (int) v & 0xffff;
            case 0x1a -> {
                if (q != null) {
                    queueVectors[q.index()] = vector((int) v & 0xffff);
                }
            }
            case 0x18 -> {
                if (q != null && !q.ready()) {
                    q.setSize((int) v & 0xffff);
                }
            }
            case 0x1c -> {
                if (q != null && (v & 1) != 0) {
                    q.setReady(true); // virtio 1.2, 4.1.4.3: the driver never writes 0 to queue_enable
                }
            }
            case 0x20, 0x24, 0x28, 0x2c, 0x30, 0x34 -> {
                if (q != null && !q.ready()) {
                    setAddressPart(q, offset, size, v);
                }
            }
            default -> LOG.debug("{}: write of {} bytes to read-only common register 0x{} ignored", name, size,
                    Integer.toHexString(offset));
        }
    }

    /** A vector the driver wrote: one beyond the table reads back as NO_VECTOR (virtio 1.2, 4.1.5.1.2). */
    private int vector(int v) {
        return v < msixSize ? v : VirtioPciTransport.NO_VECTOR;
    }

    private static void setAddressPart(VirtQueue q, int offset, int size, long v) {
        long[] a = {q.descGpa(), q.driverGpa(), q.deviceGpa()};
        int field = (offset - 0x20) / 8;
        boolean high = (offset & 4) != 0;
        if (size == 8) {
            a[field] = v;
        } else if (high) {
            a[field] = (a[field] & 0xffffffffL) | (v << 32);
        } else {
            a[field] = (a[field] & ~0xffffffffL) | (v & 0xffffffffL);
        }
        q.setAddresses(a[0], a[1], a[2]);
    }

    /** A device reset: selectors, features and vectors cleared (virtio 1.2, 4.1.5.1.2), every queue reset. */
    void reset() {
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        queueSelect = 0;
        configVector = VirtioPciTransport.NO_VECTOR;
        Arrays.fill(queueVectors, VirtioPciTransport.NO_VECTOR);
        for (VirtQueue q : queues) {
            q.reset();
        }
    }

    /** The function's state with these registers, its queues and vectors, and the transport's own parts. */
    VirtioPciState save(byte[] pciConfig, int status, int configGeneration, int isr,
            List<org.jkvm.devices.pci.MsixEntry> table) {
        List<VirtQueueState> qs = new ArrayList<>();
        for (VirtQueue q : queues) {
            qs.add(q.save());
        }
        List<Integer> vectors = new ArrayList<>();
        for (int v : queueVectors) {
            vectors.add(v);
        }
        return new VirtioPciState(pciConfig, status, deviceFeatureSelect, driverFeatureSelect, driverFeatures,
                queueSelect, configGeneration, isr, qs, new VirtioMsixState(configVector, vectors, table));
    }

    /**
     * Restores the registers, the queues (with the event index as negotiated) and the vectors of a saved state,
     * checked before ({@link #checkVectors}, and its number of queues by the transport).
     */
    void restore(VirtioPciState s) {
        deviceFeatureSelect = s.deviceFeatureSelect();
        driverFeatureSelect = s.driverFeatureSelect();
        driverFeatures = s.driverFeatures();
        queueSelect = s.queueSelect();
        for (int i = 0; i < queues.size(); i++) {
            queues.get(i).restore(s.queues().get(i));
            queues.get(i).setEventIdx((driverFeatures & VirtioPciTransport.F_EVENT_IDX) != 0);
        }
        restoreVectors(s.msix());
    }

    /** The saved vectors, or none (NO_VECTOR) for a state saved without MSI-X. */
    private void restoreVectors(VirtioMsixState m) {
        if (m == null) {
            configVector = VirtioPciTransport.NO_VECTOR;
            Arrays.fill(queueVectors, VirtioPciTransport.NO_VECTOR);
            return;
        }
        configVector = m.configVector();
        for (int i = 0; i < queueVectors.length; i++) {
            queueVectors[i] = m.queueVectors().get(i);
        }
    }

    /**
     * Checks a saved MSI-X state against this function before anything is restored.
     *
     * @throws DeviceException when it has another table size, another number of queues or a vector beyond the table
     */
    void checkVectors(VirtioMsixState m) {
        if (m == null) {
            return;
        }
        if (m.table().size() != msixSize) {
            throw new DeviceException("a saved " + name + " has an MSI-X table of " + m.table().size()
                    + " vectors, this one " + msixSize + "; the two ends run devices with different vectors=");
        }
        if (m.queueVectors().size() != queues.size()) {
            throw new DeviceException("a saved " + name + " has MSI-X vectors for " + m.queueVectors().size()
                    + " queues, this one " + queues.size() + " queues; the two ends run different devices");
        }
        List<Integer> all = new ArrayList<>(m.queueVectors());
        all.add(m.configVector());
        for (int v : all) {
            if (v != VirtioPciTransport.NO_VECTOR && (v < 0 || v >= msixSize)) {
                throw new DeviceException("a saved " + name + " uses MSI-X vector " + v + " of a " + msixSize
                        + "-vector table; the saved state is corrupt");
            }
        }
    }
}
