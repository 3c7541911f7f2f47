package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled image boots under QEMU TCG as a multiboot kernel (issue 2, acceptance item 2). */
class FirmwareQemuTest {
    /** contracts §3, the first line. */
    static final Pattern FIRST_LINE = Pattern.compile("jkvm-fw " + Pattern.quote(Firmware.VERSION)
            + " vendor=\\S+ cpuid1\\.ecx=0x[0-9a-f]{8} cpuid1\\.edx=0x[0-9a-f]{8} cpuid81\\.ecx=0x[0-9a-f]{8}"
            + " cpuid81\\.edx=0x[0-9a-f]{8} nx=[01] lm=[01] tsc_khz=\\d+ ram_mib=\\d+"
            + " workload=(idle|dirty|verify|compute|disk|diskbench)"
            + " mib=\\d+ rate=\\d+");
    /** contracts §3, a heartbeat. */
    static final Pattern HEARTBEAT = Pattern.compile("hb seq=\\d+ ms=\\d+ pages=\\d+ gen=\\d+ errors=\\d+ tsc=\\d+"
            + " tsc_back=\\d+ verify_bad=\\d+( work=\\d+)?( disk_writes=\\d+ disk_bad=\\d+)?");

    @TempDir
    Path dir;

    @Test
    void verifyWorkloadBootsAndExitsCleanlyAfterThreeHeartbeats() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir,
                "workload=verify mib=4 rate=200 exit_after=3 hb_ms=300", 64, "qemu64");
        assertTrue(!run.lines().isEmpty() && FIRST_LINE.matcher(run.lines().get(0)).matches(),
                "first line: " + run.lines());
        Map<String, String> first = SerialLine.fields(run.lines().get(0));
        assertEquals("verify", first.get("workload"));
        assertEquals(4, SerialLine.number(first, "mib"));
        assertEquals(200, SerialLine.number(first, "rate"));
        assertEquals(1, SerialLine.number(first, "lm"));
        assertTrue(SerialLine.number(first, "ram_mib") >= 63 && SerialLine.number(first, "ram_mib") <= 64,
                "ram_mib for -m 64: " + first);
        List<String> hbs = run.heartbeats();
        assertEquals(3, hbs.size(), "heartbeats: " + run.lines());
        long lastPages = 0;
        for (int i = 0; i < hbs.size(); i++) {
            assertTrue(HEARTBEAT.matcher(hbs.get(i)).matches(), "heartbeat format: " + hbs.get(i));
            Map<String, String> hb = SerialLine.fields(hbs.get(i));
            assertEquals(i, SerialLine.number(hb, "seq"));
            assertEquals(0, SerialLine.number(hb, "errors"), hbs.get(i));
            // Heartbeat i is due at 300*(i+1) guest ms; a busy host may only delay it (generously bounded).
            long ms = SerialLine.number(hb, "ms");
            assertTrue(ms >= 300L * (i + 1) && ms < 300L * (i + 1) + 1000, "guest ms of heartbeat " + i + ": " + hbs);
            long pages = SerialLine.number(hb, "pages");
            // rate=200 over 300 ms is 60 pages per heartbeat; the pacing is by TSC, so allow a wide margin.
            assertTrue(pages - lastPages >= 30 && pages - lastPages <= 90, "pages per 300 ms at rate=200: " + hbs);
            lastPages = pages;
        }
        assertEquals(1, run.exitStatus(), "QEMU exit status for debug exit 0 is (0<<1)|1");
    }

    /**
     * workload=compute (the instruction-rate benchmark's guest): heartbeats in the contract's format with the
     * rounds of the fixed 16-instruction block done so far, growing every period, and no errors.
     */
    @Test
    void computeWorkloadCountsRoundsInEveryHeartbeat() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "workload=compute exit_after=3 hb_ms=200",
                64, "qemu64");
        assertEquals("compute", SerialLine.fields(run.lines().get(0)).get("workload"), run.lines().get(0));
        List<String> hbs = run.heartbeats();
        assertEquals(3, hbs.size(), "heartbeats: " + run.lines());
        long lastWork = 0;
        for (String line : hbs) {
            assertTrue(HEARTBEAT.matcher(line).matches(), "heartbeat format: " + line);
            Map<String, String> hb = SerialLine.fields(line);
            assertEquals(0, SerialLine.number(hb, "errors"), line);
            assertEquals(0, SerialLine.number(hb, "pages"), line);
            long work = SerialLine.number(hb, "work");
            assertTrue(work > lastWork && work % 1024 == 0, "work grows by whole blocks of 1024 rounds: " + hbs);
            lastWork = work;
        }
        assertEquals(1, run.exitStatus());
    }

    @Test
    void cpuWithoutNxIsSeenWithoutNx() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path image = Firmware.extractTo(dir);
        QemuRun withNx = QemuRun.boot(qemu, image, dir, "exit_after=1 hb_ms=50", 64, "qemu64");
        QemuRun withoutNx = QemuRun.boot(qemu, image, dir, "exit_after=1 hb_ms=50", 64, "qemu64,-nx");
        assertEquals("1", SerialLine.fields(withNx.lines().get(0)).get("nx"), withNx.lines().get(0));
        assertEquals("0", SerialLine.fields(withoutNx.lines().get(0)).get("nx"), withoutNx.lines().get(0));
        long edx = Long.decode(SerialLine.fields(withoutNx.lines().get(0)).get("cpuid81.edx"));
        assertEquals(0, edx & (1L << 20), "CPUID 0x80000001 EDX bit 20 (NX) must be clear");
        assertEquals(1, withoutNx.exitStatus());
    }

    @Test
    void dirtyFillAtFullSpeedWalksWholePassesWithoutErrors() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir,
                "workload=dirty mib=8 rate=0 exit_after=2 hb_ms=200", 64, "qemu64");
        Map<String, String> hb = SerialLine.fields(run.heartbeats().get(1));
        long pages = SerialLine.number(hb, "pages");
        // gen counts passes over the 2048 pages: pass g is being written once g-1 passes are complete.
        assertEquals(pages / 2048 + 1, SerialLine.number(hb, "gen"), run.heartbeats().toString());
        assertTrue(pages > 2048, "rate=0 should fill 8 MiB within 400 ms: " + run.heartbeats());
        assertEquals(1, run.exitStatus());
    }

    @Test
    void workingSetLargerThanRamIsRefusedWithFwError() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "workload=verify mib=100 rate=10", 64,
                "qemu64");
        String last = run.lines().get(run.lines().size() - 1);
        assertTrue(last.startsWith("fw-error ") && last.contains("mib=100"), "error line: " + run.lines());
        assertEquals((2 << 1) | 1, run.exitStatus(), "fw-error exits with status 2");
    }

    @Test
    void unknownKeyOrMalformedValueIsRefusedWithFwError() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "workload=idle rat=10", 64, "qemu64");
        assertEquals(List.of("fw-error unknown command line key rat: use workload, mib, rate, tsc_khz, hb_ms,"
                + " exit_after, inject, op, bs, count, ip or net_flood"), run.lines());
        assertEquals((2 << 1) | 1, run.exitStatus());
        QemuRun bad = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "workload=dirty rate=fast", 64, "qemu64");
        assertEquals(List.of("fw-error bad command line value rate=fast: expected a decimal number from 0 to"
                + " 100000000"), bad.lines());
        assertEquals((2 << 1) | 1, bad.exitStatus());
    }

    @Test
    void checkerCountsAnInjectedBadPageOnceAndTheExitStatusReportsIt() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir,
                "workload=verify mib=1 rate=1000 exit_after=4 hb_ms=200 inject=page", 64, "qemu64");
        List<String> hbs = run.heartbeats();
        assertEquals(4, hbs.size(), run.lines().toString());
        assertEquals(0, SerialLine.number(SerialLine.fields(hbs.get(0)), "errors"), "before the injection");
        Map<String, String> lastHb = SerialLine.fields(hbs.get(3));
        assertEquals(1, SerialLine.number(lastHb, "verify_bad"), "one bad page, counted once: " + hbs);
        assertEquals(1, SerialLine.number(lastHb, "errors"), hbs.get(3));
        assertEquals(1, run.lines().stream().filter(l -> l.startsWith("verify-bad page=")).count(), run.lines()
                .toString());
        assertEquals((1 << 1) | 1, run.exitStatus(), "errors at exit_after give debug exit 1");
    }

    @Test
    void tscGoingBackIsCountedAndHeartbeatsStayConsecutive() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "exit_after=3 hb_ms=200 inject=tsc", 64,
                "qemu64");
        List<String> hbs = run.heartbeats();
        assertEquals(3, hbs.size(), run.lines().toString());
        for (int i = 0; i < hbs.size(); i++) {
            assertEquals(i, SerialLine.number(SerialLine.fields(hbs.get(i)), "seq"), hbs.toString());
        }
        Map<String, String> lastHb = SerialLine.fields(hbs.get(2));
        assertEquals(1, SerialLine.number(lastHb, "tsc_back"), hbs.toString());
        assertEquals(1, SerialLine.number(lastHb, "errors"), hbs.toString());
        assertEquals((1 << 1) | 1, run.exitStatus());
    }
}
