package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.testkit.Await;
import org.jkvm.xdr.XdrReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Thousands of bad frames on loopback (seeded, so failures reproduce): garbage streams, absurd lengths,
 * random payloads for every procedure number, definitions shaped to break XML parsers, and procedures that throw
 * anything at all. The server must answer every well-framed CALL, close only the offending connections, keep every
 * worker thread alive and keep serving a good client throughout.
 */
class FuzzTest {
    private final TestDriver driver = new TestDriver();
    private RpcServer server;
    private InetSocketAddress address;
    private RemoteClient good;

    @BeforeEach
    void start() {
        server = new RpcServer(new InMemoryDriverRegistry().register(driver));
        address = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        good = RemoteClient.connectTcp(address).open("jkvm:///system", false);
    }

    @AfterEach
    void stop() {
        good.close();
        server.close();
    }

    @Test
    void garbageStreamsCloseOnlyTheirConnection() throws Exception {
        Random rnd = new Random(0x6a6b766dL);
        for (int i = 0; i < 1000; i++) {
            try (RawConnection raw = new RawConnection(address)) {
                byte[] junk = new byte[4 + rnd.nextInt(64)];
                rnd.nextBytes(junk);
                if (i % 3 == 0) {
                    // an absurd length word first: refused before any allocation
                    ByteBuffer.wrap(junk).putInt(0, i % 2 == 0 ? 0xFFFF_FFF0 : rnd.nextInt(28));
                }
                raw.send(junk);
            } catch (IOException e) {
                // the server may close before we finish writing; that is the expected outcome
            }
            if (i % 250 == 0) {
                assertEquals(1_002_003L, good.version(), "good client served during garbage round " + i);
            }
        }
        assertEquals(1_002_003L, good.version());
        waitForClients(1);
    }

    @Test
    void randomArgumentsForEveryProcedureGetAReply() throws Exception {
        Random rnd = new Random(42);
        try (RawConnection raw = new RawConnection(address)) {
            open(raw);
            for (int serial = 1; serial <= 4000; serial++) {
                int proc = rnd.nextInt(460);
                if (proc == Procedures.CONNECT_CLOSE || proc == Procedures.DOMAIN_SAVE
                        || proc == Procedures.DOMAIN_SAVE_FLAGS) {
                    continue; // closing would only make later calls fail early; save may block by design
                }
                byte[] payload = new byte[rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(160)];
                rnd.nextBytes(payload);
                if (payload.length >= 4 && rnd.nextBoolean()) {
                    // small length words reach deeper into the decoders than random ones
                    ByteBuffer.wrap(payload).putInt(0, rnd.nextInt(40));
                }
                int s = serial;
                raw.send(MessageHeader.call(proc, s), w -> w.writeRaw(payload, 0, payload.length));
                XdrReader r = raw.readReply();
                MessageHeader h = MessageHeader.read(r);
                assertEquals(s, h.serial(), "reply to procedure " + proc);
                assertEquals(proc, h.procedure());
                assertEquals(Programs.TYPE_REPLY, h.type());
            }
        }
        assertEquals(1_002_003L, good.version());
    }

    @Test
    void wrongProgramsTypesAndStatusesNeverKillTheServer() throws Exception {
        Random rnd = new Random(7);
        try (RawConnection raw = new RawConnection(address)) {
            for (int i = 0; i < 2000; i++) {
                int prog = rnd.nextBoolean() ? Programs.REMOTE : rnd.nextInt();
                int type = rnd.nextInt(8);
                MessageHeader h = new MessageHeader(prog, rnd.nextInt(3), rnd.nextInt(500), type, i,
                        rnd.nextInt(4));
                raw.send(h, w -> w.writeInt(rnd.nextInt()));
            }
            // everything above was either answered or dropped; a real call still gets its reply
            raw.send(MessageHeader.call(Procedures.AUTH_LIST, 999_999), null);
            while (true) {
                MessageHeader h = MessageHeader.read(raw.readReply());
                if (h.serial() == 999_999) {
                    assertEquals(Programs.STATUS_OK, h.status());
                    break;
                }
            }
        }
        assertEquals(1_002_003L, good.version());
    }

