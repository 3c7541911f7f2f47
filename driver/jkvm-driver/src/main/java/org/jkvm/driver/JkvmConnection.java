package org.jkvm.driver;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.engine.EnginePaths;
import org.jkvm.driver.qmp.MigrationParameters;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.remote.BlockInfo;
import org.jkvm.remote.DomainInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.JobStats;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.NodeInfo;
import org.jkvm.remote.TypedParam;
import org.jkvm.remote.spi.ConsoleStream;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.remote.spi.LifecycleListener;
import org.jkvm.remote.spi.StreamSink;

/**
 * One client's connection to the jkvm driver: the libvirt API over the shared {@link DomainManager}.
 * Thread-safe; a read-only connection refuses every changing call with 29 OPERATION_DENIED.
 */
final class JkvmConnection implements DriverConnection {
    /** jkvm's version as libvirt encodes it: 0.1.0. */
    static final long VERSION = 1_000L;

    private final DomainManager m;
    private final String uri;
    private final boolean readOnly;

    JkvmConnection(DomainManager m, String uri, boolean readOnly) {
        this.m = m;
        this.uri = uri;
        this.readOnly = readOnly;
    }

    private void writable(String what) {
        if (readOnly) {
            throw LibvirtError.denied(what + " is not allowed on a read-only connection");
        }
    }

    /** Adds MIGRATION_OFFLINE (12) to the server's defaults: offline migration moves the definition only. */
    @Override
    public boolean supportsFeature(int feature) {
        return feature == 12 || org.jkvm.remote.Features.defaultSupported(feature);
    }

    @Override
    public String type() {
        return uri.startsWith("qemu") ? "QEMU" : "jkvm";
    }

    @Override
    public long version() {
        return VERSION;
    }

    @Override
    public String hostname() {
        return HostInfo.hostname();
    }

    @Override
    public String uri() {
        return uri.isEmpty() ? "jkvm:///system" : uri;
    }

    @Override
    public NodeInfo nodeInfo() {
        return HostInfo.nodeInfo();
    }

    @Override
    public String capabilities() {
        return m.definitions.capabilities(m.kvm.refresh().usable());
    }

    @Override
    public String domainCapabilities(String emulatorBin, String arch, String machine, String virtType, int flags) {
        if (arch != null && !arch.isEmpty() && !arch.equals("x86_64")) {
            throw LibvirtError.configUnsupported("architecture '" + arch + "' is not supported; jkvm runs x86_64");
        }
        return m.definitions.domainCapabilities(m.kvm.virtType(virtType, m.definitions.emulator()));
    }

    @Override
    public AutoCloseable watchLifecycle(DomainRef domain, LifecycleListener listener) {
        return m.events.watch(domain == null ? null : domain.uuid(), listener);
    }

    @Override
    public ConsoleStream openConsole(DomainRef dom, String devName, int flags, StreamSink toClient) {
        writable("virDomainOpenConsole");
        Domain d = m.get(dom);
        m.lifecycle.runningEngine(d);
        if (devName != null && !devName.isEmpty() && !devName.equals("serial0") && !devName.equals("console0")) {
            throw LibvirtError.invalidArg("console device '" + devName + "' does not exist; jkvm guests have serial0");
        }
        if ((flags & ~Consoles.FORCE & ~0x2) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainOpenConsole");
        }
        EnginePaths paths = EnginePaths.of(m.config.stateDir(), d.current().name());
        return m.consoles.open(d, paths.console(), paths.serial(), flags, toClient);
    }

    @Override
    public List<DomainRef> listAllDomains(int flags) {
        return m.list(flags);
    }

    @Override
    public DomainRef lookupByName(String name) {
        return m.byName(name).ref();
    }

    @Override
    public DomainRef lookupByUuid(UUID uuid) {
        return m.byUuid(uuid).ref();
    }

    @Override
    public DomainRef lookupById(int id) {
        return m.byId(id).ref();
    }

    @Override
    public DomainRef defineXml(String xml, int flags) {
        writable("virDomainDefineXML");
        if ((flags & ~0x1) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainDefineXMLFlags");
        }
        return m.define(xml);
    }

    @Override
    public void undefine(DomainRef dom, int flags) {
        writable("virDomainUndefine");
        m.undefine(dom, flags);
    }

