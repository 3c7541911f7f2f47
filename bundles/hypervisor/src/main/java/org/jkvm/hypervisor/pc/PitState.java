package org.jkvm.hypervisor.pc;

import java.util.List;

/**
 * The 8254 programmable interval timer (ports 0x40-0x43; channel 0 drives IRQ 0, channel 2's gate and output
 * are bits 0 and 5 of port 0x61), counting at {@value #FREQUENCY_HZ} Hz of guest time.
 *
 * @param channels     the three counters
 * @param speakerGate  port 0x61 bit 0: channel 2's gate
 * @param speakerData  port 0x61 bit 1: speaker data enable
 */
public record PitState(List<Channel> channels, boolean speakerGate, boolean speakerData) {
    /** The PIT's input clock in Hz. */
    public static final int FREQUENCY_HZ = 1_193_182;

    /** Validates and copies the channel list. */
    public PitState {
        if (channels.size() != 3) {
            throw new IllegalArgumentException("an 8254 has 3 counters, got " + channels.size());
        }
        channels = List.copyOf(channels);
    }

    /**
     * One counter. The counting element is given as what a read would return at the save ({@code currentCount}),
     * not as a host time stamp, so it restores on any backend.
     *
     * @param initialCount   the count register last written (0 means 0x10000 in binary mode)
     * @param currentCount   the counting element's value at the save
     * @param output         the counter's OUT pin at the save
     * @param latchedCount   the value latched by a counter-latch command
     * @param countLatched   what of {@code latchedCount} remains to be read: 0 none, 1 LSB, 2 MSB, 3 word (LSB then
     *                       MSB)
     * @param statusLatched  a read-back status byte is latched
     * @param status         the latched status byte
     * @param readState      which byte a read returns next (1 LSB, 2 MSB, 3 word LSB first, 4 word MSB next)
     * @param writeState     which byte a write sets next (same encoding)
     * @param writeLatch     the LSB written while a word write is in progress
     * @param rwMode         access mode of the control word (1 LSB, 2 MSB, 3 LSB then MSB)
     * @param mode           counter mode 0-5
     * @param bcd            BCD counting
     * @param gate           the GATE input
     * @param armed          mode 0/1/4/5: the count was loaded and has not yet expired (or the one-shot is armed)
     */
    public record Channel(int initialCount, int currentCount, boolean output, int latchedCount, int countLatched,
                          boolean statusLatched, int status, int readState, int writeState, int writeLatch,
                          int rwMode, int mode, boolean bcd, boolean gate, boolean armed) {
        /** Validates the ranges. */
        public Channel {
            if (initialCount < 0 || initialCount > 0x10000 || currentCount < 0 || currentCount > 0x10000
                    || mode < 0 || mode > 5) {
                throw new IllegalArgumentException("8254 counter out of range: initial " + initialCount + ", current "
                        + currentCount + ", mode " + mode);
            }
        }

        /** A counter after power-on (mode 0, nothing loaded, gate as given). */
        public static Channel reset(boolean gate) {
            return new Channel(0, 0, false, 0, 0, false, 0, 0, 0, 0, 0, 0, false, gate, false);
        }
    }

    /** The PIT after power-on: channels 0 and 1 gated on, channel 2 gated by port 0x61 (off). */
    public static PitState reset() {
        return new PitState(List.of(Channel.reset(true), Channel.reset(true), Channel.reset(false)), false, false);
    }
}
