package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** Acceptance 2: the messages for malformed and unsupported inputs, word for word. */
class ErrorMessagesTest {
    private static String parseError(String xml) {
        return assertThrows(DomainXmlException.class, () -> DomainXml.parse(xml)).getMessage();
    }

    private static String libvirtErrors(String xml) {
        return LibvirtRules.check(DomainXml.parse(xml)).stream().map(Problem::toString)
                .collect(Collectors.joining(" | "));
    }

    private static String jkvmErrors(String xml) {
        return JkvmSupport.check(DomainXml.parse(xml)).errors().stream().map(Problem::toString)
                .collect(Collectors.joining(" | "));
    }

    @Test
    void unclosedElementGivesLineColumnAndExpectation() {
        assertEquals("domain XML: line 2, column 13: malformed XML: The element type \"name\" must be terminated by"
                + " the matching end-tag \"</name>\".", parseError("<domain type='kvm'>\n  <name>g1</nam></domain>"));
    }

    @Test
    void garbageAfterRootAndEmptyInput() {
        assertEquals("domain XML: the document is empty; expected a <domain> element", parseError(""));
        assertEquals("domain XML: line 1, column 1: malformed XML: Content is not allowed in prolog.",
                parseError("hello"));
    }

    @Test
    void wrongRootElement() {
        assertEquals("domain XML: the root element is <network>, expected <domain>; a libvirt domain definition"
                + " starts with <domain type='kvm'>", parseError("<network><name>n</name></network>"));
        assertEquals("domain XML: the <domain> element is in namespace 'urn:x'; libvirt domain XML has no namespace,"
                + " remove the xmlns attribute", parseError("<domain xmlns='urn:x' type='kvm'/>"));
    }

    @Test
    void unexpectedChildOfATextElementIsAnErrorNotASilentLoss() {
        assertEquals("domain XML: line 1, column 46: <b> is not allowed inside <memory>, which holds text only;"
                + " remove it", parseError("<domain type='kvm'><name>x</name><memory><b/></memory></domain>"));
    }

    @Test
    void contentTheModelWouldDropIsAnError() {
        assertEquals("domain XML: line 1, column 40: <name> appears more than once inside <domain>, which holds one;"
                + " remove the extra <name>", parseError("<domain type='kvm'><name>a</name><name>b</name></domain>"));
        assertEquals("domain XML: line 1, column 69: <target> appears more than once inside <disk>, which holds one;"
                + " remove the extra <target>", parseError("<domain type='kvm'><devices><disk><target dev='a'/>"
                        + "<target dev='b'/></disk></devices></domain>"));
        assertEquals("domain XML: line 1, column 36: text 'stray' is not allowed inside <devices>; remove it",
                parseError("<domain type='kvm'><devices>stray</devices></domain>"));
        // Repeats that the model keeps as lists, and anything inside kept foreign content, are fine.
        DomainXml.parse("<domain type='kvm'><os><boot dev='hd'/><boot dev='network'/></os><metadata>"
                + "<x:a xmlns:x='urn:x'><x:b/><x:b/>text</x:a></metadata><devices><disk/><disk/></devices></domain>");
    }

    @Test
    void externalEntitiesAreNotResolved() {
        String xxe = "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain type='kvm'><name>&x;</name>"
                + "</domain>";
        assertEquals("domain XML: line 1, column 84: malformed XML: The entity \"x\" was referenced, but not"
                + " declared.", parseError(xxe));
    }