    @Override
    public DomainRef create(DomainRef dom, int flags) {
        writable("virDomainCreate");
        return m.lifecycle.start(m.get(dom), flags);
    }

    @Override
    public void destroy(DomainRef dom, int flags) {
        writable("virDomainDestroy");
        m.lifecycle.destroy(m.get(dom), flags);
    }

    @Override
    public void shutdown(DomainRef dom, int flags) {
        writable("virDomainShutdown");
        m.lifecycle.shutdown(m.get(dom), flags);
    }

    @Override
    public void suspend(DomainRef dom) {
        writable("virDomainSuspend");
        m.lifecycle.suspend(m.get(dom));
    }

    @Override
    public void resume(DomainRef dom) {
        writable("virDomainResume");
        m.lifecycle.resume(m.get(dom));
    }

    @Override
    public DomainInfo info(DomainRef dom) {
        Domain d = m.get(dom);
        Definition def = d.current();
        long cpuNs = 0;
        Engine e = d.engine();
        if (e != null) {
            cpuNs = e.handle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
        }
        return new DomainInfo(d.state().state(), def.memoryKiB(), def.memoryKiB(), def.vcpus(), cpuNs);
    }

    @Override
    public DomainState state(DomainRef dom, int flags) {
        return m.get(dom).state();
    }

    @Override
    public BlockInfo blockInfo(DomainRef dom, String path, int flags) {
        if (flags != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainGetBlockInfo");
        }
        return BlockInfos.of(xmlDesc(dom, 0), path);
    }

    @Override
    public List<TypedParam> blockStats(DomainRef dom, String path, int flags) {
        if ((flags & ~0x4) != 0) { // VIR_TYPED_PARAM_STRING_OKAY, which libvirt's client adds
            throw LibvirtError.unsupportedFlags(flags, "virDomainBlockStatsFlags");
        }
        Domain d = m.get(dom);
        Engine e = m.lifecycle.runningEngine(d);
        String xml = xmlDesc(dom, 0);
        try {
            return BlockStatsParams.of(xml, path, e.qmp().queryBlockstats());
        } catch (QmpException ex) {
            throw VirErrors.operationFailed("cannot read the block statistics of domain " + d.name() + ": "
                    + ex.getMessage(), ex);
        }
    }

    @Override
    public long[] interfaceStats(DomainRef dom, String device) {
        Domain d = m.get(dom);
        m.lifecycle.runningEngine(d);
        return InterfaceStats.of(xmlDesc(dom, 0), device);
    }

    @Override
    public String xmlDesc(DomainRef dom, int flags) {
        if ((flags & ~0xF) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainGetXMLDesc");
        }
        Domain d = m.get(dom);
        if ((flags & 0x2) != 0 && d.persistent() != null) {
            return d.persistent().xml();
        }
        Definition def = d.current();
        int id = d.id();
        if (d.active() && id > 0) {
            return m.definitions.liveXml(def, id, EnginePaths.of(m.config.stateDir(), def.name()));
        }
        return def.xml();
    }

    @Override
    public boolean isActive(DomainRef dom) {
        return m.get(dom).active();
    }

    @Override
    public boolean isPersistent(DomainRef dom) {
        return m.get(dom).persistent() != null;
    }

    @Override
    public boolean autostart(DomainRef dom) {
        return m.get(dom).autostart();
    }

    @Override
    public void setAutostart(DomainRef dom, boolean autostart) {
        writable("virDomainSetAutostart");
        m.setAutostart(m.get(dom), autostart);
    }

    @Override
    public void save(DomainRef dom, String path, String dxml, int flags) {
        writable("virDomainSave");
        m.saveRestore.save(m.get(dom), Path.of(path), dxml, flags);
    }

    @Override
    public void restore(String path, String dxml, int flags) {
        writable("virDomainRestore");
        m.saveRestore.restore(Path.of(path), dxml, flags);
    }

    @Override
    public JobInfo jobInfo(DomainRef dom) {
        Domain d = m.get(dom);
        Job j = d.job();
        if (j == null) {
            return JobInfo.none();
        }
        j.refresh(d.engine());
        return j.info();
    }

    @Override
    public JobStats jobStats(DomainRef dom, int flags) {
        if ((flags & ~0x3) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainGetJobStats");
        }
        Domain d = m.get(dom);
        if ((flags & 0x1) != 0) {
            Job last = d.lastJob();
            return last == null || last.running() ? JobStats.none() : last.stats();
        }
        Job j = d.job();
        if (j == null) {
            return JobStats.none();
        }
        j.refresh(d.engine());
        return j.stats();
    }

