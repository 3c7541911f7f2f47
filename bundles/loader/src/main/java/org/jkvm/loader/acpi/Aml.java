package org.jkvm.loader.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few AML encodings the DSDT uses (ACPI 6.0 §20.2, the AML grammar), each returning its bytes:
 *
 * <pre>
 * DefScope   := ScopeOp 0x10, PkgLength, NameString, TermList
 * DefDevice  := ExtOpPrefix 0x5B, DeviceOp 0x82, PkgLength, NameString, TermList
 * DefName    := NameOp 0x08, NameString, DataRefObject
 * DefPackage := PackageOp 0x12, PkgLength, NumElements (one byte), PackageElementList
 * DefBuffer  := BufferOp 0x11, PkgLength, BufferSize (an integer), ByteList
 * integers   := ZeroOp 0x00, OneOp 0x01, or BytePrefix 0x0A / WordPrefix 0x0B / DWordPrefix 0x0C with the value
 * PkgLength  := the length of the package including the PkgLength bytes themselves; one byte (bits 5-0) below 64,
 *               else a lead byte (bits 7-6: how many bytes follow, 1 to 3; bits 3-0: the low nibble) and the
 *               following bytes holding bits 4-11, 12-19, 20-27
 * NameSeg    := four characters, names shorter than four padded with '_'; RootChar 0x5C before an absolute name
 * </pre>
 *
 * Stateless.
 */
final class Aml {
    private Aml() {
    }

    /** {@code Scope (name) { body }}. */
    static byte[] scope(String name, byte[]... body) {
        return cat(new byte[] {0x10}, pkg(cat(nameString(name), cat(body))));
    }

    /** {@code Device (name) { body }}. */
    static byte[] device(String name, byte[]... body) {
        return cat(new byte[] {0x5B, (byte) 0x82}, pkg(cat(nameString(name), cat(body))));
    }

    /** {@code Name (name, value)}. */
    static byte[] name(String name, byte[] value) {
        return cat(new byte[] {0x08}, nameString(name), value);
    }

    /** {@code Package (n) { elements }} with n = the number of elements (at most 255). */
    static byte[] pkgOf(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException(elements.length + " package elements");
        }
        return cat(new byte[] {0x12}, pkg(cat(new byte[] {(byte) elements.length}, cat(elements))));
    }

    /** {@code Buffer (n) { bytes }}. */
    static byte[] buffer(byte[] bytes) {
        return cat(new byte[] {0x11}, pkg(cat(integer(bytes.length), bytes)));
    }

    /** The shortest encoding of an integer in 0 .. 2^32 - 1. */
    static byte[] integer(long v) {
        if (v == 0 || v == 1) {
            return new byte[] {(byte) v};
        } else if (v < 0x100) {
            return new byte[] {0x0A, (byte) v};
        } else if (v < 0x10000) {
            return new byte[] {0x0B, (byte) v, (byte) (v >> 8)};
        } else if (v <= 0xFFFF_FFFFL) {
            return new byte[] {0x0C, (byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
        }
        throw new IllegalArgumentException("integer " + v + " needs a QWord");
    }

    /**
     * An EISA id such as {@code PNP0A03} as the 32-bit integer {@code EisaId()} makes: three letters of five bits
     * each ('A' = 1) in the first 16 bits, then four hex digits, stored big-endian (ACPI 6.0 §19.6.35).
     */
    static byte[] eisaId(String id) {
        int letters = (id.charAt(0) - '@') << 10 | (id.charAt(1) - '@') << 5 | (id.charAt(2) - '@');
        int product = Integer.parseInt(id.substring(3), 16);
        return new byte[] {0x0C, (byte) (letters >> 8), (byte) letters, (byte) (product >> 8), (byte) product};
    }

    /** A NameString: an optional leading backslash, then NameSegs separated by dots (one or two here). */
    static byte[] nameString(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String rest = name;
        if (rest.startsWith("\\")) {
            out.write(0x5C);
            rest = rest.substring(1);
        }
        String[] segs = rest.split("\\.");
        if (segs.length == 2) {
            out.write(0x2E);  // DualNamePrefix
        } else if (segs.length != 1) {
            throw new IllegalArgumentException("name " + name);
        }
        for (String s : segs) {
            if (s.isEmpty() || s.length() > 4) {
                throw new IllegalArgumentException("name segment '" + s + "' in " + name);
            }
            out.writeBytes((s + "___").substring(0, 4).getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    /** PkgLength followed by {@code content}. */
    static byte[] pkg(byte[] content) {
        int n = content.length;
        byte[] head;
        if (n + 1 < 0x40) {
            head = new byte[] {(byte) (n + 1)};
        } else if (n + 2 < 1 << 12) {
            int len = n + 2;
            head = new byte[] {(byte) (0x40 | len & 0xF), (byte) (len >> 4)};
        } else if (n + 3 < 1 << 20) {
            int len = n + 3;
            head = new byte[] {(byte) (0x80 | len & 0xF), (byte) (len >> 4), (byte) (len >> 12)};
        } else {
            int len = n + 4;
            head = new byte[] {(byte) (0xC0 | len & 0xF), (byte) (len >> 4), (byte) (len >> 12), (byte) (len >> 20)};
        }
        return cat(head, content);
    }

    /** The arrays one after the other. */
    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
