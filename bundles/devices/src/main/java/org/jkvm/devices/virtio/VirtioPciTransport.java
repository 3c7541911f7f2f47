package org.jkvm.devices.virtio;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.DeviceException;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.pci.MsiSink;
import org.jkvm.devices.pci.MsixTable;
import org.jkvm.devices.pci.PciConfigSpace;
import org.jkvm.devices.pci.PciDevice;
import org.jkvm.memory.GuestMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtio device as a modern (virtio 1.x only) PCI function (virtio 1.2, section 4.1): vendor 0x1AF4, device id
 * {@code 0x1040 + type}, revision 1, INTA#, and one 16 KiB memory BAR 4 laid out as QEMU lays out its modern BAR:
 *
 * <pre>
 * BAR4 + 0x0000  common configuration (virtio_pci_common_cfg, 0x38 bytes)
 * BAR4 + 0x1000  ISR status (1 byte, read to clear; bit 0 queue interrupt, bit 1 configuration change)
 * BAR4 + 0x2000  device-specific configuration
 * BAR4 + 0x3000  notifications: queue N at 0x3000 + 4 * N (notify_off_multiplier 4, queue_notify_off = N)
 * </pre>
 *
 * The capability list names the four regions plus a VIRTIO_PCI_CAP_PCI_CFG window, then MSI-X (at 0x98, as QEMU
 * places it) with its table and PBA in BAR 1 ({@link MsixTable}) of {@link VirtioDevice#msixVectors()} entries,
 * QEMU's default {@code vectors=} (virtio-blk: one per queue plus one for configuration changes; virtio-net: 3).
 * While MSI-X is enabled, a used-buffer or configuration notification is the message of the vector the driver wrote
 * to queue_msix_vector or msix_config (VIRTIO_MSI_NO_VECTOR: none) and INTx stays low; otherwise it is INTx with the
 * ISR bits (virtio 1.2, 4.1.4.5 and 4.1.5.3), which polled drivers ignore.
 * Unlike QEMU's default transitional function (device 0x1001 with a legacy I/O BAR), there is no legacy interface:
 * QEMU's {@code disable-legacy=on} shows the same IDs. The common configuration's registers live in
 * {@link VirtioCommonConfig}, the capability list and its configuration-space window in {@link VirtioPciCapabilities}.
 *
 * <p>Thread-safety: register accesses come from the vCPU thread, {@code usedBuffers}/{@code needsReset} from the
 * device's I/O thread; both take this object's lock. A reset calls the device's {@link VirtioDevice#reset} without
 * holding the lock, so an I/O thread completing a request is never blocked on it.
 */
public final class VirtioPciTransport implements PciDevice {
    /** The virtio PCI vendor id (Red Hat / Qumranet). */
    public static final int VENDOR = 0x1af4;
    /** The BAR holding all virtio structures. */
    public static final int BAR = 4;
    /** The BAR's size in bytes. */
    public static final int BAR_SIZE = 0x4000;
    /** The BAR holding the MSI-X table (offset 0) and PBA (offset 0x800). */
    public static final int MSIX_BAR = 1;
    /** VIRTIO_MSI_NO_VECTOR: no interrupt for this source. */
    public static final int NO_VECTOR = 0xffff;
    /** Offsets of the structures inside the BAR. */
    public static final int COMMON = 0x0000;
    /** ISR status offset. */
    public static final int ISR = 0x1000;
    /** Device configuration offset. */
    public static final int DEVICE = 0x2000;
    /** Notification area offset. */
    public static final int NOTIFY = 0x3000;
    /** Bytes between two queues' notify addresses. */
    public static final int NOTIFY_MULTIPLIER = 4;
    /** Device status bits (virtio 1.2, 2.1). */
    public static final int ACKNOWLEDGE = 1;
    /** DRIVER status bit. */
    public static final int DRIVER = 2;
    /** DRIVER_OK status bit. */
    public static final int DRIVER_OK = 4;
    /** FEATURES_OK status bit. */
    public static final int FEATURES_OK = 8;
    /** DEVICE_NEEDS_RESET status bit. */
    public static final int NEEDS_RESET = 0x40;
    /** VIRTIO_F_VERSION_1. */
    public static final long F_VERSION_1 = 1L << 32;
    /** VIRTIO_F_EVENT_IDX (VIRTIO_RING_F_EVENT_IDX). */
    public static final long F_EVENT_IDX = 1L << 29;
    private static final Logger LOG = LoggerFactory.getLogger(VirtioPciTransport.class);

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final IrqLine irq;
    private final PciConfigSpace config;
    private final List<VirtQueue> queues = new ArrayList<>();
    private final VirtioPciCapabilities caps;
    private final MsixTable msix;
    /** The common configuration registers; guarded by this object's lock. */
    private final VirtioCommonConfig common;
    private final VirtioDevice.VirtioContext context;
    private int status;
    private int configGeneration;
    private int isr;

    /**
     * A function whose MSI-X messages go nowhere (a machine without interrupt controllers, unit tests).
     *
     * @param device the device type behind this function
     * @param memory guest memory for the rings
     * @param irq    the function's INTA# line ({@link org.jkvm.devices.pci.PciBus#intxLine})
     */
    public VirtioPciTransport(VirtioDevice device, GuestMemory memory, IrqLine irq) {
        this(device, memory, irq, MsiSink.NONE);
    }

    /**
     * @param device the device type behind this function
     * @param memory guest memory for the rings
     * @param irq    the function's INTA# line ({@link org.jkvm.devices.pci.PciBus#intxLine})
     * @param msi    where its MSI-X messages go ({@link org.jkvm.devices.pci.PciBus#msi})
     */
    public VirtioPciTransport(VirtioDevice device, GuestMemory memory, IrqLine irq, MsiSink msi) {
        if ((device.features() & F_VERSION_1) == 0) {
            throw new DeviceException("virtio device type " + device.deviceType() + " does not offer VERSION_1; a "
                    + "modern-only transport needs it");
        }
        this.device = device;
        this.memory = memory;
        this.irq = irq;
        this.config = new PciConfigSpace(VENDOR, 0x1040 + device.deviceType(), device.pciClass(), 1, VENDOR, 0x1100);
        config.defineMemoryBar(BAR, BAR_SIZE);
        config.setInterrupt(1, 0);
        caps = new VirtioPciCapabilities(config, device.configSize(), device.queueCount());
        msix = new MsixTable(config, MSIX_BAR, device.msixVectors(), msi);
        for (int i = 0; i < device.queueCount(); i++) {
            queues.add(new VirtQueue(i, device.queueMaxSize()));
        }
        common = new VirtioCommonConfig(name(), queues, msix.size());
        this.context = new Context();
    }

    @Override
    public PciConfigSpace config() {
        return config;
    }

    @Override
    public String name() {
        return "virtio-pci(type " + device.deviceType() + ")";
    }

    /** The device behind this transport. */
    public VirtioDevice device() {
        return device;
    }

    /** The device status byte. */
    public synchronized int status() {
        return status;
    }

    /** The function's MSI-X capability and table. */
    public MsixTable msix() {
        return msix;
    }

    @Override
    public void barRead(int bar, long offset, byte[] data) {
        java.util.Arrays.fill(data, (byte) 0);
        if (bar == MSIX_BAR) {
            msix.barRead(offset, data);
            return;
        }
        if (bar != BAR) {
            return;
        }
        if (offset < ISR) {
            commonRead((int) offset, data);
        } else if (offset < DEVICE) {
            if (offset == ISR) {
                data[0] = (byte) readIsr();
            }
        } else if (offset < NOTIFY) {
            int o = (int) (offset - DEVICE);
            if (o + data.length <= device.configSize()) {
                device.configRead(o, data);
            }
        }
    }

    @Override
    public void barWrite(int bar, long offset, byte[] data) {
        if (bar == MSIX_BAR) {
            msix.barWrite(offset, data);
            return;
        }
        if (bar != BAR) {
            return;
        }
        if (offset < ISR) {
            commonWrite((int) offset, data);
        } else if (offset >= DEVICE && offset < NOTIFY) {
            int o = (int) (offset - DEVICE);
            if (o + data.length <= device.configSize()) {
                device.configWrite(o, data);
            }
        } else if (offset >= NOTIFY && offset < BAR_SIZE) {
            notifyQueue((int) (offset - NOTIFY) / NOTIFY_MULTIPLIER);
        }
    }

    private void notifyQueue(int q) {
        boolean live;
        synchronized (this) {
            live = q < queues.size() && (status & DRIVER_OK) != 0 && (status & NEEDS_RESET) == 0
                    && queues.get(q).ready();
        }
        if (live) {
            device.notify(q);
        }
    }

    private synchronized int readIsr() {
        int v = isr;
        isr = 0;
        irq.lower(); // virtio 1.2, 4.1.4.5: reading the ISR de-asserts INTx
        return v;
    }

    private synchronized void commonRead(int offset, byte[] data) {
        common.read(offset, data, device.features(), status, configGeneration);
    }

    private void commonWrite(int offset, byte[] data) {
        long v = 0;
        for (int i = 0; i < data.length; i++) {
            v |= (data[i] & 0xffL) << (8 * i);
        }
        if (offset == VirtioCommonConfig.STATUS) {
            writeStatus((int) v & 0xff);
            return;
        }
        synchronized (this) {
            common.write(offset, data.length, v, status);
        }
    }

    /**
     * A device reset as the driver makes it by writing 0 to device_status (also a machine reset): waits for the
     * device's running request, then clears the common configuration, the ISR and the queues. The PCI configuration
     * (BARs, command) is kept.
     */
    public void reset() {
        device.reset(); // outside the lock: the I/O thread may be completing a request into usedBuffers
        synchronized (this) {
            resetRegisters();
            config.setInterruptStatus(false);
            irq.lower();
        }
    }

    /**
     * A reset of the whole PCI function (a machine reset): the device reset of {@link #reset()}, then MSI-X off with
     * every entry masked, as after power-on. The BARs and command register are kept.
     */
    public void resetFunction() {
        reset();
        msix.reset();
    }

    private void writeStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        boolean activating;
        long features = 0;
        synchronized (this) {
            int v = value;
            long driverFeatures = common.driverFeatures();
            if ((v & FEATURES_OK) != 0 && (status & FEATURES_OK) == 0) {
                long offered = device.features();
                if ((driverFeatures & ~offered) != 0 || (driverFeatures & F_VERSION_1) == 0) {
                    LOG.info("{}: driver features 0x{} refused (offered 0x{}, VERSION_1 required)", name(),
                            Long.toHexString(driverFeatures), Long.toHexString(offered));
                    v &= ~FEATURES_OK;
                }
            }
            activating = (v & DRIVER_OK) != 0 && (status & DRIVER_OK) == 0 && (v & FEATURES_OK) != 0;
            status = v | (status & NEEDS_RESET);
            if (activating) {
                for (VirtQueue q : queues) {
                    q.setEventIdx((driverFeatures & F_EVENT_IDX) != 0);
                }
                features = driverFeatures;
            }
        }
        if (activating) {
            // outside the lock: the device takes its I/O lock, under which completions take this one
            device.activate(List.copyOf(queues), features, context);
        }
    }

    private void resetRegisters() {
        status = 0;
        isr = 0;
        common.reset();
    }

    @Override
    public boolean configRead(int offset, int size, int[] out) {
        return caps.read(offset, out, this);
    }

    @Override
    public void configWritten(int offset, int size) {
        int cap = msix.capability();
        if (offset < cap + 4 && offset + size > cap + 2) {
            synchronized (this) {
                msix.configWritten(offset, size); // a new enable or a cleared function mask sends what pends
                updateIntx();
            }
            return;
        }
        caps.written(offset, this);
    }

    /** Saves the function's state; call with the device quiesced ({@link VirtioDevice#quiesce}). */
    public synchronized VirtioPciState save() {
        return common.save(config.snapshot(), status, configGeneration, isr, msix.save());
    }

    /**
     * Restores a saved state and, when the driver had set DRIVER_OK, activates the device again; call before the
     * vCPU runs. A state without MSI-X (saved by a version without it) leaves MSI-X off and every entry masked.
     *
     * @throws DeviceException when the state has another number of queues, another MSI-X table size or a vector
     *                         beyond the table
     */
    public void restore(VirtioPciState s) {
        if (s.queues().size() != queues.size()) {
            throw new DeviceException("a saved " + name() + " has " + s.queues().size() + " queues, this one "
                    + queues.size() + "; the two ends run different devices");
        }
        common.checkVectors(s.msix());
        device.reset();
        synchronized (this) {
            config.restore(s.pciConfig());
            status = s.status();
            configGeneration = s.configGeneration();
            isr = s.isr();
            common.restore(s);
            if (s.msix() == null) {
                msix.reset();
            } else {
                msix.restore(s.msix().table());
            }
            updateIntx();
        }
        if ((s.status() & DRIVER_OK) != 0) {
            device.activate(List.copyOf(queues), s.driverFeatures(), context);
        }
    }

    /** INTx follows the ISR while MSI-X is off and stays low while it is on (lock held). */
    private void updateIntx() {
        boolean level = isr != 0 && !msix.enabled();
        config.setInterruptStatus(level);
        irq.set(level);
    }

    /** Sets {@code isrBit} and interrupts through MSI-X vector {@code vector} or INTx (lock held). */
    private void interrupt(int isrBit, int vector) {
        isr |= isrBit;
        if (msix.enabled()) {
            msix.notify(vector);
        } else {
            irq.raise();
        }
    }

    /** What the active device sees of this transport. */
    private final class Context implements VirtioDevice.VirtioContext {
        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public void usedBuffers(int queue) {
            synchronized (VirtioPciTransport.this) {
                interrupt(1, common.queueVector(queue));
            }
        }

        @Override
        public void configChanged() {
            synchronized (VirtioPciTransport.this) {
                configGeneration = (configGeneration + 1) & 0xff;
                interrupt(2, common.configVector());
            }
        }

        @Override
        public void needsReset(String why) {
            LOG.warn("{}: {}; the device needs a reset by the driver", name(), why);
            synchronized (VirtioPciTransport.this) {
                status |= NEEDS_RESET;
                interrupt(2, common.configVector());
            }
        }
    }
}
