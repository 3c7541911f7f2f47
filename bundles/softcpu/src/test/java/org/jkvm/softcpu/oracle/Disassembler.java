package org.jkvm.softcpu.oracle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.testkit.Require;

/** Disassembles case bytes with binutils' objdump for failure reports, when objdump is installed. */
final class Disassembler {
    private static final Path OBJDUMP = Require.which("objdump");

    private Disassembler() {
    }

    /** Space-separated hex bytes, e.g. {@code 48 01 d8}. */
    static String hex(byte[] code) {
        StringBuilder sb = new StringBuilder();
        for (byte x : code) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }

    /**
     * The Intel-syntax text of {@code code} at {@code address}, instructions separated by "; ", or "" when
     * objdump is missing or fails.
     */
    static String text(byte[] code, long address) {
        if (OBJDUMP == null) {
            return "";
        }
        try {
            Path f = Files.createTempFile("oracle-case", ".bin");
            try {
                Files.write(f, code);
                Process p = new ProcessBuilder(OBJDUMP.toString(), "-D", "-b", "binary", "-mi386:x86-64", "-M",
                        "intel", "--adjust-vma=0x" + Long.toHexString(address), f.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                List<String> insns = new ArrayList<>();
                for (String line : out.split("\n")) {
                    String[] cols = line.split("\t");
                    if (cols.length >= 3 && cols[0].trim().endsWith(":")) {
                        insns.add(cols[2].trim().replaceAll("\\s+", " "));
                    }
                }
                return String.join("; ", insns);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
