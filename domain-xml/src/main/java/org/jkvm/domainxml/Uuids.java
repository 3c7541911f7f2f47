package org.jkvm.domainxml;

import java.util.Locale;
import java.util.UUID;

/**
 * UUIDs as libvirt reads them ({@code virUUIDParse}): 32 hexadecimal digits, with or without hyphens between
 * byte pairs, surrounding blanks ignored; written in the canonical 8-4-4-4-12 lower-case form.
 */
public final class Uuids {
    private Uuids() {
    }

    /**
     * The canonical form of a UUID as written in XML.
     *
     * @param path the element path for the error message
     * @param text the UUID as written
     * @throws DomainXmlException when it is not 32 hex digits (hyphens allowed between byte pairs)
     */
    public static String canonical(String path, String text) {
        String t = text == null ? "" : text.trim();
        StringBuilder hex = new StringBuilder(32);
        boolean ok = true;
        for (int i = 0; i < t.length() && ok; i++) {
            char c = t.charAt(i);
            if (Character.digit(c, 16) >= 0) {
                hex.append(Character.toLowerCase(c));
            } else if (c != '-' || hex.length() % 2 != 0 || hex.length() == 0) {
                ok = false;
            }
        }
        if (!ok || hex.length() != 32 || t.endsWith("-")) {
            throw new DomainXmlException(path + ": '" + t + "' is not a valid UUID; write 32 hexadecimal digits"
                    + " as 8-4-4-4-12, e.g. c7a5fdbd-edaf-9455-926a-d65c16db1809, or leave <uuid> out to have one"
                    + " generated");
        }
        String h = hex.toString();
        return (h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-"
                + h.substring(16, 20) + "-" + h.substring(20)).toLowerCase(Locale.ROOT);
    }

    /** A new random (version 4) UUID in canonical form. */
    public static String random() {
        return UUID.randomUUID().toString();
    }
}
