package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;

import org.jkvm.migration.stream.StreamFormat;
import org.junit.jupiter.api.Test;

/** The source's handover: the reader thread's early answer, the sending thread's fallback, and cancel's exclusion. */
class HandoverTest {
    private final JobCounters counters = new JobCounters(System::nanoTime, 4096);
    private final Handover handover = new Handover(counters, System::nanoTime);

    @Test
    void theReaderHandsOverOnceArmedAndTheSenderDoesNotSendAgain() throws IOException {
        Pipe pipe = Pipe.open();
        handover.onLoaded(pipe.sink()); // not armed yet: nothing
        assertFalse(counters.acknowledged());
        handover.arm();
        handover.onLoaded(pipe.sink());
        assertTrue(counters.acknowledged());
        assertTrue(handover.sentNanos() >= 0);
        handover.complete(pipe.sink());
        pipe.sink().close();
        assertEquals(1, drain(pipe), "exactly one handover byte");
        assertFalse(handover.disarm(), "a cancel after the handover must not resume the source");
    }

    @Test
    void theSenderHandsOverWhenTheReaderDidNot() throws IOException {
        Pipe pipe = Pipe.open();
        handover.arm();
        handover.complete(pipe.sink());
        pipe.sink().close();
        assertTrue(counters.acknowledged());
        assertEquals(1, drain(pipe));
    }

    @Test
    void aDisarmedHandoverNeverSendsFromTheReader() throws IOException {
        Pipe pipe = Pipe.open();
        assertTrue(handover.disarm());
        handover.arm();
        handover.onLoaded(pipe.sink());
        pipe.sink().close();
        assertFalse(counters.acknowledged());
        assertEquals(0, drain(pipe));
    }

    @Test
    void aFailedSendIsReportedToTheSender() {
        WritableByteChannel broken = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                throw new IOException("broken pipe");
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        handover.arm();
        handover.onLoaded(broken);
        assertTrue(counters.acknowledged(), "LOADED arrived: the source stays paused even if the byte is lost");
        IOException e = assertThrows(IOException.class, () -> handover.complete(broken));
        assertEquals("broken pipe", e.getMessage());
    }

    /** The handover bytes the pipe carried (each must be the HANDOVER byte). */
    private static int drain(Pipe pipe) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16);
        int n = 0;
        while (pipe.source().read(b) >= 0) {
            b.flip();
            while (b.hasRemaining()) {
                assertEquals(StreamFormat.HANDOVER, b.get() & 0xff);
                n++;
            }
            b.clear();
        }
        return n;
    }
}
