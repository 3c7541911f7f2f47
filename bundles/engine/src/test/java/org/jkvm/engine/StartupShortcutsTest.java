package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** The start-up path's replacements for heavy JDK calls give the same results as the calls they replace. */
class StartupShortcutsTest {
    @Test
    void hex8FormatsLikePercent08x() {
        int[] values = {0, 1, 0xf, 0x10, 0xabc, 0x7fffffff, 0x80000000, 0xffffffff, 0x40000001, -2, 0x0000d00d};
        for (int v : values) {
            assertEquals(String.format("%08x", v), VmMigratable.hex8(v), "value " + v);
        }
    }

    @Test
    void aVmWithoutUuidGetsADistinctVersion4Uuid() {
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            UUID u = VmConfigParser.randomUuid();
            assertEquals(4, u.version(), u.toString());
            assertEquals(2, u.variant(), u.toString());
            assertEquals(u, UUID.fromString(u.toString()));
            seen.add(u);
        }
        assertEquals(1000, seen.size(), "random UUIDs repeat");
        assertNotEquals(VmConfigParser.parse(java.util.List.of()).uuid(),
                VmConfigParser.parse(java.util.List.of()).uuid());
    }
}
