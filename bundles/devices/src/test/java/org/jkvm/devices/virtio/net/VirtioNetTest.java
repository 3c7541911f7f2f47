package org.jkvm.devices.virtio.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.devices.IoBus;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.virtio.TestDriver;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * virtio-net through the PCI bus and the modern transport, driven as a guest driver would: configuration, transmit
 * to a recording sink, receive with and without mergeable buffers, a frame kept until buffers come, the guest
 * announcement through the configuration interrupt and its acknowledgement on the control queue, stop/start, and the
 * migratable state.
 */
class VirtioNetTest {
    private static final long BASE = VirtioPciTransport.F_VERSION_1 | VirtioNet.F_MAC | VirtioNet.F_STATUS;
    private static final int SLOT = 3;
    private static final MacAddress MAC = MacAddress.parse("52:54:00:12:34:56");
    private final MmapGuestMemory mem = MmapGuestMemory.allocate(4 << 20);
    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final IoBus mmio = new IoBus("mmio");
    private final PciBus bus = new PciBus(n -> IrqLine.NONE);
    private final List<byte[]> sent = new CopyOnWriteArrayList<>();
    private final AtomicInteger wakeups = new AtomicInteger();
    private VirtioNet net;
    private VirtioPciTransport transport;
    private NetDriver driver;

