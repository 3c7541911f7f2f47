package org.jkvm.domainxml;

import java.math.BigInteger;
import java.util.Locale;
import java.util.Map;

/**
 * libvirt's size units ({@code virScaleInteger}): {@code b}/{@code bytes}; decimal {@code KB MB GB TB PB EB}
 * (powers of 1000); binary {@code k KiB M MiB G GiB T TiB P PiB E EiB} (powers of 1024). Names are
 * case-insensitive, as libvirt reads them. Thread-safe.
 */
public final class Units {
    private static final Map<String, BigInteger> SCALE = Map.ofEntries(
            Map.entry("b", BigInteger.ONE), Map.entry("bytes", BigInteger.ONE),
            Map.entry("kb", pow(1000, 1)), Map.entry("mb", pow(1000, 2)), Map.entry("gb", pow(1000, 3)),
            Map.entry("tb", pow(1000, 4)), Map.entry("pb", pow(1000, 5)), Map.entry("eb", pow(1000, 6)),
            Map.entry("k", pow(1024, 1)), Map.entry("kib", pow(1024, 1)),
            Map.entry("m", pow(1024, 2)), Map.entry("mib", pow(1024, 2)),
            Map.entry("g", pow(1024, 3)), Map.entry("gib", pow(1024, 3)),
            Map.entry("t", pow(1024, 4)), Map.entry("tib", pow(1024, 4)),
            Map.entry("p", pow(1024, 5)), Map.entry("pib", pow(1024, 5)),
            Map.entry("e", pow(1024, 6)), Map.entry("eib", pow(1024, 6)));

    private Units() {
    }

    private static BigInteger pow(int base, int exp) {
        return BigInteger.valueOf(base).pow(exp);
    }

    /** True when {@code unit} is a unit libvirt knows (case-insensitive). */
    public static boolean known(String unit) {
        return unit != null && SCALE.containsKey(unit.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The size in bytes.
     *
     * @param path        the element path, for the error message (e.g. {@code memory})
     * @param value       the decimal number as written
     * @param unit        the unit as written, or null for {@code defaultUnit}
     * @param defaultUnit the unit that a missing {@code unit} means (KiB for memory)
     * @return bytes, at most {@link Long#MAX_VALUE}
     * @throws DomainXmlException naming the path when the number or the unit is invalid or the size overflows
     */
    public static long toBytes(String path, String value, String unit, String defaultUnit) {
        String u = unit == null ? defaultUnit : unit.trim();
        BigInteger scale = SCALE.get(u.toLowerCase(Locale.ROOT));
        if (scale == null) {
            throw new DomainXmlException(path + ": unknown unit '" + u
                    + "'; use b, bytes, KB, KiB (k), MB, MiB (M), GB, GiB (G), TB, TiB (T), PB, PiB, EB or EiB");
        }
        String v = value == null ? "" : value.trim();
        if (!v.matches("[0-9]+")) {
            throw new DomainXmlException(path + ": '" + v + "' is not a whole non-negative number; write the size"
                    + " in digits, e.g. <memory unit='MiB'>256</memory>");
        }
        BigInteger bytes = new BigInteger(v).multiply(scale);
        if (bytes.bitLength() > 63) {
            throw new DomainXmlException(path + ": " + v + " " + u + " is too large");
        }
        return bytes.longValueExact();
    }

    /** The size in bytes written with the largest binary unit that divides it exactly, e.g. {@code 256 MiB}. */
    public static String human(long bytes) {
        String[] names = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int i = 0;
        long v = bytes;
        while (i < names.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            i++;
        }
        return v + " " + names[i];
    }
}