    @Override
    public void abortJob(DomainRef dom, int flags) {
        writable("virDomainAbortJob");
        if ((flags & ~0x1) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainAbortJobFlags");
        }
        Domain d = m.get(dom);
        Job j = d.job();
        if (j == null || !j.running()) {
            throw LibvirtError.operationInvalid("no job is active on the domain");
        }
        j.requestAbort();
    }

    @Override
    public long migrateGetMaxSpeed(DomainRef dom, int flags) {
        postcopy(flags, "virDomainMigrateGetMaxSpeed");
        return m.get(dom).maxSpeedMiB();
    }

    @Override
    public void migrateSetMaxSpeed(DomainRef dom, long mibPerSecond, int flags) {
        writable("virDomainMigrateSetMaxSpeed");
        postcopy(flags, "virDomainMigrateSetMaxSpeed");
        if (mibPerSecond < 0 || mibPerSecond > Domain.UNLIMITED_SPEED_MIB) {
            throw LibvirtError.invalidArg("bandwidth must be between 0 and " + Domain.UNLIMITED_SPEED_MIB
                    + " MiB/s");
        }
        Domain d = m.get(dom);
        long v = mibPerSecond == 0 ? Domain.UNLIMITED_SPEED_MIB : mibPerSecond;
        Lifecycle.tune(d, MigrationParameters.NONE.withMaxBandwidth(v >= Domain.UNLIMITED_SPEED_MIB ? Long.MAX_VALUE
                : v << 20), "max-bandwidth");
        d.setMaxSpeedMiB(v);
    }

    @Override
    public long migrateGetMaxDowntime(DomainRef dom, int flags) {
        return m.get(dom).maxDowntimeMs();
    }

    @Override
    public void migrateSetMaxDowntime(DomainRef dom, long downtimeMs, int flags) {
        writable("virDomainMigrateSetMaxDowntime");
        if (flags != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainMigrateSetMaxDowntime");
        }
        if (downtimeMs <= 0 || downtimeMs > 2_000_000) {
            throw LibvirtError.invalidArg("downtime must be between 1 and 2000000 ms, not " + downtimeMs);
        }
        Domain d = m.get(dom);
        Lifecycle.tune(d, MigrationParameters.NONE.withDowntimeLimit(downtimeMs), "downtime-limit");
        d.setMaxDowntimeMs(downtimeMs);
    }

    private static void postcopy(int flags, String function) {
        if ((flags & 0x1) != 0) {
            throw LibvirtError.argumentUnsupported("post-copy bandwidth is not supported; jkvm migrates pre-copy "
                    + "only");
        }
        if (flags != 0) {
            throw LibvirtError.unsupportedFlags(flags, function);
        }
    }

    @Override
    public MigrationResults.Begin migrateBegin3(DomainRef dom, List<TypedParam> params, int flags) {
        writable("virDomainMigrateBegin3Params");
        return m.migration.begin(m.get(dom), params, flags);
    }

    @Override
    public MigrationResults.Prepare migratePrepare3(List<TypedParam> params, byte[] cookieIn, int flags) {
        writable("virDomainMigratePrepare3Params");
        return m.incoming.prepare(params, flags);
    }

    @Override
    public byte[] migratePerform3(DomainRef dom, String dconnUri, List<TypedParam> params, byte[] cookieIn,
                                  int flags) {
        writable("virDomainMigratePerform3Params");
        Domain d = m.get(dom);
        if ((flags & MigrationParams.PEER2PEER) != 0 && dconnUri != null) {
            return m.peer.perform(d, dconnUri, params, flags);
        }
        return m.migration.perform(d, params, flags);
    }

    @Override
    public MigrationResults.Finish migrateFinish3(List<TypedParam> params, byte[] cookieIn, int flags,
                                                  boolean cancelled) {
        writable("virDomainMigrateFinish3Params");
        return m.incoming.finish(params, flags, cancelled);
    }

    @Override
    public void migrateConfirm3(DomainRef dom, List<TypedParam> params, byte[] cookieIn, int flags,
                                boolean cancelled) {
        writable("virDomainMigrateConfirm3Params");
        m.migration.confirm(m.get(dom), flags, cancelled);
    }
}
