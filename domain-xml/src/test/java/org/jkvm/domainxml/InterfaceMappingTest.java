package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.domainxml.model.Interface;
import org.junit.jupiter.api.Test;

/**
 * {@code <interface type='ethernet'|'bridge'>} with a virtio model becomes the engine's tap NIC; the slot and MAC are
 * assigned as libvirt does when absent (NICs before disks); bad input is one sentence each.
 */
class InterfaceMappingTest {
    private static final String NICS = "<interface type='bridge'><mac address='52:54:00:AA:00:01'/>"
            + "<source bridge='br0'/><model type='virtio'/></interface>"
            + "<interface type='ethernet'><target dev='tap7' managed='no'/><model type='virtio'/>"
            + "<address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></interface>";

    private static DomainDefinition def(String devices) {
        String g = Fixtures.guestWith("<memballoon model='none'/>", "<memballoon model='none'/>" + devices);
        // without the fixture's type='network' NIC (not emulated), whose slot 3 would stay reserved
        g = g.substring(0, g.indexOf("<interface type='network'>")) + g.substring(g.indexOf("</interface>") + 12);
        return DomainXml.parse(g).withUuidIfAbsent();
    }

    @Test
    void bridgeAndEthernetNicsBecomeTapsWithVirtioNet() {
        DomainDefinition d = PciSlots.assign(def(NICS));
        List<Interface> nics = d.devices(Interface.class);
        assertEquals("0x02", nics.get(0).address.slot); // the first free slot, as libvirt gives a NIC
        assertTrue(InterfaceMapping.validMac(nics.get(1).mac.address), nics.get(1).mac.address);
        assertTrue(nics.get(1).mac.address.startsWith("52:54:00:"));
        String args = String.join(" ", InterfaceMapping.engineArgs(d.model()));
        assertEquals("-netdev tap,id=hostnet0,ifname=vnet%d,br=br0 -device virtio-net-pci,netdev=hostnet0,id=net0,"
                + "mac=52:54:00:aa:00:01,addr=0x2 -netdev tap,id=hostnet1,ifname=tap7,script=no,downscript=no "
                + "-device virtio-net-pci,netdev=hostnet1,id=net1,mac=" + nics.get(1).mac.address + ",addr=0x7", args);
        assertEquals(List.of("tap7"), InterfaceMapping.unmanagedTaps(d.model()));
        assertTrue(JkvmSupport.check(d).errors().isEmpty(), JkvmSupport.check(d).errors().toString());
    }

    @Test
    void badNicsAreOneSentenceEach() {
        List<Problem> e = JkvmSupport.check(def("<interface type='bridge'><mac address='01:00:5e:00:00:01'/>"
                + "<model type='e1000'/></interface>")).errors();
        assertEquals("[devices/interface[1]/model: NIC model 'e1000' is not supported; jkvm emulates virtio-net, so"
                + " give <model type='virtio'/>, devices/interface[1]/source: a type='bridge' interface needs <source"
                + " bridge='BRIDGE'/>, devices/interface[1]/mac: '01:00:5e:00:00:01' is not a unicast MAC address;"
                + " write six hex pairs separated by colons with an even first byte, e.g. 52:54:00:12:34:56]",
                e.toString());
    }
}
