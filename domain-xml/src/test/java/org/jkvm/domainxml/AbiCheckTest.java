package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Acceptance 3: each kind of ABI difference is found, and the fingerprint follows exactly the ABI subset. */
class AbiCheckTest {
    private static final DomainDefinition BASE = DomainXml.parse(Fixtures.guest());
    private static final String DISK = "<disk type='file' device='disk'><source file='/a.img'/>"
            + "<target dev='vda' bus='virtio'/></disk>";

    private static List<AbiDifference> diff(String from, String to) {
        return AbiCheck.compare(BASE, DomainXml.parse(Fixtures.guestWith(from, to)));
    }

    private static void assertOne(String path, String source, String dest, String from, String to) {
        List<AbiDifference> d = diff(from, to);
        assertEquals(List.of(new AbiDifference(path, source, dest)), d, "editing " + from + " -> " + to);
        DomainDefinition edited = DomainXml.parse(Fixtures.guestWith(from, to));
        assertNotEquals(Fingerprint.of(BASE), Fingerprint.of(edited), "fingerprint must change: " + path);
    }

    @Test
    void aChangedDomainTypeIsRefusedInLibvirtsWords() {
        DomainDefinition qemu = DomainXml.parse(Fixtures.guestWith("type='kvm'", "type='qemu'").replace(">256</memory>",
                ">512</memory>"));
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> AbiCheck.require(BASE, qemu));
        assertEquals("Target domain virt type qemu does not match source kvm", e.getMessage());
        assertEquals(2, AbiCheck.compare(BASE, qemu).size(), "the comparison still lists every difference");
        AbiCheck.require(qemu, DomainXml.parse(DomainXml.format(qemu)));
    }

    @Test
    void tenKindsOfDifference() {
        assertOne("memory", "268435456 bytes", "536870912 bytes", ">256</memory>", ">512</memory>");
        assertOne("vcpu", "1", "2", ">1</vcpu>", ">2</vcpu>");
        assertOne("cpu/model", "qemu64", "kvm64", ">qemu64<", ">kvm64<");
        assertOne("cpu/feature[@name='nx']", "disable", "require", "'disable' name='nx'", "'require' name='nx'");
        assertOne("os/type/@arch", "x86_64", "i686", "arch='x86_64'", "arch='i686'");
        assertOne("os/type/@machine", "pc", "q35", "machine='pc'", "machine='q35'");
        assertOne("devices/interface[1]", "mac=52:54:00:12:34:56 model=virtio",
                "mac=52:54:00:12:34:57 model=virtio", "52:54:00:12:34:56", "52:54:00:12:34:57");
        assertOne("devices/interface[1]", "mac=52:54:00:12:34:56 model=virtio",
                "mac=52:54:00:12:34:56 model=e1000", "<model type='virtio'/>", "<model type='e1000'/>");
        assertOne("devices/interface[1]/address", "{bus=0, domain=0, function=0, slot=3, type=pci}",
                "{bus=0, domain=0, function=0, slot=4, type=pci}", "slot='0x03'", "slot='0x04'");
        assertOne("devices/serial[1]", "port=0", "port=1", "<target port='0'/>", "<target port='1'/>");
        assertOne("clock/timer[@name='tsc']", null, "frequency=2000000000", "<clock offset='utc'/>",
                "<clock offset='utc'><timer name='tsc' frequency='2000000000'/></clock>");
        assertOne("uuid", "c7a5fdbd-edaf-9455-926a-d65c16db1809", "c7a5fdbd-edaf-9455-926a-d65c16db1800",
                "d65c16db1809", "d65c16db1800");
        assertOne("domain/@type", "kvm", "qemu", "type='kvm'", "type='qemu'");
    }

    @Test
    void deviceOrderAndCountsAreCompared() {
        String two = "<disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk>"
                + "<disk type='file' device='disk'><source file='/b.img'/><target dev='vdb' bus='virtio'/></disk>";
        String swapped = "<disk type='file' device='disk'><source file='/b.img'/><target dev='vdb' bus='virtio'/>"
                + "</disk><disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/>"
                + "</disk>";
        DomainDefinition a = DomainXml.parse(Fixtures.guestWith("<memballoon model='none'/>", two));
        DomainDefinition b = DomainXml.parse(Fixtures.guestWith("<memballoon model='none'/>", swapped));
        assertEquals(List.of(new AbiDifference("devices/disk[1]", "device=disk target=vda bus=virtio format=raw",
                "device=disk target=vdb bus=virtio format=raw"), new AbiDifference("devices/disk[2]",
                "device=disk target=vdb bus=virtio format=raw", "device=disk target=vda bus=virtio format=raw")),
                AbiCheck.compare(a, b));
        DomainDefinition one = DomainXml.parse(Fixtures.guestWith("<memballoon model='none'/>", DISK));
        List<AbiDifference> d = AbiCheck.compare(a, one);
        assertTrue(d.contains(new AbiDifference("devices/disk count", "2", "1")), d.toString());
        assertTrue(d.contains(new AbiDifference("devices/disk[2]", "device=disk target=vdb bus=virtio format=raw",
                null)));
    }

    @Test
    void allowedChangesAreNotDifferences() {
        String moved = Fixtures.guest().replace("<name>guest1</name>", "<name>guest1-dst</name>")
                .replace("A jkvm test guest", "another title").replace("team-a", "team-b")
                .replace("/var/log/jkvm/guest1.serial", "/srv/logs/g.serial")
                .replace("<source network='default'/>", "<source bridge='br0'/>")
                .replace("/usr/local/bin/jkvm-engine", "/opt/jkvm/bin/jkvm-engine")
                .replace("<cmdline>workload=dirty mib=16 rate=1000</cmdline>", "");
        DomainDefinition dst = DomainXml.parse(moved);
        assertEquals(List.of(), AbiCheck.compare(BASE, dst));
        assertEquals(Fingerprint.of(BASE), Fingerprint.of(dst));
    }

    @Test
    void oneMessageListsEveryDifference() {
        DomainDefinition dst = DomainXml.parse(Fixtures.guestWith(">256</memory>", ">512</memory>")
                .replace(">qemu64<", ">kvm64<"));
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> AbiCheck.require(BASE, dst));
        assertEquals("the destination definition of 'guest1' differs from the source in 2 guest-visible settings:"
                + " memory: source '268435456 bytes', destination '536870912 bytes'; cpu/model: source 'qemu64',"
                + " destination 'kvm64'; migrate with the source's definition", e.getMessage());
    }

    @Test
    void fingerprintIgnoresFormattingAndAttributeOrder() {
        String reordered = Fixtures.guest().replace("<feature policy='disable' name='nx'/>",
                "<feature name='nx'   policy='disable'/>").replace("<address type='pci' domain='0x0000' bus='0x00'"
                + " slot='0x03' function='0x0'/>", "<address function='0x0' slot='0x3' bus='0x00' domain='0x0000'"
                + " type='pci'/>").replace("\n  ", "\n\t\t").replace("unit='MiB'>256", "unit='KiB'>262144");
        String formatted = DomainXml.format(BASE);
        String fp = Fingerprint.of(BASE);
        assertEquals(fp, Fingerprint.of(DomainXml.parse(reordered)));
        assertEquals(fp, Fingerprint.of(DomainXml.parse(formatted)));
        assertEquals(fp, Fingerprint.of(DomainXml.parse(DomainXml.format(DomainXml.parse(formatted)))));
        assertTrue(fp.matches("sha256:[0-9a-f]{64}"), fp);
    }
}
