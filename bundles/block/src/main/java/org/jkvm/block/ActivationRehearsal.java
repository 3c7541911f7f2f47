package org.jkvm.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration destination activates its images at the handover, inside the guest's downtime, and each step of that
 * activation then runs for the first time in the engine's life: the lock bytes' {@code fcntl} calls bound on first
 * use, the header and metadata loads, the checks, the state changes. Measured on a fresh JVM: 2.4-3.6 ms of CPU for
 * the first activation of a 16 MiB qcow2 against 0.35-0.8 ms for the next ones, which a loaded host stretches
 * several times. So, once per process and on a thread of its own, the first image opened inactive and writable has
 * the whole cycle run on a scratch image in the temporary directory: create, check its lock holder (what the
 * destination does before it acknowledges), open inactive, activate, read, inactivate, close, delete. The real
 * image is not touched. Failures are only logged at debug level: it is a warm-up.
 */
final class ActivationRehearsal {
    private static final Logger LOG = LoggerFactory.getLogger(ActivationRehearsal.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private ActivationRehearsal() {
    }

    /** Starts the rehearsal for images opened with {@code options}, unless one was started already. */
    static void startOnce(OpenOptions options) {
        if (!options.inactive() || options.readOnly() || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> run(options), "block-activation-warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void run(OpenOptions options) {
        long t0 = System.nanoTime();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("jkvm-activation-rehearsal");
            Path img = dir.resolve("scratch.qcow2");
            Qcow2Creator.create(img, 1 << 20, 16, null, null);
            OpenOptions o = options.withFormat(ImageFormat.QCOW2).withSnapshot(false).withForceShare(false);
            try {
                cycle(img, o);
            } catch (BlockException e) {
                cycle(img, o.withCache(CacheMode.WRITEBACK)); // a temporary file system without O_DIRECT
            }
            LOG.debug("image activation rehearsed in {} us", (System.nanoTime() - t0) / 1000);
        } catch (IOException | RuntimeException e) {
            LOG.debug("image activation rehearsal failed (only a warm-up): {}", e.toString());
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve("scratch.qcow2"));
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    LOG.debug("cannot remove {}: {}", dir, e.toString());
                }
            }
        }
    }

    private static void cycle(Path img, OpenOptions o) {
        BlockImages.writeLockHolder(img);
        try (BlockImage i = BlockImages.open(img, o)) {
            i.activate();
            i.read(0, ByteBuffer.allocate(4096));
            i.inactivate();
        }
    }
}
