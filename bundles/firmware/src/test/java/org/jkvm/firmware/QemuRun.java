package org.jkvm.firmware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Boots the firmware under QEMU TCG (test helper): the command line from the firmware README, serial output to
 * a file, the isa-debug-exit device at 0xf4.
 *
 * @param exitStatus QEMU's exit status ((value << 1) | 1 after a debug exit)
 * @param lines      the serial output, one entry per line
 */
record QemuRun(int exitStatus, List<String> lines) {
    static final long TIMEOUT_SECONDS = 60;

    /**
     * Runs QEMU until the guest exits.
     *
     * @param qemu    the qemu-system-x86_64 executable
     * @param image   the firmware ELF
     * @param dir     a scratch folder for the serial file
     * @param append  the firmware command line
     * @param memMib  guest RAM
     * @param cpu     the -cpu model string
     */
    static QemuRun boot(Path qemu, Path image, Path dir, String append, int memMib, String cpu)
            throws IOException, InterruptedException {
        return boot(qemu, image, dir, append, memMib, cpu, List.of());
    }

    /** As {@link #boot(Path, Path, Path, String, int, String)} with {@code extra} QEMU options (e.g. a disk). */
    static QemuRun boot(Path qemu, Path image, Path dir, String append, int memMib, String cpu, List<String> extra)
            throws IOException, InterruptedException {
        Path serial = dir.resolve("serial-" + System.nanoTime() + ".txt");
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-accel", "tcg", "-kernel", image.toString(),
                "-append", append,
                "-m", Integer.toString(memMib), "-display", "none", "-serial", "file:" + serial,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot", "-cpu", cpu,
                "-nodefaults", "-monitor", "none"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu-" + System.nanoTime() + ".log").toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("QEMU did not exit within " + TIMEOUT_SECONDS + " s; serial so far: "
                    + read(serial));
        }
        return new QemuRun(p.exitValue(), read(serial));
    }

    private static List<String> read(Path serial) throws IOException {
        if (!Files.exists(serial)) {
            return List.of();
        }
        return new ArrayList<>(List.of(Files.readString(serial, StandardCharsets.ISO_8859_1).split("\n")));
    }

    /** The lines starting with {@code hb }. */
    List<String> heartbeats() {
        return lines.stream().filter(l -> l.startsWith("hb ")).toList();
    }
}
