package org.jkvm.driver.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.jkvm.json.Json;
import org.junit.jupiter.api.Test;

/** QMP answers and events, as the real engine and QEMU write them, decoded into the driver's records. */
class QmpCodecTest {
    private static Object json(String text) {
        return Json.parse(text);
    }

    @Test
    void queryStatusGivesTheRunState() {
        assertEquals(new RunStatus(RunState.RUNNING, true),
                QmpCodec.runStatus(json("{\"running\": true, \"singlestep\": false, \"status\": \"running\"}")));
        RunStatus in = QmpCodec.runStatus(json("{\"running\": false, \"status\": \"inmigrate\"}"));
        assertEquals(new RunStatus(RunState.INMIGRATE, false), in);
        assertTrue(in.incoming());
        assertEquals(RunState.FINISH_MIGRATE, QmpCodec.runStatus(json("{\"status\": \"finish-migrate\"}")).state());
        assertEquals(new RunStatus(RunState.UNKNOWN, false),
                QmpCodec.runStatus(json("{\"running\": false, \"status\": \"io-error\"}")), "QEMU's other states");
        for (RunState s : RunState.values()) {
            if (s != RunState.UNKNOWN) {
                assertEquals(s, RunState.of(s.wireName()));
            }
        }
    }

    @Test
    void answersThatDoNotFitQmpAreTheEnginesFault() {
        QmpException noStatus = assertThrows(QmpException.class, () -> QmpCodec.runStatus(json("{\"running\": 1}")));
        assertEquals("the engine's answer to 'query-status' has no status, which does not fit QMP; check that the "
                + "engine and the driver are from the same jkvm", noStatus.getMessage());
        assertTrue(assertThrows(QmpException.class, () -> QmpCodec.runStatus(json("{\"status\": \"running\", "
                + "\"running\": \"yes\"}"))).getMessage().contains("has running yes"));
        assertEquals("the engine answered 'query-migrate' with [], not a JSON object",
                assertThrows(QmpException.class, () -> QmpCodec.migrationInfo(List.of())).getMessage());
        assertTrue(assertThrows(QmpException.class, () -> QmpCodec.migrationInfo(json("{\"ram\": {\"total\": "
                + "\"big\"}}"))).getMessage().contains("has total big"));
        assertTrue(assertThrows(QmpException.class, () -> QmpCodec.migrationInfo(json("{\"blocked-reasons\": "
                + "\"x\"}"))).getMessage().contains("blocked-reasons"));
        assertTrue(assertThrows(QmpException.class, () -> QmpCodec.kvmInfo(json("{\"enabled\": true}")))
                .getMessage().contains("has no present"));
    }

    @Test
    void queryMigrateBeforeAnyJobIsEmpty() {
        MigrationInfo none = QmpCodec.migrationInfo(json("{}"));
        assertEquals(MigrationInfo.NONE, none);
        assertTrue(none.noJob());
        assertEquals(0, none.downtimeOrExpectedMs());
        MigrationInfo blocked = QmpCodec.migrationInfo(json("{\"blocked-reasons\": [\"the guest's CPU exposes "
                + "nested virtualization\"]}"));
        assertEquals(List.of("the guest's CPU exposes nested virtualization"), blocked.blockedReasons());
        assertTrue(blocked.noJob());
    }