    private static void open(RawConnection raw) throws IOException {
        raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0),
                w -> w.writeOptionalString("jkvm:///system", 100).writeInt(0));
        assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
    }

    /**
     * Definitions shaped to break XML parsers: nesting to 300,000 levels (closed or left open), up to 300,000
     * attributes, element, attribute and prefix names up to 1 MB, and wide documents. Every call gets a reply on the
     * same connection, no worker thread ends, and the good client is served throughout.
     */
    @Test
    void hostileXmlDefinitionsAreAllAnsweredAndNoWorkerEnds() throws Exception {
        Random rnd = new Random(0x786d6cL);
        List<Thread> before = server.workerThreads();
        int calls = 48;
        int answered = 0;
        try (RawConnection raw = new RawConnection(address)) {
            raw.socket.setSoTimeout(60_000); // a wide bound: each call takes milliseconds, this only ends a hang
            open(raw);
            for (int serial = 1; serial <= calls; serial++) {
                String xml = HostileXml.of(serial % HostileXml.KINDS, rnd);
                raw.send(MessageHeader.call(Procedures.DOMAIN_DEFINE_XML, serial),
                        w -> w.writeString(xml, Programs.STRING_MAX));
                MessageHeader h = MessageHeader.read(raw.readReply());
                assertEquals(serial, h.serial(), "reply to hostile definition " + serial);
                assertEquals(Programs.TYPE_REPLY, h.type());
                answered++;
                if (serial % 12 == 0) {
                    assertEquals(1_002_003L, good.version(), "good client served after hostile call " + serial);
                }
            }
        }
        assertEquals(calls, answered, "unanswered calls");
        assertNoWorkerEnded(before);
    }

    /**
     * Whatever escapes a procedure (a real stack overflow, an out-of-memory error, an assertion, an undeclared
     * checked exception, a plain bug) is answered with VIR_ERR_INTERNAL_ERROR naming it, on the same connection, and
     * the worker that ran it goes on.
     */
    @Test
    void throwablesEscapingAProcedureBecomeInternalErrorReplies() {
        driver.defineHook = xml -> {
            switch (xml) {
                case "overflow" -> recurse(0);
                case "oom" -> throw new OutOfMemoryError("simulated by the test");
                case "assert" -> throw new AssertionError("simulated by the test");
                case "checked" -> FuzzTest.<RuntimeException>sneaky(new java.io.IOException("simulated"));
                case "bug" -> throw new NullPointerException("simulated by the test");
                default -> {
                }
            }
        };
        Map<String, String> expected = Map.of("overflow", "java.lang.StackOverflowError",
                "oom", "java.lang.OutOfMemoryError", "assert", "java.lang.AssertionError",
                "checked", "java.io.IOException", "bug", "java.lang.NullPointerException");
        List<Thread> before = server.workerThreads();
        try (RemoteClient c = RemoteClient.connectTcp(address).open("jkvm:///system", false)) {
            c.callTimeoutMs(60_000); // a wide bound that only ends a hang
            for (int round = 0; round < 3; round++) {
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    LibvirtError err = assertThrows(LibvirtError.class, () -> c.call(Procedures.DOMAIN_DEFINE_XML,
                            w -> w.writeString(e.getKey(), Programs.STRING_MAX), RemoteCodec::readDomain));
                    assertEquals(ErrorCodes.INTERNAL_ERROR, err.code(), err.getMessage());
                    assertTrue(err.getMessage().contains(e.getValue()), err.getMessage());
                    assertEquals(1_002_003L, c.version(), "the same connection still works after " + e.getKey());
                }
            }
        }
        assertNoWorkerEnded(before);
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** Every worker alive before is alive now, and no session task let anything escape. */
    private void assertNoWorkerEnded(List<Thread> before) {
        List<Thread> now = server.workerThreads();
        for (Thread t : before) {
            assertTrue(t.isAlive() && now.contains(t), "worker " + t.getName() + " ended");
        }
        assertTrue(now.size() >= before.size(), "workers before " + before.size() + ", now " + now.size());
        assertEquals(0, server.tasksFailed(), "session tasks that threw");
    }

    private void waitForClients(int expected) {
        Await.value("sessions of closed connections are released, " + expected + " left", server::clientCount,
                n -> n <= expected);
    }
}
