package org.jkvm.devices;

/**
 * An interrupt line a device raises (a level: asserted while the device has a pending interrupt).
 *
 * <p>The jkvm firmware polls and never enables interrupts, so the engine currently wires {@link #NONE}; an
 * irqfd-backed line can be injected later without changing the devices.
 */
public interface IrqLine {
    /** A line connected to nothing. */
    IrqLine NONE = new IrqLine() {
        @Override
        public void raise() {
        }

        @Override
        public void lower() {
        }
    };

    /** Asserts the line. */
    void raise();

    /** De-asserts the line. */
    void lower();

    /** Asserts or de-asserts according to {@code level}. */
    default void set(boolean level) {
        if (level) {
            raise();
        } else {
            lower();
        }
    }
}
