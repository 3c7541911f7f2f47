package org.jkvm.devices.pci;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.devices.DeviceException;

/**
 * A PCI function's MSI-X capability (PCI Local Bus Specification 3.0, section 6.8.2) with its table and Pending Bit
 * Array in a BAR of their own, as QEMU's {@code msix_init_exclusive_bar} lays them out: a 4 KiB memory BAR, the table
 * at offset 0 (16 bytes per vector), the PBA at 0x800.
 *
 * <pre>
 * capability  +0 id 0x11 | next   +2 message control: table size - 1 (bits 10:0, read-only), function mask (bit 14),
 *                                    MSI-X enable (bit 15)
 *             +4 table offset | BIR         +8 PBA offset | BIR
 * table entry +0 message address (low)  +4 message address (high)  +8 message data  +12 vector control (bit 0 mask)
 * </pre>
 *
 * A message for a vector whose entry or whole function is masked sets the vector's pending bit instead of being sent;
 * unmasking the entry (vector control) or the function (message control) sends it and clears the bit, as section
 * 6.8.2.9 says. The enable and function-mask bits live in the configuration space (and migrate with it). A message
 * is a memory write by the function, so while the command register's Bus Master Enable is clear it goes nowhere
 * (neither sent nor pending), as QEMU drops it through its disabled bus-master address space; drivers (Linux's
 * virtio-pci among them) set the bit before they enable MSI-X.
 *
 * <p>Thread-safety: all methods are synchronized; {@link MsiSink#signal} is called with this object's lock held.
 */
public final class MsixTable {
    /** The MSI-X capability id. */
    public static final int CAP_ID = 0x11;
    /** The size of the table's BAR in bytes. */
    public static final int BAR_SIZE = 0x1000;
    /** Offset of the Pending Bit Array in the BAR. */
    public static final int PBA_OFFSET = 0x800;
    /** Message control: MSI-X enable. */
    public static final int ENABLE = 1 << 15;
    /** Message control: function mask. */
    public static final int FUNCTION_MASK = 1 << 14;
    /** The most vectors a table below {@link #PBA_OFFSET} holds. */
    public static final int MAX_VECTORS = PBA_OFFSET / 16;
    private static final int ENTRY = 16;

    private final PciConfigSpace config;
    private final MsiSink sink;
    private final int cap;
    private final byte[] table;
    private final boolean[] pending;

    /**
     * Declares BAR {@code bar} and appends the capability to {@code config}; every entry starts masked.
     *
     * @param config  the function's configuration space
     * @param bar     the BAR index for the table and PBA
     * @param vectors the table size, 1 to {@link #MAX_VECTORS}
     * @param sink    where messages go
     * @throws DeviceException when the vector count is out of range or the capability does not fit
     */
    public MsixTable(PciConfigSpace config, int bar, int vectors, MsiSink sink) {
        if (vectors < 1 || vectors > MAX_VECTORS) {
            throw new DeviceException("an MSI-X table of " + vectors + " vectors does not fit below the PBA at 0x"
                    + Integer.toHexString(PBA_OFFSET) + "; give 1 to " + MAX_VECTORS + " vectors");
        }
        this.config = config;
        this.sink = sink;
        this.table = new byte[vectors * ENTRY];
        this.pending = new boolean[vectors];
        config.defineMemoryBar(bar, BAR_SIZE);
        byte[] body = new byte[12];
        body[0] = CAP_ID;
        body[2] = (byte) (vectors - 1);
        body[3] = (byte) ((vectors - 1) >>> 8);
        body[4] = (byte) bar;
        body[8] = (byte) (PBA_OFFSET | bar);
        body[9] = (byte) (PBA_OFFSET >>> 8);
        cap = config.addCapability(body);
        config.setWriteMask(cap + 2, 2, ENABLE | FUNCTION_MASK);
        resetEntries();
    }

    /** The capability's offset in configuration space. */
    public int capability() {
        return cap;
    }

    /** The number of vectors (table entries). */
    public int size() {
        return pending.length;
    }

    /** Whether the driver set MSI-X enable. */
    public synchronized boolean enabled() {
        return (control() & ENABLE) != 0;
    }

    /** Whether the function mask is set. */
    public synchronized boolean functionMasked() {
        return (control() & FUNCTION_MASK) != 0;
    }

    /** Whether vector {@code vector}'s pending bit is set. */
    public synchronized boolean pending(int vector) {
        return pending[vector];
    }

