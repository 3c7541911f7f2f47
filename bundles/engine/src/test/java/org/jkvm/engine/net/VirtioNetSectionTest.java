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

import org.jkvm.devices.pci.MsixEntry;
import org.jkvm.devices.virtio.VirtQueueState;
import org.jkvm.devices.virtio.VirtioMsixState;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.net.VirtioNetState;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The {@code virtio-net} section's golden files ({@code state/v1/virtio-net.bin} without MSI-X, {@code
 * state/v2/virtio-net.bin} with it): they must load forever and the encoder must reproduce them byte for byte;
 * truncations and out-of-range values are refused with their name.
 * {@code -Djkvm.golden.write=DIR} writes the file anew (only when the layout changes, with a new version).
 */
class VirtioNetSectionTest {
    static final VirtioNetState STATE = state();
    static final VirtioNetState STATE_V2 = stateV2();

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

    /** MSI-X (3 vectors) enabled by the driver: rx on vector 1, tx on 2, control none, config 0; vector 2 pending. */
    static VirtioNetState stateV2() {
        VirtioPciState p = STATE.pci();
        VirtioMsixState msix = new VirtioMsixState(0, List.of(1, 2, 0xffff), List.of(
                new MsixEntry(0xfee00000L, 0x30, 0, false), new MsixEntry(0xfee00000L, 0x31, 0, false),
                new MsixEntry(0xfee00000L, 0x32, 1, true)));
        return new VirtioNetState(new VirtioPciState(p.pciConfig(), p.status(), p.deviceFeatureSelect(),
                p.driverFeatureSelect(), p.driverFeatures(), p.queueSelect(), p.configGeneration(), p.isr(),
                p.queues(), msix), STATE.netStatus(), STATE.pendingFrame());
    }

    private static byte[] golden(int version) throws IOException {
        String name = "/state/v" + version + "/virtio-net.bin";
        try (InputStream in = VirtioNetSectionTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new AssertionError("no golden file " + name);
            }
            return in.readAllBytes();
        }
    }

    private static VirtioNetState decode(byte[] b, int version) {
        StateReader in = new StateReader(b, "virtio-net");
        VirtioNetState s = VirtioNetSection.decodeState(in, version);
        in.expectEnd();
        return s;
    }

    private static VirtioNetState decode(byte[] b) {
        return decode(b, VirtioNetSection.VERSION);
    }

    @Test
    void loadsAndEncodesByteForByte() throws IOException {
        checkGolden(STATE, 1);
        checkGolden(STATE_V2, 2);
        assertEquals(2, VirtioNetSection.VERSION);
    }

    private static void checkGolden(VirtioNetState state, int version) throws IOException {
        StateWriter out = new StateWriter();
        VirtioNetSection.encodeState(state, out, version);
        byte[] written = out.toByteArray();
        String dir = System.getProperty("jkvm.golden.write");
        if (dir != null) {
            Files.write(Files.createDirectories(Path.of(dir, "v" + version)).resolve("virtio-net.bin"), written);
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
