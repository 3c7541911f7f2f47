package org.jkvm.migration.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Compares two configuration fingerprints key by key. */
public final class ConfigDiff {
    private ConfigDiff() {
    }

    /**
     * Every difference, in key order, as {@code "key: source X, here Y"}, {@code "key: only on the source (X)"} or
     * {@code "key: only here (Y)"}. Empty when the fingerprints are equal.
     */
    public static List<String> differences(Map<String, String> source, Map<String, String> here) {
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(source.keySet());
        keys.addAll(here.keySet());
        for (String k : keys) {
            String s = source.get(k);
            String h = here.get(k);
            if (s == null) {
                out.add(k + ": only here (" + h + ")");
            } else if (h == null) {
                out.add(k + ": only on the source (" + s + ")");
            } else if (!s.equals(h)) {
                out.add(k + ": source " + s + ", here " + h);
            }
        }
        return out;
    }
}
