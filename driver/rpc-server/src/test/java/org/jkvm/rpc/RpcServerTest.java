package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jkvm.remote.DomainInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.JobInfo;
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
import org.junit.jupiter.api.io.TempDir;

class RpcServerTest {
    static final String VM1 = "<domain type='kvm'><name>vm1</name>"
            + "<uuid>11111111-2222-3333-4444-555555555555</uuid><memory>1048576</memory><vcpu>2</vcpu></domain>";

    private final TestDriver driver = new TestDriver();
    private final InMemoryDriverRegistry registry = new InMemoryDriverRegistry().register(driver);
    private RpcServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        server = new RpcServer(registry);
        address = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RemoteClient openClient() {
        return RemoteClient.connectTcp(address).open("jkvm:///system", false);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void authListReplyMatchesCapture() throws Exception {
        try (RawConnection raw = new RawConnection(address)) {
            raw.send(hex("0000001c 20008086 00000001 00000042 00000000 00000000 00000000"));
            assertArrayEquals(hex("00000024 20008086 00000001 00000042 00000001 00000000 00000000 00000001 00000000"),
                    raw.readFrame());
        }
    }

    @Test
    void keepalivePingIsAnsweredWithPong() throws Exception {
        try (RawConnection raw = new RawConnection(address)) {
            raw.send(hex("0000001c 6b656570 00000001 00000001 00000002 00000000 00000000"));
            assertArrayEquals(hex("0000001c 6b656570 00000001 00000002 00000002 00000000 00000000"), raw.readFrame());
        }
    }

    @Test
    void unknownProcedureIsAnsweredLikeLibvirtd() {
        try (RemoteClient c = openClient()) {
            LibvirtError e = assertThrows(LibvirtError.class, () -> c.call(426, w -> { }, null));
            assertEquals(ErrorCodes.RPC, e.code());
            assertEquals(ErrorCodes.FROM_RPC, e.domain());
            assertEquals("unknown procedure: 426", e.getMessage());
        }
    }

    @Test
    void unknownProgramGetsAnRpcErrorAndTheConnectionLives() throws Exception {
        try (RawConnection raw = new RawConnection(address)) {
            raw.send(new MessageHeader(0x20008087, 1, 1, Programs.TYPE_CALL, 5, 0), null);
            XdrReader r = raw.readReply();
            MessageHeader h = MessageHeader.read(r);
            assertEquals(Programs.STATUS_ERROR, h.status());
            assertEquals(5, h.serial());
            LibvirtError e = RemoteCodec.readError(r);
            assertEquals(ErrorCodes.RPC, e.code());
            assertTrue(e.getMessage().contains("0x20008087"), e.getMessage());
            raw.send(MessageHeader.call(Procedures.AUTH_LIST, 6), null);
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
        }
    }

    @Test
    void truncatedArgsGetAnErrorReplyAndTheConnectionLives() throws Exception {
        try (RawConnection raw = new RawConnection(address)) {
            // CONNECT_OPEN whose name claims 100 bytes but carries 4
            raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0), w -> w.writeInt(1).writeInt(100).writeInt(0));
            XdrReader r = raw.readReply();
            assertEquals(Programs.STATUS_ERROR, MessageHeader.read(r).status());
            LibvirtError e = RemoteCodec.readError(r);
            assertEquals(ErrorCodes.RPC, e.code());
            assertTrue(e.getMessage().startsWith("malformed arguments for procedure 1"), e.getMessage());
            raw.send(MessageHeader.call(Procedures.CONNECT_SUPPORTS_FEATURE, 1), w -> w.writeInt(13));
            XdrReader ok = raw.readReply();
            assertEquals(Programs.STATUS_OK, MessageHeader.read(ok).status());
            assertEquals(1, ok.readInt("supported"));
        }
    }

    @Test
    void badLengthClosesOnlyThatConnection() throws Exception {
        try (RemoteClient good = openClient(); RawConnection raw = new RawConnection(address)) {
            raw.send(hex("7fffffff 00000000"));
            assertTrue(raw.closedByServer());
            assertEquals(1_002_003L, good.version());
        }
    }

    @Test
    void callsBeforeOpenFailClearly() {
        try (RemoteClient c = RemoteClient.connectTcp(address)) {
            LibvirtError e = assertThrows(LibvirtError.class, c::version);
            assertTrue(e.getMessage().contains("connection not open"), e.getMessage());
            assertTrue(c.supportsFeature(10), "keepalive feature is answered before open");
        }
    }

    @Test
    void defineLookupInfoAndErrors() {
        try (RemoteClient c = openClient()) {
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            assertEquals("vm1", d.name());
            assertEquals(-1, d.id());
            assertEquals(d, c.lookupByName("vm1"));
            c.call(Procedures.DOMAIN_CREATE, w -> RemoteCodec.writeDomain(w, d), null);
            DomainInfo info = c.domainInfo(c.lookupByName("vm1"));
            assertEquals(new DomainInfo(1, 1048576, 1048576, 2, 12_345_678_900L), info);
            LibvirtError missing = assertThrows(LibvirtError.class, () -> c.lookupByName("nope"));
            assertEquals(ErrorCodes.NO_DOMAIN, missing.code());
            assertEquals("Domain not found: no domain with matching name 'nope'", missing.getMessage());
            List<DomainRef> all = c.call(Procedures.CONNECT_LIST_ALL_DOMAINS, w -> w.writeInt(1).writeInt(3), r -> {
                List<DomainRef> l = r.readArray(16384, RemoteCodec::readDomain, "domains");
                assertEquals(l.size(), r.readInt("ret"));
                return l;
            });
            assertEquals(1, all.size());
        }
    }

    @Test
    void jobInfoIsAnsweredWhileSaveRuns() throws Exception {
        try (RemoteClient c = openClient()) {
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            CountDownLatch gate = new CountDownLatch(1);
            driver.saveGate = gate;
            CompletableFuture<Void> save = CompletableFuture.runAsync(() -> c.call(Procedures.DOMAIN_SAVE, w -> {
                RemoteCodec.writeDomain(w, d);
                w.writeString("/tmp/vm1.save", Programs.STRING_MAX);
            }, null));
            JobInfo job = Await.value("job info shows the save", () -> c.call(Procedures.DOMAIN_GET_JOB_INFO,
                    w -> RemoteCodec.writeDomain(w, d), RemoteCodec::readJobInfo), j -> j.type() != JobInfo.NONE);
            assertEquals(JobInfo.UNBOUNDED, job.type(), "job info answered on the same connection during save");
            assertFalse(save.isDone());
            gate.countDown();
            save.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void pingIsAnsweredWhileALongCallRuns() throws Exception {
        try (RemoteClient c = openClient(); RawConnection raw = new RawConnection(address)) {
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0),
                    w -> w.writeOptionalString("jkvm:///system", 100).writeInt(0));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            CountDownLatch gate = new CountDownLatch(1);
            driver.saveGate = gate;
            raw.send(MessageHeader.call(Procedures.DOMAIN_SAVE, 1), w -> {
                RemoteCodec.writeDomain(w, d);
                w.writeString("/tmp/x.save", Programs.STRING_MAX);
            });
            raw.send(MessageHeader.keepalive(Programs.KEEPALIVE_PING), null);
            assertEquals(MessageHeader.keepalive(Programs.KEEPALIVE_PONG), MessageHeader.read(raw.readReply()));
            gate.countDown();
            MessageHeader saved = MessageHeader.read(raw.readReply());
            assertEquals(Procedures.DOMAIN_SAVE, saved.procedure());
            assertEquals(Programs.STATUS_OK, saved.status());
        }
    }

    @Test
    void oversizedReplyBecomesAnInternalError() {
        try (RemoteClient c = openClient()) {
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            driver.xmlOverride = "x".repeat(Programs.STRING_MAX + 1);
            LibvirtError e = assertThrows(LibvirtError.class, () -> c.call(Procedures.DOMAIN_GET_XML_DESC, w -> {
                RemoteCodec.writeDomain(w, d);
                w.writeInt(0);
            }, null));
            assertEquals(ErrorCodes.INTERNAL_ERROR, e.code());
            assertTrue(e.getMessage().startsWith("internal error: cannot encode the reply to procedure 14"),
                    e.getMessage());
            driver.xmlOverride = null;
            assertEquals(VM1, c.call(Procedures.DOMAIN_GET_XML_DESC, w -> {
                RemoteCodec.writeDomain(w, d);
                w.writeInt(0);
            }, r -> r.readString(Programs.STRING_MAX, "xml")));
        }
    }

    @Test
    void consoleStreamCarriesOutputAndKeystrokes() throws Exception {
        try (RemoteClient c = openClient(); RawConnection raw = new RawConnection(address)) {
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            c.call(Procedures.DOMAIN_CREATE, w -> RemoteCodec.writeDomain(w, d), null);
            raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0),
                    w -> w.writeOptionalString("jkvm:///system", 100).writeInt(0));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            raw.send(MessageHeader.call(Procedures.DOMAIN_OPEN_CONSOLE, 7), w -> {
                RemoteCodec.writeDomain(w, d);
                w.writeInt(0).writeInt(0);
            });
            MessageHeader reply = MessageHeader.read(raw.readReply());
            assertEquals(Programs.TYPE_REPLY, reply.type(), "the reply comes before any output");
            assertEquals(Programs.STATUS_OK, reply.status());
            MessageHeader stream = new MessageHeader(Programs.REMOTE, 1, Procedures.DOMAIN_OPEN_CONSOLE,
                    Programs.TYPE_STREAM, 7, Programs.STATUS_CONTINUE);
            byte[] banner = raw.readFrame();
            assertEquals(stream, MessageHeader.read(XdrReader.of(java.util.Arrays.copyOfRange(banner, 4, 28))));
            assertEquals("console of vm1\r\n", new String(banner, 28, banner.length - 28,
                    java.nio.charset.StandardCharsets.US_ASCII), "raw bytes, no XDR length or padding");
            raw.send(stream, w -> w.writeRaw("abc".getBytes(), 0, 3));
            byte[] echo = raw.readFrame();
            assertEquals(stream, MessageHeader.read(XdrReader.of(java.util.Arrays.copyOfRange(echo, 4, 28))));
            assertEquals("ABC", new String(echo, 28, echo.length - 28, java.nio.charset.StandardCharsets.US_ASCII));
            MessageHeader finish = new MessageHeader(Programs.REMOTE, 1, Procedures.DOMAIN_OPEN_CONSOLE,
                    Programs.TYPE_STREAM, 7, Programs.STATUS_OK);
            raw.send(finish, null);
            assertEquals(finish, MessageHeader.read(raw.readReply()));
            assertEquals(1, driver.consolesClosed.get());
            // a stray packet after the end is dropped and the connection goes on
            raw.send(stream, w -> w.writeRaw("x".getBytes(), 0, 1));
            raw.send(MessageHeader.call(Procedures.AUTH_LIST, 8), null);
            assertEquals(8, MessageHeader.read(raw.readReply()).serial());
        }
    }

    @Test
    void readOnlyConnectionsRefuseChanges() {
        try (RemoteClient c = RemoteClient.connectTcp(address).open("jkvm:///system", true)) {
            LibvirtError e = assertThrows(LibvirtError.class, () -> c.call(Procedures.DOMAIN_DEFINE_XML,
                    w -> w.writeString(VM1, Programs.STRING_MAX), RemoteCodec::readDomain));
            assertEquals(ErrorCodes.OPERATION_DENIED, e.code());
            assertEquals(1_002_003L, c.version());
        }
    }

    @Test
    void noDriverErrorAndRecoveryWhenTheDriverComesBack() {
        try (RemoteClient c = openClient()) {
            assertEquals(1_002_003L, c.version());
            registry.unregister(driver);
            LibvirtError e = assertThrows(LibvirtError.class, c::version);
            assertEquals(ErrorCodes.NO_CONNECT, e.code());
            assertTrue(e.getMessage().contains("no connection driver available for jkvm:///system"));
            LibvirtError open = assertThrows(LibvirtError.class,
                    () -> RemoteClient.connectTcp(address).open("jkvm:///system", false));
            assertEquals(ErrorCodes.NO_CONNECT, open.code());
            TestDriver again = new TestDriver();
            registry.register(again);
            assertEquals(1_002_003L, c.version());
            assertEquals(1, again.opened.get(), "the session reopened on the new driver");
        }
    }

    @Test
    void unknownUriHasNoDriver() {
        LibvirtError e = assertThrows(LibvirtError.class,
                () -> RemoteClient.connectTcp(address).open("xen:///system", false));
        assertEquals(ErrorCodes.NO_CONNECT, e.code());
    }

    @Test
    void driverConnectionIsClosedOnDisconnect() throws Exception {
        RemoteClient c = openClient();
        c.version();
        c.close();
        Await.until("the driver connection is closed", () -> driver.closed.get() > 0);
        assertEquals(1, driver.closed.get());
        Await.value("the session is released", server::clientCount, n -> n == 0);
    }

    @Test
    void lifecycleEventsReachRegisteredClients() throws Exception {
        try (RawConnection raw = new RawConnection(address); RemoteClient c = openClient()) {
            raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0),
                    w -> w.writeOptionalString("jkvm:///system", 100).writeInt(0));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            raw.send(MessageHeader.call(Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 1),
                    w -> w.writeInt(0).writeInt(0));
            XdrReader reg = raw.readReply();
            assertEquals(Programs.STATUS_OK, MessageHeader.read(reg).status());
            int callbackId = reg.readInt("callbackID");
            DomainRef d = c.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(VM1, Programs.STRING_MAX),
                    RemoteCodec::readDomain);
            c.call(Procedures.DOMAIN_CREATE, w -> RemoteCodec.writeDomain(w, d), null);
            XdrReader msg = raw.readReply();
            MessageHeader h = MessageHeader.read(msg);
            assertEquals(new MessageHeader(Programs.REMOTE, 1, Procedures.DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                    Programs.TYPE_MESSAGE, 0, Programs.STATUS_OK), h);
            assertEquals(callbackId, msg.readInt("callbackID"));
            assertEquals("vm1", RemoteCodec.readDomain(msg).name());
            assertEquals(2, msg.readInt("event"), "STARTED");
            assertEquals(0, msg.readInt("detail"), "booted");
            raw.send(MessageHeader.call(Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 2),
                    w -> w.writeInt(callbackId));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            assertEquals(0, driver.listeners.size());
            raw.send(MessageHeader.call(Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 3),
                    w -> w.writeInt(5).writeInt(0));
            XdrReader refused = raw.readReply();
            assertEquals(Programs.STATUS_ERROR, MessageHeader.read(refused).status());
            assertEquals(ErrorCodes.ARGUMENT_UNSUPPORTED, RemoteCodec.readError(refused).code());
        }
    }

    @Test
    void silentKeepaliveClientsArePingedThenDropped() throws Exception {
        try (RpcServer fast = new RpcServer(registry, new RpcServer.Options(100, 2, System::nanoTime))) {
            InetSocketAddress a = fast.listenTcp(new InetSocketAddress("127.0.0.1", 0));
            try (RawConnection raw = new RawConnection(a); RemoteClient answering = RemoteClient.connectTcp(a)
                    .open("jkvm:///system", false)) {
                raw.send(MessageHeader.call(Procedures.CONNECT_SUPPORTS_FEATURE, 0), w -> w.writeInt(10));
                assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
                MessageHeader ping = MessageHeader.keepalive(Programs.KEEPALIVE_PING);
                assertEquals(ping, MessageHeader.read(raw.readReply()));
                assertEquals(ping, MessageHeader.read(raw.readReply()));
                assertTrue(raw.closedByServer(), "dropped after 2 unanswered pings");
                // Two unanswered pings end a client at the next interval: a third ping shows its answers counted.
                Await.value("the answering client gets its third ping", answering::pingsAnswered, n -> n >= 3);
                assertEquals(1_002_003L, answering.version(), "a client answering pings stays connected");
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aClientThatStopsReadingNeverBlocksTheDriver() throws Exception {
        try (RawConnection raw = new RawConnection(address)) {
            raw.send(MessageHeader.call(Procedures.CONNECT_OPEN, 0),
                    w -> w.writeOptionalString("jkvm:///system", 100).writeInt(0));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            raw.send(MessageHeader.call(Procedures.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 1),
                    w -> w.writeInt(0).writeInt(0));
            assertEquals(Programs.STATUS_OK, MessageHeader.read(raw.readReply()).status());
            // 20,000 events of ~10 KiB each to a client that reads nothing: far beyond the socket buffers
            DomainRef big = new DomainRef("x".repeat(10_000), java.util.UUID.randomUUID(), 1);
            long t0 = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                for (var l : driver.listeners) {
                    l.onLifecycle(big, 2, 0);
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // A wide bound (this takes well under a second): a driver thread blocked on the client never returns,
            // which the 30 s timeout of the test would catch too; this names the cause.
            assertTrue(ms < 10_000, "the driver's thread was never blocked by the client: " + ms + " ms");
            Await.value("the stuck client is disconnected", server::clientCount, n -> n == 0);
        }
    }

    @Test
    void unixSocketIsPrivate(@TempDir Path dir) {
        Path sock = server.listenUnix(dir.resolve("jkvm-sock"));
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try (RemoteClient c = RemoteClient.connectUnix(sock).open("jkvm:///system", false)) {
            assertEquals(1_002_003L, c.version());
        }
        try (RpcServer second = new RpcServer(registry)) {
            RpcException busy = assertThrows(RpcException.class, () -> second.listenUnix(sock));
            assertTrue(busy.getMessage().contains("another daemon is already listening"), busy.getMessage());
        }
        server.close();
        assertFalse(Files.exists(sock), "the server removes its socket file");
        try (RpcServer third = new RpcServer(registry)) {
            java.nio.file.Path stale = dir.resolve("stale-sock");
            try {
                Files.createFile(stale);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            assertEquals(stale, third.listenUnix(stale), "a stale file is replaced");
        }
    }
}
