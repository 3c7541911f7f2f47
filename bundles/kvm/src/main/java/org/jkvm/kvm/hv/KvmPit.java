package org.jkvm.kvm.hv;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.kvm.KvmPitState2;

/**
 * The in-kernel 8254 ({@code kvm_pit_state2}) to and from {@link PitState}. KVM keeps no counting element: it
 * records when each count was loaded ({@code count_load_time}, the host's CLOCK_MONOTONIC in ns, which is what
 * {@link System#nanoTime()} reads on Linux) and computes a read from the time since. The record holds what a read
 * returns instead, so the conversion takes the clock ({@code nowNs}) and works in 8254 input ticks
 * ({@value PitState#FREQUENCY_HZ} Hz, Intel 8254 data sheet). Stateless.
 *
 * <p>On the way in, what KVM lets us keep:
 * <ul>
 * <li>an armed one-shot counter (modes 0, 1, 4, 5) is loaded with its remaining count, so channel 0's interrupt
 *     comes when it would have on the source (the initial count then reads as that remaining count);</li>
 * <li>a periodic counter (modes 2, 3) keeps its period, and channel 0 reads on from the saved count, but KVM arms
 *     its interrupt a whole period after the restore (the phase moves by less than one period);</li>
 * <li>KVM restarts channels 1 and 2 from their count at the restore, whatever the load time says;</li>
 * <li>a one-shot channel 0 that had expired fires once more, one count after the restore: KVM arms its timer on
 *     every load, and marking it unprogrammed instead would stop a later count-only write from arming it.</li>
 * </ul>
 * A counter never programmed (access mode 0) goes in as KVM's unprogrammed mode 0xff, which arms nothing.
 */
final class KvmPit {
    private static final long NS_PER_S = 1_000_000_000L;
    private static final int FULL = 0x10000;

    private KvmPit() {
    }

    /** KVM's PIT as the record, with each counter as it reads at {@code nowNs}. */
    static PitState pit(KvmPitState2 k, long nowNs) {
        List<PitState.Channel> channels = new ArrayList<>(3);
        for (KvmPitState2.Channel c : k.channels()) {
            channels.add(channel(c, nowNs));
        }
        return new PitState(channels, k.channels().get(2).gate() != 0,
                (k.flags() & KvmPitState2.FLAG_SPEAKER_DATA_ON) != 0);
    }

    /** The record as KVM's PIT, loaded at {@code nowNs} so that each counter reads on from its saved value. */
    static KvmPitState2 kvmPit(PitState s, long nowNs) {
        List<KvmPitState2.Channel> channels = new ArrayList<>(3);
        for (PitState.Channel c : s.channels()) {
            channels.add(kvmChannel(c, nowNs));
        }
        return new KvmPitState2(channels, s.speakerData() ? KvmPitState2.FLAG_SPEAKER_DATA_ON : 0);
    }

    static PitState.Channel channel(KvmPitState2.Channel c, long nowNs) {
        boolean programmed = c.mode() <= 5;
        int mode = programmed ? c.mode() : 0;
        int count = c.count() <= 0 || c.count() > FULL ? FULL : c.count();
        long d = ticks(Math.max(0, nowNs - c.countLoadTime()));
        int current;
        boolean out;
        boolean armed;
        switch (mode) {
            case 2 -> {
                // Rate generator: counts count..1, OUT low for the one tick at 1, reloads.
                current = (int) (count - d % count);
                out = current != 1;
                armed = programmed;
            }
            case 3 -> {
                // Square wave: counts down by two, OUT high for the first half of each period.
                current = (int) ((count - (2 * d) % count) & 0xfffe);
                out = d % count < (count + 1) / 2;
                armed = programmed;
            }
            default -> {
                // One-shot modes: count..0, then the counter wraps and counts on from 0xffff.
                current = (int) ((count - d) & 0xffff);
                boolean expired = d >= count;
                armed = programmed && !expired;
                out = mode == 0 || mode == 1 ? expired : d != count; // 4, 5: a low strobe at terminal count
            }
        }
        if (!programmed) {
            out = false;
        }
        return new PitState.Channel(count, current, out, c.latchedCount(), c.countLatched(), c.statusLatched() != 0,
                c.status(), c.readState(), c.writeState(), c.writeLatch(), c.rwMode(), mode, c.bcd() != 0,
                c.gate() != 0, armed);
    }

    static KvmPitState2.Channel kvmChannel(PitState.Channel c, long nowNs) {
        int initial = c.initialCount() == 0 ? FULL : c.initialCount();
        int current = c.currentCount();
        int mode = c.mode();
        int count = initial;
        long loaded = nowNs;
        if (c.rwMode() == 0) {
            mode = KvmPitState2.MODE_UNPROGRAMMED;
        } else if (mode == 2 || mode == 3) {
            long elapsed = current <= 0 || current > initial ? 0 : mode == 2 ? initial - current
                    : (initial - current) / 2;
            loaded = nowNs - ticksToNs(elapsed);
        } else if (c.armed()) {
            count = current == 0 ? FULL : current;
        } else {
            // Expired: the counter has wrapped; load it far enough back that a read gives the saved value.
            long d = (initial - current) & 0xffff;
            if (d < initial) {
                d += FULL;
            }
            loaded = nowNs - ticksToNs(d);
        }
        return new KvmPitState2.Channel(count, c.latchedCount() & 0xffff, c.countLatched(), c.statusLatched() ? 1 : 0,
                c.status() & 0xff, c.readState(), c.writeState(), c.writeLatch() & 0xff, c.rwMode(), mode,
                c.bcd() ? 1 : 0, c.gate() ? 1 : 0, loaded);
    }

    /** Whole 8254 ticks in {@code ns} nanoseconds (floor), without overflow for any non-negative {@code ns}. */
    static long ticks(long ns) {
        return ns / NS_PER_S * PitState.FREQUENCY_HZ + ns % NS_PER_S * PitState.FREQUENCY_HZ / NS_PER_S;
    }

    /** Nanoseconds of {@code ticks} 8254 ticks, rounded up so that {@link #ticks} of it gives {@code ticks} back. */
    static long ticksToNs(long ticks) {
        long whole = ticks / PitState.FREQUENCY_HZ;
        long rest = ticks % PitState.FREQUENCY_HZ;
        return whole * NS_PER_S + (rest * NS_PER_S + PitState.FREQUENCY_HZ - 1) / PitState.FREQUENCY_HZ;
    }
}
