package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The HMP migration commands' argument handling, without KVM (a fake engine; no job is started). */
class HmpMigrationTest {
    private final FakeEngine engine = new FakeEngine();
    private final Hmp hmp = new Hmp(engine);
    private final Qmp qmp = new Qmp(engine, hmp);

    HmpMigrationTest() {
        new MigrationCommands(engine).register(qmp, hmp);
    }

    @Test
    void speedTakesKmgSuffixesAndDowntimeSeconds() {
        assertEquals("", hmp.execute("migrate_set_speed 4095m"));
        assertTrue(hmp.execute("info migrate_parameters").contains("max-bandwidth: " + (4095L << 20)));
        assertEquals("", hmp.execute("migrate_set_speed 1g"));
        assertTrue(hmp.execute("info migrate_parameters").contains("max-bandwidth: " + (1L << 30)));
        assertEquals("", hmp.execute("migrate_set_speed 512k"));
        assertTrue(hmp.execute("info migrate_parameters").contains("max-bandwidth: " + (512L << 10)));
        assertEquals("", hmp.execute("migrate_set_speed 1000000"));
        assertTrue(hmp.execute("info migrate_parameters").contains("max-bandwidth: 1000000"));
        assertEquals("Error: invalid speed '12q'; give bytes per second with an optional k/m/g suffix, e.g. "
                + "migrate_set_speed 1g", hmp.execute("migrate_set_speed 12q"));
        assertEquals("", hmp.execute("migrate_set_downtime 0.05"));
        assertTrue(hmp.execute("info migrate_parameters").contains("downtime-limit: 50"));
        assertTrue(hmp.execute("migrate_set_downtime soon").startsWith("Error: give the downtime in seconds"));
    }

    @Test
    void aBlockedVmSaysWhyAndRefusesToMigrate() {
        assertEquals("", hmp.execute("info migrate"), "nothing to say before a job when not blocked");
        engine.blocker = "the guest's CPU exposes svm; start it with -cpu qemu64,-svm";
        assertEquals("Outgoing migration blocked:\n  " + engine.blocker, hmp.execute("info migrate"));
        Map<?, ?> q = (Map<?, ?>) qmp.execute("query-migrate", Map.of());
        assertEquals(List.of(engine.blocker), q.get("blocked-reasons"));
        String out = hmp.execute("migrate -d tcp:127.0.0.1:1");
        assertEquals("Error: migration is blocked: " + engine.blocker, out);
        assertEquals("Outgoing migration blocked:\n  " + engine.blocker, hmp.execute("info migrate"),
                "no job was started");
    }

    @Test
    void parametersAndCapabilities() {
        assertEquals("", hmp.execute("migrate_set_parameter max-bandwidth 32m"));
        assertEquals("", hmp.execute("migrate_set_parameter cpu-throttle-initial 50"));
        String p = hmp.execute("info migrate_parameters");
        assertTrue(p.contains("max-bandwidth: " + (32L << 20)) && p.contains("cpu-throttle-initial: 50"), p);
        assertTrue(hmp.execute("migrate_set_parameter downtime-limit x").startsWith("Error: invalid value 'x'"));
        assertTrue(hmp.execute("migrate_set_parameter colour 3").startsWith("Error: migration parameter 'colour'"));
        assertEquals("", hmp.execute("migrate_set_capability auto-converge on"));
        assertTrue(hmp.execute("info migrate_capabilities").contains("auto-converge: on"));
        assertTrue(hmp.execute("migrate_set_capability auto-converge maybe").startsWith("Error: write"));
    }

    @Test
    void migrateArgumentsAreCheckedAndQuotesDropped() {
        assertTrue(hmp.execute("migrate").startsWith("Error: give the destination URI"));
        assertTrue(hmp.execute("migrate -d").startsWith("Error: give the destination URI"));
        assertEquals("Error: migrate has no option -b; write migrate [-d] URI", hmp.execute("migrate -b tcp:h:1"));
        assertEquals("exec:gzip -c > F.gz", HmpMigration.unquote(" \"exec:gzip -c > F.gz\" "));
        assertEquals("tcp:0:4444", HmpMigration.unquote("tcp:0:4444"));
        assertEquals("\"", HmpMigration.unquote("\""));
    }
}
