package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The driver's settings from framework properties: defaults, the spare engine switch, bad values named. */
class DriverSettingsTest {
    private static DriverConfig of(Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(Map.of("jkvm.state.dir", "/tmp/s", "jkvm.engine.command",
                "/opt/jkvm/bin/jkvm-engine -Xfoo"));
        p.putAll(extra);
        return DriverSettings.from(p::get);
    }

    @Test
    void defaultsKeepASpareEngine() {
        DriverConfig c = of(Map.of());
        assertTrue(c.spareEngine());
        assertEquals(List.of("/opt/jkvm/bin/jkvm-engine", "-Xfoo"), c.engineCommand());
        assertEquals(49152, c.migrationPortFrom());
        assertEquals(Duration.ofSeconds(60), c.engineStartTimeout());
    }

    @Test
    void theSpareEngineCanBeSwitchedOff() {
        assertFalse(of(Map.of(DriverSettings.ENGINE_SPARE, "false")).spareEngine());
        assertTrue(of(Map.of(DriverSettings.ENGINE_SPARE, "true")).spareEngine());
    }

    @Test
    void theKvmDeviceIsThePropertyElseTheEnvironmentsElseDevKvm() {
        assertEquals(Path.of("/nonexistent"), of(Map.of(DriverSettings.KVM_DEVICE, "/nonexistent")).kvmDevice());
        String env = System.getenv("JKVM_KVM_DEVICE");
        assertEquals(env == null || env.isBlank() ? Path.of("/dev/kvm") : Path.of(env.strip()),
                of(Map.of()).kvmDevice());
    }

    @Test
    void malformedValuesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> of(Map.of(DriverSettings.MIGRATION_PORTS, "a-b")));
        assertTrue(e.getMessage().startsWith("jkvm.migration.ports='a-b'"), e.getMessage());
    }
}
