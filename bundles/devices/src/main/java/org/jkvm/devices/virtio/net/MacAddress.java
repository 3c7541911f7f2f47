package org.jkvm.devices.virtio.net;

import java.util.Arrays;

/**
 * A 48-bit Ethernet address, written as six colon-separated hex pairs ({@code 52:54:00:12:34:56}).
 *
 * @param bytes the six bytes in wire order
 */
public record MacAddress(byte[] bytes) {
    /** The broadcast address. */
    public static final MacAddress BROADCAST = new MacAddress(new byte[] {-1, -1, -1, -1, -1, -1});

    /** Checks the length and copies the bytes. */
    public MacAddress {
        if (bytes.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + bytes.length);
        }
        bytes = bytes.clone();
    }

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff} (hex, either case; {@code -} also accepted as the separator).
     *
     * @throws IllegalArgumentException with a sentence naming the bad text
     */
    public static MacAddress parse(String text) {
        String[] parts = text.split("[:-]", -1);
        byte[] b = new byte[6];
        boolean ok = parts.length == 6;
        for (int i = 0; ok && i < 6; i++) {
            ok = parts[i].matches("[0-9a-fA-F]{2}");
            if (ok) {
                b[i] = (byte) Integer.parseInt(parts[i], 16);
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address; write six hex pairs separated "
                    + "by colons, e.g. 52:54:00:12:34:56");
        }
        return new MacAddress(b);
    }

    /** Whether the group (multicast) bit is set: such an address cannot be a NIC's own. */
    public boolean multicast() {
        return (bytes[0] & 1) != 0;
    }

    /** A copy of the six bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** {@code aa:bb:cc:dd:ee:ff}, lower case. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                s.append(':');
            }
            s.append(Character.forDigit((bytes[i] >> 4) & 0xf, 16)).append(Character.forDigit(bytes[i] & 0xf, 16));
        }
        return s.toString();
    }
}
