package org.jkvm.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.jkvm.xdr.XdrException;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;
import org.junit.jupiter.api.Test;

/** Golden bytes from the reference's Appendix A (captured from virsh 9.0). */
class RemoteCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", "").replace("\n", ""));
    }

    private static final UUID VM1 = UUID.fromString("11111111-2222-3333-4444-555555555555");

    @Test
    void getStateCallMatchesCapture() {
        byte[] wire = hex("0000003c 20008086 00000001 000000d4 00000000 00000007 00000000"
                + "00000003 766d3100 11111111 22223333 44445555 55555555 00000001 00000000");
        XdrReader r = XdrReader.of(wire);
        assertEquals(0x3c, r.readInt("len"));
        MessageHeader h = MessageHeader.read(r);
        assertEquals(MessageHeader.call(Procedures.DOMAIN_GET_STATE, 7), h);
        assertEquals(new DomainRef("vm1", VM1, 1), RemoteCodec.readDomain(r));
        assertEquals(0, r.readInt("flags"));
        r.expectEnd("args");

        XdrWriter w = new XdrWriter();
        w.writeInt(0x3c);
        h.write(w);
        RemoteCodec.writeDomain(w, new DomainRef("vm1", VM1, 1));
        w.writeInt(0);
        assertArrayEquals(wire, w.toByteArray());
    }

    @Test
    void errorReplyMatchesCapture() {
        String msg = "Domain not found: no domain with matching name 'x'";
        XdrWriter w = new XdrWriter();
        w.writeInt(0);
        new MessageHeader(Programs.REMOTE, 1, Procedures.DOMAIN_LOOKUP_BY_NAME, 0, 6, 0).reply(Programs.STATUS_ERROR)
                .write(w);
        RemoteCodec.writeError(w, LibvirtError.noDomain("no domain with matching name 'x'"));
        w.putIntAt(0, w.position());
        String expected = "00000080 20008086 00000001 00000017 00000001 00000006 00000001"
                + "0000002a 0000000a 00000001 00000032"
                + HexFormat.of().formatHex(msg.getBytes(StandardCharsets.US_ASCII))
                + "0000" + "00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000000";
        assertArrayEquals(hex(expected), w.toByteArray());

        XdrReader r = XdrReader.of(w.toByteArray());
        r.readInt("len");
        MessageHeader.read(r);
        LibvirtError e = RemoteCodec.readError(r);
        assertEquals(42, e.code());
        assertEquals(10, e.domain());
        assertEquals(msg, e.getMessage());
    }

    @Test
    void domainInfoMatchesCapture() {
        XdrWriter w = new XdrWriter();
        RemoteCodec.writeDomainInfo(w, new DomainInfo(1, 1 << 20, 1 << 20, 2, 12_345_678_900L));
        assertArrayEquals(hex("00000001 00000000 00100000 00000000 00100000 00000002 00000002 dfdc1c34"),
                w.toByteArray());
        assertEquals(new DomainInfo(1, 1 << 20, 1 << 20, 2, 12_345_678_900L),
                RemoteCodec.readDomainInfo(XdrReader.of(w.toByteArray())));
    }

    @Test
    void typedParamMatchesCapture() {
        XdrWriter w = new XdrWriter();
        RemoteCodec.writeTypedParam(w, new TypedParam.ULLong("bandwidth", 50));
        assertArrayEquals(hex("00000009 62616e64 77696474 68000000 00000004 00000000 00000032"), w.toByteArray());
    }

    @Test
    void everyTypedParamKindRoundTrips() {
        List<TypedParam> params = List.of(new TypedParam.Int("a", -1), new TypedParam.UInt("b", -2),
                new TypedParam.LLong("c", -3), new TypedParam.ULLong("d", Long.MAX_VALUE),
                new TypedParam.Dbl("e", 2.5), new TypedParam.Bool("f", true), new TypedParam.Str("g", "tcp://h:1"));
        XdrWriter w = new XdrWriter();
        RemoteCodec.writeParams(w, params);
        XdrReader r = XdrReader.of(w.toByteArray());
        assertEquals(params, RemoteCodec.readParams(r));
        r.expectEnd("params");
        assertEquals("tcp://h:1", TypedParam.string(params, "g").orElseThrow());
        assertEquals(Long.MAX_VALUE, TypedParam.number(params, "d").orElseThrow());
    }

    @Test
    void unknownTypeCodeIsAnError() {
        XdrWriter w = new XdrWriter();
        w.writeString("x", 79).writeInt(9).writeInt(0);
        assertThrows(XdrException.class, () -> RemoteCodec.readTypedParam(XdrReader.of(w.toByteArray())));
    }

    @Test
    void nodeInfoModelIsWidened() {
        NodeInfo n = new NodeInfo("x86_64", 24L << 20, 2, 2400, 1, 1, 2, 1);
        XdrWriter w = new XdrWriter();
        RemoteCodec.writeNodeInfo(w, n);
        assertEquals(128 + 8 + 24, w.position());
        assertEquals(n, RemoteCodec.readNodeInfo(XdrReader.of(w.toByteArray())));
    }

    @Test
    void featureDefaultsSelectParamsP2pAndKeepalive() {
        for (int f : new int[] {4, 6, 9, 10, 13}) {
            assertEquals(true, Features.defaultSupported(f), "feature " + f);
        }
        for (int f : new int[] {1, 3, 5, 8, 12, 16, 99}) {
            assertEquals(false, Features.defaultSupported(f), "feature " + f);
        }
    }
}
