package org.jkvm.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.jkvm.devices.virtio.VirtQueueState;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.net.VirtioNetState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The {@code virtio-net} section's golden file ({@code state/v1/virtio-net.bin}): it must load forever and the
 * encoder must reproduce it byte for byte; truncations and out-of-range values are refused with their name.
 * {@code -Djkvm.golden.write=DIR} writes the file anew (only when the layout changes, with a new version).
 */
class VirtioNetSectionTest {
    static final VirtioNetState STATE = state();

    static VirtioNetState state() {
        byte[] config = new byte[256];
        for (int i = 0; i < config.length; i++) {
            config[i] = (byte) (i * 5);
        }
        VirtioPciState pci = new VirtioPciState(config, 0x0f, 1, 0, (1L << 32) | (1L << 21) | (1L << 17) | (1L << 15)
                | (1L << 5), 2, 3, 2, List.of(
                        new VirtQueueState(256, true, 0x100000, 0x104000, 0x108000, 0x0102, 0x0101, 0x0100),
                        new VirtQueueState(256, true, 0x110000, 0x114000, 0x118000, 0xfffe, 0xfffe, 0xfff0),
                        new VirtQueueState(64, true, 0x120000, 0x124000, 0x128000, 3, 3, 3)));
        byte[] frame = new byte[64];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (0xa0 + i);
        }
        return new VirtioNetState(pci, 2, frame);
    }

    private static byte[] golden() throws IOException {
        try (InputStream in = VirtioNetSectionTest.class.getResourceAsStream("/state/v1/virtio-net.bin")) {
            if (in == null) {
                throw new AssertionError("no golden file state/v1/virtio-net.bin");
            }
            return in.readAllBytes();
        }
    }

    private static VirtioNetState decode(byte[] b) {
        StateReader in = new StateReader(b, "virtio-net");
        VirtioNetState s = VirtioNetSection.decodeState(in);
        in.expectEnd();
        return s;
    }

    @Test
    void loadsAndEncodesByteForByte() throws IOException {
        StateWriter out = new StateWriter();
        VirtioNetSection.encodeState(STATE, out);
        byte[] written = out.toByteArray();
        String dir = System.getProperty("jkvm.golden.write");
        if (dir != null) {
            Files.write(Files.createDirectories(Path.of(dir)).resolve("virtio-net.bin"), written);
        }
        byte[] golden = golden();
        assertEquals(STATE, decode(golden));
        assertArrayEquals(golden, written);
        for (int cut = 0; cut < golden.length; cut += 7) {
            byte[] shorter = Arrays.copyOf(golden, cut);
            assertThrows(VmStateException.class, () -> decode(shorter), "cut at " + cut);
        }
        assertThrows(VmStateException.class, () -> decode(Arrays.copyOf(golden, golden.length + 1)));
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheirName() {
        VirtioNetState twoQueues = new VirtioNetState(new VirtioPciState(new byte[256], 0, 0, 0, 0, 0, 0, 0,
                List.of(new VirtQueueState(8, true, 0, 0, 0, 0, 0, 0), new VirtQueueState(8, true, 0, 0, 0, 0, 0, 0))),
                0, new byte[0]);
        StateWriter out = new StateWriter();
        VirtioNetSection.encodeState(twoQueues, out);
        VmStateException e = assertThrows(VmStateException.class, () -> decode(out.toByteArray()));
        assertTrue(e.getMessage().contains("2 virtqueues for a NIC"), e.getMessage());
        VirtioNetState badStatus = new VirtioNetState(STATE.pci(), 1, new byte[0]);
        StateWriter out2 = new StateWriter();
        VirtioNetSection.encodeState(badStatus, out2);
        VmStateException e2 = assertThrows(VmStateException.class, () -> decode(out2.toByteArray()));
        assertTrue(e2.getMessage().contains("net status 0x1"), e2.getMessage());
    }
}
