package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.jkvm.remote.DomainState;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;

/**
 * Two servers with test drivers as two hosts; real virsh and libvirt-java migrate between them. No data moves:
 * this checks that every migration procedure (302-307 and legacy 213-218) decodes and answers correctly on the
 * wire, and that the peer-to-peer client drives the destination.
 */
class MigrationTest {
    private static final UUID VM1 = UUID.fromString("11111111-2222-3333-4444-555555555555");
    @TempDir
    Path dir;
    private final TestDriver srcDriver = new TestDriver();
    private final TestDriver dstDriver = new TestDriver();
    private final RpcServer src = new RpcServer(new InMemoryDriverRegistry().register(srcDriver));
    private final RpcServer dst = new RpcServer(new InMemoryDriverRegistry().register(dstDriver));
    private String srcUri;
    private String dstUri;

    @BeforeEach
    void start() throws Exception {
        srcUri = "jkvm+tcp://127.0.0.1:" + src.listenTcp(new InetSocketAddress("127.0.0.1", 0)).getPort() + "/system";
        dstUri = "jkvm+tcp://127.0.0.1:" + dst.listenTcp(new InetSocketAddress("127.0.0.1", 0)).getPort() + "/system";
        try (RemoteClient c = RemoteClient.connect(srcUri, false)) {
            var d = c.call(org.jkvm.remote.Procedures.DOMAIN_DEFINE_XML,
                    w -> w.writeString(RpcServerTest.VM1, org.jkvm.remote.Programs.STRING_MAX),
                    org.jkvm.remote.RemoteCodec::readDomain);
            c.call(org.jkvm.remote.Procedures.DOMAIN_CREATE, w -> org.jkvm.remote.RemoteCodec.writeDomain(w, d),
                    null);
        }
    }

    @AfterEach
    void stop() {
        src.close();
        dst.close();
    }

    private void assertMoved(int destReason) {
        assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_MIGRATED),
                srcDriver.domains.get(VM1).state);
        assertEquals(new DomainState(DomainState.RUNNING, destReason), dstDriver.domains.get(VM1).state);
    }

    @Test
    void virshClientManagedMigration() throws Exception {
        Virsh v = new Virsh(Require.command("virsh"), srcUri, dir);
        v.run("migrate", "--live", "--persistent", "vm1", dstUri).ok();
        assertMoved(DomainState.RUNNING_MIGRATED);
        assertTrue(dstDriver.domains.get(VM1).persistent, "--persistent reached Finish as PERSIST_DEST");
        assertEquals(List.of("begin flags=0x109 params=[]",
                "perform flags=0x109 params=[destination_xml, migrate_uri=" + TestMigration.DATA_URI
                        + "] dconnuri=null",
                "confirm flags=0x109 params=[destination_xml, migrate_uri=" + TestMigration.DATA_URI
                        + ", destination_name=vm1] cancelled=false cookie=finish"), srcDriver.calls);
        assertEquals(List.of("prepare flags=0x9 params=[destination_xml] cookie=begin:vm1",
                "finish flags=0x9 params=[destination_xml, migrate_uri=" + TestMigration.DATA_URI
                        + ", destination_name=vm1] cancelled=false"), dstDriver.calls);
    }

    @Test
    void virshPeerToPeerMigration() throws Exception {
        Virsh v = new Virsh(Require.command("virsh"), srcUri, dir);
        v.run("migrate", "--live", "--p2p", "vm1", dstUri).ok();
        assertMoved(DomainState.RUNNING_MIGRATED);
        assertFalse(dstDriver.domains.get(VM1).persistent, "transient on the destination without --persistent");
        assertEquals("perform flags=0x3 params=[] dconnuri=" + dstUri, srcDriver.calls.get(0));
        assertEquals(2, dstDriver.calls.size(), dstDriver.calls.toString());
        assertTrue(dstDriver.calls.get(0).startsWith("prepare flags=0x3"), dstDriver.calls.toString());
        assertTrue(dstDriver.calls.get(1).startsWith("finish flags=0x3"), dstDriver.calls.toString());
    }

    @Test
    void libvirtJavaLegacyMigration() throws Exception {
        Require.that(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0")), "libvirt0 is not installed");
        Connect s = new Connect(srcUri, false);
        Connect d = new Connect(dstUri, false);
        try {
            Domain moved = s.domainLookupByName("vm1").migrate(d, 1L, null, null, 0L);
            assertEquals("vm1", moved.getName());
            assertMoved(DomainState.RUNNING_MIGRATED);
            // legacy 213: change protection added by the client, flags carried in an unsigned hyper
            assertEquals("begin flags=0x101 params=[]", srcDriver.calls.get(0));
            assertTrue(dstDriver.calls.get(0).startsWith("prepare flags=0x1 params=[destination_xml]"),
                    dstDriver.calls.toString());
            assertTrue(srcDriver.calls.get(1).contains("migrate_uri=" + TestMigration.DATA_URI),
                    srcDriver.calls.toString());
            assertTrue(dstDriver.calls.get(1).contains("destination_name=vm1"), dstDriver.calls.toString());
        } finally {
            s.close();
            d.close();
        }
    }
}
