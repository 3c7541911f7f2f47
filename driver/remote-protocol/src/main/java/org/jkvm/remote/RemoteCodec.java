package org.jkvm.remote;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;

import org.jkvm.xdr.XdrException;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/**
 * One codec per wire type of the remote protocol; every procedure's args and ret are built from these.
 *
 * <p>Stateless and thread-safe. Decoders throw {@link XdrException} on malformed input.
 */
public final class RemoteCodec {
    private RemoteCodec() {
    }

    /** {@code remote_uuid}: 16 raw bytes. */
    public static UUID readUuid(XdrReader r) {
        ByteBuffer b = ByteBuffer.wrap(r.readFixedOpaque(16, "uuid"));
        return new UUID(b.getLong(), b.getLong());
    }

    /** Writes a {@code remote_uuid}. */
    public static void writeUuid(XdrWriter w, UUID uuid) {
        byte[] bytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
        w.writeFixedOpaque(bytes, 16);
    }

    /** {@code remote_nonnull_string}. */
    public static String readString(XdrReader r, String field) {
        return r.readString(Programs.STRING_MAX, field);
    }

    /** {@code remote_string} (optional); null when absent. */
    public static String readOptionalString(XdrReader r, String field) {
        return r.readOptionalString(Programs.STRING_MAX, field);
    }

    /** {@code remote_nonnull_domain}: name, uuid, id. */
    public static DomainRef readDomain(XdrReader r) {
        String name = r.readString(Programs.STRING_MAX, "dom.name");
        UUID uuid = readUuid(r);
        int id = r.readInt("dom.id");
        return new DomainRef(name, uuid, id);
    }

    /** Writes a {@code remote_nonnull_domain}. */
    public static void writeDomain(XdrWriter w, DomainRef d) {
        w.writeString(d.name(), Programs.STRING_MAX);
        writeUuid(w, d.uuid());
        w.writeInt(d.id());
    }

    /** {@code remote_domain} (optional); null when absent. */
    public static DomainRef readOptionalDomain(XdrReader r) {
        return r.readOptional(RemoteCodec::readDomain, "dom");
    }

    /** {@code opaque cookie<REMOTE_MIGRATE_COOKIE_MAX>}. */
    public static byte[] readCookie(XdrReader r) {
        return r.readOpaque(Programs.COOKIE_MAX, "cookie");
    }

    /** Writes a migration cookie; null is written as empty. */
    public static void writeCookie(XdrWriter w, byte[] cookie) {
        w.writeOpaque(cookie == null ? new byte[0] : cookie, Programs.COOKIE_MAX);
    }

    /** {@code remote_typed_param}: field name, then the value union keyed by its type code. */
    public static TypedParam readTypedParam(XdrReader r) {
        String name = r.readString(Programs.FIELD_MAX, "typed param field");
        int type = r.readInt("typed param type");
        return switch (type) {
            case 1 -> new TypedParam.Int(name, r.readInt(name));
            case 2 -> new TypedParam.UInt(name, r.readInt(name));
            case 3 -> new TypedParam.LLong(name, r.readHyper(name));
            case 4 -> new TypedParam.ULLong(name, r.readHyper(name));
            case 5 -> new TypedParam.Dbl(name, r.readDouble(name));
            case 6 -> new TypedParam.Bool(name, r.readInt(name) != 0);
            case 7 -> new TypedParam.Str(name, r.readString(Programs.STRING_MAX, name));
            default -> throw new XdrException("typed parameter '" + name + "' has unknown type code " + type
                    + " (expected 1..7)");
        };
    }

    /** Writes a {@code remote_typed_param}. */
    public static void writeTypedParam(XdrWriter w, TypedParam p) {
        w.writeString(p.name(), Programs.FIELD_MAX);
        w.writeInt(p.typeCode());
        if (p instanceof TypedParam.Int v) {
            w.writeInt(v.value());
        } else if (p instanceof TypedParam.UInt v) {
            w.writeInt(v.value());
        } else if (p instanceof TypedParam.LLong v) {
            w.writeHyper(v.value());
        } else if (p instanceof TypedParam.ULLong v) {
            w.writeHyper(v.value());
        } else if (p instanceof TypedParam.Dbl v) {
            w.writeDouble(v.value());
        } else if (p instanceof TypedParam.Bool v) {
            w.writeBool(v.value());
        } else if (p instanceof TypedParam.Str v) {
            w.writeString(v.value(), Programs.STRING_MAX);
        }
    }

    /** {@code remote_typed_param params<64>}. */
    public static List<TypedParam> readParams(XdrReader r) {
        return r.readArray(Programs.PARAMS_MAX, RemoteCodec::readTypedParam, "params");
    }

