package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.model.Address;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.domainxml.model.Domain;
import org.w3c.dom.Element;

/**
 * {@code <disk>} on the engine's drives: a {@code type='file' device='disk'} disk with a raw or qcow2 image on the
 * virtio bus becomes {@code -drive file=PATH,format=F,if=none,id=ID[,cache=C][,readonly=on][,serial=S]} plus
 * {@code -device virtio-blk-pci,drive=ID,addr=0xSLOT} (README, the engine's option table). Everything else about a
 * disk is refused or warned about here, one sentence per problem. Thread-safe (stateless).
 */
public final class DiskMapping {
    /** The image formats the engine opens. */
    static final Set<String> FORMATS = Set.of("raw", "qcow2");
    /** The cache modes the engine implements, as libvirt and QEMU spell them. */
    static final Set<String> CACHES = Set.of("none", "writeback", "writethrough", "directsync", "unsafe");

    private DiskMapping() {
    }

    /** Adds the errors and warnings for one {@code <disk>} at {@code path} ({@code devices/disk[N]}). */
    static void check(String path, Disk d, List<Problem> errors, List<Problem> warnings) {
        String type = d.type == null ? "file" : d.type;
        if (!"file".equals(type)) {
            errors.add(new Problem(path, "disk type '" + type + "' is not supported; jkvm opens image files, so use"
                    + " <disk type='file'> with <source file='...'/>"));
            return;
        }
        String device = d.device == null ? "disk" : d.device;
        if (!"disk".equals(device)) {
            errors.add(new Problem(path, "disk device '" + device + "' is not supported; jkvm emulates virtio-blk"
                    + " disks only, so use device='disk' or remove the " + device));
            return;
        }
        if (d.source == null || d.source.file == null || d.source.file.isBlank()) {
            errors.add(new Problem(path + "/source", "the disk has no <source file='...'/>; name its image file"));
        }
        String bus = bus(d);
        if (!"virtio".equals(bus)) {
            errors.add(new Problem(path + "/target", "disk bus '" + bus + "' is not supported; jkvm's disks are"
                    + " virtio-blk, so use <target dev='vda' bus='virtio'/>"));
        }
        checkDriver(path + "/driver", d, errors);
        if (d.shareable != null) {
            errors.add(new Problem(path + "/shareable", "shareable disks are not supported (the engine locks its"
                    + " images for one writer); remove <shareable/>"));
        }
        String addr = addressProblem(d.address);
        if (addr != null) {
            errors.add(new Problem(path + "/address", addr));
        }
        if (d.boot != null) {
            warnings.add(new Problem(path + "/boot", "the boot order is not applied; jkvm boots its firmware or"
                    + " <kernel>"));
        }
        if (d.driver != null && (d.driver.io != null || d.driver.discard != null)) {
            warnings.add(new Problem(path + "/driver", "io= and discard= are not applied by jkvm"));
        }
        for (Element e : d.otherElements) {
            if (!"serial".equals(e.getLocalName())) {
                warnings.add(new Problem(path + "/" + e.getLocalName(), "<" + e.getLocalName() + "> is kept but not"
                        + " applied by jkvm"));
            }
        }
    }

    private static void checkDriver(String path, Disk d, List<Problem> errors) {
        if (d.driver == null) {
            return;
        }
        if (d.driver.name != null && !"qemu".equals(d.driver.name)) {
            errors.add(new Problem(path, "driver name '" + d.driver.name + "' is not supported; use <driver"
                    + " name='qemu' .../>"));
        }
        if (d.driver.type != null && !FORMATS.contains(d.driver.type)) {
            errors.add(new Problem(path, "image format '" + d.driver.type + "' is not supported; convert the image"
                    + " to raw or qcow2 (qemu-img convert) and give type='raw' or type='qcow2'"));
        }
        if (d.driver.cache != null && !"default".equals(d.driver.cache) && !CACHES.contains(d.driver.cache)) {
            errors.add(new Problem(path, "cache mode '" + d.driver.cache + "' is not supported; use none,"
                    + " writeback, writethrough, directsync or unsafe"));
        }
    }

