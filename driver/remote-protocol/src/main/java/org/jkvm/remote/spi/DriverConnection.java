package org.jkvm.remote.spi;

import java.util.List;
import java.util.UUID;

import org.jkvm.remote.BlockInfo;
import org.jkvm.remote.DomainInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.Features;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.JobStats;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.NodeInfo;
import org.jkvm.remote.TypedParam;

/**
 * One client's connection to a driver: the libvirt API the RPC server dispatches to.
 *
 * <p><b>Threading.</b> The server calls these methods from a thread pool, <em>concurrently</em> on the same
 * connection (virsh polls {@link #jobInfo} while {@link #save} or {@link #migratePerform3} runs), so
 * implementations must be thread-safe and long calls must not hold locks that job queries need. Read-only
 * queries (connection info, lookups, list, info, state, XML, autostart, job info and stats, speed and downtime
 * getters) are served on the connection's reading thread to save a thread hand-off: keep them quick (memory,
 * or a bounded QMP round trip); while one runs, that client's next calls wait. Changing calls never block reading.
 *
 * <p><b>Errors.</b> Every method throws {@link LibvirtError} with libvirt's code, domain and complete message.
 * A method the driver does not override throws {@link LibvirtError#noSupport}, which virsh treats as "fall back".
 *
 * <p><b>Domains</b> are passed as the {@link DomainRef} the client sent; identify them by UUID (the id may be
 * stale). Flags are libvirt's raw flag words for the procedure (see the reference §5.3 and §7.1).
 */
public interface DriverConnection extends AutoCloseable {

    /** Releases the connection; called once, when the client closes or disconnects. Must not throw. */
    @Override
    default void close() {
    }

    // ----- connection -----

    /** The answer to CONNECT_SUPPORTS_FEATURE after open; by default {@link Features#defaultSupported}. */
    default boolean supportsFeature(int feature) {
        return Features.defaultSupported(feature);
    }

    /** CONNECT_GET_TYPE (3): the hypervisor type virsh prints, e.g. "QEMU". */
    String type();

    /** CONNECT_GET_VERSION (4): major*1,000,000 + minor*1,000 + micro. */
    long version();

    /** CONNECT_GET_LIB_VERSION (157); CloudStack needs at least 1.2.3, so default 9.0.0. */
    default long libVersion() {
        return 9_000_000L;
    }

    /** CONNECT_GET_HOSTNAME (59). */
    String hostname();

    /** CONNECT_GET_URI (110): the canonical URI of this connection, e.g. {@code jkvm:///system}. */
    String uri();

    /** NODE_GET_INFO (6). */
    NodeInfo nodeInfo();

    /** CONNECT_GET_CAPABILITIES (7): the capabilities XML. */
    default String capabilities() {
        throw LibvirtError.noSupport("virConnectGetCapabilities");
    }

    /** CONNECT_GET_DOMAIN_CAPABILITIES (342); any argument may be null. */
    default String domainCapabilities(String emulatorBin, String arch, String machine, String virtType, int flags) {
        throw LibvirtError.noSupport("virConnectGetDomainCapabilities");
    }

    /**
     * Registers for lifecycle events of one domain ({@code domain} non-null) or of all domains (null), as
     * CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY (316) with event id 0 asks. Closing the returned handle
     * unregisters; the server closes it when the client deregisters (317) or disconnects.
     *
     * @return the registration, closed exactly once
     */
    default AutoCloseable watchLifecycle(DomainRef domain, LifecycleListener listener) {
        throw LibvirtError.noSupport("virConnectDomainEventRegisterAny");
    }

    // ----- listing and lookup -----

    /** CONNECT_LIST_ALL_DOMAINS (273); flags filter as libvirt's (0x1 active, 0x2 inactive, ...). */
    List<DomainRef> listAllDomains(int flags);

    /** DOMAIN_LOOKUP_BY_NAME (23); {@link LibvirtError#noDomain} when absent. */
    DomainRef lookupByName(String name);

    /** DOMAIN_LOOKUP_BY_UUID (24). */
    DomainRef lookupByUuid(UUID uuid);

    /** DOMAIN_LOOKUP_BY_ID (22). */
    DomainRef lookupById(int id);

    // ----- definition -----

    /** DOMAIN_DEFINE_XML (11, flags 0) and DOMAIN_DEFINE_XML_FLAGS (350, 0x1 validate). */
    DomainRef defineXml(String xml, int flags);

