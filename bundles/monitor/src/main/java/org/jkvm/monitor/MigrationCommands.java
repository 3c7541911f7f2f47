package org.jkvm.monitor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jkvm.engine.EngineControl;
import org.jkvm.engine.EngineEvent;
import org.jkvm.engine.RunState;
import org.jkvm.migration.IncomingMigration;
import org.jkvm.migration.MigrationException;
import org.jkvm.migration.MigrationListener;
import org.jkvm.migration.MigrationParameters;
import org.jkvm.migration.MigrationStats;
import org.jkvm.migration.MigrationStatus;
import org.jkvm.migration.OutgoingMigration;
import org.jkvm.monitor.warmup.MigrationWarmUp;
import org.jkvm.vmstate.Migratable;

/**
 * The migration commands of the monitors (docs/contracts.md §4), wiring the engine's
 * {@link EngineControl#migratable()} to the migration module: {@code migrate}, {@code migrate-incoming},
 * {@code migrate_cancel}, {@code query-migrate}, {@code migrate-set-parameters}, {@code query-migrate-parameters},
 * {@code migrate-set-capabilities}, {@code query-migrate-capabilities} (and QEMU's older {@code migrate_set_speed}
 * and {@code migrate_set_downtime}), their HMP forms, the run states (inmigrate, postmigrate) and the
 * {@link MigrationEvent}s ({@code MIGRATION}/{@code MIGRATION_PASS} on QMP). One job at a time. Thread-safe
 * (synchronized).
 */
final class MigrationCommands {
    private final EngineControl engine;
    /** The process's migration warm-up, which yields to a real migration; null when there is none. */
    private final MigrationWarmUp warmUp;
    private final List<Consumer<MigrationEvent>> listeners = new CopyOnWriteArrayList<>();
    private MigrationParameters params = MigrationParameters.defaults();
    private OutgoingMigration outgoing;
    private IncomingMigration incoming;
    private boolean lastIsIncoming;

    /** Commands for an engine without a migration warm-up (tests, a spare's rehearsal VM). */
    MigrationCommands(EngineControl engine) {
        this(engine, null);
    }

    /**
     * @param engine the VM
     * @param warmUp the process's migration warm-up, stopped when a real migration begins and when the engine
     *               ends; null for none
     */
    MigrationCommands(EngineControl engine, MigrationWarmUp warmUp) {
        this.engine = engine;
        this.warmUp = warmUp;
    }

    /** Adds a receiver of the jobs' events; called on the job's thread. */
    void addListener(Consumer<MigrationEvent> listener) {
        listeners.add(listener);
    }

    /** Registers the QMP and HMP commands, and sends the jobs' events to the QMP sessions. */
    void register(Qmp qmp, Hmp hmp) {
        addListener(e -> qmp.emit(QmpWire.event(e)));
        qmp.register("migrate", a -> {
            migrate(str(a, "uri"));
            return Qmp.map();
        });
        qmp.register("migrate-incoming", a -> {
            startIncoming(str(a, "uri"), true);
            return Qmp.map();
        });
        qmp.register("migrate_cancel", a -> {
            cancel();
            return Qmp.map();
        });
        qmp.register("query-migrate", a -> queryMigrate());
        qmp.register("migrate-set-parameters", a -> {
            setParameters(a);
            return Qmp.map();
        });
        qmp.register("query-migrate-parameters", a -> queryParameters());
        qmp.register("migrate-set-capabilities", a -> {
            setCapabilities(a);
            return Qmp.map();
        });
        qmp.register("query-migrate-capabilities", a -> List.of(
                Qmp.map("capability", "auto-converge", "state", params().autoConverge()),
                Qmp.map("capability", "events", "state", true)));
        qmp.register("migrate_set_speed", a -> {
            setParameters(Map.of("max-bandwidth", a.get("value")));
            return Qmp.map();
        });
        qmp.register("migrate_set_downtime", a -> {
            Object v = a.get("value");
            if (!(v instanceof Number n)) {
                throw new MonitorException("GenericError", "migrate_set_downtime needs a number 'value' in seconds");
            }
            setParameters(Map.of("downtime-limit", Math.round(n.doubleValue() * 1000)));
            return Qmp.map();
        });
        HmpMigration.register(this, hmp);
    }

    synchronized MigrationParameters params() {
        return params;
    }

    /** Starts an outgoing migration to {@code uri}. */
    synchronized void migrate(String uri) {
        if (outgoing != null && !outgoing.isDone()) {
            throw new MonitorException("GenericError", "a migration is already in progress; wait for it or run "
                    + "migrate_cancel");
        }
        RunState s = engine.state();
        if (s == RunState.INMIGRATE || s == RunState.SHUTDOWN || s == RunState.POSTMIGRATE) {
            throw new MonitorException("GenericError", "cannot migrate a VM that is " + QmpWire.runState(s));
        }
        stopWarmUp();
        try {
            outgoing = OutgoingMigration.start(engine.migratable(), uri, params, new Events(false));
            lastIsIncoming = false;
        } catch (MigrationException e) {
            throw new MonitorException("GenericError", e.getMessage());
        }
    }

