package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;

import org.jkvm.devices.IrqLine;
import org.jkvm.devices.serial.Serial16550;
import org.jkvm.devices.serial.Serial16550State;
import org.jkvm.devices.serial.SerialOutput;
import org.jkvm.vmstate.StateSection;
import org.junit.jupiter.api.Test;

/**
 * The {@code serial} section: version 2 (the UART with its interrupt state: the character timeout) is written;
 * version 1, from engines before the UART had interrupts, still loads. Golden files {@code state/v1/serial.bin}
 * and {@code state/v2/serial.bin} (section payloads).
 */
class SerialSectionGoldenTest {
    private static byte[] golden(String v) throws Exception {
        try (InputStream in = SerialSectionGoldenTest.class.getResourceAsStream("/state/" + v + "/serial.bin")) {
            return in.readAllBytes();
        }
    }

    @Test
    void bothVersionsLoadAndVersionTwoIsWrittenByteForByte() throws Exception {
        Serial16550 uart = new Serial16550(IrqLine.NONE, SerialOutput.NULL);
        SerialStateful section = new SerialStateful(uart);
        assertEquals(2, section.stateVersion());
        assertEquals(1, section.stateMinVersion());
        Serial16550State v1 = section.decodeSection(new StateSection("serial", 0, 1, golden("v1")));
        assertFalse(v1.timeoutPending(), "version 1 has no timeout indication");
        assertArrayEquals(new byte[] {'h', 'i'}, v1.rx());
        Serial16550State v2 = section.decodeSection(new StateSection("serial", 0, 2, golden("v2")));
        assertTrue(v2.timeoutPending() && v2.thrInterrupt());
        section.restoreState(v2);
        StateSection written = section.saveSection();
        assertEquals(2, written.version());
        assertArrayEquals(golden("v2"), written.payload(), "the v2 payload byte for byte");
    }
}
