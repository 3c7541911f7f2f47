package org.jkvm.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * QEMU's option syntax, shared by every option the engine parses the way QEMU does ({@code -drive}, {@code -device},
 * {@code -netdev}, {@code -initrd}): comma-separated parts where a doubled comma is a comma inside a part, and
 * {@code key=value} parts. Stateless; thread-safe.
 */
public final class QemuOptions {
    private QemuOptions() {
    }

    /** Splits {@code value} at single commas; {@code ,,} is a literal comma. Always at least one (maybe empty) part. */
    public static List<String> split(String value) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ',' && i + 1 < value.length() && value.charAt(i + 1) == ',') {
                cur.append(',');
                i++;
            } else if (c == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    /**
     * Splits {@code key=value,key=value}; a key outside {@code keys}, or one given twice, is an error naming the
     * option. A leading part without {@code =} is returned under the key {@code ""} (a device's driver name); a later
     * part without {@code =} is a flag, {@code on}.
     *
     * @param option the option's name for error sentences, e.g. {@code "-drive"}
     * @return the keys in the order given
     * @throws EngineException naming the unknown or repeated key
     */
    public static Map<String, String> keyValues(String option, String value, Set<String> keys) {
        List<String> parts = split(value);
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            int eq = p.indexOf('=');
            String k = eq < 0 && i == 0 ? "" : eq < 0 ? p : p.substring(0, eq);
            String v = eq < 0 ? (i == 0 ? p : "on") : p.substring(eq + 1);
            if (!k.isEmpty() && !keys.contains(k)) {
                throw new EngineException(option + " " + value + ": '" + k + "' is not supported; the keys are "
                        + new TreeSet<>(keys));
            }
            if (kv.put(k, v) != null) {
                throw new EngineException(option + " " + value + " gives " + (k.isEmpty() ? "the driver" : k)
                        + " twice; give it once");
            }
        }
        return kv;
    }
}
