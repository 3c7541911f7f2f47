package org.jkvm.engine.net;

import org.jkvm.engine.EngineException;

/**
 * When the "I'm over here" announcement is sent, in QEMU's terms (its {@code announce-*} migration parameters and
 * {@code announce-self} arguments): {@code rounds} rounds, the first at once, then gaps of {@code initial},
 * {@code initial + step}, ... milliseconds, each gap at most {@code max}. QEMU's defaults (50, 550, 5, 100) send at
 * about 0, 50, 200, 450 and 800 ms. {@code rounds = 0} turns the announcement off.
 *
 * @param initialMs the first gap, ms
 * @param maxMs     the longest gap, ms
 * @param rounds    how many rounds, 0 for none
 * @param stepMs    how much each gap grows, ms
 */
public record AnnounceTiming(long initialMs, long maxMs, long rounds, long stepMs) {
    /** QEMU's defaults. */
    public static final AnnounceTiming DEFAULT = new AnnounceTiming(50, 550, 5, 100);
    /** The largest value of any field QEMU accepts (a 100-round, 100-second schedule is already absurd). */
    public static final long LIMIT = 100_000;

    /**
     * Checks the ranges QEMU checks.
     *
     * @throws EngineException naming the field
     */
    public AnnounceTiming {
        check("announce-initial", initialMs, 1);
        check("announce-max", maxMs, 1);
        check("announce-rounds", rounds, 0);
        check("announce-step", stepMs, 0);
        if (maxMs < initialMs) {
            throw new EngineException("announce-max " + maxMs + " is below announce-initial " + initialMs
                    + "; give a maximum at least the initial gap");
        }
    }

    private static void check(String name, long v, long min) {
        if (v < min || v > LIMIT) {
            throw new EngineException(name + " " + v + " is out of range; give " + min + " to " + LIMIT);
        }
    }

    /** The gap in ms after round {@code round} (0-based) before the next one. */
    public long gapAfter(long round) {
        return Math.min(initialMs + round * stepMs, maxMs);
    }

    /** Copies with one field changed by its QEMU parameter name ({@code announce-initial}, ...). */
    public AnnounceTiming with(String name, long value) {
        return switch (name) {
            case "announce-initial", "initial" -> new AnnounceTiming(value, maxMs, rounds, stepMs);
            case "announce-max", "max" -> new AnnounceTiming(initialMs, value, rounds, stepMs);
            case "announce-rounds", "rounds" -> new AnnounceTiming(initialMs, maxMs, value, stepMs);
            case "announce-step", "step" -> new AnnounceTiming(initialMs, maxMs, rounds, value);
            default -> throw new EngineException("'" + name + "' is not an announce parameter; the parameters are "
                    + "announce-initial, announce-max, announce-rounds and announce-step");
        };
    }
}
