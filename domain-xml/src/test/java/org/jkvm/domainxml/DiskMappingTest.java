package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.jkvm.domainxml.model.Disk;
import org.junit.jupiter.api.Test;

/** {@code <disk>} on the engine's {@code -drive}/{@code -device virtio-blk-pci}, PCI slots, refusals, the ABI. */
class DiskMappingTest {
    private static final RuntimePaths PATHS = RuntimePaths.under(Path.of("/run/jkvm"), "guest1");
    private static final String QCOW2 = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'"
            + " cache='none'/><source file='/srv/images/top,1.qcow2'/><target dev='vda' bus='virtio'/>"
            + "<serial>S-1</serial></disk>";
    private static final String RAW_RO = "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            + "<source file='/srv/images/data.img'/><target dev='vdb' bus='virtio'/><readonly/>"
            + "<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></disk>";

    static DomainDefinition withDevices(String devices) {
        return Fixtures.parse(Fixtures.guestWith("<input type='keyboard'", devices + "<input type='keyboard'"));
    }

    private static List<String> errors(String devices) {
        return JkvmSupport.check(withDevices(devices)).errors().stream().map(Problem::toString).toList();
    }

    @Test
    void aQcow2AndAReadOnlyRawDiskBecomeDrivesOnTheirSlots() {
        List<String> args = EngineArgs.of(withDevices(QCOW2 + RAW_RO), PATHS);
        int at = args.indexOf("-drive");
        // Slot 0x02 is free (no video adapter), so the address-less vda gets it; vdb keeps its own 0x07.
        assertEquals(List.of("-drive", "file=/srv/images/top,,1.qcow2,format=qcow2,if=none,id=drive-virtio-disk0,"
                + "cache=none,serial=S-1", "-device", "virtio-blk-pci,drive=drive-virtio-disk0,addr=0x2",
                "-drive", "file=/srv/images/data.img,format=raw,if=none,id=drive-virtio-disk1,readonly=on",
                "-device", "virtio-blk-pci,drive=drive-virtio-disk1,addr=0x7"), args.subList(at, at + 8));
    }

    @Test
    void slotsAreAssignedOnceAtDefineAndKeptAsLibvirtDoes() {
        DomainDefinition def = PciSlots.assign(withDevices(QCOW2 + RAW_RO.replace("vdb", "vdc")
                .replace("slot='0x07'", "slot='0x04'") + QCOW2.replace("vda", "vdb")));
        List<Disk> disks = def.devices(Disk.class);
        assertEquals(List.of("0x02", "0x04", "0x05"), disks.stream().map(d -> d.address.slot).toList());
        assertEquals("pci", disks.get(0).address.type);
        DomainDefinition again = PciSlots.assign(DomainXml.parse(DomainXml.format(def)));
        assertEquals(DomainXml.format(def), DomainXml.format(again), "an assigned address never moves");
        assertEquals(Fingerprint.of(def), Fingerprint.of(again));
    }

    @Test
    void interfacesWithoutAnAddressGetTheirSlotBeforeTheDisks() {
        String xml = Fixtures.guestWith("      <address type='pci' domain='0x0000' bus='0x00' slot='0x03'"
                + " function='0x0'/>\n", "").replace("<input type='keyboard'", QCOW2 + "<input type='keyboard'");
        DomainDefinition def = PciSlots.assign(Fixtures.parse(xml));
        assertEquals("0x03", def.devices(Disk.class).get(0).address.slot, "libvirt gives the NIC 0x02 first");
        DomainDefinition video = PciSlots.assign(Fixtures.parse(xml.replace("<input type='keyboard'",
                "<video><model type='vga'/></video><input type='keyboard'")));
        assertEquals("0x04", video.devices(Disk.class).get(0).address.slot, "0x02 is the primary video's");
    }

    @Test
    void unsupportedDisksAreRefusedWithOneSentenceEach() {
        assertEquals(List.of("devices/disk[1]: disk device 'cdrom' is not supported; jkvm emulates virtio-blk"
                + " disks only, so use device='disk' or remove the cdrom"),
                errors("<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"));
        assertEquals(List.of("devices/disk[1]: disk type 'block' is not supported; jkvm opens image files, so use"
                + " <disk type='file'> with <source file='...'/>"),
                errors("<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vda'/></disk>"));
        assertEquals(List.of("devices/disk[1]/target: disk bus 'sata' is not supported; jkvm's disks are"
                + " virtio-blk, so use <target dev='vda' bus='virtio'/>"),
                errors(QCOW2.replace("dev='vda' bus='virtio'", "dev='sda' bus='sata'")));
        assertEquals(List.of("devices/disk[1]/driver: image format 'vmdk' is not supported; convert the image to"
                + " raw or qcow2 (qemu-img convert) and give type='raw' or type='qcow2'"),
                errors(QCOW2.replace("qcow2'", "vmdk'")));
        assertEquals(List.of("devices/disk[1]/address: PCI address 0x0000:0x00:0x01.0x0 is not available; jkvm's"
                + " disks sit on function 0 of a slot from 0x02 to 0x1f on bus 0 of domain 0 (0x00 is the host"
                + " bridge, 0x01 the PIIX3), so change the slot or leave the address out"),
                errors(RAW_RO.replace("0x07", "0x01")));
        assertEquals(List.of("devices/disk[1]/source: the disk has no <source file='...'/>; name its image file"),
                errors("<disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>"));
    }

    @Test
    void aSlotOrATargetUsedTwiceIsRefused() {
        assertEquals(List.of("devices: PCI slot 3 of bus 0 is given to interface[1] and disk[1]; give each device"
                + " its own slot"), errors(RAW_RO.replace("0x07", "0x03")));
        assertEquals(List.of("devices: two disks have target dev='vdb'; give each disk its own target name (vda,"
                + " vdb...)"), errors(RAW_RO + QCOW2.replace("vda", "vdb")));
    }

    @Test
    void theDiskIsPartOfTheAbiFingerprint() {
        DomainDefinition base = PciSlots.assign(withDevices(QCOW2));
        assertEquals(Fingerprint.of(base), Fingerprint.of(PciSlots.assign(withDevices(
                QCOW2.replace("/srv/images/top,1.qcow2", "/mnt/nfs/top.qcow2")))), "the path may differ");
        assertNotEquals(Fingerprint.of(base), Fingerprint.of(PciSlots.assign(withDevices(QCOW2.replace("<serial>",
                "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/><serial>")))));
        assertNotEquals(Fingerprint.of(base), Fingerprint.of(PciSlots.assign(withDevices(
                QCOW2.replace("qcow2'", "raw'")))));
        assertNotEquals(Fingerprint.of(base), Fingerprint.of(PciSlots.assign(withDevices(
                QCOW2.replace("S-1", "S-2")))));
        assertNotEquals(Fingerprint.of(base), Fingerprint.of(PciSlots.assign(withDevices(
                QCOW2.replace("</disk>", "<readonly/></disk>")))));
    }

    @Test
    void noFreeSlotIsASentence() {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            many.append(QCOW2.replace("vda", "vd" + (char) ('a' + i % 26) + (i / 26 == 0 ? "" : "a")));
        }
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> PciSlots.assign(withDevices(
                many.toString())));
        assertTrue(e.getMessage().startsWith("all PCI slots of bus 0 are taken"), e.getMessage());
    }
}