    /**
     * Starts listening for an incoming migration ({@code -incoming URI} or {@code migrate-incoming}).
     *
     * @param fromMonitor whether this is the QMP/HMP command, which needs {@code -incoming defer}
     */
    synchronized void startIncoming(String uri, boolean fromMonitor) {
        if (engine.state() != RunState.INMIGRATE) {
            throw new MonitorException("GenericError", "migrate-incoming is only allowed when the engine was "
                    + "started with -incoming defer");
        }
        if (incoming != null && !incoming.status().isFinal()) {
            throw new MonitorException("GenericError", "an incoming migration is already listening");
        }
        try {
            Migratable target = engine.config().startPaused() ? new NoAutostart(engine.migratable())
                    : engine.migratable();
            incoming = IncomingMigration.start(target, uri, new Events(true));
            lastIsIncoming = true;
        } catch (MigrationException e) {
            if (fromMonitor) {
                throw new MonitorException("GenericError", e.getMessage());
            }
            throw e;
        }
    }

    /**
     * Ends what still runs at the engine's exit: an incoming listener or load (the guest never ran here) and an
     * outgoing migration (the engine is quitting anyway). A thread left blocked in a socket call would hold the
     * JVM's exit for 300 ms (it waits that long for threads in native code).
     */
    synchronized void closeAll() {
        if (warmUp != null) {
            warmUp.stopAndWait(1000);
        }
        if (incoming != null && !incoming.status().isFinal()) {
            incoming.cancel();
        }
        if (outgoing != null && !outgoing.isDone()) {
            outgoing.cancel();
        }
    }

    synchronized void cancel() {
        if (outgoing != null) {
            outgoing.cancel();
        }
    }

    /** The {@code query-migrate} answer: {} before any job, plus {@code blocked-reasons} while migration is blocked. */
    synchronized Map<String, Object> queryMigrate() {
        if (lastIsIncoming && incoming != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", incoming.status().wireName());
            m.put("total-time", incoming.totalTimeMs());
            if (incoming.error() != null) {
                m.put("error-desc", incoming.error());
            }
            return m;
        }
        Map<String, Object> m = outgoing == null ? Qmp.map() : statsMap(outgoing.stats());
        String blocker = blocker();
        if (blocker != null) {
            m.put("blocked-reasons", List.of(blocker)); // as QEMU (6.0+): present while migration is blocked
        }
        return m;
    }

    /** Why this VM cannot be migrated at all ({@code Migratable.migrationBlocker()}), or null. */
    String blocker() {
        return engine.migratable().migrationBlocker();
    }

    /** Waits, without holding this object's lock, until the current outgoing job ends; returns its statistics. */
    MigrationStats awaitOutgoing() throws InterruptedException {
        OutgoingMigration job;
        synchronized (this) {
            job = outgoing;
        }
        if (job == null) {
            throw new MonitorException("GenericError", "no migration has been started");
        }
        while (!job.isDone()) {
            job.await(1000);
        }
        return job.stats();
    }

    /** The current job's statistics for HMP, or null. */
    synchronized MigrationStats outgoingStats() {
        return outgoing == null ? null : outgoing.stats();
    }

    static Map<String, Object> statsMap(MigrationStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", s.status().wireName());
        m.put("total-time", s.totalTimeMs());
        m.put("expected-downtime", s.expectedDowntimeMs());
        m.put("downtime", s.downtimeMs());
        m.put("setup-time", s.setupTimeMs());
        m.put("ram", Qmp.map("transferred", s.transferredBytes(), "remaining", s.remainingBytes(),
                "total", s.totalBytes(), "duplicate", s.zeroPages(), "normal", s.normalPages(),
                "normal-bytes", s.normalBytes(), "dirty-pages-rate", s.dirtyPagesRate(), "mbps", s.mbps(),
                "dirty-sync-count", s.dirtySyncCount(), "page-size", (long) s.pageSize()));
        m.put("cpu-throttle-percentage", (long) s.throttlePercent());
        if (s.errorDesc() != null) {
            m.put("error-desc", s.errorDesc());
        }
        return m;
    }

    synchronized Map<String, Object> queryParameters() {
        return Qmp.map("max-bandwidth", params.maxBandwidthBytesPerSec(), "downtime-limit", params.downtimeLimitMs(),
                "cpu-throttle-initial", (long) params.throttleInitialPercent(),
                "cpu-throttle-increment", (long) params.throttleIncrementPercent(),
                "max-cpu-throttle", (long) params.throttleMaxPercent(),
                "announce-initial", engine.net().timing().initialMs(), "announce-max", engine.net().timing().maxMs(),
                "announce-rounds", engine.net().timing().rounds(), "announce-step", engine.net().timing().stepMs());
    }

