package org.jkvm.devices;

/** An {@link IrqLine} that remembers its level and counts rising edges. */
public final class RecordingLine implements IrqLine {
    private boolean level;
    private int edges;

    @Override
    public synchronized void raise() {
        if (!level) {
            edges++;
        }
        level = true;
    }

    @Override
    public synchronized void lower() {
        level = false;
    }

    /** The current level. */
    public synchronized boolean level() {
        return level;
    }

    /** Rising edges so far. */
    public synchronized int edges() {
        return edges;
    }
}
