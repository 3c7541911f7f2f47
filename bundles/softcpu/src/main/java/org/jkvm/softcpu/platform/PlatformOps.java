package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.VmOps;

/**
 * A vCPU's view of the bus with the platform in front: the PIC, ELCR and PIT ports, the I/O APIC's page and this
 * vCPU's xAPIC page go to the models; everything else to the engine's {@link VmOps}. Accesses wider than a byte to
 * the 8-bit ports are split into bytes; the APIC registers are 32 bits wide at 16-byte steps, so narrower or
 * misaligned accesses see (or change) the bytes of the register they fall in. The vCPU's thread only.
 *
 * <p>RAM shadows these addresses: the engine keeps guest RAM below the I/O APIC (0xfec00000), as a PC does.
 */
public final class PlatformOps implements VmOps {
    private final SoftIrqChip chip;
    private final Lapic apic;
    private final VmOps next;

    /** Puts the platform of {@code apic} in front of {@code next}. */
    public PlatformOps(SoftIrqChip chip, Lapic apic, VmOps next) {
        this.chip = chip;
        this.apic = apic;
        this.next = next;
    }

    private static boolean platformPort(int port) {
        return PicPair.claims(port) || Pit8254.claims(port);
    }

    @Override
    public void pioRead(int port, byte[] data) {
        if (!platformPort(port)) {
            next.pioRead(port, data);
            return;
        }
        for (int k = 0; k < data.length; k++) {
            data[k] = (byte) (platformPort(port + k) ? chip.pioRead(port + k) : 0xff);
        }
    }

    @Override
    public void pioWrite(int port, byte[] data) {
        if (!platformPort(port)) {
            next.pioWrite(port, data);
            return;
        }
        for (int k = 0; k < data.length; k++) {
            if (platformPort(port + k)) {
                chip.pioWrite(port + k, data[k] & 0xff);
            }
        }
        afterWrite();
    }

    /**
     * A write that made an interrupt deliverable (an EOI, an unmask, a self-IPI) ends the block after this
     * instruction, so the interrupt is taken at the next instruction boundary rather than at the block's end.
     */
    private void afterWrite() {
        if (apic.pending()) {
            apic.cpu.stopBlock = true;
        }
    }

    @Override
    public void mmioRead(long gpa, byte[] data) {
        long page = gpa & ~0xfffL;
        if (page == IoApic.BASE) {
            put(data, chip.ioapicRead((int) (gpa & 0xff0)), (int) (gpa & 0xf));
        } else if (page == apic.mmioPage()) {
            int offset = (int) (gpa & 0xfff);
            int v;
            synchronized (chip.lock) {
                v = offset < 0x400 ? apic.read(offset >> 4) : 0;
            }
            put(data, v, offset & 0xf);
        } else {
            next.mmioRead(gpa, data);
        }
    }

    /** Fills {@code data} with the bytes of the 32-bit register {@code v} from byte {@code at} on (zeros beyond). */
    private static void put(byte[] data, int v, int at) {
        for (int k = 0; k < data.length; k++) {
            int b = at + k;
            data[k] = b < 4 ? (byte) (v >>> (8 * b)) : 0;
        }
    }

    @Override
    public void mmioWrite(long gpa, byte[] data) {
        long page = gpa & ~0xfffL;
        if (page == IoApic.BASE) {
            int offset = (int) (gpa & 0xff0);
            int at = (int) (gpa & 0xf);
            if (at < 4) {
                chip.ioapicWrite(offset, merge(chip.ioapicRead(offset), data, at));
            }
        } else if (page == apic.mmioPage()) {
            int offset = (int) (gpa & 0xfff);
            int at = offset & 0xf;
            if (offset < 0x400 && at < 4) {
                synchronized (chip.lock) {
                    int index = offset >> 4;
                    int v = data.length >= 4 && at == 0 ? get(data) : merge(apic.read(index), data, at);
                    if (!apic.write(index, v)) {
                        apic.illegalRegister();
                    }
                }
            }
        } else {
            next.mmioWrite(gpa, data);
            return;
        }
        afterWrite();
    }

    private static int get(byte[] data) {
        return (data[0] & 0xff) | (data[1] & 0xff) << 8 | (data[2] & 0xff) << 16 | (data[3] & 0xff) << 24;
    }

    /** {@code old} with the bytes of {@code data} written from byte {@code at} (bytes beyond the register dropped). */
    private static int merge(int old, byte[] data, int at) {
        int v = old;
        for (int k = 0; k < data.length && at + k < 4; k++) {
            int sh = 8 * (at + k);
            v = (v & ~(0xff << sh)) | (data[k] & 0xff) << sh;
        }
        return v;
    }
}