    synchronized void setParameters(Map<String, Object> a) {
        MigrationParameters p = params;
        org.jkvm.engine.net.AnnounceTiming announce = engine.net().timing();
        try {
            for (Map.Entry<String, Object> e : a.entrySet()) {
                long v = num(e.getKey(), e.getValue());
                if (e.getKey().startsWith("announce-")) {
                    announce = announce.with(e.getKey(), v); // NetCommands: the announcement after a migration
                    continue;
                }
                p = switch (e.getKey()) {
                    case "max-bandwidth" -> p.withMaxBandwidth(v);
                    case "downtime-limit" -> p.withDowntimeLimit(v);
                    case "cpu-throttle-initial" -> p.withThrottleSteps((int) v, p.throttleIncrementPercent(),
                            p.throttleMaxPercent());
                    case "cpu-throttle-increment" -> p.withThrottleSteps(p.throttleInitialPercent(), (int) v,
                            p.throttleMaxPercent());
                    case "max-cpu-throttle" -> p.withThrottleSteps(p.throttleInitialPercent(),
                            p.throttleIncrementPercent(), (int) v);
                    default -> throw new MonitorException("GenericError", "migration parameter '" + e.getKey()
                            + "' is not supported; use max-bandwidth, downtime-limit, the cpu-throttle or the "
                            + "announce ones");
                };
            }
        } catch (MigrationException e) {
            throw new MonitorException("GenericError", e.getMessage());
        }
        params = p;
        engine.net().setTiming(announce);
        if (outgoing != null && !outgoing.isDone()) {
            outgoing.setParameters(p);
        }
    }

    @SuppressWarnings("unchecked")
    synchronized void setCapabilities(Map<String, Object> a) {
        if (!(a.get("capabilities") instanceof List<?> caps)) {
            throw new MonitorException("GenericError", "migrate-set-capabilities needs a list 'capabilities'");
        }
        for (Object o : caps) {
            if (!(o instanceof Map<?, ?> c) || !(c.get("capability") instanceof String name)
                    || !(c.get("state") instanceof Boolean state)) {
                throw new MonitorException("GenericError", "each capability is {\"capability\": NAME, \"state\": "
                        + "true|false}");
            }
            setCapability(name, state);
        }
    }

    synchronized void setCapability(String name, boolean state) {
        switch (name) {
            case "auto-converge" -> params = params.withAutoConverge(state);
            case "events" -> {
                // MIGRATION events are always sent
            }
            default -> throw new MonitorException("GenericError", "migration capability '" + name
                    + "' is not supported; only auto-converge and events are");
        }
    }

    private void stopWarmUp() {
        if (warmUp != null) {
            warmUp.stop();
        }
    }

    private void emit(MigrationEvent e) {
        for (Consumer<MigrationEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                org.slf4j.LoggerFactory.getLogger(MigrationCommands.class).debug("migration event listener failed",
                        ex);
            }
        }
    }

    private static String str(Map<String, Object> a, String key) {
        if (!(a.get(key) instanceof String s) || s.isEmpty()) {
            throw new MonitorException("GenericError", "the argument '" + key + "' is missing or not a string");
        }
        return s;
    }

    private static long num(String key, Object v) {
        if (!(v instanceof Number n)) {
            throw new MonitorException("GenericError", "migration parameter '" + key + "' must be a number");
        }
        return n.longValue();
    }

    /** Turns job events into QMP events and run states. */
    private final class Events implements MigrationListener {
        private final boolean isIncoming;

        Events(boolean isIncoming) {
            this.isIncoming = isIncoming;
        }

        @Override
        public void statusChanged(MigrationStatus status, MigrationStats stats) {
            if (isIncoming && !status.isFinal()) {
                stopWarmUp(); // a source connected: the real migration has the cores
            }
            if (status == MigrationStatus.COMPLETED) {
                // The run state changes before the event goes out, so whoever reacts to "completed" (a test, the
                // driver's Confirm) already sees postmigrate here, or paused on a destination that keeps it paused.
                settleRunState();
            }
            emit(new MigrationEvent.Status(status, EngineEvent.nowMicros()));
            if (isIncoming && (status == MigrationStatus.FAILED || status == MigrationStatus.CANCELLED)) {
                // As QEMU: a destination whose incoming migration failed ends, so nobody waits on it forever.
                String why = stats != null && stats.errorDesc() != null ? stats.errorDesc() : "it was cancelled";
                engine.abort("the incoming migration failed: " + why);
            }
        }

        private void settleRunState() {
            try {
                if (!isIncoming && engine.state() != RunState.RUNNING) {
                    engine.setMigrationState(RunState.POSTMIGRATE);
                } else if (isIncoming && engine.state() == RunState.INMIGRATE) {
                    engine.setMigrationState(RunState.PAUSED);
                }
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(MigrationCommands.class).debug("run state not changed", e);
            }
        }

        @Override
        public void passCompleted(MigrationStats stats) {
            emit(new MigrationEvent.Pass(stats.dirtySyncCount(), EngineEvent.nowMicros()));
        }
    }
}
