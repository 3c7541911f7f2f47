package org.jkvm.devices.pci;

import java.util.Arrays;
import java.util.function.IntFunction;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.DeviceException;
import org.jkvm.devices.IrqLine;

/**
 * PCI bus 0 of an i440FX machine: 32 slots of single-function devices, the host bridge at 00:00.0.
 *
 * <p><b>Configuration mechanism #1</b> (PCI 3.0, 3.2.2.3.2): a 32-bit write to port 0xCF8 latches
 * {@code enable(31) | bus(23:16) | device(15:11) | function(10:8) | register(7:2)}; accesses to 0xCFC..0xCFF then
 * reach that register (plus the port's offset). An absent function, another bus, or a disabled address reads all
 * ones. Register {@link #addressPort()} at 0xCF8 with length 1 (so 0xCF9, the reset control register, stays free)
 * and {@link #dataPort()} at 0xCFC with length 4.
 *
 * <p><b>Memory BARs</b> are placed by {@link #attach} as firmware would, naturally aligned from {@link #HOLE_BASE}
 * upwards, with memory decoding enabled; {@link #mmioWindow()} registered over {@code [HOLE_BASE, HOLE_END)} sends
 * each access to the BAR that holds it at the time, so a guest may move BARs.
 *
 * <p><b>INTx</b>: INTA#..INTD# of slot S reach PIRQ {@code (S - 1 + pin) & 3} (the PIIX3's swizzle, pin 0 = INTA#),
 * and PIRQA..D reach ISA interrupts 10, 10, 11, 11 as SeaBIOS routes them on QEMU; the interrupt line register holds
 * that number. Lines are level-triggered and shared: an ISA line is asserted while any device on it asserts.
 *
 * <p>Thread-safety: configuration and MMIO accesses come from the vCPU thread; {@link #intxLine} lines may be driven
 * from I/O threads and are synchronized.
 */
public final class PciBus {
    /** Configuration address port. */
    public static final int CONFIG_ADDRESS_PORT = 0xcf8;
    /** Configuration data port (4 bytes). */
    public static final int CONFIG_DATA_PORT = 0xcfc;
    /** Start of the MMIO hole below 4 GiB where BARs live (QEMU's {@code pc} with up to 3.5 GiB of RAM). */
    public static final long HOLE_BASE = 0xe000_0000L;
    /** End (exclusive) of the hole: the I/O APIC starts here. */
    public static final long HOLE_END = 0xfec0_0000L;
    /** The first slot {@link #attach} picks when none is given (slot 1 is the PIIX3's on QEMU). */
    public static final int FIRST_FREE_SLOT = 2;
    private static final int SLOTS = 32;
    private static final int[] PIRQ_TO_ISA = {10, 10, 11, 11};

    private final PciDevice[] slots = new PciDevice[SLOTS];
    private final IntFunction<IrqLine> isaIrq;
    private final MsiSink msi;
    private final int[] asserted = new int[16];
    private long nextBar = HOLE_BASE;
    private int address;

    /**
     * A bus with the host bridge at 00:00.0.
     *
     * @param isaIrq the platform's ISA interrupt line for an IRQ number (10 or 11); {@code n -> IrqLine.NONE} for a
     *               machine without interrupt controllers (polled use)
     */
    public PciBus(IntFunction<IrqLine> isaIrq) {
        this(isaIrq, MsiSink.NONE);
    }

    /**
     * A bus with the host bridge at 00:00.0 whose functions send MSI/MSI-X messages to {@code msi}.
     *
     * @param isaIrq as for {@link #PciBus(IntFunction)}
     * @param msi    the platform's interrupt controllers, {@link MsiSink#NONE} for a machine without them
     */
    public PciBus(IntFunction<IrqLine> isaIrq, MsiSink msi) {
        this.isaIrq = isaIrq;
        this.msi = msi;
        slots[0] = new PciHostBridge();
    }

    /** Where the functions on this bus send their message-signalled interrupts. */
    public MsiSink msi() {
        return msi;
    }

