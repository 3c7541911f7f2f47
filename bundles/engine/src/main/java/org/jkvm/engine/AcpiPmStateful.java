package org.jkvm.engine;

import org.jkvm.devices.acpi.AcpiPm;
import org.jkvm.devices.acpi.AcpiPmState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;

/** The ACPI PM device as a migratable component: section {@code acpi-pm}, payload = {@link AcpiPmState#encode}. */
final class AcpiPmStateful implements Stateful<AcpiPmState> {
    private final AcpiPm pm;

    AcpiPmStateful(AcpiPm pm) {
        this.pm = pm;
    }

    @Override
    public String stateName() {
        return "acpi-pm";
    }

    @Override
    public int stateVersion() {
        return AcpiPmState.VERSION;
    }

    @Override
    public int stateMinVersion() {
        return AcpiPmState.MIN_VERSION;
    }

    @Override
    public AcpiPmState saveState() {
        return pm.save();
    }

    @Override
    public void restoreState(AcpiPmState state) {
        pm.restore(state);
    }

    @Override
    public void encode(AcpiPmState state, StateWriter out) {
        out.bytes(state.encode());
    }

    @Override
    public AcpiPmState decode(StateReader in, int version) {
        byte[] bytes = in.bytes(AcpiPmState.BYTES);
        in.expectEnd();
        try {
            return AcpiPmState.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw in.corrupt(e.getMessage());
        }
    }
}
