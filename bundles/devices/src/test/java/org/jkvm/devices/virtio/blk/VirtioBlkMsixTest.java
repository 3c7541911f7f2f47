package org.jkvm.devices.virtio.blk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.jkvm.block.BlockImage;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.devices.DeviceException;
import org.jkvm.devices.IoBus;
import org.jkvm.devices.RecordingLine;
import org.jkvm.devices.pci.MsixEntry;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.virtio.TestDriver;
import org.jkvm.devices.virtio.VirtioMsixState;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-blk's interrupts through MSI-X, driven as Linux's virtio_pci driver does: find the MSI-X capability, enable
 * it, program the table, write msix_config and queue_msix_vector, then take completions as messages; masking, the
 * pending bit across a save and restore, INTx silence, and the vector registers' read-back rules (virtio 1.2, 4.1.5).
 */
class VirtioBlkMsixTest {
    private static final long FEATURES = VirtioPciTransport.F_VERSION_1 | VirtioBlk.F_FLUSH;
    private static final long HDR = 0x20000;
    private static final long STATUS = 0x40000;
    private static final int SLOT = 4;

    @TempDir
    Path dir;
    private final MmapGuestMemory mem = MmapGuestMemory.allocate(4 << 20);
    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final IoBus mmio = new IoBus("mmio");
    private final RecordingLine irq11 = new RecordingLine();
    private final List<long[]> messages = new ArrayList<>();
    private final PciBus bus = new PciBus(n -> n == 11 ? irq11 : org.jkvm.devices.IrqLine.NONE, this::message);
    private BlockImage image;
    private VirtioPciTransport transport;
    private TestDriver driver;
    private int cap;
    private long table;

    private synchronized void message(long address, int data) {
        messages.add(new long[] {address, data});
    }

    private synchronized int count() {
        return messages.size();
    }

    private synchronized long[] last() {
        return messages.get(messages.size() - 1);
    }

