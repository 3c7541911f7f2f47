package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.hypervisor.GuestClock;
import org.junit.jupiter.api.Test;

/** The VM's guest time ({@link GuestClock}, in the hypervisor module; the software CPU is its user): exact steps. */
class GuestClockTest {
    @Test
    void pausedTimeIsNotGuestTimeAndTheClockGoesOnFromThePausedInstant() {
        AtomicLong host = new AtomicLong(5_000);
        GuestClock clock = new GuestClock(host::get);
        AtomicInteger resumed = new AtomicInteger();
        clock.onResume(resumed::incrementAndGet);
        assertEquals(0, clock.nanos(), "0 at its creation");
        host.addAndGet(700);
        assertEquals(700, clock.nanos());
        assertEquals(700, clock.pause());
        assertTrue(clock.paused());
        host.addAndGet(1_000_000);
        assertEquals(700, clock.nanos(), "stands still while paused");
        assertEquals(700, clock.pause(), "a second pause changes nothing");
        clock.resume();
        assertEquals(1, resumed.get());
        assertEquals(700, clock.nanos(), "goes on from the paused instant");
        host.addAndGet(50);
        assertEquals(750, clock.nanos());
        clock.resume();
        assertEquals(1, resumed.get(), "a resume without a pause is nothing");
    }

    @Test
    void aReaderRacingWithPausesNeverSeesTimeGoBack() throws InterruptedException {
        GuestClock clock = new GuestClock();
        long[] worst = {0};
        Thread reader = new Thread(() -> {
            long last = clock.nanos();
            for (int i = 0; i < 2_000_000; i++) {
                long now = clock.nanos();
                worst[0] = Math.min(worst[0], now - last);
                last = now;
            }
        });
        reader.start();
        while (reader.isAlive()) {
            clock.pause();
            clock.resume();
        }
        reader.join();
        assertEquals(0, worst[0], "the largest step back a reader saw, in ns");
    }
}
