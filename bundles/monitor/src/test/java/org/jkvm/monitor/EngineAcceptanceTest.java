package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.engine.Backends;
import org.jkvm.engine.VmConfig;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 3, 4 and 5 of issue 2: CPU models, dirty logging through QMP, bad input. */
class EngineAcceptanceTest {
    private static final Pattern EXT_EDX = Pattern.compile("cpuid81\\.edx=0x([0-9a-f]+)");

    @TempDir
    Path dir;

    private String firstLine(String cpu) throws Exception {
        Path serial = dir.resolve("cpu-" + cpu.replace(',', '_') + ".log");
        Object[] r = EngineProcess.runToEnd(dir, "-m", "32M", "-cpu", cpu, "-serial", "file:" + serial,
                "-append", "hb_ms=100 exit_after=1");
        assertEquals(0, r[0], (String) r[1]);
        return Files.readString(serial).lines().findFirst().orElse("");
    }

    @Test
    void cpuModelsDecideWhatTheGuestSees() throws Exception {
        String noNx = firstLine("qemu64,-nx");
        assertTrue(noNx.startsWith("jkvm-fw 1.0 ") && noNx.contains(" nx=0 "), noNx);
        String qemu64 = firstLine("qemu64");
        assertTrue(qemu64.contains(" nx=1 "), qemu64);
        String host = firstLine("host");
        int supportedEdx;
        try (Hypervisor hv = Backends.open(java.util.List.of(), VmConfig.defaultKvmDevice()).hypervisor()) {
            supportedEdx = hv.supportedCpuid().stream().filter(e -> e.function() == 0x80000001).findFirst()
                    .map(CpuidEntry::edx).orElseThrow();
        }
        Matcher m = EXT_EDX.matcher(host);
        assertTrue(m.find(), host);
        assertEquals(Integer.toHexString(supportedEdx), Integer.toHexString(Integer.parseUnsignedInt(m.group(1), 16)),
                "-cpu host shows the backend's supported 0x80000001 EDX");
        Matcher q = EXT_EDX.matcher(qemu64);
        assertTrue(q.find());
        assertTrue(Integer.bitCount(Integer.parseUnsignedInt(q.group(1), 16)) < Integer.bitCount(supportedEdx),
                "qemu64 exposes fewer extended features than host: " + qemu64 + " vs " + host);
    }

    /**
     * {@code x-jkvm-dirty-count} between two stops reports the pages the guest says it wrote (heartbeat
     * {@code pages=}), with no host clock: each edge of the window may be off by one heartbeat period of writes plus
     * one 64-page burst, and the log may add a few pages of its own (stack, counters). 32 MiB is 8,192 pages, more
     * than the window writes, so every written page is a distinct dirty page.
     */
    @Test
    void dirtyLogFetchesCountThePagesTheGuestWrote() throws Exception {
        int rate = 400;
        int hbMs = 250;
        long edge = rate * hbMs / 1000 + 64;
        try (EngineProcess e = EngineProcess.start(dir, "-append", "workload=dirty mib=32 rate=" + rate
                + " hb_ms=" + hbMs); QmpClient qmp = new QmpClient(e.qmpSocket)) {
            qmp.execute("{\"execute\": \"qmp_capabilities\"}");
            e.awaitHeartbeats(1, 30_000);
            dirtyCount(qmp); // starts logging
            qmp.execute("{\"execute\": \"stop\"}");
            dirtyCount(qmp); // what was written before the window
            long pagesBefore = lastPages(e);
            int seen = e.seqs().size();
            qmp.execute("{\"execute\": \"cont\"}");
            e.awaitHeartbeats(seen + 5, 30_000);
            qmp.execute("{\"execute\": \"stop\"}");
            long dirty = dirtyCount(qmp);
            long written = lastPages(e) - pagesBefore;
            assertTrue(written > 2 * edge && written < 8192 - 2 * edge, "a window of distinct pages: " + written);
            assertTrue(dirty >= written - edge && dirty <= written + edge + 64, "the guest wrote " + written
                    + " pages (heartbeats), x-jkvm-dirty-count says " + dirty);
            qmp.execute("{\"execute\": \"quit\"}");
            assertEquals(0, e.awaitExit(30_000));
        }
    }

    private static long dirtyCount(QmpClient qmp) throws Exception {
        Map<String, Object> reply = qmp.execute("{\"execute\": \"x-jkvm-dirty-count\"}");
        assertTrue(reply.get("return") instanceof Map<?, ?> r && r.get("pages") instanceof Long, reply.toString());
        return (Long) ((Map<?, ?>) reply.get("return")).get("pages");
    }

    /** The {@code pages=} of the engine's last heartbeat. */
    private static long lastPages(EngineProcess e) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^hb seq=\\d+ .*pages=(\\d+)",
                java.util.regex.Pattern.MULTILINE).matcher(e.serialText());
        long pages = -1;
        while (m.find()) {
            pages = Long.parseLong(m.group(1));
        }
        return pages;
    }

    private void assertOneSentence(String what, Object[] result, String expectedStart) {
        assertEquals(1, result[0], what + ": " + result[1]);
        String err = ((String) result[1]).strip();
        assertFalse(err.contains("\n"), what + " printed more than one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), what + " printed a stack trace: " + err);
        assertTrue(err.startsWith("jkvm-engine: " + expectedStart), what + ": " + err);
    }

    @Test
    void badInputGivesOneSentenceAndExitStatus1() throws Exception {
        Path corrupt = dir.resolve("corrupt.elf");
        Files.write(corrupt, new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 1, 0,
            0, 0, 0, 0, 0x10, 0, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34, 0, 0x20, 0, 9, 0, 0, 0, 0, 0, 0,
            0});
        assertOneSentence("no /dev/kvm", EngineProcess.runToEnd(dir, "-accel", "kvm",
                "-kvm-device", dir.resolve("no-kvm").toString()),
                "KVM is not available: ");
        assertOneSentence("bad -m", EngineProcess.runToEnd(dir, "-m", "12X"), "invalid -m value '12X'");
        assertOneSentence("unknown model", EngineProcess.runToEnd(dir, "-cpu", "pentium9"),
                "unknown -cpu model 'pentium9'");
        assertOneSentence("unknown feature", EngineProcess.runToEnd(dir, "-cpu", "qemu64,-warp"),
                "unknown -cpu feature 'warp'");
        assertOneSentence("missing kernel", EngineProcess.runToEnd(dir, "-kernel",
                dir.resolve("nope.elf").toString()),
                "kernel file " + dir.resolve("nope.elf") + " does not exist");
        assertOneSentence("not a kernel", EngineProcess.runToEnd(dir, "-kernel", "/etc/hostname"),
                "kernel file /etc/hostname is neither a Linux bzImage, an ELF kernel nor a multiboot kernel");
        assertOneSentence("corrupt ELF", EngineProcess.runToEnd(dir, "-kernel", corrupt.toString()),
                "kernel file " + corrupt + " is a corrupt ELF image");
        assertOneSentence("unknown option", EngineProcess.runToEnd(dir, "-frob"), "unknown option -frob");
    }
}
