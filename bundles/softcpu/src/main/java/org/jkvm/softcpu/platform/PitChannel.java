package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.PitState;

/**
 * One counter of the 8254 (Intel 8254 data sheet), computed from the time its count was loaded rather than ticked:
 * modes 0-5, binary or BCD, LSB/MSB/word access, the counter latch and read-back status, and the GATE input (modes
 * 0 and 4 suspend counting while it is low, modes 2 and 3 stop and reload on its rising edge with OUT held high,
 * modes 1 and 5 start on a rising edge). The count is loaded at once when written (the data sheet's one-clock
 * delay is not modelled). Not thread-safe: the {@link SoftIrqChip} lock guards it.
 */
final class PitChannel {
    static final long HZ = PitState.FREQUENCY_HZ;
    private static final long NS = 1_000_000_000L;

    /** The count register as written (0 = the maximum, 0x10000 or 10000 in BCD). */
    int count;
    int mode;
    boolean bcd;
    int rwMode;
    int readState;
    int writeState;
    int writeLatch;
    int latchedCount;
    /** Latched count bytes left: 0 none, 1 LSB, 2 MSB, 3 LSB then MSB. */
    int countLatched;
    boolean statusLatched;
    int status;
    boolean gate;
    /** A count has been written since the control word. */
    boolean loaded;
    /** Modes 1 and 5: the gate's rising edge started the count. */
    boolean triggered;
    /** A control word was written and no count yet (the status byte's NULL COUNT). */
    boolean nullCount;
    /** When counting started (platform nanoseconds). */
    long loadTime;
    /** Modes 0 and 4 with the gate low: the ticks counted when it fell. */
    boolean paused;
    long pausedTicks;

    /** The count period in input clocks. */
    long period() {
        if (count == 0) {
            return bcd ? 10_000 : 0x10000;
        }
        return bcd ? fromBcd(count) : count;
    }

    static int fromBcd(int v) {
        return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
    }

    static int toBcd(int v) {
        return v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
    }

    /** Input clocks in {@code nanos} nanoseconds (rounded down). */
    static long ticks(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        return nanos / NS * HZ + nanos % NS * HZ / NS;
    }

    /** Nanoseconds until {@code ticks} input clocks have passed (rounded up). */
    static long nanos(long ticks) {
        return ticks / HZ * NS + (ticks % HZ * NS + HZ - 1) / HZ;
    }

    /** Clocks counted since the count started. */
    long elapsed(long now) {
        return paused ? pausedTicks : ticks(now - loadTime);
    }

    /** Whether the counting element is running (loaded and, for modes 1 and 5, triggered). */
    boolean counting() {
        return loaded && (triggered || (mode != 1 && mode != 5));
    }

    /** The counting element's value in clocks (binary, 1..period; the wrapped value after a one-shot expired). */
    long value(long now) {
        long n = period();
        if (!counting()) {
            return loaded ? n : 0;
        }
        long e = elapsed(now);
        long wrap = bcd ? 10_000 : 0x10000;
        switch (mode) {
            case 2:
                return n - e % n;
            case 3:
                // Down by two, twice per period (KVM reads it the same way, so a state moves unchanged).
                return (n - 2 * e % n) & 0x1fffe;
            default:
                return Math.floorMod(n - e, wrap);
        }
    }

    /** The counting element as a read returns it (BCD digits in BCD mode). */
    int readValue(long now) {
        long v = value(now);
        return bcd ? toBcd((int) (v % 10_000)) : (int) (v & 0xffff);
    }

    /** The OUT pin. */
    boolean out(long now) {
        if (!loaded) {
            return mode != 0;
        }
        if (!counting()) {
            return true;
        }
        long n = period();
        long e = elapsed(now);
        switch (mode) {
            case 0:
            case 1:
                return e >= n;
            case 2:
                return !gate || e % n != n - 1;
            case 3:
                return !gate || e % n < (n + 1) / 2;
            default:
                return e != n;
        }
    }

    /**
     * The time of the next rising edge of OUT after {@code now} (the interrupt of channel 0), or
     * {@link Timers#NEVER}.
     */
    long nextRisingEdge(long now) {
        if (!counting() || paused || (!gate && (mode == 2 || mode == 3))) {
            return Timers.NEVER;
        }
        long n = period();
        long e = ticks(now - loadTime);
        long at;
        if (mode == 2 || mode == 3) {
            at = (e / n + 1) * n;
        } else if (e < n) {
            at = n;
        } else {
            return Timers.NEVER;
        }
        return loadTime + nanos(at);
    }

    /** A control word for this counter (not a latch command). */
    void control(int v) {
        rwMode = (v >> 4) & 3;
        readState = rwMode;
        writeState = rwMode;
        mode = (v >> 1) & 7;
        if (mode > 5) {
            mode -= 4;   // 6 and 7 are modes 2 and 3
        }
        bcd = (v & 1) != 0;
        loaded = false;
        triggered = false;
        paused = false;
        nullCount = true;
        countLatched = 0;
        statusLatched = false;
    }

