package org.jkvm.devices.virtio.blk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.jkvm.block.BlockImage;
import org.jkvm.block.BlockImages;
import org.jkvm.block.CacheMode;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.devices.IoBus;
import org.jkvm.devices.RecordingLine;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.virtio.TestDriver;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-blk requests through the PCI bus, the modern transport and a raw image file, driven by {@link TestDriver}
 * the way a guest driver would; requests run on an I/O thread and are awaited through the used ring.
 */
class VirtioBlkTest {
    private static final long FEATURES = VirtioPciTransport.F_VERSION_1 | VirtioPciTransport.F_EVENT_IDX
            | VirtioBlk.F_FLUSH | VirtioBlk.F_SEG_MAX | VirtioBlk.F_BLK_SIZE;
    private static final long HDR = 0x20000;
    private static final long DATA = 0x30000;
    private static final long STATUS = 0x40000;
    private static final int SLOT = 4;

    @TempDir
    Path dir;
    private final MmapGuestMemory mem = MmapGuestMemory.allocate(4 << 20);
    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final IoBus mmio = new IoBus("mmio");
    private final RecordingLine irq11 = new RecordingLine();
    private final PciBus bus = new PciBus(n -> n == 11 ? irq11 : org.jkvm.devices.IrqLine.NONE);
    private BlockImage image;
    private VirtioPciTransport transport;
    private TestDriver driver;

    @AfterEach
    void close() {
        io.shutdownNow();
        if (image != null) {
            image.close();
        }
        mem.close();
    }

    private byte[] setUp(boolean readOnly) throws Exception {
        return setUp(readOnly, CacheMode.WRITEBACK);
    }

