package org.jkvm.rpc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.TypedParam;
import org.jkvm.remote.spi.DriverConnection;

/**
 * Migration v3 for {@link TestDriver}: no data moves, but every phase changes domain states as libvirt's do, and
 * peer-to-peer drives the destination through {@link RemoteClient}. Each phase is logged in
 * {@link TestDriver#calls} so tests can check what the real clients sent.
 */
final class TestMigration {
    static final String DATA_URI = "tcp://127.0.0.1:49152";

    private TestMigration() {
    }

    static String describe(String phase, List<TypedParam> params, int flags) {
        List<String> names = new ArrayList<>();
        for (TypedParam p : params) {
            names.add(p instanceof TypedParam.Str s && !p.name().equals(MigrationParams.DEST_XML)
                    ? p.name() + "=" + s.value() : p.name());
        }
        return phase + " flags=0x" + Integer.toHexString(flags) + " params=" + names;
    }

    static MigrationResults.Begin begin(TestDriver d, DomainRef dom, List<TypedParam> params, int flags) {
        TestDriver.Dom src = d.find(dom);
        d.calls.add(describe("begin", params, flags));
        if (src.id < 0) {
            throw LibvirtError.operationInvalid("domain is not running");
        }
        return new MigrationResults.Begin(("begin:" + src.name).getBytes(StandardCharsets.UTF_8), src.xml);
    }

    static MigrationResults.Prepare prepare(TestDriver d, DriverConnection c, List<TypedParam> params,
                                            byte[] cookie, int flags) {
        d.calls.add(describe("prepare", params, flags) + " cookie=" + new String(cookie, StandardCharsets.UTF_8));
        String xml = TypedParam.string(params, MigrationParams.DEST_XML)
                .orElseThrow(() -> LibvirtError.invalidArg("destination_xml is missing"));
        DomainRef ref = c.defineXml(xml, 0);
        TestDriver.Dom in = d.domains.get(ref.uuid());
        in.persistent = false;
        in.id = 100;
        in.state = new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION);
        String uri = TypedParam.string(params, MigrationParams.URI).orElse(null);
        return new MigrationResults.Prepare("prepare".getBytes(StandardCharsets.UTF_8), uri == null ? DATA_URI : null);
    }

    static byte[] perform(TestDriver d, DriverConnection c, DomainRef dom, String dconnuri, List<TypedParam> params,
                          byte[] cookie, int flags) {
        TestDriver.Dom src = d.find(dom);
        d.calls.add(describe("perform", params, flags) + " dconnuri=" + dconnuri);
        if ((flags & MigrationParams.PEER2PEER) != 0) {
            peerToPeer(d, c, dom, dconnuri, params, flags);
            return new byte[0];
        }
        src.state = new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION);
        return "perform".getBytes(StandardCharsets.UTF_8);
    }

    private static void peerToPeer(TestDriver d, DriverConnection c, DomainRef dom, String dconnuri,
                                   List<TypedParam> params, int flags) {
        try (RemoteClient dst = RemoteClient.connect(dconnuri, false)) {
            if (!dst.supportsFeature(4) || !dst.supportsFeature(13)) {
                throw LibvirtError.operationFailed("destination does not support p2p migration with parameters");
            }
            MigrationResults.Begin b = c.migrateBegin3(dom, params, flags);
            List<TypedParam> prep = new ArrayList<>(params);
            prep.add(new TypedParam.Str(MigrationParams.DEST_XML, b.xml()));
            MigrationResults.Prepare p = dst.migratePrepare3(prep, b.cookie(), flags);
            d.find(dom).state = new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION);
            List<TypedParam> fin = new ArrayList<>(params);
            fin.add(new TypedParam.Str(MigrationParams.URI, p.uriOut()));
            fin.add(new TypedParam.Str(MigrationParams.DEST_NAME, dom.name()));
            MigrationResults.Finish f = dst.migrateFinish3(fin, p.cookie(), flags, false);
            c.migrateConfirm3(dom, params, f.cookie(), flags, false);
        }
    }

    static MigrationResults.Finish finish(TestDriver d, DriverConnection c, List<TypedParam> params, byte[] cookie,
                                          int flags, boolean cancelled) {
        d.calls.add(describe("finish", params, flags) + " cancelled=" + cancelled);
        String name = TypedParam.string(params, MigrationParams.DEST_NAME)
                .orElseThrow(() -> LibvirtError.invalidArg("destination_name is missing"));
        TestDriver.Dom in = d.find(c.lookupByName(name));
        if (cancelled) {
            d.domains.remove(in.uuid);
            throw LibvirtError.migrateFinishOk();
        }
        in.persistent = (flags & MigrationParams.PERSIST_DEST) != 0;
        in.state = (flags & MigrationParams.PAUSED) != 0
                ? new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION)
                : new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATED);
        return new MigrationResults.Finish(in.ref(), "finish".getBytes(StandardCharsets.UTF_8));
    }

    static void confirm(TestDriver d, DomainRef dom, List<TypedParam> params, byte[] cookie, int flags,
                        boolean cancelled) {
        TestDriver.Dom src = d.find(dom);
        d.calls.add(describe("confirm", params, flags) + " cancelled=" + cancelled + " cookie="
                + new String(cookie, StandardCharsets.UTF_8));
        if (cancelled) {
            src.state = new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATION_CANCELED);
            return;
        }
        src.id = -1;
        src.state = new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_MIGRATED);
        if ((flags & MigrationParams.UNDEFINE_SOURCE) != 0) {
            d.domains.remove(src.uuid);
        }
    }
}
