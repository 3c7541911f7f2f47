package org.jkvm.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Linux guest kit for tests: runs {@code src/linux/build-kit.sh} once per JVM (it downloads a stock Debian
 * kernel and busybox-static with apt into {@code ~/.cache/jkvm/linux}, cached across runs, and builds the initramfs)
 * and hands out the paths. When apt cannot download (no package lists, no network) the calling test is skipped with
 * the script's sentence, or fails under CI, where {@code .ci/run} makes both available. Thread-safe.
 */
public final class LinuxKit {
    private static Kit kit;
    private static String unavailable;

    /**
     * The kit's files.
     *
     * @param kernel        the Debian kernel (a bzImage)
     * @param initrd        the gzip-compressed newc initramfs with /init, busybox and jkvm-verify
     * @param cmdline       a kernel command line for it (console=ttyS0, the verify workload's settings)
     * @param kernelVersion the kernel's release, e.g. {@code 6.1.0-57-cloud-amd64}
     * @param vmlinux       the same kernel as an ELF with its PVH note, or null when the host could not decompress
     *                      it (see {@link #requireVmlinux})
     */
    public record Kit(Path kernel, Path initrd, String cmdline, String kernelVersion, Path vmlinux) {
    }

    private LinuxKit() {
    }

    /**
     * Builds (or finds) the kit; skips the calling test, or fails it under CI, when apt cannot provide the packages.
     *
     * @throws AssertionError when the build fails for another reason (the script's output is in the message)
     */
    public static synchronized Kit require() {
        if (kit == null && unavailable == null) {
            build();
        }
        Require.that(unavailable == null, unavailable);
        return kit;
    }

    /**
     * The kit with its vmlinux (for PVH boots); skips, or fails under CI, when the host could not decompress the
     * kernel's payload (build-kit.sh names the missing tool: lz4, xz, zstd or gzip).
     */
    public static Kit requireVmlinux() {
        Kit k = require();
        Require.that(k.vmlinux() != null, "the kit has no vmlinux: install the decompressor of the kernel's payload "
                + "(lz4, xz-utils or zstd) and rebuild it");
        return k;
    }

    private static void build() {
        Path script = RepoPaths.of("src", "linux", "build-kit.sh");
        try {
            Path log = Files.createTempFile("jkvm-kit", ".log");
            try {
                Process p = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("src/linux/build-kit.sh did not finish within 15 minutes");
                }
                String out = Files.readString(log);
                if (p.exitValue() == 2) {
                    unavailable = "the Linux guest kit cannot be downloaded: " + out.strip();
                    return;
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError("src/linux/build-kit.sh failed with status " + p.exitValue() + ": "
                            + out);
                }
                kit = read(out);
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run src/linux/build-kit.sh: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while building the Linux guest kit", e);
        }
    }

    /** The kit.env and cmdline files beside the kernel the script's output names. */
    private static Kit read(String out) throws IOException {
        String kernelLine = out.lines().filter(l -> l.startsWith("kernel:")).findFirst()
                .orElseThrow(() -> new AssertionError("build-kit.sh printed no kernel path: " + out));
        Path kernel = Path.of(kernelLine.substring("kernel:".length()).trim().split(" ")[0]);
        Path dir = kernel.getParent();
        Map<String, String> env = new HashMap<>();
        for (String l : Files.readAllLines(dir.resolve("kit.env"))) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                env.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return new Kit(Path.of(env.get("KERNEL")), Path.of(env.get("INITRD")),
                Files.readString(dir.resolve("cmdline")).strip(), env.get("KERNEL_VERSION"),
                env.containsKey("VMLINUX") ? Path.of(env.get("VMLINUX")) : null);
    }
}
