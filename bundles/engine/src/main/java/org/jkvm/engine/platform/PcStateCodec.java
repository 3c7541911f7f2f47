package org.jkvm.engine.platform;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;

/**
 * The sections of the PC's interrupt controllers and timer, version 1 each, in {@link StateWriter}'s big-endian
 * encoding of the architectural records (docs/migration-stream.md has the tables):
 *
 * <pre>
 * pic     2 x chip (master, slave): u8 irr, isr, imr, last_irr, vector_base, priority_add,
 *         u8 flags (bit 0 read ISR, 1 poll, 2 special mask, 3 auto EOI, 4 rotate on auto EOI, 5 special fully
 *         nested, 6 ICW4 follows, 7 single mode), u8 init_state (0-3), u8 elcr, u8 elcr_mask
 * ioapic  u8 id (0-15), u8 ioregsel, u32 irr (24 bits), 24 x u64 redirection
 * pit     3 x channel: u32 initial_count, u32 current_count (each 0-0x10000), bool output, u16 latched_count,
 *         u8 count_latched (0-3), bool status_latched, u8 status, u8 read_state (0-4), u8 write_state (0-4),
 *         u8 write_latch, u8 rw_mode (0-3), u8 mode (0-5), bool bcd, bool gate, bool armed;
 *         then bool speaker_gate, bool speaker_data
 * lapic   1024 bytes: the xAPIC register page (little-endian registers, as the guest reads them)
 * </pre>
 *
 * <p>The decoders treat the payload as hostile: every value is range-checked and the payload must end where the
 * layout does. Stateless.
 */
public final class PcStateCodec {
    /** The version of every section here. */
    public static final int VERSION = 1;

    private PcStateCodec() {
    }

    /** Writes the {@code pic} section. */
    public static void encodePic(PicState s, StateWriter out) {
        for (PicState.Chip c : new PicState.Chip[] {s.master(), s.slave()}) {
            out.u8(c.irr()).u8(c.isr()).u8(c.imr()).u8(c.lastIrr()).u8(c.vectorBase()).u8(c.priorityAdd());
            int flags = bit(c.readIsr(), 0) | bit(c.poll(), 1) | bit(c.specialMask(), 2) | bit(c.autoEoi(), 3)
                    | bit(c.rotateOnAutoEoi(), 4) | bit(c.specialFullyNested(), 5) | bit(c.init4(), 6)
                    | bit(c.singleMode(), 7);
            out.u8(flags).u8(c.initState()).u8(c.elcr()).u8(c.elcrMask());
        }
    }

    /** Reads the {@code pic} section. */
    public static PicState decodePic(StateReader in) {
        PicState.Chip master = chip(in);
        PicState.Chip slave = chip(in);
        in.expectEnd();
        return new PicState(master, slave);
    }

    private static PicState.Chip chip(StateReader in) {
        int irr = in.u8();
        int isr = in.u8();
        int imr = in.u8();
        int last = in.u8();
        int base = in.u8();
        int rotation = in.u8();
        int f = in.u8();
        int init = in.u8();
        if (init > 3) {
            throw in.corrupt("8259A init state " + init + " (0-3)");
        }
        return new PicState.Chip(irr, isr, imr, last, base, rotation, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0, init,
                (f & 8) != 0, (f & 16) != 0, (f & 32) != 0, (f & 64) != 0, (f & 128) != 0, in.u8(), in.u8());
    }

    /** Writes the {@code ioapic} section. */
    public static void encodeIoapic(IoapicState s, StateWriter out) {
        out.u8(s.id()).u8(s.ioregsel()).u32(s.irr());
        for (long r : s.redirection()) {
            out.u64(r);
        }
    }

    /** Reads the {@code ioapic} section. */
    public static IoapicState decodeIoapic(StateReader in) {
        int id = in.u8();
        int sel = in.u8();
        int irr = in.u32();
        if (id > 15 || (irr & ~0xffffff) != 0) {
            throw in.corrupt("I/O APIC id " + id + " (0-15) or IRR 0x" + Integer.toHexString(irr) + " (24 pins)");
        }
        long[] table = new long[IoapicState.PINS];
        for (int i = 0; i < table.length; i++) {
            table[i] = in.u64();
        }
        in.expectEnd();
        return new IoapicState(id, sel, irr, table);
    }

    /** Writes the {@code pit} section. */
    public static void encodePit(PitState s, StateWriter out) {
        for (PitState.Channel c : s.channels()) {
            out.u32(c.initialCount()).u32(c.currentCount()).bool(c.output()).u16(c.latchedCount())
                    .u8(c.countLatched()).bool(c.statusLatched()).u8(c.status()).u8(c.readState())
                    .u8(c.writeState()).u8(c.writeLatch()).u8(c.rwMode()).u8(c.mode()).bool(c.bcd()).bool(c.gate())
                    .bool(c.armed());
        }
        out.bool(s.speakerGate()).bool(s.speakerData());
    }

    /** Reads the {@code pit} section. */
    public static PitState decodePit(StateReader in) {
        List<PitState.Channel> channels = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            int initial = in.u32();
            int current = in.u32();
            boolean output = in.bool();
            int latched = in.u16();
            int countLatched = in.u8();
            boolean statusLatched = in.bool();
            int status = in.u8();
            int read = in.u8();
            int write = in.u8();
            int writeLatch = in.u8();
            int rw = in.u8();
            int mode = in.u8();
            if (initial < 0 || initial > 0x10000 || current < 0 || current > 0x10000 || countLatched > 3
                    || read > 4 || write > 4 || rw > 3 || mode > 5) {
                throw in.corrupt("8254 counter " + i + " out of range (initial " + initial + ", current " + current
                        + ", latched " + countLatched + ", read/write state " + read + "/" + write + ", access "
                        + rw + ", mode " + mode + ")");
            }
            channels.add(new PitState.Channel(initial, current, output, latched, countLatched, statusLatched, status,
                    read, write, writeLatch, rw, mode, in.bool(), in.bool(), in.bool()));
        }
        PitState s = new PitState(channels, in.bool(), in.bool());
        in.expectEnd();
        return s;
    }

    /** Writes the {@code lapic} section. */
    public static void encodeLapic(LapicState s, StateWriter out) {
        out.raw(s.registers());
    }

    /** Reads the {@code lapic} section. */
    public static LapicState decodeLapic(StateReader in) {
        LapicState s = new LapicState(in.raw(LapicState.SIZE));
        in.expectEnd();
        return s;
    }

    private static int bit(boolean b, int n) {
        return b ? 1 << n : 0;
    }
}
