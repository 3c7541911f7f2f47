package org.jkvm.domainxml;

import java.nio.file.Path;

import org.jkvm.testkit.RepoPaths;

/** Where the libvirt corpus lives (../shared/corpus/libvirt), for tests and the benchmark. */
final class Corpus {
    private Corpus() {
    }

    /** The domain-xml folder of the corpus. */
    static Path dir() {
        return RepoPaths.shared().resolve("corpus/libvirt/domain-xml");
    }

    /** The corpus schemas folder. */
    static Path schemas() {
        return RepoPaths.shared().resolve("corpus/libvirt/schemas");
    }

    /** A corpus file's name relative to the corpus folder. */
    static String name(Path file) {
        return dir().relativize(file).toString();
    }
}