    /** DOMAIN_UNDEFINE (35, flags 0) and DOMAIN_UNDEFINE_FLAGS (231). */
    void undefine(DomainRef dom, int flags);

    // ----- life cycle -----

    /** DOMAIN_CREATE (9, flags 0) and CREATE_WITH_FLAGS (196): start; returns the domain with its new id. */
    DomainRef create(DomainRef dom, int flags);

    /** DOMAIN_DESTROY (12, flags 0) and DESTROY_FLAGS (234). */
    void destroy(DomainRef dom, int flags);

    /** DOMAIN_SHUTDOWN (33, flags 0) and SHUTDOWN_FLAGS (258). */
    default void shutdown(DomainRef dom, int flags) {
        throw LibvirtError.noSupport("virDomainShutdown");
    }

    /** DOMAIN_REBOOT (27). */
    default void reboot(DomainRef dom, int flags) {
        throw LibvirtError.noSupport("virDomainReboot");
    }

    /** DOMAIN_SUSPEND (34). */
    default void suspend(DomainRef dom) {
        throw LibvirtError.noSupport("virDomainSuspend");
    }

    /** DOMAIN_RESUME (28). */
    default void resume(DomainRef dom) {
        throw LibvirtError.noSupport("virDomainResume");
    }

    // ----- information -----

    /** DOMAIN_GET_INFO (16). */
    DomainInfo info(DomainRef dom);

    /** DOMAIN_GET_STATE (212). */
    DomainState state(DomainRef dom, int flags);

    /** DOMAIN_GET_XML_DESC (14); flags 0x1 secure, 0x2 inactive, 0x4 update-cpu, 0x8 migratable. */
    String xmlDesc(DomainRef dom, int flags);

    /** DOMAIN_GET_OS_TYPE (19). */
    default String osType(DomainRef dom) {
        return "hvm";
    }

    /** DOMAIN_IS_ACTIVE (150). */
    boolean isActive(DomainRef dom);

    /** DOMAIN_IS_PERSISTENT (151). */
    boolean isPersistent(DomainRef dom);

    /** DOMAIN_GET_AUTOSTART (15). */
    default boolean autostart(DomainRef dom) {
        return false;
    }

    /** DOMAIN_SET_AUTOSTART (29). */
    default void setAutostart(DomainRef dom, boolean autostart) {
        throw LibvirtError.noSupport("virDomainSetAutostart");
    }

    /** DOMAIN_HAS_MANAGED_SAVE_IMAGE (183); jkvm has no managed save by default. */
    default boolean hasManagedSaveImage(DomainRef dom, int flags) {
        return false;
    }

    /** DOMAIN_SNAPSHOT_NUM (187); no snapshots by default. */
    default int snapshotCount(DomainRef dom, int flags) {
        return 0;
    }

    /**
     * DOMAIN_OPEN_CONSOLE (201): connects the client to a running domain's console. Guest output goes to
     * {@code toClient}; the returned stream receives the client's keystrokes and the end of the session.
     *
     * @param devName the console device alias, or null for the first console
     * @param flags   0x1 force (take over a console already in use), 0x2 safe
     */
    default ConsoleStream openConsole(DomainRef dom, String devName, int flags, StreamSink toClient) {
        throw LibvirtError.noSupport("virDomainOpenConsole");
    }

    // ----- save and restore -----

    /** DOMAIN_SAVE (55) and SAVE_FLAGS (232); {@code path} is absolute on the daemon host, dxml may be null. */
    default void save(DomainRef dom, String path, String dxml, int flags) {
        throw LibvirtError.noSupport("virDomainSave");
    }

    /** DOMAIN_RESTORE (54) and RESTORE_FLAGS (233). */
    default void restore(String path, String dxml, int flags) {
        throw LibvirtError.noSupport("virDomainRestore");
    }

    /** DOMAIN_GET_BLOCK_INFO (194): the sizes of the disk named by target ({@code vda}) or source path. */
    default BlockInfo blockInfo(DomainRef dom, String path, int flags) {
        throw LibvirtError.noSupport("virDomainGetBlockInfo");
    }

    /**
     * DOMAIN_BLOCK_STATS_FLAGS (243), and DOMAIN_BLOCK_STATS (64) through it: the I/O counters of the disk named by
     * target or source path (an empty path: all disks summed) as VIR_DOMAIN_BLOCK_STATS_* typed parameters.
     *
     * @param flags VIR_TYPED_PARAM_STRING_OKAY (4) at most
     */
    default List<TypedParam> blockStats(DomainRef dom, String path, int flags) {
        throw LibvirtError.noSupport("virDomainBlockStatsFlags");
    }

