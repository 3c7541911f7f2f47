package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.Backends;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Choosing the backend in the engine process: the KVM device rule ({@code JKVM_KVM_DEVICE}), the fallback to the
 * software CPU with its one log line, the engine's first log line naming the backend, QMP {@code query-kvm} and
 * HMP {@code info kvm} as QEMU answers them.
 */
class AccelProcessTest {
    @TempDir
    Path dir;

    /** The engine's log lines that are not the firmware's (stderr holds only the log here). */
    private static List<String> logLines(EngineProcess e) throws Exception {
        return e.stderr().lines().filter(l -> l.contains("org.jkvm")).toList();
    }

    private static Map<?, ?> queryKvm(EngineProcess e) throws Exception {
        try (QmpClient qmp = e.qmp()) {
            qmp.execute("{\"execute\": \"qmp_capabilities\"}");
            return (Map<?, ?>) qmp.execute("{\"execute\": \"query-kvm\"}").get("return");
        }
    }

    private static void quit(EngineProcess e) throws Exception {
        try (HmpClient hmp = HmpClient.of(e)) {
            hmp.cmd("quit");
        }
        assertEquals(0, e.awaitExit(30_000), e.stderr());
    }

    @Test
    void withoutKvmTheDefaultRunsTheSoftwareCpuAndSaysWhyOnce() throws Exception {
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        Path missing = dir.resolve("no-kvm");
        try (EngineProcess e = EngineProcess.startLogged(dir, Map.of("JKVM_KVM_DEVICE", missing.toString()),
                "-append", "hb_ms=200")) {
            e.awaitHeartbeats(2, 60_000);
            List<String> log = logLines(e);
            String why = "KVM is not available: " + missing + " does not exist; enable virtualization or load the kvm "
                    + "module; running the guest on the software CPU (tcg) instead";
            assertEquals(1, log.stream().filter(l -> l.endsWith(why)).count(), "one fallback line: " + log);
            assertTrue(log.stream().anyMatch(l -> l.contains("VM jkvm created: 64 MiB, -cpu qemu64, accel tcg "
                    + "(software CPU")), "the first line names the backend: " + log);
            assertEquals(Map.of("enabled", false, "present", false), queryKvm(e));
            try (HmpClient hmp = HmpClient.of(e)) {
                assertEquals("kvm support: disabled", hmp.cmd("info kvm"));
                assertEquals("VM status: running", hmp.cmd("info status"), "info status stays QEMU's");
            }
            quit(e);
        }
    }

    @Test
    void accelKvmWithoutKvmIsTheKvmSentenceAndStatus1() throws Exception {
        Path missing = dir.resolve("no-kvm");
        Object[] r = EngineProcess.runToEnd(dir, Map.of("JKVM_KVM_DEVICE", missing.toString()), "-accel", "kvm");
        assertEquals(1, r[0], (String) r[1]);
        assertEquals("jkvm-engine: KVM is not available: " + missing + " does not exist; enable virtualization or "
                + "load the kvm module", ((String) r[1]).strip());
        Object[] m = EngineProcess.runToEnd(dir, Map.of("JKVM_KVM_DEVICE", missing.toString()), "-machine",
                "pc,accel=kvm");
        assertEquals(r[1], m[1], "-machine accel=kvm is the same");
    }

    @Test
    void onAHostWithKvmTheDefaultIsKvmAndTcgIsAChoice() throws Exception {
        Require.that(Require.kvmAvailable(), "this cross-backend test needs KVM (" + Require.kvmDevice() + ")");
        Path a = Files.createDirectories(dir.resolve("a"));
        try (EngineProcess e = EngineProcess.startLogged(a, Map.of(), "-append", "hb_ms=200")) {
            e.awaitHeartbeats(1, 60_000);
            assertTrue(logLines(e).stream().anyMatch(l -> l.contains(", accel kvm (KVM (" + Require.kvmDevice()
                    + ", API 12)), TSC ")), logLines(e).toString());
            assertFalse(e.stderr().contains("running the guest on the software CPU"), e.stderr());
            assertEquals(Map.of("enabled", true, "present", true), queryKvm(e));
            try (HmpClient hmp = HmpClient.of(e)) {
                assertEquals("kvm support: enabled", hmp.cmd("info kvm"));
            }
            quit(e);
        }
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        Path b = Files.createDirectories(dir.resolve("b"));
        try (EngineProcess e = EngineProcess.startLogged(b, Map.of(), "-accel", "tcg", "-append", "hb_ms=200")) {
            e.awaitHeartbeats(1, 60_000);
            assertEquals(Map.of("enabled", false, "present", true), queryKvm(e), "KVM is there, not used");
            quit(e);
        }
    }
}