    /**
     * Sends vector {@code vector}'s message, or sets its pending bit when it is masked. Call only while
     * {@link #enabled()}; a vector outside the table is ignored (virtio's NO_VECTOR among them).
     */
    public synchronized void notify(int vector) {
        if (vector < 0 || vector >= pending.length || !enabled()) {
            return;
        }
        if (functionMasked() || entryMasked(vector)) {
            pending[vector] = true;
        } else {
            send(vector);
        }
    }

    /** The guest reads the table or PBA at {@code offset} in the BAR; elsewhere reads as zeros. */
    public synchronized void barRead(long offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            long o = offset + i;
            if (o < table.length) {
                data[i] = table[(int) o];
            } else if (o >= PBA_OFFSET && o < PBA_OFFSET + (pending.length + 63) / 64 * 8L) {
                int first = (int) (o - PBA_OFFSET) * 8;
                int bits = 0;
                for (int b = 0; b < 8 && first + b < pending.length; b++) {
                    bits |= pending[first + b] ? 1 << b : 0;
                }
                data[i] = (byte) bits;
            } else {
                data[i] = 0;
            }
        }
    }

    /**
     * The guest writes the table at {@code offset}: address and data as written, only the mask bit of vector
     * control (the rest is reserved); an entry unmasked with its pending bit set is sent. The PBA is read-only.
     */
    public synchronized void barWrite(long offset, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            long o = offset + i;
            if (o < table.length) {
                int at = (int) o;
                int field = at % ENTRY;
                table[at] = field == 12 ? (byte) (data[i] & 1) : field > 12 ? 0 : data[i];
            }
        }
        deliverPending();
    }

    /** A configuration write landed at {@code offset}; a cleared function mask or a new enable sends what pends. */
    public synchronized void configWritten(int offset, int size) {
        if (offset < cap + 4 && offset + size > cap + 2) {
            deliverPending();
        }
    }

    /** A function reset: enable and function mask cleared, every entry masked and zeroed, nothing pending. */
    public synchronized void reset() {
        config.put(cap + 2, 2, pending.length - 1);
        resetEntries();
    }

    /** The table and pending bits, for saving the function's state. */
    public synchronized List<MsixEntry> save() {
        List<MsixEntry> out = new ArrayList<>();
        for (int v = 0; v < pending.length; v++) {
            out.add(new MsixEntry(address(v), dword(v * ENTRY + 8), dword(v * ENTRY + 12), pending[v]));
        }
        return out;
    }

    /**
     * Restores a saved table; the enable and function-mask bits come back with the configuration space. Pending
     * messages stay pending until the guest unmasks them.
     *
     * @throws DeviceException when the saved table has another size than this function's
     */
    public synchronized void restore(List<MsixEntry> saved) {
        if (saved.size() != pending.length) {
            throw new DeviceException("a saved MSI-X table has " + saved.size() + " vectors, this function's has "
                    + pending.length + "; the two ends run devices with different vectors= settings");
        }
        for (int v = 0; v < pending.length; v++) {
            MsixEntry e = saved.get(v);
            putDword(v * ENTRY, (int) e.address());
            putDword(v * ENTRY + 4, (int) (e.address() >>> 32));
            putDword(v * ENTRY + 8, e.data());
            putDword(v * ENTRY + 12, e.vectorControl() & 1);
            pending[v] = e.pending();
        }
    }

    private void resetEntries() {
        Arrays.fill(table, (byte) 0);
        Arrays.fill(pending, false);
        for (int v = 0; v < pending.length; v++) {
            table[v * ENTRY + 12] = 1;
        }
    }

    private void deliverPending() {
        if (!enabled() || functionMasked()) {
            return;
        }
        for (int v = 0; v < pending.length; v++) {
            if (pending[v] && !entryMasked(v)) {
                pending[v] = false;
                send(v);
            }
        }
    }

    private void send(int vector) {
        if ((config.command() & PciConfigSpace.COMMAND_BUS_MASTER) == 0) {
            return;
        }
        sink.signal(address(vector), dword(vector * ENTRY + 8));
    }

    private int control() {
        return config.read(cap + 2, 2);
    }

    private boolean entryMasked(int vector) {
        return (table[vector * ENTRY + 12] & 1) != 0;
    }

    private long address(int vector) {
        return Integer.toUnsignedLong(dword(vector * ENTRY)) | (long) dword(vector * ENTRY + 4) << 32;
    }

    private int dword(int at) {
        return (table[at] & 0xff) | (table[at + 1] & 0xff) << 8 | (table[at + 2] & 0xff) << 16
                | (table[at + 3] & 0xff) << 24;
    }

    private void putDword(int at, int value) {
        for (int i = 0; i < 4; i++) {
            table[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
