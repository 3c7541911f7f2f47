package org.jkvm.engine.disk;

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
import org.jkvm.engine.platform.VirtioPciCodec;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The {@code virtio-blk} section's golden file ({@code state/v1/virtio-blk.bin}): it must load forever and the encoder
 * must reproduce it byte for byte; truncations and out-of-range values are refused with their name.
 * {@code -Djkvm.golden.write=DIR} writes the file anew (only when the layout changes, with a new version).
 */
class VirtioBlkSectionTest {
    static final VirtioPciState STATE = state();

    static VirtioPciState state() {
        byte[] config = new byte[256];
        for (int i = 0; i < config.length; i++) {
            config[i] = (byte) (i * 7);
        }
        return new VirtioPciState(config, 0x0f, 1, 1, (1L << 32) | (1L << 29) | (1 << 9), 0, 0, 1,
                List.of(new VirtQueueState(128, true, 0x200000, 0x201000, 0x202000, 0xfffe, 0xfffd, 0xfffc)));
    }

    private static byte[] golden() throws IOException {
        try (InputStream in = VirtioBlkSectionTest.class.getResourceAsStream("/state/v1/virtio-blk.bin")) {
            if (in == null) {
                throw new AssertionError("no golden file state/v1/virtio-blk.bin");
            }
            return in.readAllBytes();
        }
    }

    private static VirtioPciState decode(byte[] b) {
        StateReader in = new StateReader(b, "virtio-blk");
        VirtioPciState s = VirtioPciCodec.decode(in);
        in.expectEnd();
        return s;
    }

    @Test
    void loadsAndEncodesByteForByte() throws IOException {
        StateWriter out = new StateWriter();
        VirtioPciCodec.encode(STATE, out);
        byte[] written = out.toByteArray();
        String dir = System.getProperty("jkvm.golden.write");
        if (dir != null) {
            Files.write(Files.createDirectories(Path.of(dir)).resolve("virtio-blk.bin"), written);
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
        VirtioPciState badSize = new VirtioPciState(new byte[256], 0, 0, 0, 0, 0, 0, 0,
                List.of(new VirtQueueState(100, true, 0, 0, 0, 0, 0, 0)));
        StateWriter out = new StateWriter();
        VirtioPciCodec.encode(badSize, out);
        VmStateException e = assertThrows(VmStateException.class, () -> decode(out.toByteArray()));
        assertTrue(e.getMessage().contains("queue 0 size 100"), e.getMessage());
        VirtioPciState badIsr = new VirtioPciState(new byte[256], 0, 0, 0, 0, 0, 0, 9, List.of());
        StateWriter out2 = new StateWriter();
        VirtioPciCodec.encode(badIsr, out2);
        VmStateException e2 = assertThrows(VmStateException.class, () -> decode(out2.toByteArray()));
        assertTrue(e2.getMessage().contains("ISR 9"), e2.getMessage());
    }
}
