package org.jkvm.driver;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.qmp.MigrationInfo;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.driver.qmp.RamStats;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.JobStats;
import org.jkvm.remote.TypedParam;

/**
 * A long operation on a domain (save, restore, outgoing or incoming migration) and its figures, which come from
 * the engine's {@code query-migrate} (docs/contracts.md section 4). Thread-safe: the operation updates it while
 * {@code domjobinfo} reads it.
 */
final class Job {
    /** Job operation codes (virDomainJobOperation). */
    static final int OP_SAVE = 2;
    /** Restore. */
    static final int OP_RESTORE = 3;
    /** Incoming migration. */
    static final int OP_MIGRATION_IN = 4;
    /** Outgoing migration. */
    static final int OP_MIGRATION_OUT = 5;

    final int operation;
    /** Migration only: whether the source guest was running when Begin ran (Confirm and failures restore it). */
    volatile boolean wasRunning;
    /** Set when the source engine completed the migration: it handed the guest over and must never run it again. */
    volatile boolean handedOver;
    /** Migration only: the migration flags of Begin. */
    volatile int flags;
    /** Incoming migration only: the reserved port, or 0. */
    volatile int port;
    private final long startNanos = System.nanoTime();
    private volatile MigrationInfo figures = MigrationInfo.NONE;
    private volatile int type = JobInfo.UNBOUNDED;
    private volatile long endNanos;
    private volatile String error;
    private volatile boolean abortRequested;
    private final Object signal = new Object();
    private long signals;

    Job(int operation) {
        this.operation = operation;
    }

    /** Wakes {@link #awaitSignal} waiters: the engine reported a change (a MIGRATION, STOP or RESUME event). */
    void signal() {
        synchronized (signal) {
            signals++;
            signal.notifyAll();
        }
    }

    /** How many signals came so far; pass it to {@link #awaitSignal} so none is missed in between. */
    long signals() {
        synchronized (signal) {
            return signals;
        }
    }

    /**
     * Waits until a signal newer than {@code seen} comes, or {@code maxMs} pass (the caller then polls anyway, so
     * figures keep moving and a lost event costs at most that long).
     */
    void awaitSignal(long seen, long maxMs) {
        long end = System.nanoTime() + maxMs * 1_000_000;
        synchronized (signal) {
            long left;
            while (signals == seen && (left = end - System.nanoTime()) > 0) {
                try {
                    signal.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw VirErrors.operationFailed("interrupted while waiting for the engine", e);
                }
            }
        }
    }

    /** Records the latest {@code query-migrate} answer; one from before any job keeps the figures there are. */
    void update(MigrationInfo queryMigrate) {
        if (!queryMigrate.noJob()) {
            figures = queryMigrate;
        }
    }

    /** Ends the job as COMPLETED, FAILED or CANCELLED. */
    void finish(int endType, String errorText) {
        endNanos = System.nanoTime();
        error = errorText;
        type = endType;
    }

    boolean running() {
        return type == JobInfo.UNBOUNDED;
    }

    void requestAbort() {
        abortRequested = true;
        signal();
    }

    boolean abortRequested() {
        return abortRequested;
    }

    long elapsedMs() {
        long end = running() ? System.nanoTime() : endNanos;
        return (end - startNanos) / 1_000_000;
    }

    /** The job as DOMAIN_GET_JOB_INFO reports it. */
    JobInfo info() {
        RamStats ram = figures.ram();
        long total = ram.totalBytes();
        long done = ram.transferredBytes();
        long left = ram.remainingBytes();
        return new JobInfo(type, elapsedMs(), 0, total, done, left, total, done, left, 0, 0, 0);
    }

    /** The job as DOMAIN_GET_JOB_STATS reports it (libvirt-rpc reference section 6.2). */
    JobStats stats() {
        MigrationInfo f = figures;
        RamStats ram = f.ram();
        List<TypedParam> p = new ArrayList<>();
        p.add(new TypedParam.Int("operation", operation));
        p.add(new TypedParam.ULLong("time_elapsed", elapsedMs()));
        // The engine's own migration time, without the libvirt phases around it.
        f.totalTimeMs().ifPresent(engineMs -> p.add(new TypedParam.ULLong("time_elapsed_net", engineMs)));
        long total = ram.totalBytes();
        long done = ram.transferredBytes();
        long left = ram.remainingBytes();
        p.add(new TypedParam.ULLong("data_total", total));
        p.add(new TypedParam.ULLong("data_processed", done));
        p.add(new TypedParam.ULLong("data_remaining", left));
        p.add(new TypedParam.ULLong("memory_total", total));
        p.add(new TypedParam.ULLong("memory_processed", done));
        p.add(new TypedParam.ULLong("memory_remaining", left));
        p.add(new TypedParam.ULLong("memory_constant", ram.duplicatePages()));
        p.add(new TypedParam.ULLong("memory_normal", ram.normalPages()));
        p.add(new TypedParam.ULLong("memory_normal_bytes", ram.normalBytes()));
        p.add(new TypedParam.ULLong("memory_bps", (long) (ram.mbps() * 1_000_000 / 8)));
        p.add(new TypedParam.ULLong("memory_dirty_rate", ram.dirtyPagesRate()));
        p.add(new TypedParam.ULLong("memory_page_size", ram.pageSizeBytes()));
        p.add(new TypedParam.ULLong("memory_iteration", ram.dirtySyncCount()));
        p.add(new TypedParam.ULLong("downtime", f.downtimeOrExpectedMs()));
        p.add(new TypedParam.ULLong("setup_time", f.setupTimeMs().orElse(0)));
        f.cpuThrottlePercent().ifPresent(pct -> p.add(new TypedParam.Int("auto_converge_throttle", (int) pct)));
        if (!running()) {
            p.add(new TypedParam.Bool("success", type == JobInfo.COMPLETED));
            if (error != null) {
                p.add(new TypedParam.Str("errmsg", error));
            }
        }
        return new JobStats(type, p);
    }

    /** Reads fresh figures from the job's engine while it runs; a failed poll keeps the last figures. */
    void refresh(Engine e) {
        if (e == null || !running()) {
            return;
        }
        try {
            update(e.qmp().queryMigrate());
        } catch (QmpException ex) {
            // The job's own loop reports engine failures; a poll shows the last figures.
        }
    }
}
