package org.jkvm.driver.qmp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Between QMP's JSON objects (as {@link org.jkvm.json.Json} reads and writes them) and the driver's records: the
 * one place that knows the member names of docs/contracts.md section 4. Answers are checked as far as the driver
 * reads them: a reply that is not an object, or a member of the wrong JSON type, is the engine's fault and fails
 * with a {@link QmpException} naming the command and the member; members the driver does not read are ignored, and
 * optional ones may be absent. Stateless and thread-safe.
 */
final class QmpCodec {
    private QmpCodec() {
    }

    /** The arguments of {@code migrate} (always detached, as QMP's migrate is asynchronous). */
    static Map<String, Object> migrate(String uri) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("uri", uri);
        a.put("detach", true);
        return a;
    }

    /** The arguments of {@code migrate-set-parameters}: the parameters that are set, in QMP's order. */
    static Map<String, Object> parameters(MigrationParameters p) {
        Map<String, Object> a = new LinkedHashMap<>();
        p.maxBandwidthBytesPerSec().ifPresent(v -> a.put("max-bandwidth", v));
        p.downtimeLimitMs().ifPresent(v -> a.put("downtime-limit", v));
        return a;
    }

    /** The arguments of {@code migrate-set-capabilities} switching one capability. */
    static Map<String, Object> capability(MigrationCapability capability, boolean state) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("capability", capability.wireName());
        one.put("state", state);
        return Map.of("capabilities", List.of(one));
    }

    /** {@code query-status}'s answer. */
    static RunStatus runStatus(Object reply) {
        Map<?, ?> m = object("query-status", reply);
        String status = string("query-status", m, "status")
                .orElseThrow(() -> malformed("query-status", "status", null));
        RunState state = RunState.of(status);
        Object running = m.get("running");
        if (running != null && !(running instanceof Boolean)) {
            throw malformed("query-status", "running", running);
        }
        return new RunStatus(state, running != null ? (Boolean) running : state == RunState.RUNNING);
    }

    /** {@code query-migrate}'s answer ({@code {}} before any job). */
    static MigrationInfo migrationInfo(Object reply) {
        String cmd = "query-migrate";
        Map<?, ?> m = object(cmd, reply);
        Object ram = m.get("ram");
        if (ram != null && !(ram instanceof Map)) {
            throw malformed(cmd, "ram", ram);
        }
        return new MigrationInfo(MigrationStatus.of(string(cmd, m, "status").orElse(null)),
                number(cmd, m, "total-time"), number(cmd, m, "expected-downtime"), number(cmd, m, "downtime"),
                number(cmd, m, "setup-time"), string(cmd, m, "error-desc"),
                ram == null ? RamStats.NONE : ram(object(cmd, ram)), number(cmd, m, "cpu-throttle-percentage"),
                strings(cmd, m, "blocked-reasons"));
    }

    private static RamStats ram(Map<?, ?> r) {
        String cmd = "query-migrate";
        return new RamStats(number(cmd, r, "transferred").orElse(0), number(cmd, r, "remaining").orElse(0),
                number(cmd, r, "total").orElse(0), number(cmd, r, "duplicate").orElse(0),
                number(cmd, r, "normal").orElse(0), number(cmd, r, "normal-bytes").orElse(0),
                number(cmd, r, "dirty-pages-rate").orElse(0), decimal(cmd, r, "mbps"),
                number(cmd, r, "dirty-sync-count").orElse(0), number(cmd, r, "page-size").orElse(4096));
    }

    /** {@code query-kvm}'s answer. */
    static KvmInfo kvmInfo(Object reply) {
        Map<?, ?> m = object("query-kvm", reply);
        return new KvmInfo(flag("query-kvm", m, "enabled"), flag("query-kvm", m, "present"));
    }

    /** {@code query-blockstats}' answer: a list of {device, stats {NAME: number}} objects. */
    static List<BlockStatsInfo> blockStats(Object reply) {
        String cmd = "query-blockstats";
        if (!(reply instanceof List<?> list)) {
            throw new QmpException("the engine answered '" + cmd + "' with " + reply + ", not a JSON array");
        }
        List<BlockStatsInfo> out = new ArrayList<>();
        for (Object e : list) {
            Map<?, ?> m = object(cmd, e);
            Map<String, Long> counters = new LinkedHashMap<>();
            for (Map.Entry<?, ?> c : object(cmd, m.get("stats")).entrySet()) {
                if (c.getValue() instanceof Number n) {
                    counters.put((String) c.getKey(), n.longValue());
                }
            }
            out.add(new BlockStatsInfo(string(cmd, m, "device").orElse(""), counters));
        }
        return out;
    }

    /** {@code query-migrate-parameters}' answer: the two parameters the driver sets. */
    static MigrationParameters parameters(Object reply) {
        String cmd = "query-migrate-parameters";
        Map<?, ?> m = object(cmd, reply);
        return new MigrationParameters(number(cmd, m, "max-bandwidth"), number(cmd, m, "downtime-limit"));
    }

    /**
     * An event from its name and {@code data} object. An event the driver acts on whose data does not fit is
     * reported as {@link QmpEvent.Other}, so a bad event is logged rather than ending the connection.
     */
    static QmpEvent event(String name, Map<?, ?> data) {
        try {
            switch (name) {
                case "STOP":
                    return new QmpEvent.Stop();
                case "RESUME":
                    return new QmpEvent.Resume();
                case "SHUTDOWN":
                    return new QmpEvent.Shutdown(Boolean.TRUE.equals(data.get("guest")),
                            string(name, data, "reason").orElse(""));
                case "MIGRATION":
                    return new QmpEvent.Migration(MigrationStatus.of(string(name, data, "status").orElse(null)));
                case "MIGRATION_PASS":
                    return new QmpEvent.MigrationPass(number(name, data, "pass").orElse(0));
                default:
                    return new QmpEvent.Other(name);
            }
        } catch (QmpException e) {
            return new QmpEvent.Other(name);
        }
    }

    private static Map<?, ?> object(String command, Object reply) {
        if (reply instanceof Map<?, ?> m) {
            return m;
        }
        throw new QmpException("the engine answered '" + command + "' with " + reply + ", not a JSON object");
    }

    private static Optional<String> string(String command, Map<?, ?> m, String member) {
        Object v = m.get(member);
        if (v == null || v instanceof String) {
            return Optional.ofNullable((String) v);
        }
        throw malformed(command, member, v);
    }

    private static OptionalLong number(String command, Map<?, ?> m, String member) {
        Object v = m.get(member);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (v instanceof Number n) {
            return OptionalLong.of(n.longValue());
        }
        throw malformed(command, member, v);
    }

    private static double decimal(String command, Map<?, ?> m, String member) {
        Object v = m.get(member);
        if (v == null || v instanceof Number) {
            return v == null ? 0.0 : ((Number) v).doubleValue();
        }
        throw malformed(command, member, v);
    }

    private static boolean flag(String command, Map<?, ?> m, String member) {
        Object v = m.get(member);
        if (v instanceof Boolean b) {
            return b;
        }
        throw malformed(command, member, v);
    }

    private static List<String> strings(String command, Map<?, ?> m, String member) {
        Object v = m.get(member);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw malformed(command, member, v);
        }
        List<String> out = new ArrayList<>(l.size());
        for (Object o : l) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    private static QmpException malformed(String command, String member, Object value) {
        String what = value == null ? "no " + member : member + " " + value;
        return new QmpException("the engine's answer to '" + command + "' has " + what + ", which does not fit "
                + "QMP; check that the engine and the driver are from the same jkvm");
    }
}
