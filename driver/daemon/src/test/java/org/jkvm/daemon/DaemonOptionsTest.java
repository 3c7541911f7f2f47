package org.jkvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonOptionsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsWorkWithNoOptions() {
        DaemonOptions o = DaemonOptions.parse(new String[0]);
        assertEquals(DaemonOptions.defaultStateDir().toAbsolutePath(), o.stateDir());
        assertEquals(o.stateDir().resolve("run/libvirt-sock"), o.listenUnix());
        assertEquals(1, o.listenTcp().size());
        assertEquals("127.0.0.1", o.listenTcp().get(0).getAddress().getHostAddress());
        assertEquals(16509, o.listenTcp().get(0).getPort());
        assertEquals(49152, o.migrationFrom());
        assertEquals(49215, o.migrationTo());
        assertTrue(o.qemuAlias());
        assertFalse(o.insecureListen());
        assertTrue(o.spareEngine());
        assertEquals("true", o.frameworkProperties().get("jkvm.engine.spare"));
    }

    @Test
    void optionsAndRepeatedListeners() {
        DaemonOptions o = DaemonOptions.parse(new String[] {"--state-dir", dir.toString(), "--listen-unix", "none",
            "--listen-tcp", "127.0.0.1:1234", "--listen-tcp=[::1]:1235", "--migration-ports", "50000-50010",
            "--migration-address", "10.0.0.2", "--no-qemu-alias", "--no-spare-engine"});
        assertEquals(dir, o.stateDir());
        assertNull(o.listenUnix());
        assertEquals(2, o.listenTcp().size());
        assertEquals(1235, o.listenTcp().get(1).getPort());
        assertEquals(50000, o.migrationFrom());
        assertEquals(50010, o.migrationTo());
        Map<String, String> p = o.frameworkProperties();
        assertEquals("false", p.get("jkvm.qemu.alias"));
        assertEquals("10.0.0.2", p.get("jkvm.migration.address"));
        assertEquals("127.0.0.1:1234,0:0:0:0:0:0:0:1:1235", p.get("jkvm.listen.tcp"));
        assertEquals("50000-50010", p.get("jkvm.migration.ports"));
        assertEquals("false", p.get("jkvm.engine.spare"));
    }

    @Test
    void nonLoopbackNeedsInsecureListen() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--listen-tcp", "0.0.0.0:16509"}));
        assertTrue(e.getMessage().contains("--insecure-listen"), e.getMessage());
        assertTrue(DaemonOptions.parse(new String[] {"--listen-tcp", "0.0.0.0:16509", "--insecure-listen"})
                .insecureListen());
    }

    @Test
    void configFileSetsOptionsAndTheCommandLineWins() throws Exception {
        Path cfg = dir.resolve("jkvmd.conf");
        Files.writeString(cfg, "state-dir=" + dir.resolve("s") + "\nmigration-ports=40000-40001\n"
                + "listen-tcp=127.0.0.1:1000, 127.0.0.1:1001\nno-qemu-alias=true\n");
        DaemonOptions o = DaemonOptions.parse(new String[] {"--config", cfg.toString(), "--migration-ports",
            "41000-41001"});
        assertEquals(dir.resolve("s"), o.stateDir());
        assertEquals(41000, o.migrationFrom());
        assertEquals(2, o.listenTcp().size());
        assertFalse(o.qemuAlias());
        Files.writeString(cfg, "colour=blue\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--config", cfg.toString()}));
        assertTrue(e.getMessage().contains("unknown setting 'colour'"), e.getMessage());
    }

    @Test
    void badValuesNameTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--migration-ports", "9-1"})).getMessage()
                .contains("--migration-ports"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--listen-tcp", "nohost"})).getMessage()
                .contains("ADDR:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--frobnicate"})).getMessage()
                .contains("unknown option --frobnicate"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DaemonOptions.parse(new String[] {"--state-dir"})).getMessage().contains("needs a value"));
    }
}
