package org.jkvm.monitor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmarks' {@code -Djvms=} option: which JVMs run the jkvm engines, so that two JVMs are compared in the same
 * run (beside QEMU). A comma-separated list of {@code default} (bin/jkvm-engine's own choice) and {@code LABEL=JAVA}
 * (the engine runs with {@code JKVM_JAVA=JAVA}, its row is named {@code ENGINE@LABEL}). Stateless.
 */
final class EngineJvms {
    private EngineJvms() {
    }

    /**
     * @return an engine name's suffix ("" for the default, else "@LABEL") to its JKVM_JAVA (null for the default), in
     *         the order given
     */
    static Map<String, String> parse(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : spec.split(",")) {
            String s = item.strip();
            if (s.equals("default")) {
                out.put("", null);
            } else if (s.indexOf('=') > 0) {
                out.put("@" + s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
            } else if (!s.isEmpty()) {
                throw new IllegalArgumentException("-Djvms item '" + s + "' is neither default nor LABEL=JAVA;"
                        + " write e.g. -Djvms=default,jdk17=/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
            }
        }
        return out;
    }

    /** A process builder for {@code cmd}, with JKVM_JAVA set when {@code engine}'s name ends in one of the labels. */
    static ProcessBuilder builder(String engine, List<String> cmd, Map<String, String> jvms) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        int at = engine.indexOf('@');
        if (at >= 0 && jvms.get(engine.substring(at)) != null) {
            pb.environment().put("JKVM_JAVA", jvms.get(engine.substring(at)));
        }
        return pb;
    }
}
