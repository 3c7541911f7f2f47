package org.jkvm.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths that tests resolve relative to the repository root (the folder holding the top-level pom.xml). */
public final class RepoPaths {
    private RepoPaths() {
    }

    /** The repository root: the {@code jkvm.root} property set by the build, else found by walking up. */
    public static Path root() {
        String prop = System.getProperty("jkvm.root");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop, "bundles"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("bundles")) && Files.exists(dir.resolve("pom.xml"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find the jkvm repository root above " + Path.of("").toAbsolutePath());
    }

    /** {@code ../shared} beside the repository root (corpus, references); may not exist on a user's machine. */
    public static Path shared() {
        return root().resolve("../shared").normalize();
    }

    /** A path inside the repository. */
    public static Path of(String first, String... more) {
        return root().resolve(Path.of(first, more));
    }
}
