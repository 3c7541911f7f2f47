package org.jkvm.rpc.internal;

import static org.jkvm.rpc.internal.Handlers.BOOL;
import static org.jkvm.rpc.internal.Handlers.DOMAIN;
import static org.jkvm.rpc.internal.Handlers.HYPER;
import static org.jkvm.rpc.internal.Handlers.INT;
import static org.jkvm.rpc.internal.Handlers.STRING;
import static org.jkvm.rpc.internal.Handlers.dom;
import static org.jkvm.rpc.internal.Handlers.domFlags;
import static org.jkvm.rpc.internal.Handlers.domFlagsTo;
import static org.jkvm.rpc.internal.Handlers.domTo;
import static org.jkvm.rpc.internal.Handlers.none;
import static org.jkvm.rpc.internal.ProcedureTable.put;

import java.util.List;

import org.jkvm.remote.BlockInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobStats;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.TypedParam;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.rpc.internal.Handler.Entry;
import org.jkvm.xdr.XdrWriter;

/** Connection info, listing, lookup, definition, life cycle, information, save/restore and job procedures. */
final class DomainProcedures {
    private static final int LIST_ACTIVE = 1;
    private static final int LIST_INACTIVE = 2;
    /** REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX. */
    private static final int BLOCK_STATS_PARAMETERS_MAX = 16;

    private DomainProcedures() {
    }

    static void register(Entry[] t) {
        connection(t);
        lists(t);
        lifecycle(t);
        information(t);
        jobs(t);
    }

    private static void connection(Entry[] t) {
        put(t, Procedures.CONNECT_GET_TYPE, "virConnectGetType", false, none(DriverConnection::type, STRING));
        put(t, Procedures.CONNECT_GET_VERSION, "virConnectGetVersion", false, none(DriverConnection::version, HYPER));
        put(t, Procedures.CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion", false,
                none(DriverConnection::libVersion, HYPER));
        put(t, Procedures.CONNECT_GET_HOSTNAME, "virConnectGetHostname", false,
                none(DriverConnection::hostname, STRING));
        put(t, Procedures.CONNECT_GET_URI, "virConnectGetURI", false, none(DriverConnection::uri, STRING));
        put(t, Procedures.NODE_GET_INFO, "virNodeGetInfo", false,
                none(DriverConnection::nodeInfo, RemoteCodec::writeNodeInfo));
        put(t, Procedures.CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities", false,
                none(DriverConnection::capabilities, STRING));
        put(t, Procedures.CONNECT_GET_DOMAIN_CAPABILITIES, "virConnectGetDomainCapabilities", false,
                (c, a, r) -> {
                    String emulator = RemoteCodec.readOptionalString(a, "emulatorbin");
                    String arch = RemoteCodec.readOptionalString(a, "arch");
                    String machine = RemoteCodec.readOptionalString(a, "machine");
                    String virtType = RemoteCodec.readOptionalString(a, "virttype");
                    STRING.accept(r, c.domainCapabilities(emulator, arch, machine, virtType, a.readInt("flags")));
                });
        // An empty security model: virsh dominfo then skips DOMAIN_GET_SECURITY_LABEL.
        put(t, Procedures.NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel", false,
                (c, a, r) -> r.writeInt(0).writeInt(0));
    }

    private static void lists(Entry[] t) {
        put(t, Procedures.CONNECT_LIST_ALL_DOMAINS, "virConnectListAllDomains", false, (c, a, r) -> {
            boolean needResults = a.readInt("need_results") != 0;
            List<DomainRef> all = c.listAllDomains(a.readInt("flags"));
            r.writeArray(needResults ? all : List.of(), Programs.DOMAIN_LIST_MAX, RemoteCodec::writeDomain);
            r.writeInt(all.size());
        });
        put(t, Procedures.CONNECT_NUM_OF_DOMAINS, "virConnectNumOfDomains", false,
                none(c -> c.listAllDomains(LIST_ACTIVE).size(), INT));
        put(t, Procedures.CONNECT_NUM_OF_DEFINED_DOMAINS, "virConnectNumOfDefinedDomains", false,
                none(c -> c.listAllDomains(LIST_INACTIVE).size(), INT));
        put(t, Procedures.CONNECT_LIST_DOMAINS, "virConnectListDomains", false, (c, a, r) -> {
            int max = Math.min(Math.max(a.readInt("maxids"), 0), Programs.DOMAIN_LIST_MAX);
            List<Integer> ids = c.listAllDomains(LIST_ACTIVE).stream().map(DomainRef::id).limit(max).toList();
            r.writeArray(ids, Programs.DOMAIN_LIST_MAX, XdrWriter::writeInt);
        });
        put(t, Procedures.CONNECT_LIST_DEFINED_DOMAINS, "virConnectListDefinedDomains", false, (c, a, r) -> {
            int max = Math.min(Math.max(a.readInt("maxnames"), 0), Programs.DOMAIN_LIST_MAX);
            List<String> names = c.listAllDomains(LIST_INACTIVE).stream().map(DomainRef::name).limit(max).toList();
            r.writeArray(names, Programs.DOMAIN_LIST_MAX, STRING);
        });
        put(t, Procedures.DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID", false,
                (c, a, r) -> DOMAIN.accept(r, c.lookupById(a.readInt("id"))));
        put(t, Procedures.DOMAIN_LOOKUP_BY_NAME, "virDomainLookupByName", false,
                (c, a, r) -> DOMAIN.accept(r, c.lookupByName(RemoteCodec.readString(a, "name"))));
        put(t, Procedures.DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID", false,
                (c, a, r) -> DOMAIN.accept(r, c.lookupByUuid(RemoteCodec.readUuid(a))));
    }

