package org.jkvm.vmstate;

/**
 * A component with state that survives a migration or a save/restore: a vCPU, the interrupt controller, a
 * device. The component's state is a record {@code S} that models the hardware (not the implementation);
 * {@link #encode}/{@link #decode} map it to a section payload by hand.
 *
 * <p>Versioning rule: {@link #stateVersion()} is bumped only for an incompatible layout change, and
 * {@link #decode} accepts every version from {@link #stateMinVersion()} to {@link #stateVersion()}. Optional data
 * added later goes into a named subsection ({@link StateWriter#subsection}) instead of a new version.
 *
 * <p>{@link #saveState()} is only called while the VM is paused; {@link #restoreState} only before it runs.
 *
 * @param <S> the state record
 */
public interface Stateful<S> {
    /** The section name (e.g. {@code "serial"}), see {@link StateSection} for the allowed characters. */
    String stateName();

    /** Tells apart several components of one kind (vCPU index, device index); 0 by default. */
    default int stateInstance() {
        return 0;
    }

    /** The version {@link #encode} writes. */
    int stateVersion();

    /** The oldest version {@link #decode} still reads; the current version by default. */
    default int stateMinVersion() {
        return stateVersion();
    }

    /** Captures the current state. */
    S saveState();

    /** Replaces the current state; {@code state} was produced by {@link #decode} and is already validated. */
    void restoreState(S state);

    /** Writes {@code state} at {@link #stateVersion()}. */
    void encode(S state, StateWriter out);

    /**
     * Reads a state written at {@code version} (already checked to be in range). Must validate every value (a
     * register index, a queue size) and throw {@link StateReader#corrupt} naming the bad one.
     */
    S decode(StateReader in, int version);

    /** {@link #saveState()} encoded as a section. */
    default StateSection saveSection() {
        StateWriter out = new StateWriter();
        encode(saveState(), out);
        return new StateSection(stateName(), stateInstance(), stateVersion(), out.toByteArray());
    }

    /**
     * Decodes a section meant for this component, checking its name, instance and version range; does not apply
     * it (see {@link StateSet#restore} for the two-phase check-then-apply).
     */
    default S decodeSection(StateSection section) {
        if (!section.name().equals(stateName()) || section.instance() != stateInstance()) {
            throw new VmStateException("state section " + section.label() + " was given to component "
                    + stateName() + "#" + stateInstance() + "; the sections are out of order");
        }
        if (section.version() < stateMinVersion() || section.version() > stateVersion()) {
            throw new VmStateException("state section " + section.label() + " has version " + section.version()
                    + " but this build reads versions " + stateMinVersion() + " to " + stateVersion()
                    + "; migrate between compatible jkvm versions");
        }
        return decode(section.reader(), section.version());
    }
}
