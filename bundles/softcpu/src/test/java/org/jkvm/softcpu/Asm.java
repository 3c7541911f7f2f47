package org.jkvm.softcpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.testkit.Require;

/** Assembles small test guests with binutils ({@code as}, {@code objcopy -O binary}) at test time. */
final class Asm {
    private Asm() {
    }

    /**
     * The flat binary of {@code source} (GNU as syntax), assembled with {@code as --64} (use {@code .code16} /
     * {@code .code32} inside for other modes), linked at address 0 (so use {@code .org} and absolute
     * addresses with the load address added by hand, or position-independent code).
     */
    static byte[] assemble(String source) {
        return assemble(source, "--64");
    }

    /**
     * Like {@link #assemble(String)} with {@code as --32}: its REL relocations keep addends in the bytes, so
     * absolute references like {@code label + 0x1000} come out right without a link step.
     */
    static byte[] assemble32(String source) {
        return assemble(source, "--32");
    }

    private static byte[] assemble(String source, String bits) {
        Require.command("as");
        Require.command("objcopy");
        try {
            Path dir = Files.createTempDirectory("softcpu-asm");
            try {
                Path src = dir.resolve("t.S");
                Files.writeString(src, source + "\n", StandardCharsets.US_ASCII);
                run(dir, "as", bits, "-o", "t.o", "t.S");
                run(dir, "objcopy", "-O", "binary", "-j", ".text", "t.o", "t.bin");
                return Files.readAllBytes(dir.resolve("t.bin"));
            } finally {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot assemble a test guest: " + e, e);
        }
    }

    private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
        List<String> l = new ArrayList<>(List.of(cmd));
        Process p = new ProcessBuilder(l).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
