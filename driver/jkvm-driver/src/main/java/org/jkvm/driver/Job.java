package org.jkvm.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
    private volatile Map<String, Object> figures = Map.of();
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

    /** Records the latest {@code query-migrate} answer. */
    void update(Map<String, Object> queryMigrate) {
        if (queryMigrate != null && !queryMigrate.isEmpty()) {
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

    String status() {
        return str(figures.get("status"));
    }

    /** The job as DOMAIN_GET_JOB_INFO reports it. */
    JobInfo info() {
        Map<String, Object> ram = ram();
        long total = num(ram.get("total"));
        long done = num(ram.get("transferred"));
        long left = num(ram.get("remaining"));
        return new JobInfo(type, elapsedMs(), 0, total, done, left, total, done, left, 0, 0, 0);
    }

    /** The job as DOMAIN_GET_JOB_STATS reports it (libvirt-rpc reference section 6.2). */
    JobStats stats() {
        Map<String, Object> ram = ram();
        List<TypedParam> p = new ArrayList<>();
        p.add(new TypedParam.Int("operation", operation));
        p.add(new TypedParam.ULLong("time_elapsed", elapsedMs()));
        if (figures.get("total-time") instanceof Number engineMs) {
            // The engine's own migration time, without the libvirt phases around it.
            p.add(new TypedParam.ULLong("time_elapsed_net", engineMs.longValue()));
        }
        long total = num(ram.get("total"));
        long done = num(ram.get("transferred"));
        long left = num(ram.get("remaining"));
        p.add(new TypedParam.ULLong("data_total", total));
        p.add(new TypedParam.ULLong("data_processed", done));
        p.add(new TypedParam.ULLong("data_remaining", left));
        p.add(new TypedParam.ULLong("memory_total", total));
        p.add(new TypedParam.ULLong("memory_processed", done));
        p.add(new TypedParam.ULLong("memory_remaining", left));
        p.add(new TypedParam.ULLong("memory_constant", num(ram.get("duplicate"))));
        p.add(new TypedParam.ULLong("memory_normal", num(ram.get("normal"))));
        p.add(new TypedParam.ULLong("memory_normal_bytes", num(ram.get("normal-bytes"))));
        p.add(new TypedParam.ULLong("memory_bps", (long) (dbl(ram.get("mbps")) * 1_000_000 / 8)));
        p.add(new TypedParam.ULLong("memory_dirty_rate", num(ram.get("dirty-pages-rate"))));
        p.add(new TypedParam.ULLong("memory_page_size", num(ram.getOrDefault("page-size", 4096L))));
        p.add(new TypedParam.ULLong("memory_iteration", num(ram.get("dirty-sync-count"))));
        Object downtime = figures.containsKey("downtime") ? figures.get("downtime") : figures.get("expected-downtime");
        p.add(new TypedParam.ULLong("downtime", num(downtime)));
        p.add(new TypedParam.ULLong("setup_time", num(figures.get("setup-time"))));
        if (figures.containsKey("cpu-throttle-percentage")) {
            p.add(new TypedParam.Int("auto_converge_throttle", (int) num(figures.get("cpu-throttle-percentage"))));
        }
        if (!running()) {
            p.add(new TypedParam.Bool("success", type == JobInfo.COMPLETED));
            if (error != null) {
                p.add(new TypedParam.Str("errmsg", error));
            }
        }
        return new JobStats(type, p);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> ram() {
        Object r = figures.get("ram");
        return r instanceof Map ? (Map<String, Object>) r : Map.of();
    }

    static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0L;
    }

    static double dbl(Object o) {
        return o instanceof Number n ? n.doubleValue() : 0.0;
    }

    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** Reads fresh figures from the job's engine while it runs; a failed poll keeps the last figures. */
    @SuppressWarnings("unchecked")
    void refresh(org.jkvm.driver.engine.Engine e) {
        if (e == null || !running()) {
            return;
        }
        try {
            Object r = e.qmp("query-migrate", Map.of());
            if (r instanceof Map<?, ?> map) {
                update((Map<String, Object>) map);
            }
        } catch (org.jkvm.driver.qmp.QmpException ex) {
            // The job's own loop reports engine failures; a poll shows the last figures.
        }
    }
}
