package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/** libvirt-java 0.5.4 through Debian's native libvirt0 against our server and the test driver. */
class LibvirtJavaTest {
    private final TestDriver driver = new TestDriver();
    private final RpcServer server = new RpcServer(new InMemoryDriverRegistry().register(driver));

    @AfterEach
    void stop() {
        server.close();
    }

    private static void requireLibvirt() {
        Require.that(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0")),
                "Debian's libvirt0 (libvirt.so.0) is not installed");
    }

    @Test
    void connectVersionLookupAndLifecycle() throws Exception {
        requireLibvirt();
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        Connect conn = new Connect("jkvm+tcp://127.0.0.1:" + a.getPort() + "/system", false);
        try {
            assertEquals(1_002_003L, conn.getVersion());
            assertEquals(9_000_000L, conn.getLibVersion());
            assertEquals("jkvm-test-host", conn.getHostName());
            Domain d = conn.domainDefineXML(RpcServerTest.VM1);
            assertEquals("vm1", d.getName());
            assertEquals("11111111-2222-3333-4444-555555555555", d.getUUIDString());
            Domain found = conn.domainLookupByName("vm1");
            // the legacy listing calls (21, 25, 37, 51) that older platforms use
            assertEquals(java.util.List.of("vm1"), java.util.Arrays.asList(conn.listDefinedDomains()));
            assertEquals(1, conn.numOfDefinedDomains());
            assertEquals(0, conn.numOfDomains());
            d.create();
            assertEquals(1, conn.numOfDomains());
            int id = conn.domainLookupByName("vm1").getID();
            assertTrue(id > 0, "a running domain has an id");
            assertEquals(id, conn.listDomains()[0]);
            assertEquals("vm1", conn.domainLookupByID(id).getName());
            assertEquals("vm1", conn.domainLookupByUUIDString("11111111-2222-3333-4444-555555555555").getName());
            assertTrue(conn.getCapabilities().contains("<capabilities>"));
            DomainInfo info = found.getInfo();
            assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, info.state);
            assertEquals(2, info.nrVirtCpu);
            assertEquals(1048576, info.maxMem);
            assertTrue(found.getXMLDesc(0).contains("<name>vm1</name>"));
            found.suspend();
            assertEquals(DomainInfo.DomainState.VIR_DOMAIN_PAUSED, found.getInfo().state);
            found.resume();
            found.destroy();
            assertEquals(0, found.isActive());
            found.undefine();
            LibvirtException e = assertThrows(LibvirtException.class, () -> conn.domainLookupByName("vm1"));
            assertEquals(org.libvirt.Error.ErrorNumber.VIR_ERR_NO_DOMAIN, e.getError().getCode());
            assertTrue(e.getError().getMessage().contains("no domain with matching name 'vm1'"));
        } finally {
            conn.close();
        }
    }
}
