package org.jkvm.engine;

import org.jkvm.devices.serial.Serial16550;
import org.jkvm.devices.serial.Serial16550State;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/** COM1 as a migratable component: section {@code serial}, instance 0, payload = {@link Serial16550State#encode}. */
final class SerialStateful implements Stateful<Serial16550State> {
    private final Serial16550 uart;

    SerialStateful(Serial16550 uart) {
        this.uart = uart;
    }

    @Override
    public String stateName() {
        return "serial";
    }

    @Override
    public int stateVersion() {
        return Serial16550State.VERSION;
    }

    @Override
    public int stateMinVersion() {
        return Serial16550State.MIN_VERSION;
    }

    @Override
    public Serial16550State saveState() {
        return uart.save();
    }

    @Override
    public void restoreState(Serial16550State state) {
        uart.restore(state);
    }

    @Override
    public void encode(Serial16550State state, StateWriter out) {
        out.bytes(state.encode());
    }

    @Override
    public Serial16550State decode(StateReader in, int version) {
        byte[] bytes = in.bytes(64 * 1024);
        in.expectEnd();
        try {
            return Serial16550State.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw in.corrupt(e.getMessage());
        }
    }
}
