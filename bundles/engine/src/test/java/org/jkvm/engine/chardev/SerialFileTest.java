package org.jkvm.engine.chardev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.engine.CharDev;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -serial file:PATH} truncates the file at start, as QEMU does; {@code file:PATH,append=on} (QEMU's
 * {@code -chardev file,append=on}) keeps it, so a domain's log survives a restore or a restart.
 */
class SerialFileTest {
    @TempDir
    Path dir;

    private static void write(CharDev dev, String text) {
        try (SerialBackend b = SerialBackend.open(dev)) {
            for (byte c : text.getBytes(StandardCharsets.US_ASCII)) {
                b.write(c);
            }
        }
    }

    @Test
    void appendKeepsWhatTheFileHeldAndTheDefaultTruncates() throws Exception {
        Path log = dir.resolve("guest.serial");
        CharDev appended = VmConfigParser.parse(java.util.List.of("-serial", "file:" + log + ",append=on")).serial();
        assertEquals(new CharDev.FileDev(log, true), appended);
        write(appended, "first engine\n");
        write(appended, "second engine\n");
        assertEquals("first engine\nsecond engine\n", Files.readString(log));
        CharDev plain = VmConfigParser.parse(java.util.List.of("-serial", "file:" + log)).serial();
        assertEquals(new CharDev.FileDev(log, false), plain);
        write(plain, "third\n");
        assertEquals("third\n", Files.readString(log));
        assertEquals(new CharDev.FileDev(log, false),
                VmConfigParser.parse(java.util.List.of("-serial", "file:" + log + ",append=off")).serial());
    }

    @Test
    void anAppendFlagWithoutAPathIsRefused() {
        EngineException e = assertThrows(EngineException.class,
                () -> VmConfigParser.parse(java.util.List.of("-serial", "file:,append=on")));
        assertTrue(e.getMessage().contains("no file path"), e.getMessage());
    }
}
