package org.jkvm.vmstate;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The saved state of one component instance: what the migration stream carries as a device section.
 *
 * <p>{@code name} identifies the component kind ({@code "cpu"}, {@code "serial"}, {@code "virtio-rng"}),
 * {@code instance} tells apart several of the same kind (vCPU index, port), {@code version} is the encoding
 * version of {@code payload} (a reader accepts {@code MIN_VERSION..VERSION} of that component). The payload is
 * written with {@link StateWriter} and read with {@link StateReader}. Records are immutable: the payload array
 * is copied in and must not be modified through {@link #payload()}.
 *
 * @param name     1..{@value #MAX_NAME_LENGTH} characters of {@code [a-z0-9_./-]}
 * @param instance 0 or more
 * @param version  1 or more
 * @param payload  at most {@value #MAX_PAYLOAD_BYTES} bytes
 */
public record StateSection(String name, int instance, int version, byte[] payload) {
    /** Longest section name, in characters (ASCII, so also in bytes). */
    public static final int MAX_NAME_LENGTH = 64;
    /** Largest payload of one section, in bytes (16 MiB): a reader refuses bigger lengths before allocating. */
    public static final int MAX_PAYLOAD_BYTES = 16 << 20;

    private static final Pattern NAME = Pattern.compile("[a-z0-9_./-]{1," + MAX_NAME_LENGTH + "}");

    /** Validates the fields and copies the payload. */
    public StateSection {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new VmStateException("state section name '" + name + "' is invalid; use 1 to " + MAX_NAME_LENGTH
                    + " characters of a-z 0-9 _ . / -");
        }
        if (instance < 0 || version < 1) {
            throw new VmStateException("state section '" + name + "' has instance " + instance + " and version "
                    + version + "; instance must be >= 0 and version >= 1");
        }
        if (payload == null || payload.length > MAX_PAYLOAD_BYTES) {
            throw new VmStateException("state section '" + name + "' payload of "
                    + (payload == null ? "null" : payload.length + " bytes") + " is invalid; at most "
                    + MAX_PAYLOAD_BYTES + " bytes are allowed");
        }
        payload = payload.clone();
    }

    /** {@code name} and {@code instance} as {@code name#instance}, for messages. */
    public String label() {
        return name + "#" + instance;
    }

    /** A reader over the payload whose errors name this section. */
    public StateReader reader() {
        return new StateReader(payload, label());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StateSection s && s.name.equals(name) && s.instance == instance && s.version == version
                && Arrays.equals(s.payload, payload);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + instance) * 31 + version * 17 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "StateSection[" + label() + " v" + version + ", " + payload.length + " bytes]";
    }
}
