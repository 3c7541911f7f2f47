package org.jkvm.engine.net;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.devices.DeviceException;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.devices.virtio.net.FrameSink;
import org.jkvm.devices.virtio.net.VirtioNet;
import org.jkvm.engine.EngineException;
import org.jkvm.memory.GuestMemory;
import org.jkvm.posix.PosixException;
import org.jkvm.posix.Tap;
import org.jkvm.vmstate.Stateful;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's NICs: per {@link NetOptions.Nic} a tap, a virtio-net device on its own I/O thread
 * ({@code jkvm-net-ID}), a reader thread that moves frames from the tap to the device ({@code jkvm-net-rx-ID}), and
 * the PCI function. The devices run only while the VM runs ({@link #start}/{@link #stop}). After a migration or a
 * restore the first {@link #start} announces every NIC ({@link #announceAtNextStart}): QEMU's RARP rounds out of
 * each tap (so the switches learn where the MAC went) and the guest asked to announce itself.
 *
 * <p>Thread-safety: built, attached and closed on the engine's main thread; {@link #start}, {@link #stop} and
 * {@link #reset} are called with the vCPU paused or on its thread; the {@link NetControl} methods from any thread.
 */
public final class Nics implements NetControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Nics.class);
    private final List<Nic> nics = new ArrayList<>();
    /** Made at the first announcement: a machine without NICs, or that never announces, has no such thread. */
    private ScheduledExecutorService announcer;
    private boolean closed;
    private volatile AnnounceTiming timing = AnnounceTiming.DEFAULT;
    private boolean announcePending;
    private ScheduledFuture<?> announcing;

    /** One NIC and its threads. */
    private static final class Nic {
        final NetOptions.Nic options;
        final Tap tap;
        final VirtioNet device;
        final ExecutorService io;
        final Object signal = new Object();
        final AtomicLong rarps = new AtomicLong();
        final AtomicLong guestAsks = new AtomicLong();
        VirtioPciTransport function;
        int slot = -1;
        Thread reader;
        volatile boolean closed;

        Nic(NetOptions.Nic options, Tap tap) {
            this.options = options;
            this.tap = tap;
            this.io = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "jkvm-net-" + options.id());
                t.setDaemon(true);
                return t;
            });
            this.device = new VirtioNet(options.mac(), FrameSink.nonBlocking(tap::write), io); // tap writes never wait
            device.setRxWakeup(() -> {
                synchronized (signal) {
                    signal.notifyAll();
                }
            });
        }

        /** The reader: one frame at a time from the tap into the device, waiting while the device keeps one. */
        void read() {
            ByteBuffer buf = ByteBuffer.allocateDirect(65536);
            try {
                while (!closed) {
                    synchronized (signal) {
                        while (!closed && device.rxBlocked()) {
                            signal.wait();
                        }
                    }
                    int n = tap.read(buf.clear());
                    if (n >= 0) {
                        device.receive(buf.limit(n));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (PosixException e) {
                if (!closed) {
                    LOG.warn("NIC {}: {}; the guest receives nothing more on this NIC", options.id(), e.getMessage());
                }
            }
        }
    }

    private Nics() {
    }

    /**
     * Opens every NIC's tap (creating, enslaving and setting it up as its options say) and builds its device;
     * nothing is attached to the bus yet.
     *
     * @throws EngineException with one sentence naming the NIC; the taps opened so far are closed (the ones this
     *                         engine created vanish)
     */
    public static Nics open(NetOptions options) {
        Nics n = new Nics();
        n.timing = options.timing();
        try {
            for (NetOptions.Nic o : options.nics()) {
                n.nics.add(openOne(o));
            }
            return n;
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
    }

    private static Nic openOne(NetOptions.Nic o) {
        String what = "-netdev " + o.netdev();
        try {
            if (!o.bridge().isEmpty()) {
                Tap.checkBridge(o.bridge()); // before the tap: a missing bridge leaves nothing behind
            }
            Tap tap = Tap.open(o.ifname());
            try {
                if (!o.bridge().isEmpty()) {
                    Tap.enslave(tap.name(), o.bridge());
                }
                Tap.setUp(tap.name());
            } catch (PosixException e) {
                tap.close();
                throw e;
            }
            return new Nic(o, tap);
        } catch (PosixException e) {
            throw new EngineException(what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Attaches the NICs to {@code bus}: with {@code explicit}, those given a slot; otherwise the rest, each on the
     * first free slot. Starts the reader threads with the last call.
     */
    public void attach(PciBus bus, GuestMemory memory, boolean explicit) {
        for (Nic n : nics) {
            if ((n.options.slot() >= 0) != explicit) {
                continue;
            }
            int slot = explicit ? n.options.slot() : bus.freeSlot();
            n.function = new VirtioPciTransport(n.device, memory, bus.intxLine(slot), bus.msi());
            try {
                bus.attach(slot, n.function);
            } catch (DeviceException e) {
                throw new EngineException("-device " + NetOptions.DRIVER + ",id=" + n.options.id() + ": "
                        + e.getMessage(), e);
            }
            n.slot = slot;
        }
        if (!explicit) {
            for (Nic n : nics) {
                n.reader = new Thread(n::read, "jkvm-net-rx-" + n.options.id());
                n.reader.setDaemon(true);
                n.reader.start();
            }
        }
    }

    /** The migration sections, in attach order of the options. */
    public List<Stateful<?>> sections() {
        List<Stateful<?>> out = new ArrayList<>();
        for (int i = 0; i < nics.size(); i++) {
            out.add(new VirtioNetSection(nics.get(i).function, nics.get(i).device, i));
        }
        return out;
    }

    /** Each NIC for the configuration fingerprint: device id to {@code 00:SS.0,MAC}. */
    public List<String[]> fingerprint() {
        List<String[]> out = new ArrayList<>();
        for (Nic n : nics) {
            out.add(new String[] {n.options.id(), "00:" + (n.slot < 16 ? "0" : "") + Integer.toHexString(n.slot)
                    + ".0," + n.options.mac()});
        }
        return out;
    }

    /** Stops the devices (the VM pauses): when this returns no NIC touches guest memory. */
    public synchronized void stop() {
        for (Nic n : nics) {
            n.device.stop();
        }
    }

    /** Starts the devices (the VM runs), and announces them when a migration or restore asked for it. */
    public synchronized void start() {
        for (Nic n : nics) {
            n.device.start();
        }
        if (announcePending) {
            announcePending = false;
            announce(timing, List.of());
        }
    }

    /** Every NIC drops what its backend receives until the guest runs (a migration destination). */
    public void discardUntilStart() {
        for (Nic n : nics) {
            n.device.discardUntilStart();
        }
    }

    /** The next {@link #start} announces the NICs (the guest was restored from a migration stream). */
    public synchronized void announceAtNextStart() {
        announcePending = !nics.isEmpty();
    }

    /** Resets every function (a machine reset). */
    public void reset() {
        for (Nic n : nics) {
            if (n.function != null) {
                n.function.resetFunction();
            }
        }
    }

    @Override
    public List<NicInfo> nics() {
        List<NicInfo> out = new ArrayList<>();
        for (Nic n : nics) {
            out.add(new NicInfo(n.options.id(), n.options.netdev(), n.tap.name(), n.options.bridge(),
                    n.options.mac(), n.slot, n.device.linkUp(), n.rarps.get(), n.guestAsks.get(), n.device.stats(),
                    n.device.trace()));
        }
        return out;
    }

    @Override
    public synchronized void announce(AnnounceTiming t, List<String> interfaces) {
        List<Nic> chosen = new ArrayList<>();
        for (String name : interfaces) {
            chosen.add(find(name));
        }
        if (interfaces.isEmpty()) {
            chosen.addAll(nics);
        }
        if (announcing != null) {
            announcing.cancel(false);
            announcing = null;
        }
        if (t.rounds() > 0 && !chosen.isEmpty() && !closed) {
            if (announcer == null) {
                announcer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread th = new Thread(r, "jkvm-announce");
                    th.setDaemon(true);
                    return th;
                });
            }
            LOG.info("announcing {} NIC(s): {} rounds, gaps from {} ms by {} ms up to {} ms", chosen.size(),
                    t.rounds(), t.initialMs(), t.stepMs(), t.maxMs());
            announcing = announcer.schedule(() -> round(t, chosen, 0), 0, TimeUnit.MILLISECONDS);
        }
    }

    /** One round, then the next one scheduled; on the announcer thread. */
    private void round(AnnounceTiming t, List<Nic> chosen, long round) {
        for (Nic n : chosen) {
            if (!n.closed && n.tap.write(Rarp.frame(n.options.mac()))) {
                n.rarps.incrementAndGet();
            }
            if (n.device.announceGuest()) {
                n.guestAsks.incrementAndGet();
            }
        }
        synchronized (this) {
            if (round + 1 < t.rounds() && !closed) {
                announcing = announcer.schedule(() -> round(t, chosen, round + 1), t.gapAfter(round),
                        TimeUnit.MILLISECONDS);
            }
        }
    }

    private Nic find(String name) {
        for (Nic n : nics) {
            if (n.options.id().equals(name) || n.options.netdev().equals(name)) {
                return n;
            }
        }
        throw new EngineException("no NIC is named '" + name + "'; the NICs are "
                + nics.stream().map(n -> n.options.id()).toList());
    }

    @Override
    public AnnounceTiming timing() {
        return timing;
    }

    @Override
    public void setTiming(AnnounceTiming t) {
        timing = t;
    }

    @Override
    public void setLink(String name, boolean up) {
        find(name).device.setLinkUp(up);
    }

    /** Whether there are no NICs. */
    public boolean isEmpty() {
        return nics.isEmpty();
    }

    /** Stops the announcements, the readers and the I/O threads, then closes the taps; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (announcer != null) {
                announcer.shutdownNow();
            }
        }
        for (Nic n : nics) {
            n.closed = true;
            n.device.stop();
            synchronized (n.signal) {
                n.signal.notifyAll();
            }
            n.io.shutdown();
            n.tap.close();
        }
    }
}
