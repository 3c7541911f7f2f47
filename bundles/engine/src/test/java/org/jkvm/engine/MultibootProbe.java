package org.jkvm.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.Require;

/**
 * The multiboot probe kernel of {@code src/test/resources/org/jkvm/engine/multiboot}: built with gcc and ld as an
 * ELF and as a flat a.out-kludge file, it prints the registers it was entered with, the information structure, its
 * strings, memory map and modules (with an FNV-1a hash of each), then writes 0 to port 0xf4.
 */
final class MultibootProbe {
    private static final String[] SOURCES = {"mbentry.S", "mbprobe.c", "mbprobe.ld"};
    private static final String CFLAGS = "-m32 -O2 -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie "
            + "-fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables -mgeneral-regs-only";
    private static final Pattern KV = Pattern.compile("([a-z_.0-9]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[0-9a-f]+)");

    private MultibootProbe() {
    }

    /** Builds {@code mbprobe.elf} (ELF) and {@code mbprobe.bin} (a.out kludge) in {@code dir}. */
    static void build(Path dir) throws Exception {
        Require.command("gcc");
        Require.command("ld");
        Require.command("objcopy");
        for (String s : SOURCES) {
            try (InputStream in = MultibootProbe.class.getResourceAsStream("multiboot/" + s)) {
                Files.write(dir.resolve(s), in.readAllBytes());
            }
        }
        List<String> cc = new ArrayList<>(List.of("gcc"));
        cc.addAll(List.of(CFLAGS.split(" ")));
        run(dir, concat(cc, "-c", "mbprobe.c", "-o", "p.o"));
        run(dir, concat(cc, "-c", "mbentry.S", "-o", "e.o"));
        run(dir, concat(cc, "-DFLAGS=0x10003", "-c", "mbentry.S", "-o", "ek.o"));
        List<String> ld = List.of("ld", "-m", "elf_i386", "-nostdlib", "-static", "--build-id=none",
                "--no-warn-rwx-segments", "-T", "mbprobe.ld");
        run(dir, concat(ld, "-o", "mbprobe.elf", "e.o", "p.o"));
        run(dir, concat(ld, "-o", "kludge.elf", "ek.o", "p.o"));
        run(dir, List.of("objcopy", "-O", "binary", "kludge.elf", "mbprobe.bin"));
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }

    private static void run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /**
     * Parses the probe's output into records: key "regs", "mbi", "strings", "mmap#N", "mod#N", each a map of its
     * fields (numbers as hex strings, strings with their quotes).
     */
    static Map<String, Map<String, String>> parse(String output) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        int mmap = 0;
        int mod = 0;
        for (String line : output.split("\n")) {
            int space = line.indexOf(' ');
            String kind = space < 0 ? line : line.substring(0, space);
            String key = switch (kind) {
                case "mmap" -> "mmap#" + mmap++;
                case "mod" -> "mod#" + mod++;
                default -> kind;
            };
            Map<String, String> fields = new LinkedHashMap<>();
            Matcher m = KV.matcher(space < 0 ? "" : line.substring(space));
            while (m.find()) {
                fields.put(m.group(1), m.group(2));
            }
            out.put(key, fields);
        }
        return out;
    }
}