    /** The target bus, inferred from the device name as libvirt does when absent ({@code vdX} is virtio). */
    static String bus(Disk d) {
        if (d.target != null && d.target.bus != null) {
            return d.target.bus;
        }
        String dev = d.target == null || d.target.dev == null ? "" : d.target.dev;
        if (dev.startsWith("vd")) {
            return "virtio";
        }
        return dev.startsWith("sd") ? "scsi" : dev.startsWith("hd") ? "ide" : dev.startsWith("fd") ? "fdc" : dev;
    }

    /** Null when {@code a} is absent or a function-0 slot on PCI bus 0 from 2 to 31, else the sentence. */
    static String addressProblem(Address a) {
        if (a == null) {
            return null;
        }
        if (!"pci".equals(a.type)) {
            return "address type '" + a.type + "' is not supported for a virtio disk; use <address type='pci'"
                    + " domain='0x0000' bus='0x00' slot='0x05' function='0x0'/> or leave the address out";
        }
        int slot = PciSlots.number(a.slot);
        if (PciSlots.number(a.domain) != 0 || PciSlots.number(a.bus) != 0 || PciSlots.number(a.function) != 0
                || slot < PciSlots.FIRST_FREE || slot > PciSlots.LAST) {
            return "PCI address " + PciSlots.text(a) + " is not available; jkvm's disks sit on function 0 of a"
                    + " slot from 0x02 to 0x1f on bus 0 of domain 0 (0x00 is the host bridge, 0x01 the PIIX3),"
                    + " so change the slot or leave the address out";
        }
        return null;
    }

    /** The engine arguments of every disk, in document order; each disk must have its PCI address already. */
    static List<String> engineArgs(Domain d) {
        List<String> a = new ArrayList<>();
        if (d.devices == null) {
            return a;
        }
        int n = 0;
        for (Disk disk : d.devices.of(Disk.class)) {
            String id = driveId(n++);
            StringBuilder drive = new StringBuilder("file=").append(escape(disk.source.file.strip()));
            String format = disk.driver == null || disk.driver.type == null ? "raw" : disk.driver.type;
            drive.append(",format=").append(format).append(",if=none,id=").append(id);
            if (disk.driver != null && disk.driver.cache != null && !"default".equals(disk.driver.cache)) {
                drive.append(",cache=").append(disk.driver.cache);
            }
            if (disk.readonly != null) {
                drive.append(",readonly=on");
            }
            String serial = serial(disk);
            if (serial != null) {
                drive.append(",serial=").append(escape(serial));
            }
            a.add("-drive");
            a.add(drive.toString());
            if (disk.address == null) {
                throw new DomainXmlException("disk '" + target(disk) + "' has no PCI address; define the domain"
                        + " so that one is assigned");
            }
            a.add("-device");
            a.add("virtio-blk-pci,drive=" + id + ",addr=0x" + Integer.toHexString(PciSlots.number(
                    disk.address.slot)));
        }
        return a;
    }

    /**
     * The engine's drive id of the {@code n}-th disk of a domain (0-based, document order), as libvirt names
     * QEMU's drives; the monitors' {@code query-blockstats} reports disks under it.
     */
    public static String driveId(int n) {
        return "drive-virtio-disk" + n;
    }

    /** The {@code <serial>} text of a disk, or null. */
    public static String serial(Disk d) {
        for (Element e : d.otherElements) {
            if ("serial".equals(e.getLocalName())) {
                String s = e.getTextContent();
                return s == null || s.isBlank() ? null : s.strip();
            }
        }
        return null;
    }

    /** The target device name ({@code vda}), or {@code "?"} when absent. */
    public static String target(Disk d) {
        return d.target == null || d.target.dev == null ? "?" : d.target.dev;
    }

    /** QEMU's option escaping: a comma inside a value is written twice. */
    static String escape(String v) {
        return v.replace(",", ",,");
    }
}
