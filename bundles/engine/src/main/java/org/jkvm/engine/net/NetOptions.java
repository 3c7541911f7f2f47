package org.jkvm.engine.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jkvm.devices.virtio.net.MacAddress;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.QemuOptions;
import org.jkvm.engine.disk.DiskOptions;

/**
 * The machine's NICs from QEMU's options, each a virtio-net-pci function on a tap:
 *
 * <pre>
 * -netdev tap,id=N[,ifname=IF][,script=no][,downscript=no][,br=BR][,vhost=off]
 * -netdev bridge,id=N,br=BR[,ifname=IF]
 * -device virtio-net-pci,netdev=N[,mac=52:54:00:12:34:56][,addr=SLOT][,id=ID]
 * </pre>
 *
 * A tap named by {@code ifname} is attached when it exists and created otherwise (it then vanishes with the engine);
 * without {@code ifname} the kernel names a new one. {@code br=} (and {@code -netdev bridge}) enslaves the tap to
 * that Linux bridge and sets it up, as libvirt does for {@code <interface type='bridge'>}. The engine runs no
 * scripts: {@code script=} and {@code downscript=} may only be {@code no}. A NIC without {@code mac=} gets QEMU's
 * default, 52:54:00:12:34:56 plus its index.
 *
 * <p>The announcement's schedule starts from QEMU's migration properties, {@code -global
 * migration.announce-rounds=0} (and {@code announce-initial}, {@code announce-max}, {@code announce-step}), as on
 * QEMU; {@code announce-rounds=0} turns it off from the start, which a destination needs since it announces as soon
 * as it runs, before a monitor command could reach it.
 *
 * @param nics   the NICs in command-line order
 * @param timing the announcement's schedule until {@code migrate-set-parameters} changes it
 */
public record NetOptions(List<Nic> nics, AnnounceTiming timing) {
    /** No NICs. */
    public static final NetOptions NONE = new NetOptions(List.of());
    /** The prefix of the {@code -global} properties this class takes. */
    public static final String GLOBAL_PREFIX = "migration.announce-";
    /** The device driver name. */
    public static final String DRIVER = "virtio-net-pci";
    private static final Set<String> TAP_KEYS = Set.of("id", "ifname", "script", "downscript", "br", "vhost");
    private static final Set<String> DEVICE_KEYS = Set.of("netdev", "mac", "addr", "id");

    /**
     * One NIC.
     *
     * @param id     the device id ({@code id=}, else {@code net0}, {@code net1}, ... as QEMU names them)
     * @param netdev the backend's id
     * @param ifname the tap's name, empty to let the kernel choose
     * @param bridge the bridge to enslave the tap to, empty for none
     * @param mac    the guest's MAC address
     * @param slot   the PCI slot on bus 0, 1 to 31, or -1 for the first free one
     */
    public record Nic(String id, String netdev, String ifname, String bridge, MacAddress mac, int slot) {
    }

    /** Copies the list. */
    public NetOptions {
        nics = List.copyOf(nics);
        java.util.Objects.requireNonNull(timing, "timing");
    }

    /** The NICs with QEMU's default announcement. */
    public NetOptions(List<Nic> nics) {
        this(nics, AnnounceTiming.DEFAULT);
    }

    /**
     * The announcement's schedule from {@code -global} values, each {@code migration.announce-NAME=MS}.
     *
     * @throws EngineException naming a property that is not an announce parameter or a value that is not a number
     *                         in range
     */
    public static AnnounceTiming parseGlobals(List<String> globalValues) {
        AnnounceTiming t = AnnounceTiming.DEFAULT;
        for (String g : globalValues) {
            int eq = g.indexOf('=');
            if (!g.startsWith(GLOBAL_PREFIX) || eq < 0) {
                throw new EngineException("-global " + g + " is not supported; the engine takes only "
                        + "-global migration.announce-{initial,max,rounds,step}=N");
            }
            String value = g.substring(eq + 1);
            if (!value.matches("[0-9]{1,9}")) {
                throw new EngineException("-global " + g + ": '" + value + "' is not a number; give whole "
                        + "milliseconds (or a count for announce-rounds)");
            }
            t = t.with(g.substring("migration.".length(), eq), Long.parseLong(value));
        }
        return t;
    }

    /** Whether {@code deviceValue} is a {@code -device} this class parses. */
    public static boolean isNetDevice(String deviceValue) {
        return deviceValue.equals(DRIVER) || deviceValue.startsWith(DRIVER + ",");
    }

    /**
     * Resolves {@code -netdev} values and the {@code -device virtio-net-pci} values into NICs.
     *
     * @param usedSlots PCI slots other devices give explicitly, which a NIC may not take
     * @throws EngineException naming the option that is malformed, names an unknown backend, reuses one or a slot
     */
    public static NetOptions parse(List<String> netdevValues, List<String> deviceValues, Set<Integer> usedSlots) {
        return parse(netdevValues, deviceValues, usedSlots, List.of());
    }

