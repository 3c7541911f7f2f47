package org.jkvm.xdr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

class XdrTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void stringIsLengthBytesAndPadding() {
        byte[] out = new XdrWriter().writeString("jkvm:///system", 100).toByteArray();
        assertArrayEquals(hex("0000000e 6a6b766d 3a2f2f2f 73797374 656d0000"), out);
        assertEquals("jkvm:///system", XdrReader.of(out).readString(100, "name"));
    }

    @Test
    void primitivesRoundTrip() {
        XdrWriter w = new XdrWriter(4);
        w.writeInt(-5).writeUnsignedInt(0xFFFF_FFFFL).writeHyper(Long.MIN_VALUE).writeDouble(1.5).writeBool(true)
                .writeFixedOpaque(new byte[] {1, 2, 3}, 3).writeOpaque(new byte[] {9}, 10)
                .writeOptionalString(null, 10).writeOptionalString("x", 10)
                .writeArray(List.of(1, 2, 3), 5, XdrWriter::writeInt);
        XdrReader r = XdrReader.of(w.toByteArray());
        assertEquals(-5, r.readInt("a"));
        assertEquals(0xFFFF_FFFFL, r.readUnsignedInt("b"));
        assertEquals(Long.MIN_VALUE, r.readHyper("c"));
        assertEquals(1.5, r.readDouble("d"));
        assertTrue(r.readBool("e"));
        assertArrayEquals(new byte[] {1, 2, 3}, r.readFixedOpaque(3, "f"));
        assertArrayEquals(new byte[] {9}, r.readOpaque(10, "g"));
        assertNull(r.readOptionalString(10, "h"));
        assertEquals("x", r.readOptionalString(10, "i"));
        assertEquals(List.of(1, 2, 3), r.readArray(5, rr -> rr.readInt("n"), "j"));
        r.expectEnd("all");
    }

    @Test
    void truncationNamesTheField() {
        XdrException e = assertThrows(XdrException.class, () -> XdrReader.of(hex("00000010 6a6b")).readString(100,
                "name"));
        assertTrue(e.getMessage().contains("name"), e.getMessage());
        assertThrows(XdrException.class, () -> XdrReader.of(hex("0000")).readInt("x"));
        assertThrows(XdrException.class, () -> XdrReader.of(hex("00000001 000000")).readHyper("x"));
    }

    @Test
    void oversizeIsRefusedBeforeAllocating() {
        XdrException e = assertThrows(XdrException.class,
                () -> XdrReader.of(hex("7fffffff")).readOpaque(4_194_304, "cookie"));
        assertTrue(e.getMessage().contains("maximum"), e.getMessage());
        // a huge array count with little data behind it is truncated input, refused before the list is sized
        assertThrows(XdrException.class, () -> XdrReader.of(hex("00003000 00000001")).readArray(16384,
                r -> r.readInt("i"), "ids"));
        assertThrows(XdrException.class, () -> new XdrWriter().writeString("abcdef", 3));
    }

    @Test
    void badBoolAndTrailingBytesAreErrors() {
        assertThrows(XdrException.class, () -> XdrReader.of(hex("00000002")).readBool("b"));
        XdrReader r = XdrReader.of(hex("00000001 00000000"));
        r.readInt("a");
        assertThrows(XdrException.class, () -> r.expectEnd("args"));
    }
}