    @BeforeEach
    void setUp() {
        net = new VirtioNet(MAC, f -> {
            byte[] b = new byte[f.remaining()];
            f.get(b);
            return sent.add(b);
        }, io);
        net.setRxWakeup(wakeups::incrementAndGet);
        transport = new VirtioPciTransport(net, mem, bus.intxLine(SLOT));
        bus.attach(SLOT, transport);
        mmio.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus.mmioWindow());
        driver = new NetDriver(new TestDriver(bus, mmio, mem, SLOT), mem, 16);
        net.start();
    }

    @AfterEach
    void close() throws InterruptedException {
        net.stop();
        io.shutdown();
        io.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        mem.close();
    }

    private static byte[] frame(int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (seed + i * 31);
        }
        return f;
    }

    @Test
    void configurationShowsTheMacTheLinkAndTheFeatures() {
        assertEquals(0x1041, driver.pci().cfg(2, 2));
        assertEquals(0x0200, driver.pci().cfg(0x0a, 2)); // network controller, Ethernet
        assertEquals(0x11, driver.pci().cfg(0x98, 1), "MSI-X where QEMU's virtio-pci has it");
        assertEquals(2, driver.pci().cfg(0x9a, 2) & 0x7ff, "3 vectors, QEMU's default for virtio-net-pci");
        long f = driver.pci().deviceFeatures();
        long want = BASE | VirtioNet.F_MRG_RXBUF | VirtioNet.F_CTRL_VQ | VirtioNet.F_GUEST_ANNOUNCE;
        assertEquals(want, f & want);
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) driver.config(i, 1);
        }
        assertArrayEquals(MAC.bytes(), mac);
        assertEquals(VirtioNet.S_LINK_UP, driver.config(6, 2));
        net.setLinkUp(false);
        assertEquals(0, driver.config(6, 2));
    }

    @Test
    void transmitSendsTheFrameWithoutItsHeader() throws Exception {
        driver.start(BASE, 2);
        byte[] payload = frame(200, 7);
        mem.write(0x200000, ByteBuffer.allocate(VirtioNet.HEADER_BYTES));
        mem.write(0x200100, ByteBuffer.wrap(payload, 0, 50));
        mem.write(0x200400, ByteBuffer.wrap(payload, 50, 150));
        // the header and the frame split across three descriptors, as Linux may do
        driver.offer(VirtioNet.TX, new long[] {0x200000, 12, 0}, new long[] {0x200100, 50, 0},
                new long[] {0x200400, 150, 0});
        driver.kick(VirtioNet.TX);
        Await.until("the transmit request completed", () -> driver.usedIdx(VirtioNet.TX) == 1);
        assertEquals(1, sent.size());
        assertArrayEquals(payload, sent.get(0));
        assertEquals(1, net.stats().txPackets());
        assertEquals(200, net.stats().txBytes());
    }

    @Test
    void receiveFillsOneBufferWithHeaderAndFrame() {
        driver.start(BASE, 2);
        driver.offer(VirtioNet.RX, new long[] {0x300000, 2048, 1});
        driver.kick(VirtioNet.RX);
        byte[] f = frame(100, 3);
        assertTrue(net.receive(ByteBuffer.wrap(f)));
        assertEquals(1, driver.usedIdx(VirtioNet.RX));
        assertEquals(112, driver.used(VirtioNet.RX, 0)[1]);
        assertEquals(1, mem.readShortLE(0x300000 + 10)); // num_buffers
        byte[] got = new byte[100];
        mem.read(0x300000 + 12, ByteBuffer.wrap(got));
        assertArrayEquals(f, got);
        assertEquals(1, net.stats().rxPackets());
    }

    @Test
    void mergeableBuffersTakeAFrameInSeveralChainsPublishedTogether() {
        driver.start(BASE | VirtioNet.F_MRG_RXBUF, 2);
        for (int i = 0; i < 4; i++) {
            driver.offer(VirtioNet.RX, new long[] {0x300000 + 0x1000L * i, 512, 1});
        }
        byte[] f = frame(1400, 9);
        assertTrue(net.receive(ByteBuffer.wrap(f)));
        assertEquals(3, driver.usedIdx(VirtioNet.RX)); // 1412 bytes in three 512-byte buffers
        assertEquals(3, mem.readShortLE(0x300000 + 10));
        int[] lengths = {driver.used(VirtioNet.RX, 0)[1], driver.used(VirtioNet.RX, 1)[1],
                driver.used(VirtioNet.RX, 2)[1]};
        assertArrayEquals(new int[] {512, 512, 388}, lengths);
        byte[] got = new byte[1400];
        ByteBuffer g = ByteBuffer.wrap(got);
        mem.read(0x300000 + 12, g.slice(0, 500));
        mem.read(0x301000, g.slice(500, 512));
        mem.read(0x302000, g.slice(1012, 388));
        assertArrayEquals(f, got);
        // a second frame needs two buffers and finds one: it is kept, the one buffer stays available
        assertFalse(net.receive(ByteBuffer.wrap(frame(600, 1))));
        assertEquals(3, driver.usedIdx(VirtioNet.RX));
        assertTrue(net.rxBlocked());
    }

    @Test
    void aFrameWithoutBuffersIsKeptAndDeliveredWhenTheGuestPostsOne() {
        driver.start(BASE, 2);
        byte[] f = frame(60, 5);
        assertFalse(net.receive(ByteBuffer.wrap(f)));
        assertTrue(net.rxBlocked());
        driver.offer(VirtioNet.RX, new long[] {0x300000, 2048, 1});
        driver.kick(VirtioNet.RX);
        Await.until("the kept frame was delivered", () -> driver.usedIdx(VirtioNet.RX) == 1);
        Await.until("the backend was woken up", () -> wakeups.get() >= 1);
        assertFalse(net.rxBlocked());
        byte[] got = new byte[60];
        mem.read(0x300000 + 12, ByteBuffer.wrap(got));
        assertArrayEquals(f, got);
    }

    @Test
    void aStoppedDeviceTouchesNoGuestMemory() {
        driver.start(BASE, 2);
        driver.offer(VirtioNet.RX, new long[] {0x300000, 2048, 1});
        net.stop();
        assertFalse(net.receive(ByteBuffer.wrap(frame(60, 1))));
        assertEquals(0, driver.usedIdx(VirtioNet.RX));
        net.start();
        Await.until("the frame kept while stopped was delivered", () -> driver.usedIdx(VirtioNet.RX) == 1);
    }

    @Test
    void guestAnnounceRaisesAConfigurationChangeUntilTheDriverAcknowledges() {
        assertFalse(net.announceGuest()); // no driver yet
        driver.start(BASE | VirtioNet.F_CTRL_VQ | VirtioNet.F_GUEST_ANNOUNCE, 3);
        driver.isr();
        int generation = (int) driver.pci().common(0x15, 1);
        assertTrue(net.announceGuest());
        assertEquals(2, driver.isr() & 2);
        assertEquals((generation + 1) & 0xff, driver.pci().common(0x15, 1));
        assertEquals(VirtioNet.S_LINK_UP | VirtioNet.S_ANNOUNCE, driver.config(6, 2));
        mem.write(0x380000, ByteBuffer.wrap(new byte[] {VirtioNet.CTRL_ANNOUNCE, VirtioNet.CTRL_ANNOUNCE_ACK}));
        mem.writeShortLE(0x380010, (short) 0xff);
        driver.offer(VirtioNet.CTRL, new long[] {0x380000, 2, 0}, new long[] {0x380010, 1, 1});
        driver.kick(VirtioNet.CTRL);
        Await.until("the control command completed", () -> driver.usedIdx(VirtioNet.CTRL) == 1);
        assertEquals(0, mem.readShortLE(0x380010) & 0xff); // VIRTIO_NET_OK
        assertEquals(VirtioNet.S_LINK_UP, driver.config(6, 2));
        assertFalse(net.announcePending());
    }

    @Test
    void withoutGuestAnnounceTheGuestIsNotAsked() {
        driver.start(BASE | VirtioNet.F_CTRL_VQ, 3);
        assertFalse(net.announceGuest());
        assertEquals(VirtioNet.S_LINK_UP, driver.config(6, 2));
    }

    @Test
    void stateCarriesTheKeptFrameAndThePendingAnnouncement() {
        driver.start(BASE | VirtioNet.F_CTRL_VQ | VirtioNet.F_GUEST_ANNOUNCE, 3);
        byte[] f = frame(80, 2);
        assertFalse(net.receive(ByteBuffer.wrap(f)));
        assertTrue(net.announceGuest());
        net.quiesce();
        VirtioNetState s = net.save(transport.save());
        assertArrayEquals(f, s.pendingFrame());
        assertEquals(VirtioNet.S_ANNOUNCE, s.netStatus());

        VirtioNet other = new VirtioNet(MAC, x -> true, io);
        PciBus bus2 = new PciBus(n -> IrqLine.NONE);
        VirtioPciTransport t2 = new VirtioPciTransport(other, mem, bus2.intxLine(SLOT));
        bus2.attach(SLOT, t2);
        t2.restore(s.pci());
        other.restore(s);
        assertEquals(s, other.save(t2.save()));
        // the destination delivers the kept frame once it runs and the guest has a buffer
        driver.offer(VirtioNet.RX, new long[] {0x300000, 2048, 1});
        other.start();
        Await.until("the destination delivered the kept frame", () -> driver.usedIdx(VirtioNet.RX) == 1);
        byte[] got = new byte[80];
        mem.read(0x300000 + 12, ByteBuffer.wrap(got));
        assertArrayEquals(f, got);
    }

    /**
     * Puts {@code dev} alone on a bus of its own, starts it and a driver with two queue pairs, and returns once the
     * drain its activation scheduled has run, so nothing is in flight.
     */
    private NetDriver startedAlone(VirtioNet dev) throws Exception {
        PciBus bus2 = new PciBus(n -> IrqLine.NONE);
        IoBus mmio2 = new IoBus("mmio");
        bus2.attach(SLOT, new VirtioPciTransport(dev, mem, bus2.intxLine(SLOT)));
        mmio2.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus2.mmioWindow());
        NetDriver d = new NetDriver(new TestDriver(bus2, mmio2, mem, SLOT), mem, 16);
        dev.start();
        d.start(BASE, 2);
        io.submit(() -> { }).get();
        return d;
    }

    @Test
    void aShortTransmitQueueIsServedOnTheKickingThreadALongOneOnTheIoThread() throws Exception {
        List<Thread> senders = new CopyOnWriteArrayList<>();
        VirtioNet fast = new VirtioNet(MAC, FrameSink.nonBlocking(f -> senders.add(Thread.currentThread())), io);
        NetDriver d = startedAlone(fast);
        mem.write(0x200000, ByteBuffer.allocate(VirtioNet.HEADER_BYTES + 60));
        d.offer(VirtioNet.TX, new long[] {0x200000, VirtioNet.HEADER_BYTES + 60, 0});
        d.kick(VirtioNet.TX);
        assertEquals(1, d.usedIdx(VirtioNet.TX), "one frame is sent before the kick returns");
        assertEquals(List.of(Thread.currentThread()), senders);
        for (int i = 0; i < VirtioNet.INLINE_TX_BUDGET + 3; i++) {
            d.offer(VirtioNet.TX, new long[] {0x200000, VirtioNet.HEADER_BYTES + 60, 0});
        }
        d.kick(VirtioNet.TX);
        int total = 1 + VirtioNet.INLINE_TX_BUDGET + 3;
        Await.until("the rest is sent", () -> d.usedIdx(VirtioNet.TX) == total);
        assertEquals(total, senders.size());
        assertEquals(1 + VirtioNet.INLINE_TX_BUDGET, senders.stream().filter(t -> t == Thread.currentThread()).count(),
                "the kicking thread serves at most the inline budget per kick");
        fast.stop();
    }

    @Test
    void aGuestBehindOnReceiveHasItsTransmitServedOnTheIoThread() throws Exception {
        List<Thread> senders = new CopyOnWriteArrayList<>();
        VirtioNet fast = new VirtioNet(MAC, FrameSink.nonBlocking(f -> senders.add(Thread.currentThread())), io);
        NetDriver d = startedAlone(fast);
        for (int i = 0; i < 3; i++) {
            d.offer(VirtioNet.RX, new long[] {0x300000 + 0x1000L * i, 2048, 1});
        }
        mem.write(0x200000, ByteBuffer.allocate(VirtioNet.HEADER_BYTES + 60));
        // one frame in, its answer out: served on the kicking thread
        assertTrue(fast.receive(ByteBuffer.wrap(frame(60, 1))));
        d.offer(VirtioNet.TX, new long[] {0x200000, VirtioNet.HEADER_BYTES + 60, 0});
        d.kick(VirtioNet.TX);
        assertEquals(List.of(Thread.currentThread()), senders);
        // two frames in before the next answer: the guest is behind, the write goes to the I/O thread
        assertTrue(fast.receive(ByteBuffer.wrap(frame(60, 2))));
        assertTrue(fast.receive(ByteBuffer.wrap(frame(60, 3))));
        d.offer(VirtioNet.TX, new long[] {0x200000, VirtioNet.HEADER_BYTES + 60, 0});
        d.kick(VirtioNet.TX);
        Await.until("the second answer is sent", () -> d.usedIdx(VirtioNet.TX) == 2);
        assertEquals(2, senders.size());
        assertTrue(senders.get(1) != Thread.currentThread(), "a burst's answer is written off the kicking thread");
        fast.stop();
    }

    @Test
    void aFloodingGuestNeverHoldsTheNotifyingThread() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger sentFrames = new AtomicInteger();
        VirtioNet slow = new VirtioNet(MAC, f -> {
            try {
                release.await(); // a backend that does not take frames until released
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return sentFrames.incrementAndGet() > 0;
        }, io);
        PciBus bus2 = new PciBus(n -> IrqLine.NONE);
        IoBus mmio2 = new IoBus("mmio");
        bus2.attach(SLOT, new VirtioPciTransport(slow, mem, bus2.intxLine(SLOT)));
        mmio2.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus2.mmioWindow());
        NetDriver d = new NetDriver(new TestDriver(bus2, mmio2, mem, SLOT), mem, 16);
        slow.start();
        d.start(BASE, 2);
        mem.write(0x200000, ByteBuffer.allocate(VirtioNet.HEADER_BYTES + 60));
        // the guest fills its transmit ring and kicks again and again: each kick returns while the backend is stuck
        for (int i = 0; i < 15; i++) {
            d.offer(VirtioNet.TX, new long[] {0x200000, VirtioNet.HEADER_BYTES + 60, 0});
            d.kick(VirtioNet.TX);
        }
        assertEquals(0, d.usedIdx(VirtioNet.TX), "nothing completed while the backend is stuck");
        assertEquals(0, sentFrames.get());
        release.countDown();
        Await.until("the flood is sent", () -> d.usedIdx(VirtioNet.TX) == 15);
        assertEquals(15, sentFrames.get());
        slow.stop();
    }
}
