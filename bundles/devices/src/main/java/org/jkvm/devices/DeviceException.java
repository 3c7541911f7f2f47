package org.jkvm.devices;

/** A device or bus set-up that cannot be done, e.g. two devices claiming overlapping ranges. */
public final class DeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what was wrong */
    public DeviceException(String message) {
        super(message);
    }
}
