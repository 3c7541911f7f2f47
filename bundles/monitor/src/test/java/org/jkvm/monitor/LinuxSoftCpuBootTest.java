package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.engine.Backends;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, acceptance 1: the stock Debian kernel of the Linux kit (its bzImage, through the boot protocol) boots on
 * the software CPU in the engine process to the initramfs shell. The console shows the kernel's banner; the init
 * script's two copies of {@code /proc/interrupts} show the local APIC timer ({@code LOC}), the PIT through the I/O
 * APIC and ttyS0 counting; a command typed on the serial console gets its answer; the verify workload's heartbeats
 * report no bad page; {@code poweroff} (ACPI S5) ends the engine with status 0.
 *
 * <p>The boot takes about a minute and a quarter on an idle core of this machine (the software CPU interprets the
 * whole kernel); the waits are generous because CI machines are shared. Skipped (failed under CI) when the kit
 * cannot be built.
 */
class LinuxSoftCpuBootTest {
    private static final Duration BOOT = Duration.ofMinutes(15);
    /** A line of /proc/interrupts: the CPU header, a numbered IRQ or a named one (LOC:, NMI:...). */
    private static final Pattern INTERRUPT_LINE = Pattern.compile(" +CPU0 *| *\\w+:.*");

    @TempDir
    Path dir;

    @Test
    void theDebianKernelBootsToAShellThatAnswersAndPowersOff() throws Exception {
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        LinuxKit.Kit kit = LinuxKit.require();
        Process p = new ProcessBuilder(engineCommand(kit)).redirectError(dir.resolve("stderr.txt").toFile()).start();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(p.getInputStream(), console), "linux-console");
        reader.start();
        try {
            Await.until("the kit's shell prompt", BOOT, () -> text(console).contains("jkvm-init: shell on")
                    && text(console).contains("jkvm# ") || !p.isAlive());
            assertTrue(p.isAlive(), "the engine ended during the boot: " + text(console));
            Await.until("the second copy of /proc/interrupts", BOOT,
                    () -> text(console).contains("jkvm-init: /proc/interrupts after 2 s\n") && text(console)
                            .substring(text(console).indexOf("after 2 s")).contains("\nMIS:") || !p.isAlive());
            OutputStream in = p.getOutputStream();
            in.write("echo soft-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Await.until("the shell's answer", BOOT, () -> text(console).contains("soft-42") || !p.isAlive());
            Await.until("a heartbeat", BOOT, () -> text(console).contains("hb seq=1 ") || !p.isAlive());
            in.write("poweroff\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertTrue(p.waitFor(BOOT.toMinutes(), TimeUnit.MINUTES), "the engine did not end after poweroff: "
                    + text(console));
            assertEquals(0, p.exitValue(), "the engine's status after poweroff; console: " + text(console));
        } finally {
            p.destroyForcibly();
            reader.join(10_000);
        }
        checkConsole(kit, text(console));
        checkClock(text(console));
    }

    /**
     * The kernel uses kvmclock: it says so, takes the TSC rate from it (the software CPU's rate to the kHz, where the
     * PIT calibration could be 12x off when the vCPU thread was held up) and makes it its clocksource.
     */
    private static void checkClock(String out) {
        assertTrue(out.contains("kvm-clock: Using msrs 4b564d01 and 4b564d00"), out);
        long engineKhz;
        try (org.jkvm.hypervisor.Hypervisor h = Backends.open(List.of(Accelerator.TCG), Path.of("/nonexistent"))
                .hypervisor()) {
            engineKhz = h.defaultTscKhz();
        }
        Matcher guest = Pattern.compile("tsc: Detected (\\d+)\\.(\\d{3}) MHz processor").matcher(out);
        assertTrue(guest.find(), out);
        long khz = Long.parseLong(guest.group(1)) * 1000 + Long.parseLong(guest.group(2));
        assertEquals(engineKhz, khz, 1, "the guest's TSC rate: " + guest.group());
        assertTrue(out.contains("clocksource: Switched to clocksource kvm-clock"), out);
    }

    private static void checkConsole(LinuxKit.Kit kit, String out) {
        assertTrue(out.contains("Linux version " + kit.kernelVersion()), "the banner: " + out);
        assertTrue(out.contains("jkvm-init: start uptime="), out);
        List<String> copies = interruptCopies(out);
        assertEquals(2, copies.size(), "two copies of /proc/interrupts: " + out);
        assertTrue(count(copies.get(1), "LOC:", out) > count(copies.get(0), "LOC:", out),
                "the local APIC timer counts: " + copies);
        assertTrue(count(copies.get(1), "ttyS0", out) > count(copies.get(0), "ttyS0", out), "ttyS0 counts: "
                + copies);
        assertTrue(copies.get(1).matches("(?sm).*^ +0: +\\d+ +IO-APIC +2-edge +timer.*"),
                "the PIT on I/O APIC pin 2: " + copies.get(1));
        assertTrue(out.lines().anyMatch(l -> l.startsWith("hb seq=1 ")), out);
        assertTrue(out.lines().filter(l -> l.startsWith("hb ")).allMatch(l -> l.contains(" errors=0 ")),
                "no bad page, no step back in time: " + out);
        assertTrue(out.contains("reboot: Power down"), out);
    }

    /**
     * The copies of /proc/interrupts the init script prints, each the interrupt lines after a line with
     * "jkvm-init: /proc/interrupts" up to the next such line (kernel messages and the shell's output may come between
     * them: they are no interrupt lines).
     */
    private static List<String> interruptCopies(String out) {
        List<String> copies = new ArrayList<>();
        for (String l : out.lines().toList()) {
            if (l.contains("jkvm-init: /proc/interrupts")) { // the shell's prompt may come first
                copies.add("");
            } else if (!copies.isEmpty() && INTERRUPT_LINE.matcher(l).matches()) {
                copies.set(copies.size() - 1, copies.get(copies.size() - 1) + l + "\n");
            }
        }
        return copies;
    }

    /** The first number on the line of {@code /proc/interrupts} that contains {@code key}. */
    private static long count(String interrupts, String key, String console) {
        String line = interrupts.lines().filter(l -> l.contains(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " line in " + interrupts + "; console:\n"
                        + console));
        Matcher m = Pattern.compile("\\d+").matcher(line.substring(line.indexOf(':') + 1));
        assertTrue(m.find(), line);
        return Long.parseLong(m.group());
    }

    /**
     * The engine on the software CPU with the kit's kernel, initrd and command line, the console on stdin/stdout.
     * Full JIT tiers (not the C1-only JVM of {@link EngineProcess}): the interpreter's speed is C2's.
     */
    private static List<String> engineCommand(LinuxKit.Kit kit) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp", cp,
                Main.class.getName(), "-accel", "tcg", "-m", "512", "-kernel", kit.kernel().toString(), "-initrd",
                kit.initrd().toString(), "-append", kit.cmdline(), "-serial", "stdio");
    }

    private static String text(ByteArrayOutputStream console) {
        synchronized (console) {
            return console.toString(StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        }
    }

    private static void copy(InputStream from, ByteArrayOutputStream to) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = from.read(buf)) > 0; ) {
                synchronized (to) {
                    to.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the engine ended: the test reads what arrived
        }
    }
}
