package org.jkvm.vmstate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stateful components of one VM, saved and restored together. {@link #restore} is two-phase: every section
 * is matched and decoded first, and only when all of them are valid is any component changed, so a bad stream
 * never leaves a half-restored VM.
 *
 * <p>Engines build one from their vCPUs and devices and implement {@link Migratable#saveState()} and
 * {@link Migratable#restoreState} with it. Immutable once built; thread-safety is that of the components.
 */
public final class StateSet {
    private final Map<String, Stateful<?>> parts;

    private StateSet(Map<String, Stateful<?>> parts) {
        this.parts = parts;
    }

    /**
     * @param components each with a distinct {@code name#instance}; saved in this order
     * @throws VmStateException when two components share a label
     */
    public static StateSet of(List<? extends Stateful<?>> components) {
        Map<String, Stateful<?>> map = new LinkedHashMap<>();
        for (Stateful<?> c : components) {
            String label = c.stateName() + "#" + c.stateInstance();
            if (map.put(label, c) != null) {
                throw new VmStateException("two components are both named " + label
                        + "; give each instance its own number");
            }
        }
        return new StateSet(map);
    }

    /** Saves every component, in registration order. */
    public List<StateSection> save() {
        List<StateSection> out = new ArrayList<>(parts.size());
        for (Stateful<?> c : parts.values()) {
            out.add(c.saveSection());
        }
        return out;
    }

    /**
     * Checks that {@code sections} has exactly one section per component, decodes them all, then restores them
     * all.
     *
     * @throws VmStateException naming the unknown, repeated, missing or malformed section; nothing is restored
     */
    public void restore(List<StateSection> sections) {
        Map<String, Object> decoded = new HashMap<>();
        for (StateSection s : sections) {
            Stateful<?> c = parts.get(s.label());
            if (c == null) {
                throw new VmStateException("state section " + s.label() + " matches no component of this VM; "
                        + "start the destination with the same configuration as the source");
            }
            if (decoded.containsKey(s.label())) {
                throw new VmStateException("state section " + s.label() + " appears twice in the stream");
            }
            decoded.put(s.label(), c.decodeSection(s));
        }
        for (String label : parts.keySet()) {
            if (!decoded.containsKey(label)) {
                throw new VmStateException("the stream has no state section for " + label
                        + "; start the destination with the same configuration as the source");
            }
        }
        for (Map.Entry<String, Stateful<?>> e : parts.entrySet()) {
            apply(e.getValue(), decoded.get(e.getKey()));
        }
    }

    /** Number of components. */
    public int size() {
        return parts.size();
    }

    @SuppressWarnings("unchecked")
    private static <S> void apply(Stateful<S> c, Object state) {
        c.restoreState((S) state);
    }
}
