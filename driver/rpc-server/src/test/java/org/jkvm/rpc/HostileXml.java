package org.jkvm.rpc;

import java.util.Random;

/**
 * Domain definitions shaped to break XML parsers, each a well-formed guest around hostile {@code <metadata>}: deep
 * nesting (closed or left open), huge attribute counts, very long element, attribute and prefix names, very wide
 * documents, and all of these at once. Every document stays under libvirt's 4 MiB string limit, so it reaches the
 * driver rather than being refused by the XDR layer.
 */
final class HostileXml {
    /** The number of kinds {@link #of} makes. */
    static final int KINDS = 8;
    private static final int[] DEPTHS = {257, 1_000, 5_000, 50_000, 300_000};

    private HostileXml() {
    }

    /** A document of kind {@code kind} (0 to {@link #KINDS} - 1), sized by {@code rnd}. */
    static String of(int kind, Random rnd) {
        StringBuilder m = new StringBuilder(1 << 20);
        switch (kind) {
            case 0 -> nested(m, DEPTHS[rnd.nextInt(DEPTHS.length)], true);
            case 1 -> nested(m, 1_000 + rnd.nextInt(500_000), false);
            case 2 -> attributes(m, 10_001 + rnd.nextInt(240_000));
            case 3 -> m.append('<').append(name(rnd)).append("/>");
            case 4 -> m.append("<x ").append(name(rnd)).append("='1'/>");
            case 5 -> {
                String p = name(rnd);
                m.append('<').append(p).append(":x xmlns:").append(p).append("='urn:")
                        .append(rnd.nextBoolean() ? p : "y").append("'/>");
            }
            case 6 -> m.append("<x/>".repeat(100_000 + rnd.nextInt(400_000)));
            default -> {
                String n = name(rnd).substring(0, 100);
                for (int i = 0; i < 2_000; i++) {
                    m.append('<').append(n).append(" a='1' b='2' c='3'>");
                }
            }
        }
        return "<domain type='kvm'><name>hostile</name><memory>65536</memory><metadata>" + m
                + (kind == 1 || kind >= KINDS - 1 ? "" : "</metadata></domain>");
    }

    private static void nested(StringBuilder m, int levels, boolean closed) {
        m.append("<x>".repeat(levels));
        if (closed) {
            m.append("</x>".repeat(levels));
        }
    }

    private static void attributes(StringBuilder m, int count) {
        m.append("<x");
        for (int i = 0; i < count; i++) {
            m.append(" a").append(i).append("='v'");
        }
        m.append("/>");
    }

    /** A name of 1 KiB to 1 MiB. */
    private static String name(Random rnd) {
        return "n".repeat(1 << (10 + rnd.nextInt(11)));
    }
}
