package org.jkvm.devices.pci;

/**
 * One PCI function on the {@link PciBus}: its configuration space and the register logic behind its memory BARs.
 *
 * <p>The bus calls {@link #barRead}/{@link #barWrite} on the vCPU thread when the guest touches an address inside an
 * enabled BAR (memory space enabled in the command register); offsets are relative to the BAR's base, so the device
 * never learns where the guest placed it. Guest misbehaviour is ignored, never thrown.
 */
public interface PciDevice {
    /** The function's configuration space; the bus reads and writes it for the guest. */
    PciConfigSpace config();

    /**
     * The guest reads {@code data.length} bytes at {@code offset} inside BAR {@code bar}.
     *
     * @param bar    the BAR index, 0 to 5
     * @param offset byte offset from the BAR's base
     * @param data   the bytes to fill, little-endian
     */
    void barRead(int bar, long offset, byte[] data);

    /**
     * The guest writes {@code data} at {@code offset} inside BAR {@code bar}.
     *
     * @param bar    the BAR index, 0 to 5
     * @param offset byte offset from the BAR's base
     * @param data   the bytes written, little-endian
     */
    void barWrite(int bar, long offset, byte[] data);

    /**
     * A configuration write the device wants to see after the config space applied it (e.g. a capability window);
     * the default does nothing.
     *
     * @param offset the register offset, 0 to 255
     * @param size   1, 2 or 4 bytes
     */
    default void configWritten(int offset, int size) {
    }

    /**
     * A configuration read the device answers itself (e.g. a capability window); return false to let the config
     * space answer. The default answers nothing.
     *
     * @param offset the register offset
     * @param size   1, 2 or 4 bytes
     * @param out    out[0] receives the value when true is returned
     */
    default boolean configRead(int offset, int size, int[] out) {
        return false;
    }

    /** A short name for logs, e.g. {@code "virtio-blk-pci(drive0)"}. */
    default String name() {
        return getClass().getSimpleName();
    }
}