    /** The counter latch command: the count is held for reading until read (a second latch is ignored). */
    void latch(long now) {
        if (countLatched == 0) {
            latchedCount = readValue(now);
            countLatched = rwMode;
        }
    }

    /** The read-back command's status latch. */
    void latchStatus(long now) {
        if (!statusLatched) {
            status = (out(now) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | rwMode << 4 | mode << 1 | (bcd ? 1 : 0);
            statusLatched = true;
        }
    }

    /** A read of the counter's port. */
    int read(long now) {
        if (statusLatched) {
            statusLatched = false;
            return status;
        }
        if (countLatched != 0) {
            int v;
            if (countLatched == 2) {
                v = latchedCount >> 8;
                countLatched = 0;
            } else {
                v = latchedCount & 0xff;
                countLatched = countLatched == 3 ? 2 : 0;
            }
            return v & 0xff;
        }
        int v = readValue(now);
        switch (readState) {
            case 1:
                return v & 0xff;
            case 2:
                return v >> 8 & 0xff;
            case 3:
                readState = 4;
                return v & 0xff;
            default:
                readState = 3;
                return v >> 8 & 0xff;
        }
    }

    /** A write of the counter's port; returns true when a new count was loaded. */
    boolean write(int v, long now) {
        switch (writeState) {
            case 1 -> load(v, now);
            case 2 -> load(v << 8, now);
            case 3 -> {
                writeLatch = v;
                writeState = 4;
                return false;
            }
            case 4 -> {
                writeState = 3;
                load(writeLatch | v << 8, now);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void load(int value, long now) {
        count = value & 0xffff;
        loaded = true;
        nullCount = false;
        paused = false;
        loadTime = now;
        if (!gate && (mode == 0 || mode == 4)) {
            paused = true;
            pausedTicks = 0;
        }
    }

    /** The GATE input changes to {@code level}. */
    void setGate(boolean level, long now) {
        if (level == gate) {
            return;
        }
        if (!level) {
            if (mode == 0 || mode == 4 || mode == 2 || mode == 3) {
                pausedTicks = elapsed(now);
                paused = true;
            }
        } else if (mode == 1 || mode == 5) {
            triggered = loaded;
            loadTime = now;
            paused = false;
        } else if (mode == 2 || mode == 3) {
            loadTime = now;
            paused = false;
        } else if (paused) {
            loadTime = now - nanos(pausedTicks);
            paused = false;
        }
        gate = level;
    }

    PitState.Channel save(long now) {
        long n = period();
        boolean armed = counting() && (mode == 2 || mode == 3 || elapsed(now) < n)
                || (loaded && !triggered && (mode == 1 || mode == 5));
        // The counting element in clocks (binary also in BCD mode, as KVM's conversion gives it).
        int current = !loaded ? 0 : (int) value(now);
        return new PitState.Channel(count, current, out(now), latchedCount & 0xffff, countLatched, statusLatched,
                status & 0xff, readState, writeState, writeLatch & 0xff, rwMode, mode, bcd, gate, armed);
    }

    void restore(PitState.Channel s, long now) {
        count = s.initialCount() & 0xffff;
        mode = s.mode();
        bcd = s.bcd();
        rwMode = s.rwMode() & 3;
        readState = s.readState();
        writeState = s.writeState();
        writeLatch = s.writeLatch() & 0xff;
        latchedCount = s.latchedCount() & 0xffff;
        countLatched = s.countLatched() & 3;
        statusLatched = s.statusLatched();
        status = s.status() & 0xff;
        gate = s.gate();
        nullCount = false;
        loaded = rwMode != 0 && (s.initialCount() != 0 || s.currentCount() != 0 || s.armed());
        triggered = (mode == 1 || mode == 5) && (s.armed() || !s.output()) || mode != 1 && mode != 5;
        boolean waiting = (mode == 1 || mode == 5) && s.armed() && s.output();
        if (waiting) {
            triggered = false;
        }
        long e = elapsedFor(s, period());
        paused = !gate && mode != 1 && mode != 5;
        pausedTicks = e;
        loadTime = now - nanos(e);
    }

    /** The clocks counted since the load that make the counter read {@code s.currentCount()} now. */
    private long elapsedFor(PitState.Channel s, long n) {
        long v = s.currentCount();
        if (v == 0 && (mode == 2 || mode == 3)) {
            v = n;
        }
        long wrap = bcd ? 10_000 : 0x10000;
        switch (mode) {
            case 2:
                return Math.floorMod(n - v, n);
            case 3:
                // First half (OUT high): v = n - 2e; second half: v = 2n - 2e.
                return Math.min(n - 1, Math.max(0, s.output() ? (n - v) / 2 : n - v / 2));
            default:
                return s.armed() ? Math.max(0, n - v) : n + Math.floorMod(-v, wrap);
        }
    }
}
