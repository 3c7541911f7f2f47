package org.jkvm.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.Require;

/**
 * Assembles a test guest from this package's resources with binutils ({@code as --64}, {@code objcopy}); the files
 * it {@code .include}s (e.g. {@code virtio-pci.inc}) are resources of the package too.
 */
final class GuestAsm {
    /** An {@code .include "file"} line: the file is another resource of this package. */
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*\\.include\\s+\"([^\"]+)\"");

    private GuestAsm() {
    }

    /**
     * The flat {@code .text} of resource {@code name}, assembled in {@code dir} with the given {@code --defsym}
     * symbols ({@code NAME=VALUE}).
     */
    static byte[] assemble(String name, Path dir, String... defsyms) throws IOException, InterruptedException {
        Require.command("as");
        Require.command("objcopy");
        String text = copy(name, dir);
        Matcher include = INCLUDE.matcher(text);
        while (include.find()) {
            copy(include.group(1), dir);
        }
        List<String> as = new ArrayList<>(List.of("as", "--64", "-o", name + ".o"));
        for (String d : defsyms) {
            as.add("--defsym");
            as.add(d);
        }
        as.add(name);
        run(dir, as);
        run(dir, List.of("objcopy", "-O", "binary", "-j", ".text", name + ".o", name + ".bin"));
        return Files.readAllBytes(dir.resolve(name + ".bin"));
    }

    /** Copies resource {@code name} into {@code dir}; returns its text. */
    private static String copy(String name, Path dir) throws IOException {
        try (InputStream in = GuestAsm.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no test guest resource " + name + " beside " + GuestAsm.class.getName());
            }
            byte[] bytes = in.readAllBytes();
            Files.write(dir.resolve(name), bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static void run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
