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

import org.jkvm.devices.pci.MsixEntry;
import org.jkvm.devices.virtio.VirtQueueState;
import org.jkvm.devices.virtio.VirtioMsixState;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.engine.platform.VirtioPciCodec;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The {@code virtio-blk} section's golden files ({@code state/v1/virtio-blk.bin} without MSI-X, {@code
 * state/v2/virtio-blk.bin} with it): they must load forever and the encoder must reproduce them byte for byte;
 * truncations and out-of-range values are refused with their name.
 * {@code -Djkvm.golden.write=DIR} writes the file anew (only when the layout changes, with a new version).
 */
class VirtioBlkSectionTest {
    static final VirtioPciState STATE = state();
    static final VirtioPciState STATE_V2 = stateV2();

    static VirtioPciState state() {
        byte[] config = new byte[256];
        for (int i = 0; i < config.length; i++) {
            config[i] = (byte) (i * 7);
        }
        return new VirtioPciState(config, 0x0f, 1, 1, (1L << 32) | (1L << 29) | (1 << 9), 0, 0, 1,
                List.of(new VirtQueueState(128, true, 0x200000, 0x201000, 0x202000, 0xfffe, 0xfffd, 0xfffc)));
    }

    /** A driver that enabled MSI-X: queue 0 on vector 1, config on vector 0, vector 1 masked with a message pending. */
    static VirtioPciState stateV2() {
        VirtioPciState s = state();
        VirtioMsixState msix = new VirtioMsixState(0, List.of(1), List.of(
                new MsixEntry(0xfee00000L, 0x41, 0, false), new MsixEntry(0xfee01004L, 0x4051, 1, true)));
        return new VirtioPciState(s.pciConfig(), s.status(), s.deviceFeatureSelect(), s.driverFeatureSelect(),
                s.driverFeatures(), s.queueSelect(), s.configGeneration(), s.isr(), s.queues(), msix);
    }

    private static byte[] golden(int version) throws IOException {
        String name = "/state/v" + version + "/virtio-blk.bin";
        try (InputStream in = VirtioBlkSectionTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new AssertionError("no golden file " + name);
            }
            return in.readAllBytes();
        }
    }

    private static VirtioPciState decode(byte[] b, int version) {
        StateReader in = new StateReader(b, "virtio-blk");
        VirtioPciState s = VirtioPciCodec.decode(in, version);
        in.expectEnd();
        return s;
    }

    private static VirtioPciState decode(byte[] b) {
        return decode(b, VirtioPciCodec.VERSION);
    }

    @Test
    void loadsAndEncodesByteForByte() throws IOException {
        checkGolden(STATE, 1);
        checkGolden(STATE_V2, 2);
        assertEquals(2, VirtioBlkSection.VERSION);
    }

    private static void checkGolden(VirtioPciState state, int version) throws IOException {
        StateWriter out = new StateWriter();
        VirtioPciCodec.encode(state, out, version);
        byte[] written = out.toByteArray();
        String dir = System.getProperty("jkvm.golden.write");
        if (dir != null) {
            Files.write(Files.createDirectories(Path.of(dir, "v" + version)).resolve("virtio-blk.bin"), written);
        }
        byte[] golden = golden(version);
        assertEquals(state, decode(golden, version));
        assertArrayEquals(golden, written);
        for (int cut = 0; cut < golden.length; cut += 7) {
            byte[] shorter = Arrays.copyOf(golden, cut);
            assertThrows(VmStateException.class, () -> decode(shorter, version), "cut at " + cut);
        }
        assertThrows(VmStateException.class, () -> decode(Arrays.copyOf(golden, golden.length + 1), version));
    }

    @Test
    void msixVectorsBeyondTheTableAndBadControlsAreRefused() {
        VirtioPciState s = state();
        VirtioMsixState beyond = new VirtioMsixState(0, List.of(2), STATE_V2.msix().table());
        VmStateException e = assertThrows(VmStateException.class, () -> decode(encode(withMsix(s, beyond))));
        assertTrue(e.getMessage().contains("queue 0 MSI-X vector 2 beyond the 2-vector MSI-X table"), e.getMessage());
        VirtioMsixState config = new VirtioMsixState(7, List.of(0xffff), STATE_V2.msix().table());
        VmStateException e2 = assertThrows(VmStateException.class, () -> decode(encode(withMsix(s, config))));
        assertTrue(e2.getMessage().contains("msix_config 7 beyond"), e2.getMessage());
        VirtioMsixState control = new VirtioMsixState(0, List.of(0), List.of(new MsixEntry(0xfee00000L, 0x41, 3,
                false)));
        VmStateException e3 = assertThrows(VmStateException.class, () -> decode(encode(withMsix(s, control))));
        assertTrue(e3.getMessage().contains("MSI-X vector 0 control 0x3"), e3.getMessage());
    }

    private static VirtioPciState withMsix(VirtioPciState s, VirtioMsixState m) {
        return new VirtioPciState(s.pciConfig(), s.status(), s.deviceFeatureSelect(), s.driverFeatureSelect(),
                s.driverFeatures(), s.queueSelect(), s.configGeneration(), s.isr(), s.queues(), m);
    }

    private static byte[] encode(VirtioPciState s) {
        StateWriter out = new StateWriter();
        VirtioPciCodec.encode(s, out);
        return out.toByteArray();
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
