package org.jkvm.engine.platform;

import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/**
 * A platform component as a migration section: its name, instance and version, how to save and restore it, how
 * to encode and decode it (one version: these sections are new). Immutable.
 *
 * @param <S> the state record
 */
final class Section<S> implements Stateful<S> {
    /** Writes a state. */
    interface Encoder<S> {
        void encode(S state, StateWriter out);
    }

    private final String name;
    private final int instance;
    private final int version;
    private final Supplier<S> save;
    private final Consumer<S> restore;
    private final Encoder<S> encoder;
    private final Function<StateReader, S> decoder;

    Section(String name, int instance, int version, Supplier<S> save, Consumer<S> restore, Encoder<S> encoder,
            Function<StateReader, S> decoder) {
        this.name = name;
        this.instance = instance;
        this.version = version;
        this.save = save;
        this.restore = restore;
        this.encoder = encoder;
        this.decoder = decoder;
    }

    @Override
    public String stateName() {
        return name;
    }

    @Override
    public int stateInstance() {
        return instance;
    }

    @Override
    public int stateVersion() {
        return version;
    }

    @Override
    public S saveState() {
        return save.get();
    }

    @Override
    public void restoreState(S state) {
        restore.accept(state);
    }

    @Override
    public void encode(S state, StateWriter out) {
        encoder.encode(state, out);
    }

    @Override
    public S decode(StateReader in, int v) {
        try {
            S state = decoder.apply(in);
            in.expectEnd();
            return state;
        } catch (IllegalArgumentException e) {
            throw in.corrupt(e.getMessage());
        }
    }
}
