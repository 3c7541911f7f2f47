package org.jkvm.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.VmConfigParser;
import org.junit.jupiter.api.Test;

/** {@code -netdev} and {@code -device virtio-net-pci} in QEMU's spellings, and one sentence per bad input. */
class NetOptionsTest {
    private static String error(List<String> netdevs, List<String> devices) {
        return assertThrows(EngineException.class, () -> NetOptions.parse(netdevs, devices, Set.of())).getMessage();
    }

    @Test
    void qemuSpellingsGiveNicsWithSlotsMacsAndBackends() {
        VmConfig c = VmConfigParser.parse(List.of("-netdev", "tap,id=hostnet0,ifname=vnet0,script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:AB:cd:01,addr=0x3",
                "-netdev", "bridge,id=hostnet1,br=br0", "-device", "virtio-net-pci,netdev=hostnet1"));
        List<NetOptions.Nic> nics = c.net().nics();
        assertEquals(2, nics.size());
        assertEquals(new NetOptions.Nic("net0", "hostnet0", "vnet0", "", NetOptions.parseMac("52:54:00:ab:cd:01"), 3),
                nics.get(0));
        assertEquals("52:54:00:12:34:57", nics.get(1).mac().toString()); // QEMU's default for the second NIC
        assertEquals("br0", nics.get(1).bridge());
        assertEquals(-1, nics.get(1).slot());
        assertEquals("net1", nics.get(1).id());
    }

    @Test
    void globalMigrationAnnouncePropertiesSetTheScheduleAsOnQemu() {
        assertEquals(AnnounceTiming.DEFAULT, VmConfigParser.parse(List.of()).net().timing());
        VmConfig off = VmConfigParser.parse(List.of("-global", "migration.announce-rounds=0", "-global",
                "migration.announce-step=20"));
        assertEquals(new AnnounceTiming(50, 550, 0, 20), off.net().timing());
        assertEquals("-global virtio-net-pci.mq=on is not supported; the engine takes only "
                + "-global migration.announce-{initial,max,rounds,step}=N", assertThrows(EngineException.class,
                () -> VmConfigParser.parse(List.of("-global", "virtio-net-pci.mq=on"))).getMessage());
        assertEquals("-global migration.announce-rounds=x: 'x' is not a number; give whole milliseconds (or a count "
                + "for announce-rounds)", assertThrows(EngineException.class,
                () -> VmConfigParser.parse(List.of("-global", "migration.announce-rounds=x"))).getMessage());
        assertEquals("announce-max 10 is below announce-initial 50; give a maximum at least the initial gap",
                assertThrows(EngineException.class,
                () -> VmConfigParser.parse(List.of("-global", "migration.announce-max=10"))).getMessage());
        assertTrue(assertThrows(EngineException.class, () -> VmConfigParser.parse(List.of("-global",
                "migration.announce-often=1"))).getMessage().startsWith("'announce-often' is not an announce"));
    }

    @Test
    void badInputIsOneSentenceNamingIt() {
        assertEquals("mac=52:54:00:zz:00:01: '52:54:00:zz:00:01' is not a MAC address; write six hex pairs separated "
                + "by colons, e.g. 52:54:00:12:34:56", error(List.of("tap,id=n"),
                List.of("virtio-net-pci,netdev=n,mac=52:54:00:zz:00:01")));
        assertTrue(error(List.of("tap,id=n"), List.of("virtio-net-pci,netdev=n,mac=01:00:5e:00:00:01"))
                .contains("is a multicast address"));
        assertTrue(error(List.of("tap,id=n"), List.of("virtio-net-pci,netdev=m")).contains("netdev 'm', which no "
                + "-netdev defines"));
        assertTrue(error(List.of("tap,id=n"), List.of()).contains("is used by no device"));
        assertTrue(error(List.of("user,id=n"), List.of("virtio-net-pci,netdev=n")).contains("type 'user' is not "
                + "supported"));
        assertTrue(error(List.of("tap,id=n,script=/etc/qemu-ifup"), List.of("virtio-net-pci,netdev=n"))
                .contains("jkvm runs no scripts"));
        assertTrue(error(List.of("bridge,id=n"), List.of("virtio-net-pci,netdev=n")).contains("has no br="));
        assertTrue(error(List.of("tap,id=n", "tap,id=m"), List.of("virtio-net-pci,netdev=n,mac=52:54:00:00:00:01",
                "virtio-net-pci,netdev=m,mac=52:54:00:00:00:01")).contains("is given to another NIC"));
        EngineException slot = assertThrows(EngineException.class, () -> VmConfigParser.parse(List.of("-drive",
                "file=/x.img,format=raw,if=none,id=d", "-device", "virtio-blk-pci,drive=d,addr=4",
                "-netdev", "tap,id=n",
                "-device", "virtio-net-pci,netdev=n,addr=4")));
        assertTrue(slot.getMessage().contains("PCI slot 4 is taken by another device"), slot.getMessage());
    }

    @Test
    void announceTimingFollowsQemusDefaultsAndRanges() {
        AnnounceTiming t = AnnounceTiming.DEFAULT;
        long at = 0;
        StringBuilder times = new StringBuilder("0");
        for (int r = 0; r + 1 < t.rounds(); r++) {
            at += t.gapAfter(r);
            times.append(',').append(at);
        }
        assertEquals("0,50,200,450,800", times.toString());
        assertEquals(0, t.with("announce-rounds", 0).rounds());
        assertThrows(EngineException.class, () -> t.with("announce-max", 10));
        assertThrows(EngineException.class, () -> t.with("announce-initial", 0));
        assertThrows(EngineException.class, () -> t.with("announce-speed", 1));
    }

    @Test
    void theRarpFrameIsQemusAnnouncement() {
        var f = Rarp.frame(NetOptions.parseMac("52:54:00:12:34:56"));
        byte[] b = new byte[f.remaining()];
        f.get(b);
        assertEquals(60, b.length);
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 42; i++) {
            hex.append(String.format("%02x", b[i]));
        }
        assertEquals("ffffffffffff" + "525400123456" + "8035" + "0001" + "0800" + "06" + "04" + "0003"
                + "525400123456" + "00000000" + "525400123456" + "00000000", hex.toString());
        for (int i = 42; i < 60; i++) {
            assertEquals(0, b[i]);
        }
    }
}
