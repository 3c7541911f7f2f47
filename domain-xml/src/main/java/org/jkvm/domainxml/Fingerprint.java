package org.jkvm.domainxml;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A fingerprint of a definition's guest-visible configuration (the subset {@link AbiCheck} compares): SHA-256 of its
 * canonical text, written {@code sha256:<64 hex digits>}. It does not change when the file is reformatted or its
 * attributes reordered, and it changes with any ABI-relevant edit. The migration stream carries it so that an
 * engine refuses a stream from a guest configured differently. Thread-safe.
 */
public final class Fingerprint {
    private Fingerprint() {
    }

    /** The fingerprint of a definition. */
    public static String of(DomainDefinition def) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canonicalText(def)
                    .getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** The canonical text that is hashed: one {@code path=value} line per ABI setting. */
    public static String canonicalText(DomainDefinition def) {
        StringBuilder sb = new StringBuilder("jkvm-abi 1\n");
        for (Map.Entry<String, String> e : AbiView.of(def).entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return sb.toString();
    }
}
