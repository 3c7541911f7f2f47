package org.jkvm.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jkvm.devices.virtio.net.NetStats;
import org.jkvm.engine.net.AnnounceTiming;
import org.jkvm.engine.net.NetControl;
import org.jkvm.engine.net.NicInfo;

/**
 * The monitor's network commands, in QEMU's spellings:
 *
 * <pre>
 * QMP announce-self {initial, max, rounds, step: ms; interfaces: [NIC id]; id}   HMP announce_self [IF,IF...] [ID]
 * QMP set_link {name, up}                                                       HMP set_link NAME on|off
 * HMP info network                                     QMP x-jkvm-query-nics (each NIC with its counters)
 * </pre>
 *
 * {@code announce-self} arguments left out take the current {@code announce-*} migration parameters (QEMU requires
 * them all); HMP {@code announce_self} always uses those parameters. The announcement after a migration or a restore
 * uses the parameters too, and {@code migrate_set_parameter announce-rounds 0} turns it off. Stateless.
 */
final class NetCommands {
    private NetCommands() {
    }

    static void register(NetControl net, Qmp qmp, Hmp hmp) {
        qmp.register("announce-self", a -> {
            net.announce(timing(net.timing(), a), strings(a.get("interfaces")));
            return Qmp.map();
        });
        qmp.register("set_link", a -> {
            if (!(a.get("name") instanceof String name) || !(a.get("up") instanceof Boolean up)) {
                throw new MonitorException("GenericError", "set_link needs a string 'name' and a boolean 'up'");
            }
            net.setLink(name, up);
            return Qmp.map();
        });
        qmp.register("x-jkvm-query-nics", a -> net.nics().stream().map(NetCommands::nic).toList());
        hmp.register("announce_self", "announce_self [interfaces] [id] -- send the announcement (RARP from each "
                + "NIC, and GUEST_ANNOUNCE) with the announce-* parameters", a -> {
                    String[] w = a.isBlank() ? new String[0] : a.trim().split(" ");
                    net.announce(net.timing(), w.length == 0 ? List.of() : Arrays.asList(w[0].split(",")));
                    return "";
                });
        hmp.register("set_link", "set_link name on|off -- change the link status of a NIC", a -> {
            String[] w = a.trim().split(" ");
            if (w.length != 2 || !(w[1].equals("on") || w[1].equals("off"))) {
                return "Error: write set_link NAME on|off, e.g. set_link net0 off";
            }
            net.setLink(w[0], w[1].equals("on"));
            return "";
        });
        hmp.register("info network", "info network -- show the NICs and their backends", a -> network(net));
    }

    private static AnnounceTiming timing(AnnounceTiming base, Map<String, Object> a) {
        AnnounceTiming t = base;
        for (String k : List.of("initial", "max", "rounds", "step")) {
            Object v = a.get(k);
            if (v != null) {
                if (!(v instanceof Number n)) {
                    throw new MonitorException("GenericError", "announce-self: '" + k + "' must be a number of "
                            + (k.equals("rounds") ? "rounds" : "milliseconds"));
                }
                t = t.with(k, n.longValue());
            }
        }
        return t;
    }

    private static List<String> strings(Object v) {
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l) || !l.stream().allMatch(String.class::isInstance)) {
            throw new MonitorException("GenericError", "announce-self: 'interfaces' must be a list of NIC ids");
        }
        List<String> out = new ArrayList<>();
        l.forEach(x -> out.add((String) x));
        return out;
    }

    /** QEMU's {@code info network}: the NIC, then its backend indented under it. */
    private static String network(NetControl net) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (NicInfo n : net.nics()) {
            b.append(n.id()).append(": index=").append(i).append(",type=nic,model=virtio-net-pci,macaddr=")
                    .append(n.mac()).append(n.linkUp() ? "" : ",link=down").append('\n');
            b.append(" \\ ").append(n.netdev()).append(": index=").append(i).append(",type=tap,ifname=")
                    .append(n.ifname()).append(n.bridge().isEmpty() ? ",script=no,downscript=no" : ",br=" + n.bridge())
                    .append('\n');
            String trace = n.trace().summary();
            if (!trace.isEmpty()) {
                b.append(" \\ ").append(trace).append('\n');
            }
            i++;
        }
        return b.toString().stripTrailing();
    }

    private static Map<String, Object> nic(NicInfo n) {
        NetStats s = n.stats();
        return Qmp.map("id", n.id(), "netdev", n.netdev(), "ifname", n.ifname(), "bridge", n.bridge(),
                "mac", n.mac().toString(), "slot", (long) n.slot(), "link-up", n.linkUp(),
                "announce-frames", n.announceFrames(), "guest-announces", n.guestAnnounces(),
                "rx-packets", s.rxPackets(), "rx-bytes", s.rxBytes(), "rx-dropped", s.rxDropped(),
                "tx-packets", s.txPackets(), "tx-bytes", s.txBytes(), "tx-errors", s.txErrors(),
                "tx-dropped", s.txDropped());
    }
}
