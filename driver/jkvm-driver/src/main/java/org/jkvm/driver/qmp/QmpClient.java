package org.jkvm.driver.qmp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The driver's typed control of one engine over QMP (docs/contracts.md section 4): each method is one QMP command
 * with the arguments and the answer as Java values, so no caller sees QMP's JSON. Events come to the
 * {@link QmpListener} as {@link QmpEvent}s. Every method blocks until the engine answers and throws
 * {@link QmpException} when the engine refuses the command (the message carries the engine's sentence), closes the
 * connection, answers something that does not fit QMP, or does not answer within the timeout given to
 * {@link #connect}. Thread-safe: several threads may send commands at once.
 */
public final class QmpClient implements AutoCloseable {
    private final QmpConnection wire;

    private QmpClient(QmpConnection wire) {
        this.wire = wire;
    }

    /**
     * Connects to an engine's QMP socket, reads its greeting and enters command mode.
     *
     * @param socket   the unix socket path given to the engine's {@code -qmp}
     * @param timeout  how long each command may take before it fails
     * @param listener receives events and the end of the connection, on the client's reader thread
     * @return a ready client
     * @throws QmpException when the socket cannot be reached or the engine does not speak QMP
     */
    public static QmpClient connect(Path socket, Duration timeout, QmpListener listener) {
        return new QmpClient(QmpConnection.connect(socket, timeout, listener));
    }

    /** {@code query-status}: the run state. */
    public RunStatus queryStatus() {
        return QmpCodec.runStatus(wire.execute("query-status", Map.of()));
    }

    /** {@code query-migrate}: the current or last migration job, and whether the guest can migrate at all. */
    public MigrationInfo queryMigrate() {
        return QmpCodec.migrationInfo(wire.execute("query-migrate", Map.of()));
    }

    /** {@code query-kvm}: whether KVM runs the guest and whether it could on this host. */
    public KvmInfo queryKvm() {
        return QmpCodec.kvmInfo(wire.execute("query-kvm", Map.of()));
    }

    /** {@code query-blockstats}: every drive's I/O counters, in the engine's order. */
    public List<BlockStatsInfo> queryBlockstats() {
        return QmpCodec.blockStats(wire.execute("query-blockstats", Map.of()));
    }

    /** {@code query-migrate-parameters}: the bandwidth and downtime limits in force. */
    public MigrationParameters queryMigrateParameters() {
        return QmpCodec.parameters(wire.execute("query-migrate-parameters", Map.of()));
    }

    /** {@code stop}: pauses the guest (the engine sends STOP). */
    public void stop() {
        wire.execute("stop", Map.of());
    }

    /** {@code cont}: runs the guest (the engine sends RESUME). */
    public void cont() {
        wire.execute("cont", Map.of());
    }

    /** {@code system_powerdown}: presses the guest's power button. */
    public void systemPowerdown() {
        wire.execute("system_powerdown", Map.of());
    }

    /** {@code quit}: ends the engine; it answers first, then exits. */
    public void quit() {
        wire.execute("quit", Map.of());
    }

    /**
     * {@code migrate}: starts an outgoing migration to {@code uri} and returns at once; follow it with
     * {@link #queryMigrate} and the {@link QmpEvent.Migration} events.
     *
     * @param uri {@code tcp:HOST:PORT}, {@code unix:PATH} or {@code exec:COMMAND}
     */
    public void migrate(String uri) {
        wire.execute("migrate", QmpCodec.migrate(uri));
    }

    /** {@code migrate_cancel}: cancels the outgoing migration, if one runs. */
    public void migrateCancel() {
        wire.execute("migrate_cancel", Map.of());
    }

    /** {@code migrate-set-parameters} with the parameters that are set in {@code p} (a migration obeys at once). */
    public void setMigrationParameters(MigrationParameters p) {
        wire.execute("migrate-set-parameters", QmpCodec.parameters(p));
    }

    /** {@code migrate-set-capabilities} for one capability. */
    public void setMigrationCapability(MigrationCapability capability, boolean state) {
        wire.execute("migrate-set-capabilities", QmpCodec.capability(capability, state));
    }

    /** True once the connection has ended. */
    public boolean isClosed() {
        return wire.isClosed();
    }

    /** Closes the connection; the engine keeps running. */
    @Override
    public void close() {
        wire.close();
    }
}
