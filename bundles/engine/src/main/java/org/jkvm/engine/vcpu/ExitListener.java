package org.jkvm.engine.vcpu;

import org.jkvm.engine.VmExit;

/** Told, on the vCPU thread, about what ends or resets the machine. */
@FunctionalInterface
public interface ExitListener {
    /** The loop ended; no more guest code runs. */
    void vcpuFinished(VmExit exit);

    /**
     * The guest reset the machine ({@code source}: {@code "triple-fault"}, {@code "i8042"}, {@code "cf9"},
     * {@code "acpi"}); called on the vCPU thread with the vCPU out of the guest.
     *
     * @return true when the machine was reset and the guest goes on; false to end the loop (a triple fault then
     *         ends it as a failure, with a register dump)
     */
    default boolean guestReset(String source) {
        return false;
    }
}
