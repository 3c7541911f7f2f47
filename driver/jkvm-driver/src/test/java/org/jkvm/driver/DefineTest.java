package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.UUID;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefineTest {
    @TempDir
    Path dir;

    @Test
    void defineListLookupUndefineSurviveRestart() {
        try (Fixture f = new Fixture(dir)) {
            UUID u = UUID.randomUUID();
            DomainRef r = f.conn.defineXml(Fixture.xml("alpha", u), 0);
            assertEquals(new DomainRef("alpha", u, -1), r);
            assertEquals(r, f.conn.lookupByName("alpha"));
            assertEquals(r, f.conn.lookupByUuid(u));
            assertEquals(new DomainState(DomainState.SHUTOFF, 0), f.conn.state(r, 0));
            assertTrue(f.conn.isPersistent(r));
            assertFalse(f.conn.isActive(r));
            f.define("beta");
            assertEquals(2, f.conn.listAllDomains(0x3).size());
            assertEquals(0, f.conn.listAllDomains(0x1).size());
            assertEquals(2, f.conn.listAllDomains(0x2 | 0x4).size());
            f.restart();
            assertEquals(2, f.conn.listAllDomains(0).size(), "definitions are stored");
            assertTrue(f.conn.xmlDesc(r, 0).contains("<name>alpha</name>"));
            f.conn.undefine(r, 0);
            LibvirtError e = assertThrows(LibvirtError.class, () -> f.conn.lookupByName("alpha"));
            assertEquals(ErrorCodes.NO_DOMAIN, e.code());
            assertEquals("Domain not found: no domain with matching name 'alpha'", e.getMessage());
            f.restart();
            assertEquals(1, f.conn.listAllDomains(0).size());
        }
    }

    @Test
    void redefineUpdatesAndNameClashIsRefused() {
        try (Fixture f = new Fixture(dir)) {
            UUID u = UUID.randomUUID();
            f.conn.defineXml(Fixture.xml("alpha", u), 0);
            f.conn.defineXml(Fixture.xml("alpha", u).replace(">16<", ">32<"), 0);
            assertEquals(32 * 1024, f.conn.info(f.conn.lookupByName("alpha")).maxMemKiB());
            LibvirtError e = assertThrows(LibvirtError.class,
                    () -> f.conn.defineXml(Fixture.xml("alpha", UUID.randomUUID()), 0));
            assertEquals(ErrorCodes.OPERATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("already exists with uuid " + u), e.getMessage());
        }
    }

    @Test
    void malformedXmlAndUnsupportedDevicesGiveLibvirtCodes() {
        try (Fixture f = new Fixture(dir)) {
            LibvirtError bad = assertThrows(LibvirtError.class, () -> f.conn.defineXml("<domain><name>x</nam", 0));
            assertEquals(ErrorCodes.XML_ERROR, bad.code());
            assertTrue(bad.getMessage().startsWith("XML error: "), bad.getMessage());
            String withCdrom = Fixture.xml("d", UUID.randomUUID()).replace("</os>",
                    "</os>\n  <devices><disk type='file' device='cdrom'><source file='/x.iso'/>"
                            + "<target dev='hdc' bus='ide'/></disk></devices>");
            LibvirtError unsupported = assertThrows(LibvirtError.class, () -> f.conn.defineXml(withCdrom, 0));
            assertEquals(ErrorCodes.CONFIG_UNSUPPORTED, unsupported.code());
            assertTrue(unsupported.getMessage().contains("disk device 'cdrom' is not supported"),
                    unsupported.getMessage());
            assertEquals(0, f.conn.listAllDomains(0).size());
        }
    }

    @Test
    void aVirtioDiskGetsItsPciAddressAtDefineAndKeepsIt() {
        try (Fixture f = new Fixture(dir)) {
            String withDisk = Fixture.xml("d", UUID.randomUUID()).replace("</os>",
                    "</os>\n  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                            + "<source file='/srv/x.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>");
            var r = f.conn.defineXml(withDisk, 0);
            String xml = f.conn.xmlDesc(r, 0);
            assertTrue(xml.contains("slot=\"0x02\"") || xml.contains("slot='0x02'"), xml);
            assertEquals(xml, f.conn.xmlDesc(f.conn.defineXml(xml, 0), 0), "redefining keeps the address");
        }
    }

    @Test
    void readOnlyConnectionsRefuseChanges() {
        try (Fixture f = new Fixture(dir)) {
            var ro = new JkvmDriver(f.manager, true).open("jkvm:///system", true);
            LibvirtError e = assertThrows(LibvirtError.class,
                    () -> ro.defineXml(Fixture.xml("x", UUID.randomUUID()), 0));
            assertEquals(ErrorCodes.OPERATION_DENIED, e.code());
        }
    }

    @Test
    void driverAcceptsItsUrisAndTheQemuAliasOnlyWhenOn() {
        try (Fixture f = new Fixture(dir)) {
            JkvmDriver on = new JkvmDriver(f.manager, true);
            JkvmDriver off = new JkvmDriver(f.manager, false);
            assertTrue(on.accepts("jkvm:///system"));
            assertTrue(on.accepts("jkvm:///session"));
            assertTrue(on.accepts(""));
            assertTrue(on.accepts("qemu:///system"));
            assertFalse(off.accepts("qemu:///system"));
            assertFalse(on.accepts("xen:///system"));
            assertFalse(on.accepts("jkvm://otherhost/system"));
        }
    }
}
