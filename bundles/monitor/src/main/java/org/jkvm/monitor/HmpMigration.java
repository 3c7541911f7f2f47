package org.jkvm.monitor;

import java.util.Map;

import org.jkvm.engine.VmConfigParser;
import org.jkvm.migration.MigrationStats;

/** The HMP forms of the migration commands (QEMU's spellings), over {@link MigrationCommands}. */
final class HmpMigration {
    private HmpMigration() {
    }

    static void register(MigrationCommands m, Hmp hmp) {
        hmp.register("info migrate", "info migrate -- show the migration status", a -> {
            MigrationStats s = m.outgoingStats();
            String blocker = m.blocker();
            String blocked = blocker == null ? "" : "Outgoing migration blocked:\n  " + blocker + "\n";
            if (s == null) {
                Map<String, Object> in = m.queryMigrate();
                return in.containsKey("status") ? blocked + "Migration status: " + in.get("status")
                        + (in.containsKey("error-desc") ? "\nerror description: " + in.get("error-desc") : "")
                        : blocked.stripTrailing();
            }
            return blocked + s.toHmpText().stripTrailing();
        });
        hmp.register("info migrate_parameters", "info migrate_parameters -- show the migration parameters",
                a -> format(m.queryParameters()));
        hmp.register("info migrate_capabilities", "info migrate_capabilities -- show the migration capabilities",
                a -> "auto-converge: " + (m.params().autoConverge() ? "on" : "off") + "\nevents: on");
        hmp.register("migrate", "migrate [-d] URI -- migrate to URI (tcp:HOST:PORT, unix:PATH, exec:CMD); without "
                + "-d, return when it has completed or failed", a -> migrate(m, a));
        hmp.register("migrate_cancel", "migrate_cancel -- cancel the current migration", a -> {
            m.cancel();
            return "";
        });
        hmp.register("migrate_incoming", "migrate_incoming URI -- listen for a migration (-incoming defer)", a -> {
            m.startIncoming(unquote(a), true);
            return "";
        });
        hmp.register("migrate_set_speed", "migrate_set_speed SIZE -- bandwidth limit in bytes/s (suffix K, M, G)",
                a -> {
                    long bytes;
                    try {
                        bytes = a.trim().matches("[0-9]{1,18}") ? Long.parseLong(a.trim())
                                : VmConfigParser.parseMemory(a.trim());
                    } catch (org.jkvm.engine.EngineException e) {
                        return "Error: invalid speed '" + a.trim() + "'; give bytes per second with an optional "
                                + "k/m/g suffix, e.g. migrate_set_speed 1g";
                    }
                    m.setParameters(Map.of("max-bandwidth", bytes));
                    return "";
                });
        hmp.register("migrate_set_downtime", "migrate_set_downtime SECONDS -- largest acceptable pause", a -> {
            try {
                m.setParameters(Map.of("downtime-limit", Math.round(Double.parseDouble(a.trim()) * 1000)));
            } catch (NumberFormatException e) {
                return "Error: give the downtime in seconds, e.g. migrate_set_downtime 0.3";
            }
            return "";
        });
        hmp.register("migrate_set_parameter", "migrate_set_parameter NAME VALUE -- e.g. max-bandwidth 32m, "
                + "downtime-limit 300 (ms), cpu-throttle-initial 20, cpu-throttle-increment 10, max-cpu-throttle 99",
                a -> setParameter(m, a.trim().split(" ")));
        hmp.register("migrate_set_capability", "migrate_set_capability NAME on|off -- e.g. auto-converge", a -> {
            String[] w = a.trim().split(" ");
            if (w.length != 2 || !(w[1].equals("on") || w[1].equals("off"))) {
                return "Error: write migrate_set_capability NAME on|off";
            }
            m.setCapability(w[0], w[1].equals("on"));
            return "";
        });
    }

    /** {@code migrate [-d] URI}: with {@code -d} returns at once, else waits for the job's end (QEMU's HMP). */
    private static String migrate(MigrationCommands m, String args) {
        String a = args.trim();
        boolean detach = false;
        while (a.startsWith("-")) {
            int sp = a.indexOf(' ');
            String flag = sp < 0 ? a : a.substring(0, sp);
            if (!flag.equals("-d")) {
                return "Error: migrate has no option " + flag + "; write migrate [-d] URI";
            }
            detach = true;
            a = sp < 0 ? "" : a.substring(sp + 1).trim();
        }
        String uri = unquote(a);
        if (uri.isEmpty()) {
            return "Error: give the destination URI, e.g. migrate -d tcp:127.0.0.1:4444";
        }
        m.migrate(uri);
        if (detach) {
            return "";
        }
        MigrationStats s;
        try {
            s = m.awaitOutgoing();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "Error: interrupted while waiting; the migration goes on (see info migrate)";
        }
        return switch (s.status()) {
            case COMPLETED -> "";
            case CANCELLED -> "migrate: the migration was cancelled; the guest keeps running here";
            default -> "Error: migration failed: " + s.errorDesc();
        };
    }

    private static String setParameter(MigrationCommands m, String[] w) {
        if (w.length != 2) {
            return "Error: write migrate_set_parameter NAME VALUE, e.g. migrate_set_parameter downtime-limit 300";
        }
        long v;
        try {
            v = w[0].equals("max-bandwidth") && !w[1].matches("[0-9]{1,18}") ? VmConfigParser.parseMemory(w[1])
                    : Long.parseLong(w[1]);
        } catch (NumberFormatException | org.jkvm.engine.EngineException e) {
            return "Error: invalid value '" + w[1] + "' for " + w[0] + "; give a whole number (max-bandwidth also "
                    + "takes a k/m/g suffix)";
        }
        m.setParameters(Map.of(w[0], v));
        return "";
    }

    /** Drops one pair of surrounding double quotes, as QEMU's HMP does for a string argument. */
    static String unquote(String s) {
        String t = s.trim();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1).trim() : t;
    }

    private static String format(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        return b.toString().stripTrailing();
    }
}
