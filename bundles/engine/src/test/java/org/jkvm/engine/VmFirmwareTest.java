package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.engine.vcpu.CpuStateCodec;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.testkit.Await;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateSection;
import org.jkvm.vmstate.StateWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled firmware in-process (tier c), on the backend the engine picks by default. */
class VmFirmwareTest {
    private static final Pattern SEQ = Pattern.compile("^hb seq=(\\d+) .*pages=(\\d+)", Pattern.MULTILINE);

    @TempDir
    Path dir;

    private VmConfig config(String append, String cpu) {
        return VmConfig.builder().name("t").memoryBytes(64L << 20).cpu(CpuSpec.parse(cpu)).append(append)
                .serial(new CharDev.FileDev(dir.resolve("serial.log"))).build();
    }

    private String serial() throws Exception {
        return Files.readString(dir.resolve("serial.log"));
    }

    private List<Integer> seqs() throws Exception {
        List<Integer> out = new ArrayList<>();
        Matcher m = SEQ.matcher(serial());
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    /** The {@code pages=} of the last heartbeat: pages the guest has written so far. */
    private long lastPages() throws Exception {
        long pages = -1;
        Matcher m = SEQ.matcher(serial());
        while (m.find()) {
            pages = Long.parseLong(m.group(2));
        }
        return pages;
    }

    private void awaitHeartbeats(int n) {
        Await.until(n + " heartbeats", () -> seqs().size() >= n);
    }

    @Test
    void firmwareBootsHeartbeatsPausesAndExitsWithTheDebugExitStatus() throws Exception {
        try (Vm vm = Vm.create(config("workload=idle hb_ms=200 exit_after=6", "qemu64,-nx"))) {
            assertEquals(RunState.PRELAUNCH, vm.state());
            vm.cont();
            awaitHeartbeats(2);
            String first = serial().lines().findFirst().orElse("");
            assertTrue(first.startsWith("jkvm-fw 1.0 "), first);
            assertTrue(first.contains(" nx=0 "), first);
            assertTrue(first.contains("tsc_khz=" + vm.tscKhz()), first + " vs " + vm.tscKhz());
            vm.stop();
            assertEquals(RunState.PAUSED, vm.state());
            int before = seqs().size();
            // An absence needs a window: three heartbeat periods of the guest (hb_ms=200). An observation, not a
            // wait for something to happen.
            Thread.sleep(600);
            assertEquals(before, seqs().size(), "no heartbeat while paused");
            List<StateSection> state = vm.migratable().saveState();
            List<String> labels = new java.util.ArrayList<>(List.of("cpu#0"));
            if (vm.machine().irqChip != null) {
                labels.addAll(List.of("lapic#0", "pic#0", "ioapic#0", "pit#0"));
            }
            labels.add("kvmclock#0");   // qemu64 offers kvmclock on both backends
            labels.addAll(List.of("serial#0", "acpi-pm#0", "rtc#0", "i8042#0"));
            assertEquals(labels, state.stream().map(StateSection::label).toList());
            vm.migratable().restoreState(state);
            List<StateSection> again = vm.migratable().saveState();
            int serial = labels.indexOf("serial#0");
            assertEquals(state.get(serial), again.get(serial), "serial state survives save -> restore -> save");
            if (vm.machine().irqChip != null) {
                int pic = labels.indexOf("pic#0");
                assertEquals(state.get(pic), again.get(pic), "the PICs too (the firmware leaves them alone)");
            }
            assertEquals(2, state.get(0).version(), "the architectural cpu section");
            CpuState a = CpuStateCodec.decode(state.get(0).reader());
            CpuState b = CpuStateCodec.decode(again.get(0).reader());
            assertEquals(a.registers(), b.registers(), "registers survive the round trip");
            assertEquals(a.system(), b.system());
            assertEquals(a.msrs().size(), b.msrs().size());
            assertTrue(b.tsc() >= a.tsc(), "the TSC never goes back");
            vm.cont();
            VmExit exit = vm.awaitExit();
            assertEquals(0, exit.status(), exit.reason());
            List<Integer> seqs = seqs();
            assertEquals(6, seqs.size(), serial());
            for (int i = 0; i < seqs.size(); i++) {
                assertEquals(i, seqs.get(i), "consecutive seq");
            }
            assertEquals(RunState.SHUTDOWN, vm.state());
        }
    }

    @Test
    void vcpuStateRoundTripKeepsTheTscMonotonic() throws Exception {
        try (Vm vm = Vm.create(config("workload=idle hb_ms=200", "host"))) {
            vm.cont();
            awaitHeartbeats(1);
            vm.stop();
            CpuState a = vm.runner().call(() -> vm.machine().vcpu.saveState());
            assertTrue(a.tsc() > 0, "IA32_TSC saved");
            assertTrue(a.msrs().size() > 5, "MSRs saved: " + a.msrs().size());
            // save -> encode -> decode -> restore -> save on the running backend
            StateWriter w = new StateWriter();
            CpuStateCodec.encode(a, w);
            StateReader r = new StateReader(w.toByteArray(), "cpu#0");
            CpuState decoded = CpuStateCodec.decode(r);
            r.expectEnd();
            assertEquals(a, decoded, "the encoding keeps every field");
            vm.runner().call(() -> {
                vm.machine().vcpu.restoreState(decoded);
                return null;
            });
            CpuState b = vm.runner().call(() -> vm.machine().vcpu.saveState());
            assertEquals(a.registers(), b.registers());
            assertEquals(a.system(), b.system());
            assertEquals(a.fpu(), b.fpu());
            assertEquals(a.xcr0(), b.xcr0());
            assertEquals(a.events(), b.events());
            assertEquals(a.activity(), b.activity());
            assertEquals(a.debug(), b.debug());
            assertEquals(a.msrs().stream().filter(m -> m.index() != Msr.IA32_TSC).toList(),
                    b.msrs().stream().filter(m -> m.index() != Msr.IA32_TSC).toList());
            assertTrue(b.tsc() >= a.tsc(), "TSC does not go back: " + a.tsc() + " -> " + b.tsc());
            vm.cont();
            int n = seqs().size();
            awaitHeartbeats(n + 1);
            assertTrue(seqs().size() > n, "the guest runs on after the restore");
            assertFalse(serial().contains("tsc_back=1"), serial());
        }
    }

    /**
     * The dirty log counts the pages the guest says it wrote (its heartbeats' {@code pages=}), with no host clock:
     * the window runs from one stop to the next, so its edges can each be off by what the guest writes in one
     * heartbeat period plus one burst (the firmware catches up in bursts of at most 64 pages), and the log may add a
     * few pages of its own (stack, counters). 32 MiB is 8,192 pages, so no page is written twice in the window.
     */
    @Test
    void dirtyLogCountsThePagesTheGuestWrote() throws Exception {
        int rate = 500;
        int hbMs = 200;
        long edge = rate * hbMs / 1000 + 64;
        try (Vm vm = Vm.create(config("workload=dirty mib=32 rate=" + rate + " hb_ms=" + hbMs, "qemu64"))) {
            vm.cont();
            awaitHeartbeats(1);
            vm.debugDirtyPageCount(); // starts logging
            vm.stop();
            vm.debugDirtyPageCount(); // what was written before the window
            long pagesBefore = lastPages();
            int seqBefore = seqs().size();
            vm.cont();
            awaitHeartbeats(seqBefore + 5);
            vm.stop();
            long dirty = vm.debugDirtyPageCount();
            long written = lastPages() - pagesBefore;
            assertTrue(written > 2 * edge && written < 8192 - 2 * edge, "a window of distinct pages: " + written);
            assertTrue(dirty >= written - edge && dirty <= written + edge + 64, "the guest wrote " + written
                    + " pages (heartbeats), the dirty log has " + dirty);
        }
    }

    @Test
    void systemResetRestartsTheFirmwareAndPowerdownEndsIt() throws Exception {
        try (Vm vm = Vm.create(config("workload=idle hb_ms=200", "qemu64"))) {
            List<EngineEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            vm.addListener(events::add);
            vm.cont();
            awaitHeartbeats(2);
            vm.systemReset();
            Await.until("the firmware starts again", () -> serial().split("jkvm-fw 1.0 ", -1).length >= 3);
            String text = serial();
            assertEquals(3, text.split("jkvm-fw 1.0 ", -1).length, "the firmware started again: " + text);
            String afterReset = text.substring(text.lastIndexOf("jkvm-fw 1.0 "));
            Await.until("heartbeats restart at 0 after the reset: " + afterReset,
                    () -> serial().substring(serial().lastIndexOf("jkvm-fw 1.0 ")).contains("hb seq=0 "));
            vm.systemPowerdown();
            VmExit exit = vm.awaitExit();
            assertEquals(0, exit.status(), exit.reason());
            assertTrue(serial().contains("shutdown requested"), serial());
            assertEquals(List.of(EngineEvent.Resumed.class, EngineEvent.Reset.class,
                    EngineEvent.PowerdownRequested.class, EngineEvent.Shutdown.class),
                    events.stream().map(Object::getClass).toList(), events.toString());
            assertEquals(EngineEvent.Cause.HOST_RESET, ((EngineEvent.Reset) events.get(1)).cause());
            assertEquals(EngineEvent.Cause.GUEST_SHUTDOWN, ((EngineEvent.Shutdown) events.get(3)).cause(),
                    "the guest powered itself off after the request");
        }
    }
}