    /**
     * The ISA IRQ that INTx pin {@code pin} (1 = INTA#) of slot {@code slot} reaches.
     */
    public static int isaIrqFor(int slot, int pin) {
        return PIRQ_TO_ISA[(slot - 1 + pin - 1) & 3];
    }

    /**
     * The first free slot from {@link #FIRST_FREE_SLOT}, as QEMU assigns one to a device without {@code addr=}.
     *
     * @throws DeviceException when all 32 slots are taken
     */
    public synchronized int freeSlot() {
        for (int s = FIRST_FREE_SLOT; s < SLOTS; s++) {
            if (slots[s] == null) {
                return s;
            }
        }
        throw new DeviceException("all 32 slots of PCI bus 0 are taken; remove a device");
    }

    /**
     * The INTA# line of the device in {@code slot}: level-triggered, shared with the other devices on its PIRQ.
     * The device drives it; the bus keeps the config space's interrupt-status bit in step once attached.
     */
    public IrqLine intxLine(int slot) {
        int irq = isaIrqFor(slot, 1);
        IrqLine platform = isaIrq.apply(irq);
        int bit = 1 << slot;
        return new IrqLine() {
            @Override
            public void raise() {
                drive(true);
            }

            @Override
            public void lower() {
                drive(false);
            }

            private void drive(boolean level) {
                PciDevice d;
                boolean before;
                boolean after;
                synchronized (PciBus.this) {
                    d = slots[slot];
                    boolean disabled = d != null && (d.config().command() & PciConfigSpace.COMMAND_INTX_DISABLE) != 0;
                    before = asserted[irq] != 0;
                    asserted[irq] = level && !disabled ? asserted[irq] | bit : asserted[irq] & ~bit;
                    after = asserted[irq] != 0;
                    if (d != null) {
                        d.config().setInterruptStatus(level);
                    }
                    if (before != after) {
                        platform.set(after);
                    }
                }
            }
        };
    }

    /**
     * Puts {@code device} in {@code slot} and places its memory BARs in the hole as firmware would (memory decoding
     * on, interrupt line set for its pin).
     *
     * @throws DeviceException when the slot is out of 1..31, taken, or the hole is full
     */
    public synchronized void attach(int slot, PciDevice device) {
        if (slot < 1 || slot >= SLOTS) {
            throw new DeviceException("PCI slot " + slot + " of " + device.name() + " is out of range; give addr= "
                    + "from 1 to 31 (slot 0 is the host bridge)");
        }
        if (slots[slot] != null) {
            throw new DeviceException("PCI slot " + slot + " is taken by " + slots[slot].name() + "; give "
                    + device.name() + " another addr=");
        }
        PciConfigSpace c = device.config();
        long next = nextBar;
        long[] bases = new long[PciConfigSpace.BARS];
        for (int i = 0; i < PciConfigSpace.BARS; i++) {
            long size = c.barSize(i);
            if (size > 0) {
                long base = (next + size - 1) & -size;
                if (base + size > HOLE_END) {
                    throw new DeviceException("the PCI hole below 4 GiB has no room for a " + size + "-byte BAR of "
                            + device.name() + "; use fewer devices");
                }
                bases[i] = base;
                next = base + size;
            }
        }
        for (int i = 0; i < PciConfigSpace.BARS; i++) {
            if (c.barSize(i) > 0) {
                c.setBarAddress(i, bases[i]);
            }
        }
        nextBar = next;
        int pin = c.interruptPin();
        c.setInterrupt(pin, pin == 0 ? 0 : isaIrqFor(slot, pin));
        c.setCommand(c.command() | PciConfigSpace.COMMAND_MEMORY);
        slots[slot] = device;
    }

    /** The device in {@code slot}, or null. */
    public synchronized PciDevice device(int slot) {
        return slots[slot];
    }