    /**
     * DOMAIN_INTERFACE_STATS (65): a NIC's counters, named by its host device (target dev) or MAC, from the guest's
     * side as libvirt reports them: rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets, tx_errs, tx_drop.
     */
    default long[] interfaceStats(DomainRef dom, String device) {
        throw LibvirtError.noSupport("virDomainInterfaceStats");
    }

    // ----- jobs and migration tuning -----

    /** DOMAIN_GET_JOB_INFO (163); {@link JobInfo#none()} when idle. */
    default JobInfo jobInfo(DomainRef dom) {
        return JobInfo.none();
    }

    /** DOMAIN_GET_JOB_STATS (298); flags 0x1 completed, 0x2 keep completed. */
    default JobStats jobStats(DomainRef dom, int flags) {
        return JobStats.none();
    }

    /** DOMAIN_ABORT_JOB (164, flags 0) and ABORT_JOB_FLAGS (442). */
    default void abortJob(DomainRef dom, int flags) {
        throw LibvirtError.operationInvalid("no job is active on the domain");
    }

    /** DOMAIN_MIGRATE_GET_MAX_SPEED (242), MiB/s. */
    default long migrateGetMaxSpeed(DomainRef dom, int flags) {
        throw LibvirtError.noSupport("virDomainMigrateGetMaxSpeed");
    }

    /** DOMAIN_MIGRATE_SET_MAX_SPEED (207), MiB/s; applies to a migration in progress too. */
    default void migrateSetMaxSpeed(DomainRef dom, long mibPerSecond, int flags) {
        throw LibvirtError.noSupport("virDomainMigrateSetMaxSpeed");
    }

    /** DOMAIN_MIGRATE_GET_MAX_DOWNTIME (387), ms. */
    default long migrateGetMaxDowntime(DomainRef dom, int flags) {
        throw LibvirtError.noSupport("virDomainMigrateGetMaxDowntime");
    }

    /** DOMAIN_MIGRATE_SET_MAX_DOWNTIME (166), ms. */
    default void migrateSetMaxDowntime(DomainRef dom, long downtimeMs, int flags) {
        throw LibvirtError.noSupport("virDomainMigrateSetMaxDowntime");
    }

    // ----- migration v3 (the *_PARAMS procedures 302-307; legacy 213-218 are converted to these) -----

    /**
     * Begin on the source (302; legacy 213 with xmlin as {@code destination_xml}, dname as
     * {@code destination_name}, resource as {@code bandwidth}).
     */
    default MigrationResults.Begin migrateBegin3(DomainRef dom, List<TypedParam> params, int flags) {
        throw LibvirtError.noSupport("virDomainMigrateBegin3Params");
    }

    /**
     * Prepare on the destination (303; legacy 214 with uri_in as {@code migrate_uri} and dom_xml as
     * {@code destination_xml}). Must return a {@code uriOut} the source can reach when {@code migrate_uri}
     * is absent.
     */
    default MigrationResults.Prepare migratePrepare3(List<TypedParam> params, byte[] cookieIn, int flags) {
        throw LibvirtError.noSupport("virDomainMigratePrepare3Params");
    }

    /**
     * Perform on the source (305; legacy 216 with uri as {@code migrate_uri}). Blocks until the transfer ends.
     * A non-null {@code dconnUri} with PEER2PEER set means the source drives Prepare and Finish itself.
     *
     * @return the cookie for Finish (may be empty)
     */
    default byte[] migratePerform3(DomainRef dom, String dconnUri, List<TypedParam> params, byte[] cookieIn,
                                   int flags) {
        throw LibvirtError.noSupport("virDomainMigratePerform3Params");
    }

    /**
     * Finish on the destination (306; legacy 217 with dname as {@code destination_name}). With
     * {@code cancelled} true, tear the incoming domain down and throw {@link LibvirtError#migrateFinishOk()}.
     */
    default MigrationResults.Finish migrateFinish3(List<TypedParam> params, byte[] cookieIn, int flags,
                                                   boolean cancelled) {
        throw LibvirtError.noSupport("virDomainMigrateFinish3Params");
    }

    /** Confirm on the source (307; legacy 218): end the source guest, or resume it when {@code cancelled}. */
    default void migrateConfirm3(DomainRef dom, List<TypedParam> params, byte[] cookieIn, int flags,
                                 boolean cancelled) {
        throw LibvirtError.noSupport("virDomainMigrateConfirm3Params");
    }
}
