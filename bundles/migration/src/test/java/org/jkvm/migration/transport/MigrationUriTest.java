package org.jkvm.migration.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.jkvm.migration.MigrationException;
import org.junit.jupiter.api.Test;

class MigrationUriTest {
    @Test
    void parsesTheSeedsForms() {
        MigrationUri.Tcp any = (MigrationUri.Tcp) MigrationUri.parse("tcp:0:4444");
        assertTrue(any.anyHost());
        assertEquals(4444, any.port());
        assertEquals(new MigrationUri.Tcp("B", 4444), MigrationUri.parse("tcp:B:4444"));
        assertEquals(new MigrationUri.Tcp("::1", 5), MigrationUri.parse("tcp:[::1]:5"));
        assertEquals(new MigrationUri.Unix(Path.of("/tmp/m.sock")), MigrationUri.parse("unix:/tmp/m.sock"));
        assertEquals(new MigrationUri.Exec("gzip -c -d STATEFILE.gz"),
                MigrationUri.parse("exec: gzip -c -d STATEFILE.gz"));
        assertFalse(MigrationUri.parse("exec:cat").hasReturnPath());
        assertTrue(MigrationUri.parse("unix:/x").hasReturnPath());
    }

    @Test
    void badUrisNameTheProblem() {
        assertTrue(assertThrows(MigrationException.class, () -> MigrationUri.parse("ftp:x")).getMessage()
                .contains("not tcp:, unix: or exec:"));
        assertTrue(assertThrows(MigrationException.class, () -> MigrationUri.parse("tcp:host")).getMessage()
                .contains("port is missing"));
        assertTrue(assertThrows(MigrationException.class, () -> MigrationUri.parse("tcp:h:99999")).getMessage()
                .contains("outside 0..65535"));
        assertTrue(assertThrows(MigrationException.class, () -> MigrationUri.parse("tcp:h:x")).getMessage()
                .contains("not a number"));
        assertThrows(MigrationException.class, () -> MigrationUri.parse("exec:  "));
        assertThrows(MigrationException.class, () -> MigrationUri.parse("unix:"));
    }

    @Test
    void listeningOnABusyPortFailsAtOnce() {
        try (Listener l = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"))) {
            String busy = "tcp:127.0.0.1:" + l.port();
            MigrationException e = assertThrows(MigrationException.class,
                    () -> Transports.listen(MigrationUri.parse(busy)));
            assertTrue(e.getMessage().contains("cannot listen on " + busy), e.getMessage());
        }
    }
}
