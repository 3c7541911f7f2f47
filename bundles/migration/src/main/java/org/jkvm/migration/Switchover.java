package org.jkvm.migration;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.ReturnPath;
import org.jkvm.migration.stream.ReturnPathReader;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamOut;
import org.jkvm.migration.transport.Connection;
import org.jkvm.migration.transport.MigrationUri;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.StateSection;

/**
 * The source's stop-and-copy, inside the guest's downtime (the guest paused by the caller): the block devices'
 * flush, the last dirty pages, the device state, the block devices' write locks given up, EOF, all with no bandwidth
 * limit; then the destination's LOADED and the handover byte (tcp/unix), or the exec command's exit. Every step
 * stamps the job's {@link PhaseTimer}, whose timeline the completion log line shows. One per job, on its thread.
 */
final class Switchover {
    /**
     * The final pass's abort test, made when the class loads: the first run of a lambda's call site (and of a string
     * concatenation) links it, costing a fraction of a millisecond of CPU, which inside the downtime a loaded host
     * stretches several times; so the downtime path has no call site that runs for the first time there.
     */
    private static final BooleanSupplier NEVER_ABORT = () -> false;
    /**
     * With a bandwidth limit below this (bytes/s; {@code migrate_set_speed}, a sign of a slow link) the device
     * sections are deflated; with a higher limit (QEMU's default is 128 MiB/s) or none they go plain: level-9 zlib
     * costs about 1.2-2 ms of CPU for the ten sections inside the downtime to save some tens of KiB, which such a
     * link carries in less. The rate the rounds measured cannot tell: zero pages are sent as markers.
     */
    static final long DEFLATE_DEVICES_BELOW = 32L << 20;

    private final Migratable vm;
    private final MigrationUri uri;
    private final Connection connection;
    private final ReturnPathReader returnPath;
    private final StreamOut out;
    private final RamSender sender;
    private final Handover handover;
    private final PhaseTimer phases;
    private final JobCounters counters;

    /**
     * Made at the job's set-up, so that its class is loaded before the downtime.
     *
     * @param returnPath the destination's replies, or null (exec)
     */
    Switchover(Migratable vm, MigrationUri uri, Connection connection, ReturnPathReader returnPath, StreamOut out,
            RamSender sender, Handover handover, PhaseTimer phases, JobCounters counters) {
        this.vm = vm;
        this.uri = uri;
        this.connection = connection;
        this.returnPath = returnPath;
        this.out = out;
        this.sender = sender;
        this.handover = handover;
        this.phases = phases;
        this.counters = counters;
    }

    /**
     * The last round ({@code round}) with the guest paused: flush, dirty sync, pages, device state, block release,
     * EOF ({@code running}: whether the destination resumes the guest; {@code params}: the job's at this moment).
     */
    void finalPass(List<DirtyBitmap> bitmaps, int round, boolean running, MigrationParameters params)
            throws IOException {
        out.throttled(false);
        vm.flushBlockDevices();
        phases.markStamped("block flush");
        vm.syncDirtyLog(bitmaps);
        phases.stamp("dirty sync", phases.now());
        long pages = sender.sendMarked(NEVER_ABORT);
        out.roundEnd(round, pages);
        phases.markCounted("final pass", pages, "pages");
        phases.stampLast("final pass");
        long limit = params.maxBandwidthBytesPerSec();
        out.deflateDevices(limit > 0 && limit < DEFLATE_DEVICES_BELOW);
        List<StateSection> sections = vm.saveState();
        phases.markCounted("save state", sections.size(), "sections");
        phases.stampLast("save state");
        for (StateSection s : sections) {
            out.device(s);
        }
        phases.stamp("device records", phases.now());
        // After the last write (flushed above) and before EOF: the destination checks the locks once it has EOF.
        vm.inactivateBlockDevices();
        phases.markStamped("block release");
        handover.arm(); // LOADED can only follow EOF
        out.eof(running);
        out.flush();
        phases.markStamped("send state");
        counters.remaining(RamSender.count(bitmaps) * StreamFormat.PAGE_SIZE,
                sender.zeroPages() + sender.normalPages());
    }

    /** Waits for LOADED and sends the handover byte (tcp/unix), or for the exec command to exit 0. */
    void awaitAcknowledgement(MigrationParameters params) throws IOException, InterruptedException {
        if (!connection.hasReturnPath()) {
            connection.finishSending(params.ackTimeoutMs());
            counters.acknowledge();
            return;
        }
        ReturnPath.Message m = returnPath.next(params.ackTimeoutMs());
        if (m == null) {
            throw new MigrationException("the destination did not acknowledge the migration within "
                    + params.ackTimeoutMs() + " ms after the last byte; it may be overloaded or hung");
        }
        if (m.type() != StreamFormat.RP_LOADED) {
            throw new MigrationException(ReturnPathReader.describe(m, uri.toString()));
        }
        phases.stamp("loaded received", phases.now());
        try {
            handover.complete(connection.out()); // the return path's reader has usually sent it already
            long sent = handover.sentNanos();
            if (sent >= 0) {
                phases.stamp("handover sent", sent);
            }
        } catch (IOException e) {
            throw new MigrationException("the destination loaded the guest but the handover failed ("
                    + e.getMessage() + "); the guest is paused on both hosts: check the destination, then run "
                    + "cont on exactly one of them", e);
        }
    }
}
