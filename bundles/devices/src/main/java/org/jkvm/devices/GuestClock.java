package org.jkvm.devices;

/**
 * The guest's time as a device sees it, in nanoseconds: what its timers count (the ACPI PM timer, the RTC's
 * updates). The engine injects it: on KVM the host's monotonic clock (a guest's time runs with the host's), on the
 * software CPU the virtual TSC converted to nanoseconds. It never goes backwards, stands still while the VM is
 * paused only where the backend's guest time does, and continues across a migration from where the source left it
 * (devices save the values they derived from it, not the clock).
 *
 * <p>Implementations are thread-safe: devices read it on the vCPU thread and on monitor threads.
 */
@FunctionalInterface
public interface GuestClock {
    /** The guest's monotonic time in nanoseconds (the origin is arbitrary; only differences mean something). */
    long nanos();
}
