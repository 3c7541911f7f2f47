package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/** Issue 5 acceptance item 2: libvirt-java 0.5.4 (through Debian's libvirt0) against the daemon. */
class LibvirtJavaTest {
    @TempDir
    Path dir;

    static void requireLibvirt() {
        Require.that(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0"))
                || Files.exists(Path.of("/usr/lib64/libvirt.so.0")), "libvirt0 is not installed (apt-get install "
                + "libvirt0)");
    }

    @Test
    void defineStartInfoXmlSuspendResumeDestroyUndefine() throws Exception {
        requireLibvirt();
        try (Daemon d = new Daemon(dir, Daemon.fakeEngine())) {
            Connect c = new Connect(d.tcpUri(), false);
            try {
                assertEquals(1000L, c.getVersion());
                assertTrue(c.getLibVersion() >= 9_000_000L);
                Domain dom = c.domainDefineXML(Guest.xml("lj", "workload=idle"));
                assertEquals("lj", dom.getName());
                assertEquals(0, dom.isActive());
                dom.create();
                DomainInfo info = dom.getInfo();
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, info.state);
                assertEquals(32768L, info.maxMem);
                assertEquals(1, info.nrVirtCpu);
                assertTrue(dom.getXMLDesc(0).contains("<name>lj</name>"));
                Path serial = dir.resolve("log/lj.serial");
                long seq = Guest.awaitHeartbeats(serial, -1, Duration.ofSeconds(30));
                dom.suspend();
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_PAUSED, dom.getInfo().state);
                dom.resume();
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, dom.getInfo().state);
                Guest.awaitHeartbeats(serial, seq, Duration.ofSeconds(30));
                Domain byName = c.domainLookupByName("lj");
                assertEquals(dom.getUUIDString(), byName.getUUIDString());
                dom.destroy();
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF, dom.getInfo().state);
                dom.undefine();
                LibvirtException e = assertThrows(LibvirtException.class, () -> c.domainLookupByName("lj"));
                assertTrue(e.getMessage().contains("Domain not found: no domain with matching name 'lj'"),
                        e.getMessage());
                LibvirtException bad = assertThrows(LibvirtException.class, () -> c.domainDefineXML("<domain>"));
                assertTrue(bad.getMessage().startsWith("XML error"), bad.getMessage());
            } finally {
                c.close();
            }
        }
    }
}