    @Test
    void libvirtRulesNameTheElement() {
        assertEquals("domain: the type attribute is missing; write <domain type='kvm'> | name: the domain has no"
                + " name; add <name>NAME</name> | memory: the <memory> element is missing; add e.g."
                + " <memory unit='MiB'>256</memory> | os/type: the OS type is missing; add"
                + " <os><type arch='x86_64'>hvm</type></os>", libvirtErrors("<domain/>"));
        assertEquals("uuid: 'c7a5fdbd-zzzz' is not a valid UUID; write 32 hexadecimal digits as 8-4-4-4-12, e.g."
                + " c7a5fdbd-edaf-9455-926a-d65c16db1809, or leave <uuid> out to have one generated",
                libvirtErrors(Fixtures.guestWith("c7a5fdbd-edaf-9455-926a-d65c16db1809", "c7a5fdbd-zzzz")));
        assertEquals("memory: unknown unit 'XiB'; use b, bytes, KB, KiB (k), MB, MiB (M), GB, GiB (G), TB, TiB (T),"
                + " PB, PiB, EB or EiB", libvirtErrors(Fixtures.guestWith("<memory unit='MiB'>",
                        "<memory unit='XiB'>")));
        assertEquals("name: 'a/b' contains '/', which libvirt does not allow in a name",
                libvirtErrors(Fixtures.guestWith("<name>guest1</name>", "<name>a/b</name>")));
        assertEquals("devices/interface[1]/mac: '52:54:00:12:34' is not a MAC address; write six hex pairs like"
                + " 52:54:00:12:34:56", libvirtErrors(Fixtures.guestWith("52:54:00:12:34:56", "52:54:00:12:34")));
    }

    @Test
    void pciPassthroughIsRefusedWithThePath() {
        String xml = Fixtures.guestWith("<memballoon model='none'/>", "<hostdev mode='subsystem' type='pci'"
                + " managed='yes'><source><address domain='0' bus='6' slot='7' function='0'/></source></hostdev>"
                + "<hostdev mode='subsystem' type='pci'/>");
        assertEquals("devices/hostdev[1]: PCI passthrough is not supported by jkvm; remove the <hostdev> (the"
                + " engine emulates its devices) | devices/hostdev[2]: PCI passthrough is not supported by jkvm;"
                + " remove the <hostdev> (the engine emulates its devices)", jkvmErrors(xml));
    }

    @Test
    void jkvmRefusals() {
        assertEquals("domain: domain type 'xen' is not supported by jkvm; use <domain type='kvm'> (KVM) or"
                + " <domain type='qemu'> (jkvm's software CPU)", jkvmErrors(Fixtures.guestWith("type='kvm'",
                        "type='xen'")));
        assertEquals("", jkvmErrors(Fixtures.guestWith("type='kvm'", "type='qemu'")), "qemu: the software CPU");
        assertEquals("cpu/model: CPU model 'Haswell' is not offered by jkvm; use qemu64, kvm64 or"
                + " <cpu mode='host-passthrough'/>", jkvmErrors(Fixtures.guestWith(">qemu64<", ">Haswell<")));
        assertEquals("os/type/@arch: architecture 'aarch64' is not supported; jkvm runs x86_64 guests",
                jkvmErrors(Fixtures.guestWith("arch='x86_64'", "arch='aarch64'")));
        assertEquals("devices/disk[1]: disk device 'floppy' is not supported; jkvm emulates virtio-blk disks only,"
                + " so use device='disk' or remove the floppy", jkvmErrors(Fixtures.guestWith(
                        "<memballoon model='none'/>", "<disk type='file' device='floppy'><source file='/x.img'/>"
                        + "<target dev='fda'/></disk>")));
        assertEquals("", jkvmErrors(Fixtures.guestWith("<memballoon model='none'/>",
                "<disk type='file' device='disk'><source file='/x.img'/><target dev='vda'/></disk>")), "vdX: virtio");
        assertEquals("devices/serial[1]: serial type 'tcp' is not supported by jkvm; use type 'unix' with mode"
                + " 'bind', 'file' or 'pty' | devices/serial[2]: jkvm emulates one serial port (COM1); remove the"
                + " extra <serial>", jkvmErrors(Fixtures.guestWith("<serial type='file'>", "<serial type='tcp'>")
                        .replace("<memballoon model='none'/>", "<serial type='pty'/>")));
        assertEquals("os/loader: BIOS and UEFI images are not supported; remove <loader> to boot jkvm's bundled"
                + " firmware", jkvmErrors(Fixtures.guestWith("</type>", "</type><loader>/usr/share/OVMF.fd</loader>")));
    }

    @Test
    void warningsForIgnoredDevices() {
        List<Problem> w = JkvmSupport.check(DomainXml.parse(Fixtures.guest())).warnings();
        assertEquals("[devices/interface[1]: interface type 'network' is not emulated, the guest gets no NIC for it"
                + " (kept and compared across migration); use type='ethernet' with <target dev='TAP'/> or"
                + " type='bridge' with <source bridge='BRIDGE'/>, and <model type='virtio'/>]", w.toString());
    }
}
