package org.jkvm.driver.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jkvm.json.Json;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed client against a scripted QMP peer on a unix socket: each method sends exactly the line the driver sent
 * before it was typed (the engines see the same wire), answers and errors come back as values and exceptions, and
 * events reach the listener as {@link QmpEvent}s.
 */
class QmpClientTest {
    @TempDir
    Path dir;

    /** Lines the peer received, without their ids. */
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<QmpEvent> events = new CopyOnWriteArrayList<>();
    private ServerSocketChannel server;
    private Thread peer;

    /** Starts a peer that greets, answers each command with {@code answers.get(name)} and sends STOP on stop. */
    private QmpClient connect(Map<String, String> answers) throws IOException {
        Path socket = dir.resolve("qmp");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        peer = new Thread(() -> serve(answers), "scripted-qmp-peer");
        peer.setDaemon(true);
        peer.start();
        return QmpClient.connect(socket, Duration.ofSeconds(30), new QmpListener() {
            @Override
            public void onEvent(QmpEvent event) {
                events.add(event);
            }
        });
    }

    private void serve(Map<String, String> answers) {
        try (SocketChannel ch = server.accept()) {
            BufferedReader in = new BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
            PrintWriter out = new PrintWriter(Channels.newWriter(ch, StandardCharsets.UTF_8), true);
            out.println("{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
            for (String line; (line = in.readLine()) != null; ) {
                Map<String, Object> cmd = Json.parseObject(line);
                Object id = cmd.get("id");
                received.add(line.replace(", \"id\": " + id, ""));
                String name = String.valueOf(cmd.get("execute"));
                if (name.equals("stop")) {
                    out.println("{\"event\": \"STOP\", \"data\": {}, \"timestamp\": {\"seconds\": 1, "
                            + "\"microseconds\": 2}}");
                    out.println("{\"event\": \"MIGRATION\", \"data\": {\"status\": \"setup\"}}");
                }
                String answer = answers.getOrDefault(name, "{\"return\": {}}");
                out.println(answer.substring(0, answer.length() - 1) + ", \"id\": " + id + "}");
            }
        } catch (IOException e) {
            received.add("peer failed: " + e);
        }
    }

    @AfterEach
    void stopPeer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (peer != null) {
            peer.join(10_000);
        }
    }

    @Test
    void eachCommandSendsTheLineTheDriverAlwaysSent() throws Exception {
        try (QmpClient c = connect(Map.of("query-status", "{\"return\": {\"running\": false, \"status\": "
                + "\"paused\"}}", "query-kvm", "{\"return\": {\"enabled\": true, \"present\": true}}",
                "query-migrate", "{\"return\": {\"status\": \"completed\", \"downtime\": 9}}",
                "query-migrate-parameters", "{\"return\": {\"max-bandwidth\": 7, \"downtime-limit\": 8}}"))) {
            assertEquals(new RunStatus(RunState.PAUSED, false), c.queryStatus());
            assertEquals(new KvmInfo(true, true), c.queryKvm());
            assertEquals(9, c.queryMigrate().downtimeOrExpectedMs());
            assertEquals(MigrationParameters.NONE.withMaxBandwidth(7).withDowntimeLimit(8),
                    c.queryMigrateParameters());
            c.stop();
            c.cont();
            c.systemPowerdown();
            c.migrate("tcp:10.0.0.2:49152");
            c.migrateCancel();
            c.setMigrationParameters(MigrationParameters.NONE.withMaxBandwidth(1 << 20).withDowntimeLimit(300));
            c.setMigrationCapability(MigrationCapability.AUTO_CONVERGE, true);
            c.quit();
            assertEquals(List.of("{\"execute\": \"qmp_capabilities\"}",
                    "{\"execute\": \"query-status\"}",
                    "{\"execute\": \"query-kvm\"}",
                    "{\"execute\": \"query-migrate\"}",
                    "{\"execute\": \"query-migrate-parameters\"}",
                    "{\"execute\": \"stop\"}",
                    "{\"execute\": \"cont\"}",
                    "{\"execute\": \"system_powerdown\"}",
                    "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:10.0.0.2:49152\", \"detach\": true}}",
                    "{\"execute\": \"migrate_cancel\"}",
                    "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": 1048576, "
                            + "\"downtime-limit\": 300}}",
                    "{\"execute\": \"migrate-set-capabilities\", \"arguments\": {\"capabilities\": "
                            + "[{\"capability\": \"auto-converge\", \"state\": true}]}}",
                    "{\"execute\": \"quit\"}"), received);
            // The events were written before the stop's answer, so they have been handled by now.
            Await.until("the events before stop's answer are delivered", () -> events.size() == 2);
            assertEquals(List.of(new QmpEvent.Stop(), new QmpEvent.Migration(MigrationStatus.SETUP)), events);
        }
    }

    @Test
    void anErrorAnswerIsAnExceptionWithTheEnginesSentence() throws Exception {
        try (QmpClient c = connect(Map.of("cont", "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                + "\"guest is still waiting for its incoming migration\"}}", "query-status", "{\"return\": []}"))) {
            QmpException e = assertThrows(QmpException.class, c::cont);
            assertEquals("the engine refused 'cont': guest is still waiting for its incoming migration",
                    e.getMessage());
            assertEquals("GenericError", e.errorClass());
            assertEquals("the engine answered 'query-status' with [], not a JSON object",
                    assertThrows(QmpException.class, c::queryStatus).getMessage());
            c.stop();
            assertTrue(!c.isClosed(), "a refused command leaves the connection usable");
        }
    }
}
