package org.jkvm.domainxml;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.jkvm.domainxml.model.Address;
import org.jkvm.domainxml.model.Controller;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Interface;
import org.jkvm.domainxml.model.Video;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * PCI slots on bus 0 of the {@code pc} machine, assigned the way libvirt assigns them when a definition leaves a
 * virtio disk's {@code <address>} out: slot 0 is the host bridge, slot 1 the PIIX3 (ISA, IDE, USB functions), slot 2
 * goes to the primary video adapter when there is one, and the free slots from 2 upward go, in libvirt's
 * device order, first to network interfaces, sound cards and PCI controllers (virtio-serial, SCSI, USB other than
 * the PIIX3's own) that have no address, then to the virtio disks in document order. jkvm writes the disks' and
 * the NICs' addresses (and a NIC's missing MAC) but only keeps the other devices' would-be slots free, so a disk
 * gets the slot libvirt would give it and keeps it: the address is stored in the persistent definition at define
 * time, and the ABI check compares it. {@code CorpusDiskSlotsTest} checks this against the addresses in libvirt's
 * own test output. Thread-safe (stateless).
 */
public final class PciSlots {
    /** The first slot libvirt hands out on the {@code pc} machine. */
    static final int FIRST_FREE = 2;
    /** The last slot of a bus. */
    static final int LAST = 31;

    private PciSlots() {
    }

    /**
     * This definition when every virtio disk has an address, else a copy in which the disks without one got the
     * first free slots as described above.
     *
     * @throws DomainXmlException when no slot is left
     */
    public static DomainDefinition assign(DomainDefinition def) {
        if (def.devices(Disk.class).stream().allMatch(d -> d.address != null)
                && def.devices(Interface.class).stream().allMatch(i -> !InterfaceMapping.mapped(i)
                || i.address != null && i.mac != null && i.mac.address != null)) {
            return def;
        }
        DomainDefinition c = def.copy();
        Domain d = c.model();
        TreeSet<Integer> taken = new TreeSet<>(List.of(0, 1));
        if (c.devices(Video.class).stream().anyMatch(v -> v.address == null && (v.model == null
                || !"none".equals(v.model.type)))) {
            taken.add(2);
        }
        for (Object o : d.devices.all) {
            Address a = addressOf(o);
            if (a != null && "pci".equals(a.type) && number(a.bus) == 0 && number(a.domain) == 0) {
                taken.add(number(a.slot));
            }
        }
        for (Object o : d.devices.all) {
            if (addressOf(o) == null && takesSlotBeforeDisks(o)) {
                int slot = next(taken);
                if (o instanceof Interface i && InterfaceMapping.mapped(i)) {
                    i.address = pci(slot); // a virtio NIC, emulated: its slot is written as libvirt would
                }
            }
        }
        for (Interface i : c.devices(Interface.class)) {
            if (!InterfaceMapping.mapped(i)) {
                continue;
            }
            if (i.mac == null) {
                i.mac = new org.jkvm.domainxml.model.Mac();
            }
            if (i.mac.address == null) {
                i.mac.address = InterfaceMapping.randomMac(); // libvirt generates one at define time too
            }
        }
        for (Disk disk : c.devices(Disk.class)) {
            if (disk.address == null) {
                disk.address = pci(next(taken));
            }
        }
        return c;
    }

    private static Address pci(int slot) {
        Address a = new Address();
        a.type = "pci";
        a.domain = "0x0000";
        a.bus = "0x00";
        a.slot = String.format("0x%02x", slot);
        a.function = "0x0";
        return a;
    }

    private static int next(TreeSet<Integer> taken) {
        for (int s = FIRST_FREE; s <= LAST; s++) {
            if (taken.add(s)) {
                return s;
            }
        }
        throw new DomainXmlException("all PCI slots of bus 0 are taken; remove a device or give the disk a free"
                + " <address type='pci'/>");
    }

    /** Devices libvirt addresses before the disks on the {@code pc} machine. */
    private static boolean takesSlotBeforeDisks(Object o) {
        if (o instanceof Interface) {
            return true;
        }
        if (o instanceof Controller c) {
            String model = c.model == null ? "" : c.model;
            return switch (c.type == null ? "" : c.type) {
                case "virtio-serial", "scsi" -> true;
                case "usb" -> !model.isEmpty() && !"piix3-uhci".equals(model) && !"none".equals(model);
                default -> false;
            };
        }
        if (o instanceof Element e && "sound".equals(e.getLocalName())) {
            String model = e.getAttribute("model");
            return "ich6".equals(model) || "ich9".equals(model) || "ac97".equals(model) || "es1370".equals(model);
        }
        return false;
    }

    /** Bus-0 PCI slots given to more than one device, each with the device paths that share it. */
    static Map<Integer, List<String>> duplicates(Domain d) {
        Map<Integer, List<String>> bySlot = new HashMap<>();
        if (d.devices == null) {
            return bySlot;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (Object o : d.devices.all) {
            String name = DeviceNames.of(o);
            int n = seen.merge(name, 1, Integer::sum);
            Address a = addressOf(o);
            if (a != null && "pci".equals(a.type) && number(a.bus) == 0 && number(a.domain) == 0
                    && number(a.function) == 0) {
                bySlot.computeIfAbsent(number(a.slot), k -> new ArrayList<>()).add(name + "[" + n + "]");
            }
        }
        bySlot.values().removeIf(l -> l.size() < 2);
        return bySlot;
    }

    /** The {@code <address>} of a device (model object or kept element), or null. */
    static Address addressOf(Object o) {
        if (o instanceof Element e) {
            for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element c && "address".equals(c.getLocalName())) {
                    Address a = new Address();
                    a.type = attr(c, "type");
                    a.domain = attr(c, "domain");
                    a.bus = attr(c, "bus");
                    a.slot = attr(c, "slot");
                    a.function = attr(c, "function");
                    return a;
                }
            }
            return null;
        }
        try {
            Field f = o.getClass().getField("address");
            return f.get(o) instanceof Address a ? a : null;
        } catch (NoSuchFieldException | IllegalAccessException e) {
            return null;
        }
    }

    private static String attr(Element e, String name) {
        return e.hasAttribute(name) ? e.getAttribute(name) : null;
    }

    /** A numeric address field ({@code 0x05} or {@code 5}); absent is 0; not a number is -1. */
    static int number(String v) {
        if (v == null) {
            return 0;
        }
        try {
            return (int) Long.parseLong(AbiView.number(v));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The address as {@code dddd:bb:ss.f} for messages. */
    static String text(Address a) {
        return String.format("%s:%s:%s.%s", a.domain, a.bus, a.slot, a.function);
    }
}
