package org.jkvm.engine.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.devices.DeviceClock;
import org.jkvm.hypervisor.GuestClock;
import org.junit.jupiter.api.Test;

/**
 * The devices' clock on a paused guest time: the RTC, the PM timer and the UART read the backend's guest clock, and
 * a device timer that comes due (or is armed) while it is paused waits for the resume instead of firing in the pause.
 */
class EngineClockTest {
    @Test
    void aTimerDueWhilePausedWaitsForTheResumeAndGuestTimeStandsStill() throws Exception {
        AtomicLong host = new AtomicLong(1_000_000_000L);
        GuestClock guest = new GuestClock(host::get);
        try (EngineClock clock = new EngineClock(new ReentrantLock(), guest)) {
            CompletableFuture<Long> firedAt = new CompletableFuture<>();
            CompletableFuture<Boolean> firedPaused = new CompletableFuture<>();
            DeviceClock.DeviceTimer timer = clock.newTimer("test", () -> {
                firedPaused.complete(guest.paused());
                firedAt.complete(clock.nanos());
            });
            host.addAndGet(5_000);
            assertEquals(5_000, clock.nanos(), "the devices read the guest clock");
            guest.pause();
            timer.arm(clock.nanos());   // due at once, but guest time is paused
            assertEquals(1, clock.waitingTimers(), "not scheduled while paused");
            host.addAndGet(60_000_000_000L);
            assertEquals(5_000, clock.nanos(), "a minute of host time in the pause is no guest time");
            guest.resume();
            assertEquals(0, clock.waitingTimers());
            assertEquals(false, firedPaused.get(30, TimeUnit.SECONDS), "it fired after the resume");
            assertEquals(5_000L, firedAt.get(), "at the paused instant's guest time (the host clock has not moved)");
        }
    }
}