    @BeforeEach
    void setUp() throws Exception {
        Path file = dir.resolve("disk.raw");
        Files.write(file, new byte[1 << 20]);
        image = BlockImages.open(file, OpenOptions.of(ImageFormat.RAW));
        transport = new VirtioPciTransport(new VirtioBlk(image, "d", io), mem, bus.intxLine(SLOT), bus.msi());
        bus.attach(SLOT, transport);
        mmio.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus.mmioWindow());
        driver = new TestDriver(bus, mmio, mem, SLOT);
        cfgWrite(0x04, 2, driver.cfg(0x04, 2) | 0x6); // memory space and bus mastering, as Linux's virtio-pci sets
        for (int p = driver.cfg(0x34, 1); p != 0; p = driver.cfg(p + 1, 1)) {
            if (driver.cfg(p, 1) == 0x11) {
                cap = p;
            }
        }
        table = driver.cfg(0x10 + 4 * (driver.cfg(cap + 4, 4) & 7), 4) & 0xffff_fff0L;
    }

    @AfterEach
    void close() {
        io.shutdownNow();
        image.close();
        mem.close();
    }

    private void cfgWrite(int reg, int size, int value) {
        bus.configWrite(0x8000_0000 | SLOT << 11 | (reg & 0xfc), reg & 3, size, value);
    }

    /** Enables MSI-X and programs vector {@code v} to APIC 0 with vector {@code 0x50 + v}, unmasked or masked. */
    private void program(int v, boolean masked) {
        cfgWrite(cap + 2, 2, 0x8000);
        driver.write(table + 16L * v, 4, 0xfee00000L);
        driver.write(table + 16L * v + 4, 4, 0);
        driver.write(table + 16L * v + 8, 4, 0x50 + v);
        driver.write(table + 16L * v + 12, 4, masked ? 1 : 0);
    }

    private void read() {
        mem.writeIntLE(HDR, VirtioBlk.T_IN);
        mem.writeLongLE(HDR + 8, 0);
        int before = driver.usedIdx();
        driver.offer(new long[] {HDR, 16, 0}, new long[] {0x30000, 512, 1}, new long[] {STATUS, 1, 1});
        driver.kick();
        Await.until("the device completes the read", () -> driver.usedIdx() == ((before + 1) & 0xffff));
    }

    @Test
    void theFunctionHasOneVectorPerQueuePlusConfigInBarOne() {
        assertTrue(cap != 0, "an MSI-X capability");
        assertEquals(0x98, cap, "where QEMU's virtio-pci puts it");
        assertEquals(1, driver.cfg(cap + 2, 2), "2 vectors: one queue plus config");
        assertEquals(1, driver.cfg(cap + 4, 4), "table at 0 in BAR 1");
        assertEquals(0x801, driver.cfg(cap + 8, 4), "PBA at 0x800 in BAR 1");
        assertTrue(table >= PciBus.HOLE_BASE && table < PciBus.HOLE_END, "BAR 1 placed in the hole");
    }

    @Test
    void vectorsBeyondTheTableReadBackAsNoVector() {
        driver.start(FEATURES, 16);
        assertEquals(0xffff, driver.common(0x10, 2), "msix_config after reset");
        assertEquals(0xffff, driver.common(0x1a, 2), "queue_msix_vector after reset");
        driver.common(0x10, 2, 1);
        driver.common(0x1a, 2, 0);
        assertEquals(1, driver.common(0x10, 2));
        assertEquals(0, driver.common(0x1a, 2));
        driver.common(0x10, 2, 2);
        driver.common(0x1a, 2, 7);
        assertEquals(0xffff, driver.common(0x10, 2), "vector 2 of a 2-vector table");
        assertEquals(0xffff, driver.common(0x1a, 2));
        driver.common(0x14, 1, 0);
        driver.common(0x1a, 2, 1);
        driver.common(0x14, 1, 0);
        assertEquals(0xffff, driver.common(0x1a, 2), "a device reset forgets the vectors");
    }

    @Test
    void completionsArriveAsMessagesAndIntxStaysLow() {
        program(1, false);
        driver.start(FEATURES, 16);
        driver.common(0x16, 2, 0);
        driver.common(0x1a, 2, 1);
        read();
        Await.until("the completion's message", () -> count() == 1);
        assertEquals(0xfee00000L, last()[0]);
        assertEquals(0x51, last()[1]);
        assertEquals(0, irq11.edges(), "INTx never rose while MSI-X was on");
        driver.common(0x1a, 2, 0xffff);
        read();
        assertEquals(1, count(), "NO_VECTOR: no interrupt");
        cfgWrite(cap + 2, 2, 0);
        read();
        Await.until("INTx after MSI-X is disabled", () -> irq11.level());
        assertEquals(1, count());
    }

    @Test
    void aMaskedCompletionPendsAcrossASaveAndIsSentWhenUnmaskedOnTheDestination() {
        program(1, true);
        driver.start(FEATURES, 16);
        driver.common(0x1a, 2, 1);
        read();
        Await.until("the pending bit", () -> transport.msix().pending(1));
        assertEquals(0, count());
        transport.device().quiesce();
        VirtioPciState saved = transport.save();
        VirtioMsixState m = saved.msix();
        assertEquals(new MsixEntry(0xfee00000L, 0x51, 1, true), m.table().get(1));
        assertEquals(List.of(1), m.queueVectors());
        assertEquals(0xffff, m.configVector());

        List<long[]> there = new ArrayList<>();
        VirtioPciTransport second = new VirtioPciTransport(new VirtioBlk(image, "d", io), mem, bus.intxLine(5),
                (a, d) -> there.add(new long[] {a, d}));
        second.restore(saved);
        assertTrue(second.msix().enabled());
        assertTrue(second.msix().pending(1));
        assertTrue(there.isEmpty());
        second.barWrite(VirtioPciTransport.MSIX_BAR, 16 + 12, new byte[4]);
        assertEquals(1, there.size(), "unmasked on the destination: the message goes out");
        assertEquals(0x51, there.get(0)[1]);
        assertFalse(second.msix().pending(1));
    }

    @Test
    void aStateWithoutMsixRestoresWithMsixOffAndHostileVectorsAreRefused() {
        program(0, false);
        driver.start(FEATURES, 16);
        transport.device().quiesce();
        VirtioPciState s = transport.save();
        VirtioPciState old = new VirtioPciState(new byte[256], s.status(), s.deviceFeatureSelect(),
                s.driverFeatureSelect(), s.driverFeatures(), s.queueSelect(), s.configGeneration(), s.isr(),
                s.queues());
        assertNull(old.msix());
        transport.restore(old);
        assertFalse(transport.msix().enabled());
        assertEquals(0xffff, driver.common(0x1a, 2));

        VirtioPciState bigTable = withMsix(s, new VirtioMsixState(0xffff, List.of(0xffff),
                List.of(MsixEntry.RESET, MsixEntry.RESET, MsixEntry.RESET)));
        DeviceException e = assertThrows(DeviceException.class, () -> transport.restore(bigTable));
        assertEquals("a saved virtio-pci(type 2) has an MSI-X table of 3 vectors, this one 2; the two ends run "
                + "devices with different vectors=", e.getMessage());
        VirtioPciState beyond = withMsix(s, new VirtioMsixState(5, List.of(0xffff),
                List.of(MsixEntry.RESET, MsixEntry.RESET)));
        DeviceException e2 = assertThrows(DeviceException.class, () -> transport.restore(beyond));
        assertEquals("a saved virtio-pci(type 2) uses MSI-X vector 5 of a 2-vector table; the saved state is "
                + "corrupt", e2.getMessage());
    }

    private static VirtioPciState withMsix(VirtioPciState s, VirtioMsixState m) {
        return new VirtioPciState(s.pciConfig(), s.status(), s.deviceFeatureSelect(), s.driverFeatureSelect(),
                s.driverFeatures(), s.queueSelect(), s.configGeneration(), s.isr(), s.queues(), m);
    }
}
