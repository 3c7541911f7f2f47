package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jkvm.domainxml.model.BackingStore;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * The live XML's backing chains ({@link LiveXml#of(DomainDefinition, int, java.nio.file.Path, LiveXml.Chains)})
 * against libvirt's own active output for a running domain ({@code qemuxml2xmloutdata/disk-backing-chains-index-
 * active.xml}, disk vdf: a file chain of twelve images, indexes counting up from the base), and the definition
 * itself untouched (the inactive XML stays as defined).
 */
class LiveBackingChainTest {
    private static final String DOMAIN = "<domain type='qemu'><name>c</name><memory unit='MiB'>32</memory><os>"
            + "<type>hvm</type></os><devices>%s</devices></domain>";

    /** One link as the test compares it: type, index, format, source file, and whether it is the empty end. */
    private record Link(String type, int index, String format, String file) {
    }

    private static List<Link> links(Disk d, int indexShift) {
        List<Link> out = new ArrayList<>();
        out.add(new Link(d.type, Integer.parseInt(d.source.index) - indexShift, d.driver.type, d.source.file));
        for (BackingStore b = d.backingStore; b != null; b = b.backingStore) {
            if (b.type == null && b.source == null) {
                assertNull(b.backingStore, "the empty <backingStore/> ends the chain");
                out.add(new Link(null, 0, null, null));
                break;
            }
            out.add(new Link(b.type, Integer.parseInt(b.index) - indexShift, b.format.type, b.source.file));
        }
        return out;
    }

    @Test
    void aFileChainIsShownAsLibvirtShowsItForARunningDomain() throws Exception {
        java.nio.file.Path active = Corpus.dir().resolve("qemuxml2xmloutdata/disk-backing-chains-index-active.xml");
        Require.path(active, "libvirt's test data is in ../shared/corpus");
        Disk expected = DomainXml.parse(Files.readString(active)).devices(Disk.class).stream()
                .filter(d -> "vdf".equals(d.target.dev)).findFirst().orElseThrow();
        // The images below the top, as the host's files would say: libvirt's chain for vdf.
        List<LiveXml.Backing> below = new ArrayList<>();
        for (BackingStore b = expected.backingStore; b != null && b.source != null; b = b.backingStore) {
            below.add(new LiveXml.Backing(b.format.type, b.source.file));
        }
        assertEquals(11, below.size());
        String disk = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='"
                + expected.source.file + "'/><target dev='vdf' bus='virtio'/></disk>";
        DomainDefinition def = DomainXml.parse(String.format(DOMAIN, disk));
        String definedText = DomainXml.format(def);
        DomainDefinition live = LiveXml.of(def, 7, null, (file, format) -> {
            assertEquals(expected.source.file, file);
            assertEquals("qcow2", format);
            return below;
        });
        Disk shown = live.devices(Disk.class).get(0);
        // libvirt numbered vdf's chain 14..25 after the other disks of its domain; alone it is 1..12.
        int shift = Integer.parseInt(expected.source.index) - (below.size() + 1);
        assertEquals(links(expected, shift), links(shown, 0));
        assertEquals(definedText, DomainXml.format(def), "the definition (the inactive XML) is not changed");
        String text = DomainXml.format(live).replace('"', '\'');
        assertTrue(text.contains("<source file='" + expected.source.file + "' index='12'/>"), text);
        assertTrue(text.contains("<backingStore type='file' index='11'>"), text);
    }

    @Test
    void aRawDiskEndsAtOnceAndIndexesContinueFromDiskToDisk() {
        String disks = "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/i/a.raw'/>"
                + "<target dev='vda' bus='virtio'/></disk><disk type='file' device='disk'><driver name='qemu'"
                + " type='qcow2'/><source file='/i/top.qcow2'/><target dev='vdb' bus='virtio'/></disk>";
        Map<String, List<LiveXml.Backing>> chains = Map.of("/i/a.raw", List.of(), "/i/top.qcow2",
                List.of(new LiveXml.Backing("raw", "/i/base.raw")));
        DomainDefinition live = LiveXml.of(DomainXml.parse(String.format(DOMAIN, disks)), 3, null,
                (file, format) -> chains.get(file));
        List<Disk> d = live.devices(Disk.class);
        assertEquals(List.of(new Link("file", 1, "raw", "/i/a.raw"), new Link(null, 0, null, null)),
                links(d.get(0), 0));
        assertEquals(List.of(new Link("file", 3, "qcow2", "/i/top.qcow2"), new Link("file", 2, "raw", "/i/base.raw"),
                new Link(null, 0, null, null)), links(d.get(1), 0));
        String text = DomainXml.format(live).replace('"', '\'');
        assertTrue(text.contains("<source file='/i/a.raw' index='1'/>\n      <backingStore/>"), text);
    }

    @Test
    void aChainThatCannotBeReadLeavesTheDiskAsDefinedAndALiveXmlReadAgainIsNotNested() {
        String disk = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/i/t.qcow2'/>"
                + "<target dev='vda' bus='virtio'/></disk>";
        DomainDefinition def = DomainXml.parse(String.format(DOMAIN, disk));
        Disk unknown = LiveXml.of(def, 1, null, (f, fmt) -> null).devices(Disk.class).get(0);
        assertNull(unknown.backingStore);
        assertNull(unknown.source.index);
        LiveXml.Chains one = (f, fmt) -> List.of(new LiveXml.Backing("qcow2", "/i/b.qcow2"));
        DomainDefinition once = LiveXml.of(def, 1, null, one);
        DomainDefinition twice = LiveXml.of(DomainXml.parse(DomainXml.format(once)), 1, null, one);
        assertEquals(DomainXml.format(once), DomainXml.format(twice));
        assertNotNull(twice.devices(Disk.class).get(0).backingStore.backingStore);
        assertFalse(DomainXml.format(def).contains("backingStore"));
    }
}
