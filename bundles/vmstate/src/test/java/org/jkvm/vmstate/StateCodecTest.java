package org.jkvm.vmstate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class StateCodecTest {
    @Test
    void roundTripsEveryTypeBigEndian() {
        StateWriter w = new StateWriter().u8(0xAB).bool(true).u16(0xBEEF).u32(0xDEADBEEF).u64(0x0102030405060708L)
                .bytes(new byte[] {9, 8}).string("héllo").longs(new long[] {-1L, 7L});
        byte[] out = w.toByteArray();
        assertEquals(0xAB, out[0] & 0xFF);
        assertEquals(0xBE, out[2] & 0xFF, "u16 is big-endian");
        assertEquals(0x01, out[8], "u64 is big-endian");
        StateReader r = new StateReader(out, "t#0");
        assertEquals(0xAB, r.u8());
        assertTrue(r.bool());
        assertEquals(0xBEEF, r.u16());
        assertEquals(0xDEADBEEF, r.u32());
        assertEquals(0x0102030405060708L, r.u64());
        assertArrayEquals(new byte[] {9, 8}, r.bytes(2));
        assertEquals("héllo", r.string(100));
        assertArrayEquals(new long[] {-1L, 7L}, r.longs(2));
        r.expectEnd();
    }

    @Test
    void truncatedInputNamesTheSectionAndOffset() {
        StateReader r = new StateReader(new byte[] {0, 0, 0}, "serial#0");
        VmStateException e = assertThrows(VmStateException.class, r::u32);
        assertTrue(e.getMessage().contains("serial#0"), e.getMessage());
        assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
    }

    @Test
    void lengthsAreCappedBeforeAllocating() {
        byte[] huge = new StateWriter().u32(Integer.MAX_VALUE).toByteArray();
        VmStateException e = assertThrows(VmStateException.class, () -> new StateReader(huge, "x#0").bytes(1024));
        assertTrue(e.getMessage().contains("more than the 1024 allowed"), e.getMessage());
        assertThrows(VmStateException.class, () -> new StateReader(huge, "x#0").longs(10));
        byte[] longString = new StateWriter().u16(500).toByteArray();
        assertThrows(VmStateException.class, () -> new StateReader(longString, "x#0").string(100));
    }

    @Test
    void badBooleanAndBadUtf8AreRefused() {
        assertThrows(VmStateException.class, () -> new StateReader(new byte[] {2}, "x#0").bool());
        byte[] bad = new StateWriter().u16(1).u8(0xFF).toByteArray();
        VmStateException e = assertThrows(VmStateException.class, () -> new StateReader(bad, "x#0").string(10));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void subsectionsAreReadByNameAndLeftoversDetected() {
        byte[] out = new StateWriter().u32(5).subsection("tsc_khz", s -> s.u32(2_000_000))
                .subsection("extra", s -> s.u8(1)).toByteArray();
        StateReader r = new StateReader(out, "cpu#0");
        assertEquals(5, r.u32());
        Map<String, StateReader> subs = r.subsections();
        assertEquals(2, subs.size());
        assertEquals(2_000_000, subs.get("tsc_khz").u32());
        StateReader extra = subs.get("extra");
        assertFalse(extra.remaining() == 0);
        assertEquals(1, extra.u8());
        extra.expectEnd();
        StateReader leftover = new StateReader(new byte[] {1, 2}, "cpu#0");
        leftover.u8();
        assertThrows(VmStateException.class, leftover::expectEnd);
    }

    @Test
    void sectionValidatesNameAndCopiesPayload() {
        byte[] p = {1, 2, 3};
        StateSection s = new StateSection("virtio-rng", 1, 2, p);
        p[0] = 9;
        assertEquals(1, s.payload()[0]);
        assertEquals("virtio-rng#1", s.label());
        assertThrows(VmStateException.class, () -> new StateSection("Bad Name", 0, 1, p));
        assertThrows(VmStateException.class, () -> new StateSection("ok", 0, 0, p));
        assertThrows(VmStateException.class, () -> new StateSection("ok", 0, 1,
                new byte[StateSection.MAX_PAYLOAD_BYTES + 1]));
        assertEquals(new StateSection("a", 0, 1, new byte[] {1}), new StateSection("a", 0, 1, new byte[] {1}));
    }
}
