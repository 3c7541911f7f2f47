package org.jkvm.domainxml;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test definitions kept in src/test/resources. */
final class Fixtures {
    private Fixtures() {
    }

    /** The text of a resource. */
    static String text(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A jkvm-ready guest: kvm, 256 MiB, qemu64 -nx +lahf_lm, a file serial port, a NIC (ignored). */
    static String guest() {
        return text("jkvm-guest.xml");
    }

    /** The guest with one textual replacement (the target must occur). */
    static String guestWith(String from, String to) {
        String g = guest();
        if (!g.contains(from)) {
            throw new IllegalArgumentException("fixture has no '" + from + "'");
        }
        return g.replace(from, to);
    }

    static DomainDefinition parse(String xml) {
        return DomainXml.parse(xml);
    }
}
