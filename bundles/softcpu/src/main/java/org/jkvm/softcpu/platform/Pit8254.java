package org.jkvm.softcpu.platform;

import java.util.List;

import org.jkvm.hypervisor.pc.PitState;

/**
 * The PC's 8254 interval timer: counters 0-2 at ports 0x40-0x42, the control word (with the counter latch and
 * read-back commands) at 0x43, and port 0x61 (system control port B: bit 0 counter 2's GATE, bit 1 speaker data,
 * read back with bit 4 the refresh toggle, every 15.09 us, and bit 5 counter 2's OUT, which Linux's calibration
 * polls). Counter 0's OUT drives IRQ 0: each rising edge is a pulse on the line, scheduled on the platform's
 * {@link Timers} thread. Edges closer together than {@link #MIN_IRQ_NANOS} are merged (an 8259A holds one
 * request per input anyway).
 *
 * <p>Ticks are reinjected as KVM's in-kernel PIT does by default: an edge that comes while the previous IRQ 0 has
 * not been acknowledged (the PIC's INTA of IRQ 0, or the local APIC's EOI of I/O APIC pin 2's vector: {@link #ack})
 * is counted instead of raised, and the counted ones are raised one per acknowledgement. A guest that runs with
 * interrupts off for several periods (the software CPU is slow) so keeps its tick count, which Linux's periodic
 * jiffies and its clocksource watchdog compare with the TSC. Reprogramming counter 0, or IRQ 0 masked on both
 * controllers when an edge comes, drops the count. Not thread-safe: the {@link SoftIrqChip} lock guards it.
 */
final class Pit8254 extends Timers.Timer {
    /** The shortest interval between two IRQ 0 edges: 50 us (a 20 kHz tick). */
    static final long MIN_IRQ_NANOS = 50_000;
    private static final long REFRESH_NANOS = 15_085;
    /** At most this many ticks are owed (one second at 1 kHz); more are dropped. */
    static final int MAX_PENDING = 1000;

    final PitChannel[] channels = {new PitChannel(), new PitChannel(), new PitChannel()};
    private final Timers timers;
    /** Raises a pulse on IRQ 0 (under the lock). */
    private final Runnable irq0;
    /** Whether IRQ 0 is masked on both the PIC and the I/O APIC (nothing will acknowledge it). */
    private final java.util.function.BooleanSupplier irq0Masked;
    boolean speakerData;
    /** When IRQ 0 was last raised. */
    private long lastIrq = Long.MIN_VALUE / 2;
    /** The edge the timer is armed for. */
    private long armedEdge = Timers.NEVER;
    /** Ticks counted but not raised yet. */
    int pendingTicks;
    /** Whether the last raised IRQ 0 has not been acknowledged yet. */
    boolean awaitingAck;

    Pit8254(Timers timers, Runnable irq0, java.util.function.BooleanSupplier irq0Masked) {
        this.timers = timers;
        this.irq0 = irq0;
        this.irq0Masked = irq0Masked;
        channels[0].gate = true;
        channels[1].gate = true;
        timers.add(this);
    }

    /** Whether the port belongs to the PIT (0x40-0x43, 0x61). */
    static boolean claims(int port) {
        return (port & ~3) == 0x40 || port == 0x61;
    }

    /** IN of one byte. */
    int read(int port) {
        long now = timers.now();
        if (port == 0x61) {
            PitChannel c2 = channels[2];
            int refresh = (int) (now / REFRESH_NANOS) & 1;
            return (c2.gate ? 1 : 0) | (speakerData ? 2 : 0) | refresh << 4 | (c2.out(now) ? 0x20 : 0);
        }
        if (port == 0x43) {
            return 0xff;   // the control word register cannot be read
        }
        return channels[port & 3].read(now);
    }

    /** OUT of one byte. */
    void write(int port, int v) {
        long now = timers.now();
        if (port == 0x61) {
            speakerData = (v & 2) != 0;
            channels[2].setGate((v & 1) != 0, now);
            return;
        }
        if (port == 0x43) {
            control(v, now);
        } else if (!channels[port & 3].write(v, now)) {
            return;
        }
        if (port == 0x40 || port == 0x43 && (v >>> 6) == 0 && (v & 0x30) != 0) {
            dropTicks();
        }
        reschedule(now);
    }

    private void control(int v, long now) {
        int sc = v >>> 6;
        if (sc == 3) {
            // Read-back: bit 5 = 0 latches the counts, bit 4 = 0 the status, of the counters selected in bits 1-3.
            for (int i = 0; i < 3; i++) {
                if ((v & (2 << i)) != 0) {
                    if ((v & 0x20) == 0) {
                        channels[i].latch(now);
                    }
                    if ((v & 0x10) == 0) {
                        channels[i].latchStatus(now);
                    }
                }
            }
        } else if ((v & 0x30) == 0) {
            channels[sc].latch(now);
        } else {
            channels[sc].control(v);
        }
    }

    /** Arms the IRQ 0 timer for counter 0's next rising edge. */
    private void reschedule(long now) {
        long at = channels[0].nextRisingEdge(now);
        if (at != Timers.NEVER) {
            at = Math.max(at, lastIrq + MIN_IRQ_NANOS);
        }
        armedEdge = at;
        timers.schedule(this, at);
    }

    @Override
    void expire(long now) {
        // The edges since the armed one (the timer thread may be late): each is a tick owed to the guest.
        PitChannel c0 = channels[0];
        int edges = 0;
        for (long e = armedEdge; e <= now && edges < MAX_PENDING; ) {
            edges++;
            long next = c0.nextRisingEdge(e);
            if (next <= e) {
                break;   // NEVER is above every time; no edge twice
            }
            e = next;
        }
        if (irq0Masked.getAsBoolean()) {
            dropTicks();
            lastIrq = now;
            irq0.run();
        } else {
            pendingTicks = Math.min(MAX_PENDING, pendingTicks + Math.max(edges, 1));
            raiseOwed(now);
        }
        reschedule(now);
    }

    /** Raises an owed tick unless the last one awaits its acknowledgement. */
    private void raiseOwed(long now) {
        if (pendingTicks > 0 && !awaitingAck) {
            pendingTicks--;
            awaitingAck = true;
            lastIrq = now;
            irq0.run();
        }
    }

    /** The guest acknowledged IRQ 0 (PIC INTA, or EOI of its I/O APIC vector): the next owed tick may come. */
    void ack() {
        if (awaitingAck) {
            awaitingAck = false;
            raiseOwed(timers.now());
        }
    }

    private void dropTicks() {
        pendingTicks = 0;
        awaitingAck = false;
    }

    PitState save() {
        long now = timers.now();
        return new PitState(List.of(channels[0].save(now), channels[1].save(now), channels[2].save(now)),
                channels[2].gate, speakerData);
    }

    void restore(PitState s) {
        long now = timers.now();
        for (int i = 0; i < 3; i++) {
            channels[i].restore(s.channels().get(i), now);
        }
        speakerData = s.speakerData();
        lastIrq = Long.MIN_VALUE / 2;
        dropTicks();
        reschedule(now);
    }
}