    /** The 0xCF8 configuration address register, to register at {@link #CONFIG_ADDRESS_PORT} with length 1. */
    public BusDevice addressPort() {
        return new BusDevice() {
            @Override
            public void read(long offset, byte[] data) {
                int v = data.length == 4 ? latched() : -1;
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (v >>> (8 * i));
                }
            }

            @Override
            public void write(long offset, byte[] data) {
                if (data.length == 4) { // byte and word accesses are not the address register
                    latch(le(data) & 0x80ff_fffc);
                }
            }

            @Override
            public String name() {
                return "pci-config-address";
            }
        };
    }

    /** The 0xCFC..0xCFF configuration data window, to register at {@link #CONFIG_DATA_PORT} with length 4. */
    public BusDevice dataPort() {
        return new BusDevice() {
            @Override
            public void read(long offset, byte[] data) {
                int v = configRead(latched(), (int) offset, data.length);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (v >>> (8 * i));
                }
            }

            @Override
            public void write(long offset, byte[] data) {
                configWrite(latched(), (int) offset, data.length, le(data));
            }

            @Override
            public String name() {
                return "pci-config-data";
            }
        };
    }

    /** The BAR window, to register over {@code [HOLE_BASE, HOLE_END)} on the MMIO bus. */
    public BusDevice mmioWindow() {
        return new BusDevice() {
            @Override
            public void read(long offset, byte[] data) {
                if (!dispatch(HOLE_BASE + offset, data, false)) {
                    Arrays.fill(data, (byte) 0xff);
                }
            }

            @Override
            public void write(long offset, byte[] data) {
                dispatch(HOLE_BASE + offset, data, true);
            }

            @Override
            public String name() {
                return "pci-hole";
            }
        };
    }

    /**
     * A configuration read as the guest makes it through mechanism #1, for tests and for other access paths.
     *
     * @param configAddress the value latched at 0xCF8
     * @param portOffset    0..3, the data port byte the access starts at
     * @param size          1, 2 or 4
     */
    public int configRead(int configAddress, int portOffset, int size) {
        PciDevice d = target(configAddress);
        if (d == null) {
            return -1;
        }
        int reg = (configAddress & 0xfc) + portOffset;
        int[] out = new int[1];
        return d.configRead(reg, size, out) ? out[0] : d.config().read(reg, size);
    }

    /** A configuration write as through mechanism #1; see {@link #configRead}. */
    public void configWrite(int configAddress, int portOffset, int size, int value) {
        PciDevice d = target(configAddress);
        if (d != null) {
            int reg = (configAddress & 0xfc) + portOffset;
            d.config().write(reg, size, value);
            d.configWritten(reg, size);
        }
    }

    private synchronized int latched() {
        return address;
    }

    private synchronized void latch(int value) {
        address = value;
    }

    private synchronized PciDevice target(int configAddress) {
        boolean enabled = configAddress < 0;
        int bus = (configAddress >>> 16) & 0xff;
        int function = (configAddress >>> 8) & 7;
        if (!enabled || bus != 0 || function != 0) {
            return null;
        }
        return slots[(configAddress >>> 11) & 0x1f];
    }

    private boolean dispatch(long gpa, byte[] data, boolean write) {
        for (int s = 0; s < SLOTS; s++) {
            PciDevice d = slots[s];
            if (d == null) {
                continue;
            }
            PciConfigSpace c = d.config();
            if ((c.command() & PciConfigSpace.COMMAND_MEMORY) == 0) {
                continue;
            }
            for (int i = 0; i < PciConfigSpace.BARS; i++) {
                long size = c.barSize(i);
                long base = c.barAddress(i);
                if (size > 0 && gpa >= base && gpa - base < size) {
                    if (write) {
                        d.barWrite(i, gpa - base, data);
                    } else {
                        d.barRead(i, gpa - base, data);
                    }
                    return true;
                }
            }
        }
        return false;
    }

    private static int le(byte[] data) {
        int v = 0;
        for (int i = 0; i < data.length && i < 4; i++) {
            v |= (data[i] & 0xff) << (8 * i);
        }
        return v;
    }
}
