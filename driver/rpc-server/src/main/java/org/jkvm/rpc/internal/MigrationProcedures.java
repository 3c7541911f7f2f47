package org.jkvm.rpc.internal;

import static org.jkvm.rpc.internal.ProcedureTable.put;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.TypedParam;
import org.jkvm.rpc.internal.Handler.Entry;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/**
 * Migration v3: the {@code *_PARAMS} procedures (302-307) and the legacy ones (213-218) that libvirt-java's
 * {@code Domain.migrate} sends. Legacy arguments are turned into the same typed parameters, so the driver
 * implements each phase once. Legacy flags are 64-bit on the wire; no flag uses the high half.
 */
final class MigrationProcedures {
    private MigrationProcedures() {
    }

    static void register(Entry[] t) {
        put(t, Procedures.DOMAIN_MIGRATE_BEGIN3_PARAMS, "virDomainMigrateBegin3Params", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            List<TypedParam> params = RemoteCodec.readParams(a);
            writeBegin(r, c.migrateBegin3(d, params, a.readInt("flags")));
        });
        put(t, Procedures.DOMAIN_MIGRATE_PREPARE3_PARAMS, "virDomainMigratePrepare3Params", true, (c, a, r) -> {
            List<TypedParam> params = RemoteCodec.readParams(a);
            byte[] cookie = RemoteCodec.readCookie(a);
            writePrepare(r, c.migratePrepare3(params, cookie, a.readInt("flags")));
        });
        put(t, Procedures.DOMAIN_MIGRATE_PERFORM3_PARAMS, "virDomainMigratePerform3Params", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String dconnuri = RemoteCodec.readOptionalString(a, "dconnuri");
            List<TypedParam> params = RemoteCodec.readParams(a);
            byte[] cookie = RemoteCodec.readCookie(a);
            RemoteCodec.writeCookie(r, c.migratePerform3(d, dconnuri, params, cookie, a.readInt("flags")));
        });
        put(t, Procedures.DOMAIN_MIGRATE_FINISH3_PARAMS, "virDomainMigrateFinish3Params", true, (c, a, r) -> {
            List<TypedParam> params = RemoteCodec.readParams(a);
            byte[] cookie = RemoteCodec.readCookie(a);
            int flags = a.readInt("flags");
            writeFinish(r, c.migrateFinish3(params, cookie, flags, a.readInt("cancelled") != 0));
        });
        put(t, Procedures.DOMAIN_MIGRATE_CONFIRM3_PARAMS, "virDomainMigrateConfirm3Params", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            List<TypedParam> params = RemoteCodec.readParams(a);
            byte[] cookie = RemoteCodec.readCookie(a);
            int flags = a.readInt("flags");
            c.migrateConfirm3(d, params, cookie, flags, a.readInt("cancelled") != 0);
        });
        legacy(t);
    }

    private static void legacy(Entry[] t) {
        put(t, Procedures.DOMAIN_MIGRATE_BEGIN3, "virDomainMigrateBegin3", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String xmlin = RemoteCodec.readOptionalString(a, "xmlin");
            int flags = flags64(a);
            String dname = RemoteCodec.readOptionalString(a, "dname");
            long resource = a.readHyper("resource");
            writeBegin(r, c.migrateBegin3(d, params(xmlin, dname, resource, null), flags));
        });
        put(t, Procedures.DOMAIN_MIGRATE_PREPARE3, "virDomainMigratePrepare3", true, (c, a, r) -> {
            byte[] cookie = RemoteCodec.readCookie(a);
            String uriIn = RemoteCodec.readOptionalString(a, "uri_in");
            int flags = flags64(a);
            String dname = RemoteCodec.readOptionalString(a, "dname");
            long resource = a.readHyper("resource");
            String domXml = RemoteCodec.readString(a, "dom_xml");
            writePrepare(r, c.migratePrepare3(params(domXml, dname, resource, uriIn), cookie, flags));
        });
        put(t, Procedures.DOMAIN_MIGRATE_PERFORM3, "virDomainMigratePerform3", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            String xmlin = RemoteCodec.readOptionalString(a, "xmlin");
            byte[] cookie = RemoteCodec.readCookie(a);
            String dconnuri = RemoteCodec.readOptionalString(a, "dconnuri");
            String uri = RemoteCodec.readOptionalString(a, "uri");
            int flags = flags64(a);
            String dname = RemoteCodec.readOptionalString(a, "dname");
            long resource = a.readHyper("resource");
            List<TypedParam> params = params(xmlin, dname, resource, uri);
            RemoteCodec.writeCookie(r, c.migratePerform3(d, dconnuri, params, cookie, flags));
        });
        put(t, Procedures.DOMAIN_MIGRATE_FINISH3, "virDomainMigrateFinish3", true, (c, a, r) -> {
            String dname = RemoteCodec.readString(a, "dname");
            byte[] cookie = RemoteCodec.readCookie(a);
            RemoteCodec.readOptionalString(a, "dconnuri");
            String uri = RemoteCodec.readOptionalString(a, "uri");
            int flags = flags64(a);
            boolean cancelled = a.readInt("cancelled") != 0;
            writeFinish(r, c.migrateFinish3(params(null, dname, 0, uri), cookie, flags, cancelled));
        });
        put(t, Procedures.DOMAIN_MIGRATE_CONFIRM3, "virDomainMigrateConfirm3", true, (c, a, r) -> {
            DomainRef d = RemoteCodec.readDomain(a);
            byte[] cookie = RemoteCodec.readCookie(a);
            int flags = flags64(a);
            c.migrateConfirm3(d, List.of(), cookie, flags, a.readInt("cancelled") != 0);
        });
    }

    /** The typed parameters equivalent to legacy arguments; absent (null or 0) ones are left out. */
    static List<TypedParam> params(String xml, String dname, long resourceMiB, String uri) {
        List<TypedParam> p = new ArrayList<>(4);
        if (xml != null) {
            p.add(new TypedParam.Str(MigrationParams.DEST_XML, xml));
        }
        if (dname != null) {
            p.add(new TypedParam.Str(MigrationParams.DEST_NAME, dname));
        }
        if (resourceMiB != 0) {
            p.add(new TypedParam.ULLong(MigrationParams.BANDWIDTH, resourceMiB));
        }
        if (uri != null) {
            p.add(new TypedParam.Str(MigrationParams.URI, uri));
        }
        return p;
    }

    private static int flags64(XdrReader a) {
        return (int) a.readHyper("flags");
    }

    private static void writeBegin(XdrWriter r, MigrationResults.Begin b) {
        RemoteCodec.writeCookie(r, b.cookie());
        r.writeString(b.xml(), Programs.STRING_MAX);
    }

    private static void writePrepare(XdrWriter r, MigrationResults.Prepare p) {
        RemoteCodec.writeCookie(r, p.cookie());
        r.writeOptionalString(p.uriOut(), Programs.STRING_MAX);
    }

    private static void writeFinish(XdrWriter r, MigrationResults.Finish f) {
        RemoteCodec.writeDomain(r, f.domain());
        RemoteCodec.writeCookie(r, f.cookie());
    }
}
