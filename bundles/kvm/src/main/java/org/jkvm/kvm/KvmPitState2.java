package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-kernel 8254, {@code struct kvm_pit_state2} (112 bytes) of {@code KVM_GET_PIT2}/{@code KVM_SET_PIT2}.
 *
 * <pre>
 * offset 0 kvm_pit_channel_state channels[3] (24 bytes each)   72 u32 flags   76 u32 reserved[9]
 *
 * kvm_pit_channel_state
 *   0 u32 count   4 u16 latched_count   6 u8 count_latched   7 u8 status_latched   8 u8 status
 *   9 u8 read_state  10 u8 write_state  11 u8 write_latch  12 u8 rw_mode  13 u8 mode  14 u8 bcd  15 u8 gate
 *  16 s64 count_load_time (the host's CLOCK_MONOTONIC, ns, when the count was loaded)
 * </pre>
 *
 * @param channels the three counters
 * @param flags    {@link #FLAG_HPET_LEGACY}, {@link #FLAG_SPEAKER_DATA_ON}
 */
public record KvmPitState2(List<Channel> channels, int flags) {
    /** Size of {@code struct kvm_pit_state2} in bytes. */
    public static final int SIZE = 112;
    /** {@code KVM_PIT_FLAGS_HPET_LEGACY}: the HPET replaces the PIT's interrupt. */
    public static final int FLAG_HPET_LEGACY = 0x1;
    /** {@code KVM_PIT_FLAGS_SPEAKER_DATA_ON}: port 0x61 bit 1. */
    public static final int FLAG_SPEAKER_DATA_ON = 0x2;
    /** The {@code mode} KVM reports for a counter no control word has programmed since reset. */
    public static final int MODE_UNPROGRAMMED = 0xff;

    /** Validates and copies the channel list. */
    public KvmPitState2 {
        if (channels.size() != 3) {
            throw new IllegalArgumentException("kvm_pit_state2 has 3 channels, got " + channels.size());
        }
        channels = List.copyOf(channels);
    }

    /**
     * One counter, {@code struct kvm_pit_channel_state} (24 bytes).
     *
     * @param count         the reload value (KVM stores 0x10000 for a written 0)
     * @param latchedCount  the latched value
     * @param countLatched  0, or the access mode of a pending latch read (1 LSB, 2 MSB, 3 word)
     * @param statusLatched 1 when a read-back status is latched
     * @param status        the latched status
     * @param readState     next read byte (1 LSB, 2 MSB, 3 word LSB, 4 word MSB)
     * @param writeState    next written byte (same encoding)
     * @param writeLatch    the LSB of a word being written
     * @param rwMode        the access mode of the control word
     * @param mode          0-5, or {@link #MODE_UNPROGRAMMED}
     * @param bcd           1 for BCD counting
     * @param gate          the GATE input
     * @param countLoadTime CLOCK_MONOTONIC ns of the load
     */
    public record Channel(int count, int latchedCount, int countLatched, int statusLatched, int status, int readState,
            int writeState, int writeLatch, int rwMode, int mode, int bcd, int gate, long countLoadTime) {
        /** Size of {@code struct kvm_pit_channel_state} in bytes. */
        public static final int SIZE = 24;

        static Channel read(ByteBuffer le, int o) {
            return new Channel(le.getInt(o), le.getShort(o + 4) & 0xffff, u8(le, o + 6), u8(le, o + 7), u8(le, o + 8),
                    u8(le, o + 9), u8(le, o + 10), u8(le, o + 11), u8(le, o + 12), u8(le, o + 13), u8(le, o + 14),
                    u8(le, o + 15), le.getLong(o + 16));
        }

        void write(ByteBuffer le, int o) {
            le.putInt(o, count).putShort(o + 4, (short) latchedCount);
            int[] bytes = {countLatched, statusLatched, status, readState, writeState, writeLatch, rwMode, mode, bcd,
                gate};
            for (int i = 0; i < bytes.length; i++) {
                le.put(o + 6 + i, (byte) bytes[i]);
            }
            le.putLong(o + 16, countLoadTime);
        }

        private static int u8(ByteBuffer b, int o) {
            return b.get(o) & 0xff;
        }
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static KvmPitState2 read(ByteBuffer le, int offset) {
        List<Channel> c = new ArrayList<>(3);
        for (int i = 0; i < 3; i++) {
            c.add(Channel.read(le, offset + i * Channel.SIZE));
        }
        return new KvmPitState2(c, le.getInt(offset + 72));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (reserved words zeroed). */
    public void write(ByteBuffer le, int offset) {
        for (int i = 0; i < 3; i++) {
            channels.get(i).write(le, offset + i * Channel.SIZE);
        }
        le.putInt(offset + 72, flags);
        for (int i = 0; i < 9; i++) {
            le.putInt(offset + 76 + 4 * i, 0);
        }
    }
}