    private static void lifecycle(Entry[] t) {
        put(t, Procedures.DOMAIN_DEFINE_XML, "virDomainDefineXML", true,
                (c, a, r) -> DOMAIN.accept(r, c.defineXml(RemoteCodec.readString(a, "xml"), 0)));
        put(t, Procedures.DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags", true, (c, a, r) -> {
            String xml = RemoteCodec.readString(a, "xml");
            DOMAIN.accept(r, c.defineXml(xml, a.readInt("flags")));
        });
        put(t, Procedures.DOMAIN_UNDEFINE, "virDomainUndefine", true, dom((c, d) -> c.undefine(d, 0)));
        put(t, Procedures.DOMAIN_UNDEFINE_FLAGS, "virDomainUndefineFlags", true, domFlags(DriverConnection::undefine));
        put(t, Procedures.DOMAIN_CREATE, "virDomainCreate", true, dom((c, d) -> c.create(d, 0)));
        put(t, Procedures.DOMAIN_CREATE_WITH_FLAGS, "virDomainCreateWithFlags", true,
                domFlagsTo(DriverConnection::create, DOMAIN));
        put(t, Procedures.DOMAIN_DESTROY, "virDomainDestroy", true, dom((c, d) -> c.destroy(d, 0)));
        put(t, Procedures.DOMAIN_DESTROY_FLAGS, "virDomainDestroyFlags", true, domFlags(DriverConnection::destroy));
        put(t, Procedures.DOMAIN_SHUTDOWN, "virDomainShutdown", true, dom((c, d) -> c.shutdown(d, 0)));
        put(t, Procedures.DOMAIN_SHUTDOWN_FLAGS, "virDomainShutdownFlags", true,
                domFlags(DriverConnection::shutdown));
        put(t, Procedures.DOMAIN_REBOOT, "virDomainReboot", true, domFlags(DriverConnection::reboot));
        put(t, Procedures.DOMAIN_SUSPEND, "virDomainSuspend", true, dom(DriverConnection::suspend));
        put(t, Procedures.DOMAIN_RESUME, "virDomainResume", true, dom(DriverConnection::resume));
        put(t, Procedures.DOMAIN_SAVE, "virDomainSave", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            c.save(d, RemoteCodec.readString(a, "to"), null, 0);
        });
        put(t, Procedures.DOMAIN_SAVE_FLAGS, "virDomainSaveFlags", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String to = RemoteCodec.readString(a, "to");
            String dxml = RemoteCodec.readOptionalString(a, "dxml");
            c.save(d, to, dxml, a.readInt("flags"));
        });
        put(t, Procedures.DOMAIN_RESTORE, "virDomainRestore", true,
                (c, a, r) -> c.restore(RemoteCodec.readString(a, "from"), null, 0));
        put(t, Procedures.DOMAIN_RESTORE_FLAGS, "virDomainRestoreFlags", true, (c, a, r) -> {
            String from = RemoteCodec.readString(a, "from");
            String dxml = RemoteCodec.readOptionalString(a, "dxml");
            c.restore(from, dxml, a.readInt("flags"));
        });
    }

    private static void information(Entry[] t) {
        put(t, Procedures.DOMAIN_GET_INFO, "virDomainGetInfo", false,
                domTo(DriverConnection::info, RemoteCodec::writeDomainInfo));
        put(t, Procedures.DOMAIN_GET_STATE, "virDomainGetState", false,
                domFlagsTo(DriverConnection::state, DomainProcedures::writeState));
        put(t, Procedures.DOMAIN_GET_XML_DESC, "virDomainGetXMLDesc", false,
                domFlagsTo(DriverConnection::xmlDesc, STRING));
        put(t, Procedures.DOMAIN_GET_OS_TYPE, "virDomainGetOSType", false, domTo(DriverConnection::osType, STRING));
        put(t, Procedures.DOMAIN_IS_ACTIVE, "virDomainIsActive", false, domTo(DriverConnection::isActive, BOOL));
        put(t, Procedures.DOMAIN_IS_PERSISTENT, "virDomainIsPersistent", false,
                domTo(DriverConnection::isPersistent, BOOL));
        put(t, Procedures.DOMAIN_GET_AUTOSTART, "virDomainGetAutostart", false,
                domTo(DriverConnection::autostart, BOOL));
        put(t, Procedures.DOMAIN_SET_AUTOSTART, "virDomainSetAutostart", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            c.setAutostart(d, a.readInt("autostart") != 0);
        });
        put(t, Procedures.DOMAIN_HAS_MANAGED_SAVE_IMAGE, "virDomainHasManagedSaveImage", false,
                domFlagsTo(DriverConnection::hasManagedSaveImage, BOOL));
        put(t, Procedures.DOMAIN_GET_BLOCK_INFO, "virDomainGetBlockInfo", false, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String path = RemoteCodec.readString(a, "path");
            // remote_domain_get_block_info_ret: allocation, capacity, physical (unsigned hypers).
            BlockInfo b = c.blockInfo(d, path, a.readInt("flags"));
            r.writeHyper(b.allocation()).writeHyper(b.capacity()).writeHyper(b.physical());
        });
        blockStats(t);
        put(t, Procedures.DOMAIN_SNAPSHOT_NUM, "virDomainSnapshotNum", false,
                domFlagsTo(DriverConnection::snapshotCount, INT));
    }

    /**
     * virsh domblkstat asks DOMAIN_BLOCK_STATS_FLAGS twice: nparams 0 for the count (sent back in nparams, no
     * params), then with room for them (params, nparams 0), as libvirtd answers; older clients use BLOCK_STATS.
     */
    private static void blockStats(Entry[] t) {
        put(t, Procedures.DOMAIN_BLOCK_STATS_FLAGS, "virDomainBlockStatsFlags", false, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String path = RemoteCodec.readString(a, "path");
            int nparams = a.readInt("nparams");
            if (nparams < 0 || nparams > BLOCK_STATS_PARAMETERS_MAX) {
                throw LibvirtError.invalidArg("nparams " + nparams + " is out of range 0.."
                        + BLOCK_STATS_PARAMETERS_MAX);
            }
            List<TypedParam> all = c.blockStats(d, path, a.readInt("flags"));
            if (nparams == 0) {
                RemoteCodec.writeParams(r, List.of());
                r.writeInt(all.size());
            } else {
                RemoteCodec.writeParams(r, all.subList(0, Math.min(nparams, all.size())));
                r.writeInt(0);
            }
        });
        put(t, Procedures.DOMAIN_INTERFACE_STATS, "virDomainInterfaceStats", false, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            for (long v : c.interfaceStats(d, RemoteCodec.readString(a, "device"))) {
                r.writeHyper(v); // remote_domain_interface_stats_ret: eight hypers, rx then tx
            }
        });
        put(t, Procedures.DOMAIN_BLOCK_STATS, "virDomainBlockStats", false, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            List<TypedParam> all = c.blockStats(d, RemoteCodec.readString(a, "path"), 0);
            // remote_domain_block_stats_ret: rd_req, rd_bytes, wr_req, wr_bytes, errs (-1: not counted).
            for (String f : List.of("rd_operations", "rd_bytes", "wr_operations", "wr_bytes")) {
                r.writeHyper(all.stream().filter(p -> p.name().equals(f) && p instanceof TypedParam.LLong)
                        .mapToLong(p -> ((TypedParam.LLong) p).value()).findFirst().orElse(-1));
            }
            r.writeHyper(-1);
        });
    }

    private static void jobs(Entry[] t) {
        put(t, Procedures.DOMAIN_GET_JOB_INFO, "virDomainGetJobInfo", false,
                domTo(DriverConnection::jobInfo, RemoteCodec::writeJobInfo));
        put(t, Procedures.DOMAIN_GET_JOB_STATS, "virDomainGetJobStats", false,
                domFlagsTo(DriverConnection::jobStats, DomainProcedures::writeJobStats));
        put(t, Procedures.DOMAIN_ABORT_JOB, "virDomainAbortJob", true, dom((c, d) -> c.abortJob(d, 0)));
        put(t, Procedures.DOMAIN_ABORT_JOB_FLAGS, "virDomainAbortJobFlags", true,
                domFlags(DriverConnection::abortJob));
        put(t, Procedures.DOMAIN_MIGRATE_GET_MAX_SPEED, "virDomainMigrateGetMaxSpeed", false,
                domFlagsTo(DriverConnection::migrateGetMaxSpeed, HYPER));
        put(t, Procedures.DOMAIN_MIGRATE_GET_MAX_DOWNTIME, "virDomainMigrateGetMaxDowntime", false,
                domFlagsTo(DriverConnection::migrateGetMaxDowntime, HYPER));
        put(t, Procedures.DOMAIN_MIGRATE_SET_MAX_SPEED, "virDomainMigrateSetMaxSpeed", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            long bandwidth = a.readHyper("bandwidth");
            c.migrateSetMaxSpeed(d, bandwidth, a.readInt("flags"));
        });
        put(t, Procedures.DOMAIN_MIGRATE_SET_MAX_DOWNTIME, "virDomainMigrateSetMaxDowntime", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            long downtime = a.readHyper("downtime");
            c.migrateSetMaxDowntime(d, downtime, a.readInt("flags"));
        });
    }

    private static void writeState(XdrWriter w, DomainState s) {
        w.writeInt(s.state()).writeInt(s.reason());
    }

    private static void writeJobStats(XdrWriter w, JobStats s) {
        w.writeInt(s.type());
        RemoteCodec.writeParams(w, s.params());
    }
}
