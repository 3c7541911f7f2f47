package org.jkvm.engine.disk;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jkvm.engine.EngineException;
import org.jkvm.engine.QemuOptions;

/**
 * The machine's disks: each drive with the PCI slot of its virtio-blk-pci function, and {@code -snapshot}.
 *
 * <p>{@code -drive ...,if=virtio} makes a device of its own; {@code -device virtio-blk-pci,drive=ID[,addr=SLOT]}
 * attaches the drive {@code ID} (then no second device is made for it, whatever its {@code if=}). {@code addr=} is
 * QEMU's {@code slot[.function]} in hex ({@code addr=4}, {@code addr=0x4}, {@code addr=04.0}); a device without
 * one gets the first free slot from 2, in command-line order after those given explicitly.
 *
 * @param disks    the disks in command-line order
 * @param snapshot {@code -snapshot}: every drive writes to a temporary overlay, discarded at exit
 */
public record DiskOptions(List<Disk> disks, boolean snapshot) {
    /** No disks. */
    public static final DiskOptions NONE = new DiskOptions(List.of(), false);
    private static final Set<String> DEVICE_KEYS = Set.of("drive", "addr", "id");

    /**
     * One drive on one PCI slot.
     *
     * @param drive the drive
     * @param slot  the PCI slot on bus 0, 1 to 31, or -1 for the first free one
     */
    public record Disk(DriveOptions drive, int slot) {
    }

    /** Copies the list. */
    public DiskOptions {
        disks = List.copyOf(disks);
    }

    /**
     * Resolves {@code -drive} and {@code -device} values into disks.
     *
     * @throws EngineException naming the option that is malformed, names an unknown drive, reuses one or a slot
     */
    public static DiskOptions parse(List<String> driveValues, List<String> deviceValues, boolean snapshot) {
        List<DriveOptions> drives = new ArrayList<>();
        Map<String, DriveOptions> byId = new HashMap<>();
        int virtio = 0;
        for (String v : driveValues) {
            DriveOptions d = DriveOptions.parse(v, virtio);
            virtio += "virtio".equals(d.iface()) ? 1 : 0;
            if (byId.put(d.id(), d) != null) {
                throw new EngineException("two -drive options have id=" + d.id() + "; give each drive its own id");
            }
            drives.add(d);
        }
        Map<String, Integer> slotOf = new HashMap<>();
        Set<Integer> slots = new HashSet<>();
        for (String v : deviceValues) {
            Map<String, String> kv = QemuOptions.keyValues("-device", v, DEVICE_KEYS);
            String driver = kv.get("");
            if (!"virtio-blk-pci".equals(driver)) {
                throw new EngineException("-device " + v + " is not supported: the devices are virtio-blk-pci, "
                        + "virtio-net-pci and "
                        + "a fixed machine (COM1 16550A, debug-exit 0xf4, power control 0xf5); remove the -device "
                        + "option");
            }
            String id = kv.get("drive");
            if (id == null || !byId.containsKey(id)) {
                throw new EngineException("-device " + v + " names " + (id == null ? "no drive" : "drive '" + id
                        + "', which no -drive defines") + "; give drive=ID of a -drive ...,id=ID");
            }
            if (slotOf.containsKey(id)) {
                throw new EngineException("drive '" + id + "' is attached by two -device options; give it one");
            }
            int slot = kv.containsKey("addr") ? parseAddr(kv.get("addr")) : -1;
            if (slot >= 0 && !slots.add(slot)) {
                throw new EngineException("-device " + v + ": PCI slot " + slot + " is taken by another device; "
                        + "give another addr=");
            }
            slotOf.put(id, slot);
        }
        List<Disk> disks = new ArrayList<>();
        for (DriveOptions d : drives) {
            if (slotOf.containsKey(d.id())) {
                disks.add(new Disk(d, slotOf.get(d.id())));
            } else if ("virtio".equals(d.iface())) {
                disks.add(new Disk(d, -1));
            } else {
                throw new EngineException("-drive id=" + d.id() + " is attached to no device; add -device "
                        + "virtio-blk-pci,drive=" + d.id() + " or give the drive if=virtio");
            }
        }
        return new DiskOptions(disks, snapshot);
    }

    /** QEMU's {@code addr=slot[.function]} in hex; only function 0. */
    public static int parseAddr(String v) {
        String s = v.startsWith("0x") || v.startsWith("0X") ? v.substring(2) : v;
        String fn = "0";
        int dot = s.indexOf('.');
        if (dot >= 0) {
            fn = s.substring(dot + 1);
            s = s.substring(0, dot);
        }
        try {
            int slot = Integer.parseInt(s, 16);
            if (slot < 1 || slot > 31 || Integer.parseInt(fn, 16) != 0) {
                throw new NumberFormatException(v);
            }
            return slot;
        } catch (NumberFormatException e) {
            throw new EngineException("addr=" + v + " is not a PCI slot for a device; give a slot from 1 to 0x1f "
                    + "(hex, function 0), e.g. addr=0x4");
        }
    }
}
