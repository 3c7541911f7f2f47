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
            if (s == null) {
                Map<String, Object> in = m.queryMigrate();
                return in.isEmpty() ? "" : "Migration status: " + in.get("status")
                        + (in.containsKey("error-desc") ? "\nerror description: " + in.get("error-desc") : "");
            }
            return s.toHmpText().stripTrailing();
        });
        hmp.register("info migrate_parameters", "info migrate_parameters -- show the migration parameters",
                a -> format(m.queryParameters()));
        hmp.register("info migrate_capabilities", "info migrate_capabilities -- show the migration capabilities",
                a -> "auto-converge: " + (m.params().autoConverge() ? "on" : "off") + "\nevents: on");
        hmp.register("migrate", "migrate [-d] URI -- migrate to URI (tcp:HOST:PORT, unix:PATH, exec:CMD)", a -> {
            String uri = a.startsWith("-d ") ? a.substring(3).trim() : a.trim();
            if (uri.isEmpty()) {
                return "Error: give the destination URI, e.g. migrate -d tcp:127.0.0.1:4444";
            }
            m.migrate(uri);
            return "";
        });
        hmp.register("migrate_cancel", "migrate_cancel -- cancel the current migration", a -> {
            m.cancel();
            return "";
        });
        hmp.register("migrate_incoming", "migrate_incoming URI -- listen for a migration (-incoming defer)", a -> {
            m.startIncoming(a.trim(), true);
            return "";
        });
        hmp.register("migrate_set_speed", "migrate_set_speed SIZE -- bandwidth limit in bytes/s (suffix K, M, G)",
                a -> {
                    long bytes = a.trim().matches("[0-9]+") ? Long.parseLong(a.trim())
                            : VmConfigParser.parseMemory(a.trim());
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
        hmp.register("migrate_set_capability", "migrate_set_capability NAME on|off -- e.g. auto-converge", a -> {
            String[] w = a.trim().split(" ");
            if (w.length != 2 || !(w[1].equals("on") || w[1].equals("off"))) {
                return "Error: write migrate_set_capability NAME on|off";
            }
            m.setCapability(w[0], w[1].equals("on"));
            return "";
        });
    }

    private static String format(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
        return b.toString().stripTrailing();
    }
}
