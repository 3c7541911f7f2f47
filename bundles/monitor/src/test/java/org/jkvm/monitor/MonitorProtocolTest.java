package org.jkvm.monitor;

import org.jkvm.json.Json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.RunState;
import org.junit.jupiter.api.Test;

/** QMP and HMP sessions over in-memory streams (no KVM): framing, negotiation, ids, errors, events. */
class MonitorProtocolTest {
    private final FakeEngine engine = new FakeEngine();
    private final Hmp hmp = new Hmp(engine);
    private final Qmp qmp = new Qmp(engine, hmp);

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> qmpSession(String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new QmpSession(qmp, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out,
                engine::quit).run();
        return out.toString(StandardCharsets.UTF_8).lines().map(l -> (Map<String, Object>) Json.parse(l)).toList();
    }

    @Test
    void qmpNegotiatesEchoesIdsAndInterleavesEvents() {
        List<Map<String, Object>> replies = qmpSession("{\"execute\": \"cont\"}"
                + "{\"execute\":\"qmp_capabilities\"}{\"execute\": \"query-status\", \"id\": {\"n\": 1}}\n"
                + "{\"execute\": \"cont\", \"id\": 2}{\"execute\": \"x-jkvm-dirty-count\"}"
                + "{\"execute\": \"nope\", \"id\": 3}{\"arguments\": {}}\n"
                + "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info status\"}}"
                + "{\"execute\": \"quit\"}{\"execute\": \"stop\"}");
        assertTrue(replies.get(0).containsKey("QMP"), replies.toString());
        assertEquals("CommandNotFound", ((Map<?, ?>) replies.get(1).get("error")).get("class"));
        assertEquals(Map.of(), replies.get(2).get("return"));
        assertEquals(Map.of("n", 1L), replies.get(3).get("id"));
        assertEquals("prelaunch", ((Map<?, ?>) replies.get(3).get("return")).get("status"));
        assertEquals("RESUME", replies.get(4).get("event"), "the event is sent as it happens, as QEMU does: "
                + replies);
        assertTrue(((Map<?, ?>) replies.get(4).get("timestamp")).get("microseconds") instanceof Long);
        assertEquals(2L, replies.get(5).get("id"));
        assertEquals(Map.of("pages", 17L), replies.get(6).get("return"));
        assertEquals("CommandNotFound", ((Map<?, ?>) replies.get(7).get("error")).get("class"));
        assertEquals(3L, replies.get(7).get("id"));
        assertEquals("GenericError", ((Map<?, ?>) replies.get(8).get("error")).get("class"));
        assertEquals("VM status: running\n", replies.get(9).get("return"));
        assertEquals(Map.of(), replies.get(10).get("return"));
        assertEquals("SHUTDOWN", replies.get(11).get("event"));
        assertEquals(12, replies.size(), "nothing is read after quit: " + replies);
        assertEquals(List.of("cont", "quit"), engine.calls, "the cont before negotiation was refused");
    }

    @Test
    void hmpAnswersInQemuWordsAndReportsErrorsAsText() {
        assertEquals("VM status: paused (prelaunch)", hmp.execute("info status"));
        assertEquals("", hmp.execute("c"));
        assertEquals("VM status: running", hmp.execute("info   status"));
        assertEquals("* CPU #0: pc=0x000000000010002a thread_id=4242", hmp.execute("info cpus"));
        assertEquals("0.1.0 (jkvm)", hmp.execute("info version"));
        assertEquals("dirty pages: 17", hmp.execute("info dirty-log"));
        assertEquals("unknown command: 'frob'", hmp.execute("frob"));
        assertEquals("unknown info subcommand 'frob'; see 'help'", hmp.execute("info frob"));
        assertEquals(List.of(Map.of("cpu-index", 0, "thread-id", 4242L, "qom-path", "/machine/unattached/device[0]",
                "target", "x86_64", "halted", false)), qmp.execute("query-cpus-fast", Map.of()));
        engine.state = RunState.SHUTDOWN;
        assertEquals("* CPU #0: pc=0x000000000010002a (halted) thread_id=4242", hmp.execute("info cpus"));
        assertEquals("Error: the VM has shut down and cannot be resumed", hmp.execute("cont"));
        assertTrue(hmp.execute("help").contains("system_powerdown"));
    }

    @Test
    void queryKvmAndInfoKvmAnswerAsQemuDoes() {
        assertEquals(Map.of("enabled", true, "present", true), qmp.execute("query-kvm", Map.of()));
        assertEquals("kvm support: enabled", hmp.execute("info kvm"));
        engine.accelerator = org.jkvm.hypervisor.Accelerator.TCG;
        assertEquals(Map.of("enabled", false, "present", true), qmp.execute("query-kvm", Map.of()),
                "-accel tcg on a host with KVM");
        engine.kvmPresent = false;
        assertEquals(Map.of("enabled", false, "present", false), qmp.execute("query-kvm", Map.of()));
        assertEquals("kvm support: disabled", hmp.execute("info kvm"));
    }

    @Test
    void hmpSessionPrintsBannerPromptsAndQuits() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new HmpSession(hmp, "0.1.0", new ByteArrayInputStream("info name\nstop\nquit\ninfo status\n"
                .getBytes(StandardCharsets.UTF_8)), out, engine::quit).run();
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals("jkvm 0.1.0 monitor - type 'help' for more information\r\n(qemu) jkvm\r\n(qemu) (qemu) ", text);
        assertEquals(List.of("stop", "quit"), engine.calls);
        out.reset();
        new HmpSession(hmp, "0.1.0", new ByteArrayInputStream(("x".repeat(100_000) + "\ninfo name\n")
                .getBytes(StandardCharsets.UTF_8)), out, engine::quit).run();
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("Error: the command is longer than 4096 characters"
                + "\r\n(qemu) jkvm\r\n(qemu) "), "an overlong line is refused and the session goes on");
    }
}