    @Test
    void queryMigrateOfARunningJobHasItsFigures() {
        MigrationInfo q = QmpCodec.migrationInfo(json("{\"status\": \"active\", \"total-time\": 1200, "
                + "\"expected-downtime\": 40, \"setup-time\": 3, \"ram\": {\"transferred\": 8192, \"remaining\": "
                + "4096, \"total\": 16384, \"duplicate\": 1, \"normal\": 2, \"normal-bytes\": 8192, "
                + "\"dirty-pages-rate\": 7, \"mbps\": 12.5, \"dirty-sync-count\": 2, \"page-size\": 4096}, "
                + "\"cpu-throttle-percentage\": 20}"));
        assertEquals(new MigrationInfo(MigrationStatus.ACTIVE, OptionalLong.of(1200), OptionalLong.of(40),
                OptionalLong.empty(), OptionalLong.of(3), Optional.empty(),
                new RamStats(8192, 4096, 16384, 1, 2, 8192, 7, 12.5, 2, 4096), OptionalLong.of(20), List.of()), q);
        assertEquals(40, q.downtimeOrExpectedMs(), "the expected downtime while the job runs");
        MigrationInfo done = QmpCodec.migrationInfo(json("{\"status\": \"completed\", \"downtime\": 17, "
                + "\"expected-downtime\": 40, \"ram\": {\"mbps\": 800}}"));
        assertEquals(17, done.downtimeOrExpectedMs(), "the real downtime once known");
        assertEquals(800.0, done.ram().mbps(), "a whole mbps comes as an integer");
        assertEquals(4096, done.ram().pageSizeBytes(), "page size defaults to 4096");
        MigrationInfo failed = QmpCodec.migrationInfo(json("{\"status\": \"failed\", \"error-desc\": \"boom\"}"));
        assertTrue(failed.status().unsuccessful());
        assertEquals(Optional.of("boom"), failed.errorDesc());
        assertEquals(MigrationStatus.UNKNOWN, QmpCodec.migrationInfo(json("{\"status\": \"postcopy-active\"}"))
                .status());
        assertFalse(MigrationStatus.COMPLETED.unsuccessful());
    }

    @Test
    void queryKvmAndMigrationParameters() {
        assertEquals(new KvmInfo(false, true), QmpCodec.kvmInfo(json("{\"enabled\": false, \"present\": true}")));
        assertEquals(new MigrationParameters(OptionalLong.of(1 << 20), OptionalLong.of(300)),
                QmpCodec.parameters(json("{\"max-bandwidth\": 1048576, \"downtime-limit\": 300, "
                        + "\"cpu-throttle-initial\": 20}")));
    }

    @Test
    void argumentsAreWrittenAsBefore() {
        assertEquals("{\"uri\": \"exec:cat >> '/s'\", \"detach\": true}", Json.write(QmpCodec.migrate(
                "exec:cat >> '/s'")));
        assertEquals("{\"max-bandwidth\": 4194304, \"downtime-limit\": 300}", Json.write(QmpCodec.parameters(
                MigrationParameters.NONE.withMaxBandwidth(4 << 20).withDowntimeLimit(300))));
        assertEquals("{\"downtime-limit\": 50}", Json.write(QmpCodec.parameters(
                MigrationParameters.NONE.withDowntimeLimit(50))));
        assertEquals("{}", Json.write(QmpCodec.parameters(MigrationParameters.NONE)));
        assertEquals("{\"capabilities\": [{\"capability\": \"auto-converge\", \"state\": true}]}",
                Json.write(QmpCodec.capability(MigrationCapability.AUTO_CONVERGE, true)));
    }

    @Test
    void eventsAreDecodedIntoTheClosedSet() {
        assertEquals(new QmpEvent.Stop(), QmpCodec.event("STOP", Map.of()));
        assertEquals(new QmpEvent.Resume(), QmpCodec.event("RESUME", Map.of()));
        assertEquals(new QmpEvent.Shutdown(true, "guest-shutdown"), QmpCodec.event("SHUTDOWN",
                Map.of("guest", true, "reason", "guest-shutdown")));
        assertEquals(new QmpEvent.Shutdown(false, ""), QmpCodec.event("SHUTDOWN", Map.of()));
        assertEquals(new QmpEvent.Migration(MigrationStatus.COMPLETED), QmpCodec.event("MIGRATION",
                Map.of("status", "completed")));
        assertEquals(new QmpEvent.MigrationPass(3), QmpCodec.event("MIGRATION_PASS", Map.of("pass", 3L)));
        assertEquals(new QmpEvent.Other("RESET"), QmpCodec.event("RESET", Map.of("guest", false)));
        assertEquals(new QmpEvent.Other("MIGRATION"), QmpCodec.event("MIGRATION", Map.of("status", 5L)),
                "an event whose data does not fit is only logged");
        for (QmpEvent e : List.of(new QmpEvent.Stop(), new QmpEvent.Resume(), new QmpEvent.Shutdown(true, "x"),
                new QmpEvent.Migration(MigrationStatus.ACTIVE), new QmpEvent.MigrationPass(1))) {
            assertEquals(e.getClass(), QmpCodec.event(e.name(), e instanceof QmpEvent.Migration
                    ? Map.of("status", "active") : Map.of()).getClass(), e.name());
        }
    }
}
