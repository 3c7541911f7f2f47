package org.jkvm.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.rpc.internal.Keepalive.Action;
import org.junit.jupiter.api.Test;

/** The keepalive state machine on an adjustable clock. */
class KeepaliveTest {
    private final AtomicLong now = new AtomicLong();
    private final Keepalive k = new Keepalive(new Keepalive.Settings(5000, 2, now::get));

    private void advanceMs(long ms) {
        now.addAndGet(ms * 1_000_000L);
    }

    @Test
    void silentUntilNegotiated() {
        advanceMs(60_000);
        assertEquals(Action.NONE, k.tick());
    }

    @Test
    void pingsEveryIntervalThenGivesUp() {
        k.enable();
        advanceMs(4999);
        assertEquals(Action.NONE, k.tick());
        advanceMs(1);
        assertEquals(Action.PING, k.tick());
        advanceMs(1000);
        assertEquals(Action.NONE, k.tick(), "no second ping within the interval");
        advanceMs(4000);
        assertEquals(Action.PING, k.tick());
        advanceMs(5000);
        assertEquals(Action.DEAD, k.tick());
    }

    @Test
    void anyTrafficResetsTheCount() {
        k.enable();
        advanceMs(5000);
        assertEquals(Action.PING, k.tick());
        advanceMs(100);
        k.received();
        advanceMs(4000);
        assertEquals(Action.NONE, k.tick());
        advanceMs(1000);
        assertEquals(Action.PING, k.tick());
        advanceMs(5000);
        assertEquals(Action.PING, k.tick());
        advanceMs(5000);
        assertEquals(Action.DEAD, k.tick());
    }
}
