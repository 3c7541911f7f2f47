package org.jkvm.migration.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.Pipe;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;

class ReturnPathTest {
    @Test
    void roundDoneIsTrackedAndFailuresAreQueued() throws Exception {
        Pipe pipe = Pipe.open();
        AtomicInteger woken = new AtomicInteger();
        ReturnPathReader reader = new ReturnPathReader(pipe.source(), woken::incrementAndGet);
        ReturnPath.send(pipe.sink(), StreamFormat.RP_CONFIG_OK, "");
        assertEquals(StreamFormat.RP_CONFIG_OK, reader.next(5_000).type());
        ReturnPath.send(pipe.sink(), StreamFormat.RP_ROUND_DONE, "0");
        ReturnPath.send(pipe.sink(), StreamFormat.RP_ROUND_DONE, "1");
        assertTrue(reader.awaitRound(1, 5_000));
        assertFalse(reader.hasMessage(), "ROUND_DONE is progress, not a failure");
        long t0 = System.nanoTime();
        assertFalse(reader.awaitRound(2, 100));
        // A lower bound only (a loaded host waits longer, never shorter): the wait is not cut short.
        assertTrue(System.nanoTime() - t0 >= 90_000_000L, "waited for the timeout");
        ReturnPath.send(pipe.sink(), StreamFormat.RP_FAILED, "checksum error in the RAM record at gpa 0x0");
        assertFalse(reader.awaitRound(2, 5_000), "a failure ends the wait at once");
        ReturnPath.Message m = reader.next(1_000);
        assertEquals(StreamFormat.RP_FAILED, m.type());
        assertEquals("the destination failed: checksum error in the RAM record at gpa 0x0",
                ReturnPathReader.describe(m, "tcp:h:1"));
        Await.until("the sender is woken for the failure", () -> woken.get() > 0);
        assertEquals(1, woken.get(), "the sender is woken once, for the failure only");
    }

    @Test
    void theEndOfTheChannelIsAClosedMessage() throws Exception {
        Pipe pipe = Pipe.open();
        ReturnPathReader reader = new ReturnPathReader(pipe.source(), () -> { });
        pipe.sink().close();
        ReturnPath.Message m = reader.next(5_000);
        assertEquals(ReturnPathReader.CLOSED, m.type());
        assertTrue(ReturnPathReader.describe(m, "tcp:h:1")
                .startsWith("the connection to the destination tcp:h:1 was lost"));
    }

    @Test
    void garbageOnTheReturnPathIsAnError() throws Exception {
        Pipe pipe = Pipe.open();
        ReturnPathReader reader = new ReturnPathReader(pipe.source(), () -> { });
        pipe.sink().write(java.nio.ByteBuffer.wrap(new byte[] {0x7f, 0, 0}));
        ReturnPath.Message m = reader.next(5_000);
        assertEquals(ReturnPathReader.CLOSED, m.type());
        assertTrue(m.text().contains("invalid return-path message (type 127"), m.text());
    }
}