    /**
     * Resolves the NICs as {@link #parse(List, List, Set)} does, and the announcement's schedule from
     * {@code -global} values ({@link #parseGlobals}).
     *
     * @throws EngineException naming the option that is wrong
     */
    public static NetOptions parse(List<String> netdevValues, List<String> deviceValues, Set<Integer> usedSlots,
            List<String> globalValues) {
        AnnounceTiming timing = parseGlobals(globalValues);
        Map<String, String[]> backends = new LinkedHashMap<>();
        for (String v : netdevValues) {
            String[] b = parseNetdev(v);
            if (backends.put(b[0], b) != null) {
                throw new EngineException("two -netdev options have id=" + b[0] + "; give each its own id");
            }
        }
        List<Nic> nics = new ArrayList<>();
        Set<String> attached = new HashSet<>();
        Set<Integer> slots = new HashSet<>(usedSlots);
        Map<String, Boolean> macs = new HashMap<>();
        for (String v : deviceValues) {
            Map<String, String> kv = QemuOptions.keyValues("-device", v, DEVICE_KEYS);
            String nd = kv.get("netdev");
            if (nd == null || !backends.containsKey(nd)) {
                throw new EngineException("-device " + v + " names " + (nd == null ? "no netdev" : "netdev '" + nd
                        + "', which no -netdev defines") + "; give netdev=ID of a -netdev tap,id=ID");
            }
            if (!attached.add(nd)) {
                throw new EngineException("netdev '" + nd + "' is used by two -device options; give each NIC its "
                        + "own -netdev");
            }
            MacAddress mac = parseMac(kv.getOrDefault("mac", defaultMac(nics.size())));
            if (macs.put(mac.toString(), true) != null) {
                throw new EngineException("-device " + v + ": MAC " + mac + " is given to another NIC; give each "
                        + "NIC its own mac=");
            }
            int slot = kv.containsKey("addr") ? DiskOptions.parseAddr(kv.get("addr")) : -1;
            if (slot >= 0 && !slots.add(slot)) {
                throw new EngineException("-device " + v + ": PCI slot " + slot + " is taken by another device; "
                        + "give another addr=");
            }
            String[] b = backends.get(nd);
            nics.add(new Nic(kv.getOrDefault("id", "net" + nics.size()), nd, b[1], b[2], mac, slot));
        }
        for (String id : backends.keySet()) {
            if (!attached.contains(id)) {
                throw new EngineException("-netdev id=" + id + " is used by no device; add -device " + DRIVER
                        + ",netdev=" + id);
            }
        }
        return new NetOptions(nics, timing);
    }

    /** QEMU's default MAC of the {@code index}-th NIC. */
    static String defaultMac(int index) {
        return "52:54:00:12:34:" + Integer.toHexString(0x100 + ((0x56 + index) & 0xff)).substring(1);
    }

    /** @return {id, ifname, bridge} */
    private static String[] parseNetdev(String v) {
        Map<String, String> kv = QemuOptions.keyValues("-netdev", v, TAP_KEYS);
        String type = kv.get("");
        if (!"tap".equals(type) && !"bridge".equals(type)) {
            throw new EngineException("-netdev " + v + ": type '" + type + "' is not supported; use -netdev tap,"
                    + "id=ID,ifname=IF,script=no,downscript=no or -netdev bridge,id=ID,br=BRIDGE");
        }
        String id = kv.get("id");
        if (id == null || id.isEmpty()) {
            throw new EngineException("-netdev " + v + " has no id=; give id=ID so a -device can name it");
        }
        for (String k : List.of("script", "downscript")) {
            String s = kv.get(k);
            if (s != null && !s.equals("no") && !s.isEmpty()) {
                throw new EngineException("-netdev " + id + ": " + k + "=" + s + " is not supported; jkvm runs no "
                        + "scripts: give " + k + "=no and set the tap up beforehand (or use br=BRIDGE)");
            }
        }
        if ("on".equals(kv.get("vhost"))) {
            throw new EngineException("-netdev " + id + ": vhost=on is not supported; give vhost=off or leave it out");
        }
        String br = kv.getOrDefault("br", "");
        if ("bridge".equals(type) && br.isEmpty()) {
            throw new EngineException("-netdev bridge,id=" + id + " has no br=; give br=BRIDGE");
        }
        return new String[] {id, kv.getOrDefault("ifname", ""), br};
    }

    /**
     * Parses a NIC's MAC address, which must be a unicast one.
     *
     * @throws EngineException naming the text
     */
    public static MacAddress parseMac(String text) {
        MacAddress mac;
        try {
            mac = MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new EngineException("mac=" + text + ": " + e.getMessage());
        }
        if (mac.multicast()) {
            throw new EngineException("mac=" + text + " is a multicast address (the first byte is odd), which no NIC "
                    + "may have; give a unicast one such as 52:54:00:12:34:56");
        }
        return mac;
    }

    /** The explicit PCI slots of the NICs. */
    public Set<Integer> explicitSlots() {
        Set<Integer> s = new HashSet<>();
        nics.stream().filter(n -> n.slot() >= 0).forEach(n -> s.add(n.slot()));
        return s;
    }
}
