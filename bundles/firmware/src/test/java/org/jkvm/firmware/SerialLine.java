package org.jkvm.firmware;

import java.util.LinkedHashMap;
import java.util.Map;

/** Splits a firmware serial line into its {@code key=value} words (test helper; contracts §3). */
final class SerialLine {
    private SerialLine() {
    }

    static Map<String, String> fields(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String word : line.trim().split(" +")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                out.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return out;
    }

    static long number(Map<String, String> fields, String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new AssertionError("no " + key + "= in " + fields);
        }
        return Long.parseLong(v);
    }
}
