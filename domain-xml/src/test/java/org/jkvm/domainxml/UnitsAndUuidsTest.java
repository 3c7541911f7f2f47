package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UnitsAndUuidsTest {
    @Test
    void everyLibvirtUnit() {
        assertEquals(1024, Units.toBytes("m", "1", null, "KiB"), "a missing unit means KiB");
        assertEquals(7, Units.toBytes("m", "7", "b", "KiB"));
        assertEquals(7, Units.toBytes("m", "7", "bytes", "KiB"));
        assertEquals(1000, Units.toBytes("m", "1", "KB", "KiB"));
        assertEquals(1024, Units.toBytes("m", "1", "k", "KiB"));
        assertEquals(1024, Units.toBytes("m", "1", "KiB", "KiB"));
        assertEquals(1024, Units.toBytes("m", "1", "kiB", "KiB"));
        assertEquals(1_000_000, Units.toBytes("m", "1", "MB", "KiB"));
        assertEquals(1 << 20, Units.toBytes("m", "1", "M", "KiB"));
        assertEquals(1 << 20, Units.toBytes("m", "1", "mib", "KiB"));
        assertEquals(1_000_000_000L, Units.toBytes("m", "1", "GB", "KiB"));
        assertEquals(1L << 30, Units.toBytes("m", "1", "G", "KiB"));
        assertEquals(1L << 30, Units.toBytes("m", "1", "GiB", "KiB"));
        assertEquals(1_000_000_000_000L, Units.toBytes("m", "1", "TB", "KiB"));
        assertEquals(1L << 40, Units.toBytes("m", "1", "T", "KiB"));
        assertEquals(1L << 40, Units.toBytes("m", "1", "TiB", "KiB"));
        assertEquals(1L << 50, Units.toBytes("m", "1", "PiB", "KiB"));
        assertEquals(1L << 60, Units.toBytes("m", "1", "EiB", "KiB"));
        assertEquals(256L << 20, Units.toBytes("m", " 256 ", " MiB ", "KiB"));
    }

    @Test
    void badSizes() {
        assertEquals("memory: '-1' is not a whole non-negative number; write the size in digits, e.g."
                + " <memory unit='MiB'>256</memory>", assertThrows(DomainXmlException.class,
                        () -> Units.toBytes("memory", "-1", "MiB", "KiB")).getMessage());
        assertEquals("memory: 16 EiB is too large", assertThrows(DomainXmlException.class,
                () -> Units.toBytes("memory", "16", "EiB", "KiB")).getMessage());
        assertFalse(Units.known("XiB"));
        assertTrue(Units.known("gib"));
        assertEquals("256 MiB", Units.human(256L << 20));
        assertEquals("1000 bytes", Units.human(1000));
    }

    @Test
    void uuidsAsLibvirtReadsThem() {
        String c = "c7a5fdbd-edaf-9455-926a-d65c16db1809";
        assertEquals(c, Uuids.canonical("uuid", "C7A5FDBD-EDAF-9455-926A-D65C16DB1809"));
        assertEquals(c, Uuids.canonical("uuid", "c7a5fdbdedaf9455926ad65c16db1809"));
        assertEquals(c, Uuids.canonical("uuid", "  c7a5fdbd-edaf-9455-926a-d65c16db1809\n"));
        assertThrows(DomainXmlException.class, () -> Uuids.canonical("uuid", "c7a5fdbd-edaf-9455-926a-d65c16db180"));
        assertThrows(DomainXmlException.class, () -> Uuids.canonical("uuid", "c-7a5fdbdedaf9455926ad65c16db1809"));
        assertThrows(DomainXmlException.class, () -> Uuids.canonical("uuid", "-c7a5fdbdedaf9455926ad65c16db1809"));
        assertNotEquals(Uuids.random(), Uuids.random());
        assertEquals(Uuids.random().length(), 36);
    }

    @Test
    void missingUuidIsGeneratedOnDefine() {
        DomainDefinition d = DomainXml.parse(Fixtures.guest().replace(
                "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>", ""));
        assertEquals(null, d.uuid());
        DomainDefinition defined = d.withUuidIfAbsent();
        assertTrue(defined.uuid().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
        assertEquals(null, d.uuid(), "the original is unchanged");
    }
}