    private byte[] setUp(boolean readOnly, CacheMode cache) throws Exception {
        byte[] content = new byte[1 << 20];
        new Random(1).nextBytes(content);
        Path file = dir.resolve("disk.raw");
        Files.write(file, content);
        image = BlockImages.open(file, OpenOptions.of(ImageFormat.RAW).withReadOnly(readOnly)
                .withCache(cache));
        transport = new VirtioPciTransport(new VirtioBlk(image, "jkvm-disk-0", io), mem, bus.intxLine(SLOT));
        bus.attach(SLOT, transport);
        mmio.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus.mmioWindow());
        driver = new TestDriver(bus, mmio, mem, SLOT);
        return content;
    }

    private int request(int type, long sector, long dataLen, boolean deviceWrites) {
        mem.writeIntLE(HDR, type);
        mem.writeIntLE(HDR + 4, 0);
        mem.writeLongLE(HDR + 8, sector);
        mem.writeByte(STATUS, (byte) 0x7f);
        int before = driver.usedIdx();
        if (dataLen > 0) {
            driver.offer(new long[] {HDR, 16, 0}, new long[] {DATA, dataLen, deviceWrites ? 1 : 0},
                    new long[] {STATUS, 1, 1});
        } else {
            driver.offer(new long[] {HDR, 16, 0}, new long[] {STATUS, 1, 1});
        }
        driver.kick();
        Await.until("the device completes request type " + type, () -> driver.usedIdx() == ((before + 1) & 0xffff));
        return mem.readByte(STATUS);
    }

    private byte[] guest(long gpa, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        mem.read(gpa, b);
        return b.array();
    }

    @Test
    void theFunctionShowsModernVirtioIdsCapabilitiesAndBlockConfig() throws Exception {
        setUp(false);
        assertEquals(0x1042_1af4, driver.cfg(0, 4), "vendor 0x1af4, device 0x1040 + 2");
        assertEquals(1, driver.cfg(8, 1), "revision 1: modern");
        assertEquals(0x01, driver.cfg(0x0b, 1), "mass storage");
        assertEquals(11, driver.cfg(0x3c, 1), "slot 4 INTA# is PIRQD, IRQ 11");
        long bar = driver.cfg(0x20, 4) & 0xffff_fff0L;
        assertEquals(bar, driver.cap(1));
        assertEquals(bar + 0x1000, driver.cap(3));
        assertEquals(bar + 0x2000, driver.cap(4));
        assertEquals(bar + 0x3000, driver.cap(2));
        assertEquals(FEATURES, driver.deviceFeatures());
        assertEquals((1 << 20) / 512, driver.read(driver.cap(4), 8), "capacity in sectors");
        assertEquals(254, driver.read(driver.cap(4) + 12, 4), "seg_max");
        assertEquals(512, driver.read(driver.cap(4) + 20, 4), "blk_size");
        assertEquals(1, driver.common(0x12, 2), "one queue");
        assertEquals(256, driver.common(0x18, 2), "queue size");
        assertEquals(0xffff, driver.common(0x10, 2), "no MSI-X vector");
    }

    @Test
    void writethroughShowsNoWriteCacheSoTheGuestSendsNoFlushes() throws Exception {
        setUp(false, CacheMode.WRITETHROUGH);
        assertEquals(FEATURES & ~VirtioBlk.F_FLUSH, driver.deviceFeatures(), "no FLUSH: every write is stable");
        assertEquals(0, driver.read(driver.cap(4) + 32, 1), "writeback 0");
        assertFalse(driver.negotiate(FEATURES), "FLUSH is not offered");
        driver.start(FEATURES & ~VirtioBlk.F_FLUSH, 16);
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_OUT, 0, 512, false));
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_FLUSH, 0, 0, false), "a flush sent anyway still succeeds");
    }

    @Test
    void unsafeAndWritebackShowAWriteCache() throws Exception {
        setUp(false, CacheMode.UNSAFE);
        assertEquals(FEATURES, driver.deviceFeatures());
        assertEquals(1, driver.read(driver.cap(4) + 32, 1), "writeback 1: the guest flushes (for nothing)");
    }

    @Test
    void thePciConfigurationAccessCapabilityReachesTheBar() throws Exception {
        setUp(false);
        int cap = 0;
        for (int p = driver.cfg(0x34, 1); p != 0; p = driver.cfg(p + 1, 1)) {
            if (driver.cfg(p + 3, 1) == 5) {
                cap = p;
            }
        }
        assertTrue(cap != 0, "a VIRTIO_PCI_CAP_PCI_CFG capability");
        int address = 0x8000_0000 | SLOT << 11;
        bus.configWrite(address | (cap + 4), 0, 1, VirtioPciTransport.BAR);
        bus.configWrite(address | (cap + 8), 0, 4, 0x12); // num_queues
        bus.configWrite(address | (cap + 12), 0, 4, 2);
        assertEquals(1, bus.configRead(address | (cap + 16), 0, 4) & 0xffff, "num_queues through the window");
        bus.configWrite(address | (cap + 8), 0, 4, 0x00); // device_feature_select
        bus.configWrite(address | (cap + 12), 0, 4, 4);
        bus.configWrite(address | (cap + 16), 0, 4, 1);
        assertEquals(1, driver.common(0x00, 4), "a write through the window reaches the common configuration");
        assertEquals(1, driver.common(0x04, 4), "VERSION_1 is bit 0 of the high half");
    }

    @Test
    void featureNegotiationRefusesUnofferedBitsAndALegacyDriver() throws Exception {
        setUp(false);
        assertFalse(driver.negotiate(FEATURES | VirtioBlk.F_RO), "RO is not offered for a writable image");
        assertFalse(driver.negotiate(VirtioBlk.F_FLUSH), "VERSION_1 is required");
        assertTrue(driver.negotiate(VirtioPciTransport.F_VERSION_1));
    }

    @Test
    void readWriteFlushAndGetIdReachTheImage() throws Exception {
        byte[] content = setUp(false);
        driver.start(FEATURES, 16);
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_IN, 8, 4096, true));
        byte[] expected = java.util.Arrays.copyOfRange(content, 8 * 512, 8 * 512 + 4096);
        assertArrayEquals(expected, guest(DATA, 4096));
        assertEquals(4097, driver.used(0)[1], "used length: data and status");
        byte[] pattern = new byte[1024];
        java.util.Arrays.fill(pattern, (byte) 0xa5);
        mem.write(DATA, ByteBuffer.wrap(pattern));
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_OUT, 100, 1024, false));
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_FLUSH, 0, 0, false));
        ByteBuffer back = ByteBuffer.allocate(1024);
        image.read(100 * 512, back);
        assertArrayEquals(pattern, back.array());
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_GET_ID, 0, 20, true));
        assertEquals("jkvm-disk-0", new String(guest(DATA, 20), java.nio.charset.StandardCharsets.US_ASCII).trim()
                .replace("\0", ""));
        VirtioBlk blk = (VirtioBlk) transport.device();
        assertEquals(1, blk.stats().readRequests());
        assertEquals(1, blk.stats().writeRequests());
        assertEquals(1024, blk.stats().writeBytes());
        assertEquals(1, blk.stats().flushes());
        assertTrue(irq11.edges() > 0, "completions raised INTx");
        assertEquals(1, driver.isr() & 1, "ISR says queue interrupt");
        assertFalse(irq11.level(), "reading the ISR lowers INTx");
    }

    @Test
    void badRequestsCompleteWithErrorsAndTheQueueGoesOn() throws Exception {
        setUp(false);
        driver.start(FEATURES, 16);
        assertEquals(VirtioBlk.S_IOERR, request(VirtioBlk.T_IN, 2047, 1024, true), "past the end");
        assertEquals(VirtioBlk.S_IOERR, request(VirtioBlk.T_IN, 0, 100, true), "not whole sectors");
        assertEquals(VirtioBlk.S_IOERR, request(VirtioBlk.T_IN, -1, 512, true), "negative sector");
        assertEquals(VirtioBlk.S_UNSUPP, request(11, 0, 512, false), "discard was not offered");
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_IN, 2047, 512, true), "the last sector");
        BlockStats.Snapshot s = ((VirtioBlk) transport.device()).stats().snapshot();
        assertEquals(3, s.invalid(BlockStats.Kind.READ), "refused reads are invalid, as QEMU counts them");
        assertEquals(1, s.operations(BlockStats.Kind.READ));
        assertEquals(512, s.bytes(BlockStats.Kind.READ));
    }

    @Test
    void aReadOnlyImageOffersRoAndRefusesWrites() throws Exception {
        byte[] content = setUp(true);
        assertTrue((driver.deviceFeatures() & VirtioBlk.F_RO) != 0);
        driver.start(FEATURES | VirtioBlk.F_RO, 16);
        assertEquals(VirtioBlk.S_IOERR, request(VirtioBlk.T_OUT, 0, 512, false));
        assertEquals(1, ((VirtioBlk) transport.device()).stats().snapshot().invalid(BlockStats.Kind.WRITE));
        ByteBuffer back = ByteBuffer.allocate(512);
        image.read(0, back);
        assertArrayEquals(java.util.Arrays.copyOf(content, 512), back.array());
    }

    @Test
    void aBrokenRingSetsNeedsResetAndAResetRecovers() throws Exception {
        setUp(false);
        driver.start(FEATURES, 16);
        driver.offer(new long[] {HDR, 4, 0}, new long[] {STATUS, 1, 1}); // a header of 4 bytes
        driver.kick();
        Await.until("DEVICE_NEEDS_RESET", () -> (driver.common(0x14, 1) & VirtioPciTransport.NEEDS_RESET) != 0);
        assertEquals(2, driver.isr() & 2, "a configuration interrupt");
        driver.start(FEATURES, 16);
        assertEquals(0xf, driver.common(0x14, 1));
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_IN, 0, 512, true));
    }

    @Test
    void saveAndRestoreCarryTheQueueToASecondFunction() throws Exception {
        setUp(false);
        driver.start(FEATURES, 16);
        assertEquals(VirtioBlk.S_OK, request(VirtioBlk.T_IN, 0, 512, true));
        transport.device().quiesce();
        VirtioPciState saved = transport.save();
        assertEquals(1, saved.queues().get(0).usedIdx());
        VirtioPciTransport second = new VirtioPciTransport(new VirtioBlk(image, "x", io), mem, bus.intxLine(5));
        second.restore(saved);
        VirtioPciState again = second.save();
        assertEquals(saved.queues(), again.queues());
        assertEquals(saved.status(), again.status());
        assertEquals(saved.driverFeatures(), again.driverFeatures());
        assertArrayEquals(saved.pciConfig(), again.pciConfig());
    }
}
