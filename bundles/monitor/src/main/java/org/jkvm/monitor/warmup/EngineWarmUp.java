package org.jkvm.monitor.warmup;

import java.util.List;

import org.jkvm.engine.Vm;

/**
 * The engine process's warm-up, stage by stage (see the package description): what {@code Main} and the spare
 * engine call, in this order. One per process. Thread-safe.
 */
public final class EngineWarmUp {
    private final StartupPrewarm startup;
    private final SpareRehearsal rehearsal;
    private final MigrationWarmUp migration;

    /**
     * @param startup   the start-up set-up of logging and native bindings
     * @param rehearsal a spare engine's scratch destination
     * @param migration the scratch migrations
     */
    public EngineWarmUp(StartupPrewarm startup, SpareRehearsal rehearsal, MigrationWarmUp migration) {
        this.startup = startup;
        this.rehearsal = rehearsal;
        this.migration = migration;
    }

    /**
     * The production warm-up: {@link WarmUpThreads} and {@link System#nanoTime()}.
     *
     * @param monitors starts a scratch VM's monitors as the engine does (without a migration warm-up of its own)
     */
    public static EngineWarmUp create(SpareRehearsal.Monitors monitors) {
        return new EngineWarmUp(new StartupPrewarm(WarmUpThreads.startup()),
                new SpareRehearsal(monitors, System::nanoTime), MigrationWarmUp.create());
    }

    /** At process start: set up logging and the native bindings in the background. */
    public void startup() {
        startup.start();
    }

    /** Before the first log line: waits (briefly) for logging to be set up. */
    public void awaitLogging() {
        startup.awaitLogging();
    }

    /**
     * A spare engine, before its command line: the start-up set-up, the rehearsal of an incoming destination, then
     * the scratch migrations in the background (a command line that arrives meanwhile is not held up).
     */
    public void spare() {
        startup.start();
        startup.awaitLogging();
        rehearsal.run();
        migration.startInBackground(List.of());
    }

    /**
     * The engine's VM is built and its monitors listen: prepares the VM's migration paths ({@link Vm#warmUp()}),
     * then starts the scratch migrations on its backends (a no-op in an engine that came from a spare: that one
     * already runs or ran).
     */
    public void engineReady(Vm vm) {
        vm.warmUp();
        migration.startInBackground(List.of(vm.accelerator()));
    }

    /** The scratch migrations, which a real migration stops. */
    public MigrationWarmUp migration() {
        return migration;
    }
}
