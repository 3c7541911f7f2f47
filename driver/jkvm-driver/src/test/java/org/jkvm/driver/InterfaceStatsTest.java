package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.remote.LibvirtError;
import org.junit.jupiter.api.Test;

/**
 * domifstat's counters come from the NIC's tap on this host, turned to the guest's side; checked against the
 * loopback interface, which every network namespace has (its rx and tx counters are equal, so the order is checked
 * by the byte and packet positions).
 */
class InterfaceStatsTest {
    private static final String XML = "<domain type='qemu'><name>n</name><memory unit='KiB'>65536</memory>"
            + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
            + "<interface type='ethernet'><mac address='52:54:00:00:00:09'/><target dev='lo' managed='no'/>"
            + "<model type='virtio'/></interface>"
            + "<interface type='bridge'><mac address='52:54:00:00:00:0a'/><source bridge='br0'/>"
            + "<model type='virtio'/></interface></devices></domain>";

    private static long sysfs(String name) throws Exception {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net/lo/statistics", name)).strip());
    }

    @Test
    void countersOfTheTapByNameOrMac() throws Exception {
        long before = sysfs("tx_packets");
        long[] byName = InterfaceStats.of(XML, "lo");
        long[] byMac = InterfaceStats.of(XML, "52:54:00:00:00:09");
        assertEquals(8, byName.length);
        assertTrue(byName[1] >= before && byName[1] <= sysfs("tx_packets"), "rx_packets is the tap's tx_packets");
        assertTrue(byMac[0] >= byName[0], "counters only grow");
        assertTrue(byName[0] > 0 || byName[1] == 0);
    }

    @Test
    void unknownOrUnnamedInterfacesAreRefused() {
        LibvirtError e = assertThrows(LibvirtError.class, () -> InterfaceStats.of(XML, "vnet9"));
        assertEquals("invalid path, 'vnet9' is not a known interface", e.getMessage().replaceFirst("^.*: invalid",
                "invalid"));
        LibvirtError unnamed = assertThrows(LibvirtError.class, () -> InterfaceStats.of(XML, "52:54:00:00:00:0a"));
        assertTrue(unnamed.getMessage().contains("give it <target dev='TAP'/>"), unnamed.getMessage());
    }
}