    /** Writes {@code remote_typed_param params<64>}. */
    public static void writeParams(XdrWriter w, List<TypedParam> params) {
        w.writeArray(params, Programs.PARAMS_MAX, RemoteCodec::writeTypedParam);
    }

    /** {@code remote_error}: code, domain, message, level, dom, str1..3, int1, int2, net. */
    public static void writeError(XdrWriter w, LibvirtError e) {
        w.writeInt(e.code()).writeInt(e.domain());
        w.writeOptionalString(e.getMessage() == null ? "unknown error" : e.getMessage(), Programs.STRING_MAX);
        w.writeInt(ErrorCodes.LEVEL_ERROR);
        w.writeInt(0); // dom: absent
        w.writeInt(0).writeInt(0).writeInt(0); // str1, str2, str3: absent
        w.writeInt(0).writeInt(0); // int1, int2
        w.writeInt(0); // net: absent
    }

    /** Decodes a {@code remote_error} into the exception it describes. */
    public static LibvirtError readError(XdrReader r) {
        int code = r.readInt("error.code");
        int domain = r.readInt("error.domain");
        String message = readOptionalString(r, "error.message");
        r.readInt("error.level");
        readOptionalDomain(r);
        readOptionalString(r, "error.str1");
        readOptionalString(r, "error.str2");
        readOptionalString(r, "error.str3");
        r.readInt("error.int1");
        r.readInt("error.int2");
        if (r.readBool("error.net (presence)")) {
            readString(r, "error.net.name");
            readUuid(r);
        }
        return new LibvirtError(code, domain, message == null ? "unknown error (code " + code + ")" : message);
    }

    /** NODE_GET_INFO ret; {@code char model[32]} takes 4 bytes per character (rpcgen widens char). */
    public static void writeNodeInfo(XdrWriter w, NodeInfo n) {
        byte[] model = n.model().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < 32; i++) {
            // the last character stays NUL, as virNodeInfo's model is a C string
            w.writeInt(i < Math.min(model.length, 31) ? model[i] : 0);
        }
        w.writeHyper(n.memoryKiB()).writeInt(n.cpus()).writeInt(n.mhz()).writeInt(n.nodes()).writeInt(n.sockets())
                .writeInt(n.cores()).writeInt(n.threads());
    }

    /** Decodes NODE_GET_INFO ret. */
    public static NodeInfo readNodeInfo(XdrReader r) {
        StringBuilder model = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            int c = r.readInt("model");
            if (c != 0 && model.length() == i) {
                model.append((char) (c & 0xff));
            }
        }
        return new NodeInfo(model.toString(), r.readHyper("memory"), r.readInt("cpus"), r.readInt("mhz"),
                r.readInt("nodes"), r.readInt("sockets"), r.readInt("cores"), r.readInt("threads"));
    }

    /** DOMAIN_GET_INFO ret: state (widened uchar), maxMem, memory, nrVirtCpu (widened ushort), cpuTime. */
    public static void writeDomainInfo(XdrWriter w, DomainInfo i) {
        w.writeInt(i.state()).writeHyper(i.maxMemKiB()).writeHyper(i.memoryKiB()).writeInt(i.vcpus())
                .writeHyper(i.cpuTimeNs());
    }

    /** Decodes DOMAIN_GET_INFO ret. */
    public static DomainInfo readDomainInfo(XdrReader r) {
        return new DomainInfo(r.readInt("state") & 0xff, r.readHyper("maxMem"), r.readHyper("memory"),
                r.readInt("nrVirtCpu") & 0xffff, r.readHyper("cpuTime"));
    }

    /** DOMAIN_GET_JOB_INFO ret: type and eleven unsigned hypers. */
    public static void writeJobInfo(XdrWriter w, JobInfo j) {
        w.writeInt(j.type()).writeHyper(j.timeElapsedMs()).writeHyper(j.timeRemainingMs()).writeHyper(j.dataTotal())
                .writeHyper(j.dataProcessed()).writeHyper(j.dataRemaining()).writeHyper(j.memTotal())
                .writeHyper(j.memProcessed()).writeHyper(j.memRemaining()).writeHyper(j.fileTotal())
                .writeHyper(j.fileProcessed()).writeHyper(j.fileRemaining());
    }

    /** Decodes DOMAIN_GET_JOB_INFO ret. */
    public static JobInfo readJobInfo(XdrReader r) {
        return new JobInfo(r.readInt("type"), r.readHyper("t"), r.readHyper("t"), r.readHyper("d"),
                r.readHyper("d"), r.readHyper("d"), r.readHyper("m"), r.readHyper("m"), r.readHyper("m"),
                r.readHyper("f"), r.readHyper("f"), r.readHyper("f"));
    }
}
