package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class EngineArgsTest {
    private static final RuntimePaths PATHS = RuntimePaths.under(Path.of("/run/jkvm"), "guest1");

    @Test
    void mapsTheGuestToTheEngineCommandLine() {
        DomainDefinition def = Fixtures.parse(Fixtures.guest());
        List<String> args = EngineArgs.of(def, PATHS);
        assertEquals(List.of("-name", "guest1", "-uuid", "c7a5fdbd-edaf-9455-926a-d65c16db1809", "-accel", "kvm",
                "-m", "256M", "-smp", "1", "-cpu", "qemu64,-nx,+lahf-lm", "-abi-fingerprint", Fingerprint.of(def),
                "-append", "workload=dirty mib=16 rate=1000",
                "-serial", "file:/var/log/jkvm/guest1.serial", "-qmp", "unix:/run/jkvm/guest1.qmp,server,nowait",
                "-pidfile", "/run/jkvm/guest1.pid"), args);
    }

    @Test
    void noKernelMeansTheBundledFirmwareAndAKernelIsPassed() {
        List<String> fw = EngineArgs.of(Fixtures.parse(Fixtures.guest()), PATHS);
        assertFalse(fw.contains("-kernel"), "no <kernel>: the engine boots its bundled firmware");
        List<String> k = EngineArgs.of(Fixtures.parse(Fixtures.guestWith("<cmdline>",
                "<kernel>/srv/fw.elf</kernel><cmdline>")), PATHS);
        assertEquals("/srv/fw.elf", k.get(k.indexOf("-kernel") + 1));
    }

    @Test
    void kernelInitrdAndCmdlineBecomeTheEnginesDirectBootOptions() {
        List<String> k = EngineArgs.of(Fixtures.parse(Fixtures.guestWith("<cmdline>workload=dirty mib=16 rate=1000",
                "<kernel>/srv/vmlinuz</kernel><initrd>/srv/initramfs.cpio.gz</initrd><cmdline>console=ttyS0")), PATHS);
        int at = k.indexOf("-kernel");
        assertEquals(List.of("-kernel", "/srv/vmlinuz", "-initrd", "/srv/initramfs.cpio.gz", "-append",
                "console=ttyS0"), k.subList(at, at + 6));
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> EngineArgs.of(Fixtures.parse(
                Fixtures.guestWith("<cmdline>", "<initrd>/srv/initramfs.cpio.gz</initrd><cmdline>")), PATHS));
        assertTrue(e.getMessage().contains("os/initrd: an initrd needs a kernel, and the bundled firmware takes "
                + "none; add <kernel> or remove <initrd>"), e.getMessage());
    }

    @Test
    void theLinuxKitsExampleDomainMapsToKernelInitrdAndAppend() throws Exception {
        String xml = java.nio.file.Files.readString(org.jkvm.testkit.RepoPaths.of("src", "linux", "jkvm-linux.xml"))
                .replace("@KERNEL@", "/kit/vmlinuz").replace("@INITRD@", "/kit/initramfs.cpio.gz")
                .replace("@CMDLINE@", "console=ttyS0 jkvm.mib=16");
        DomainDefinition def = Fixtures.parse(xml).withUuidIfAbsent();
        List<String> args = EngineArgs.of(def, PATHS);
        assertEquals("tcg", args.get(args.indexOf("-accel") + 1), "type='qemu': the software CPU");
        assertEquals("512M", args.get(args.indexOf("-m") + 1));
        assertEquals("/kit/vmlinuz", args.get(args.indexOf("-kernel") + 1));
        assertEquals("/kit/initramfs.cpio.gz", args.get(args.indexOf("-initrd") + 1));
        assertEquals("console=ttyS0 jkvm.mib=16", args.get(args.indexOf("-append") + 1));
    }

    @Test
    void serialBackends() {
        String pty = Fixtures.guestWith("<serial type='file'>\n      <source path='/var/log/jkvm/guest1.serial'/>",
                "<serial type='pty'>");
        assertEquals("unix:/run/jkvm/guest1.console,server,nowait,logfile=/run/jkvm/guest1.serial.log,logappend=on",
                serial(pty), "a console socket (virsh console) and the domain's log, appended to");
        List<String> logOnly = EngineArgs.of(DomainXml.parse(pty), new RuntimePaths(PATHS.qmpSocket(),
                PATHS.ptyLog(), PATHS.pidFile()));
        assertEquals("file:/run/jkvm/guest1.serial.log,append=on", logOnly.get(logOnly.indexOf("-serial") + 1),
                "without a console socket the domain's log alone");
        String file = Fixtures.guest();
        assertEquals("file:/var/log/jkvm/guest1.serial", serial(file), "a file is truncated, as in libvirt");
        String appended = Fixtures.guestWith("<source path='/var/log/jkvm/guest1.serial'/>",
                "<source path='/var/log/jkvm/guest1.serial' append='on'/>");
        assertEquals("file:/var/log/jkvm/guest1.serial,append=on", serial(appended), "append='on' is kept");
        String unix = Fixtures.guestWith("<serial type='file'>\n      <source path='/var/log/jkvm/guest1.serial'/>",
                "<serial type='unix'><source mode='bind' path='/run/g.sock'/>");
        assertEquals("unix:/run/g.sock,server,nowait", serial(unix));
    }

    @Test
    void cpuModesAndMemoryUnits() {
        String passthrough = Fixtures.guest().replaceAll("(?s)<cpu .*</cpu>", "<cpu mode='host-passthrough'/>");
        assertEquals("host", arg(passthrough, "-cpu"));
        assertEquals("max", arg(passthrough.replace("host-passthrough", "maximum"), "-cpu"));
        String noCpu = Fixtures.guest().replaceAll("(?s)<cpu .*</cpu>", "");
        assertEquals("qemu64", arg(noCpu, "-cpu"));
        assertEquals("214M", arg(Fixtures.guestWith("<memory unit='MiB'>256</memory>",
                "<memory>219136</memory>"), "-m"));
        assertEquals("219137K", arg(Fixtures.guestWith("<memory unit='MiB'>256</memory>",
                "<memory>219137</memory>"), "-m"));
        assertEquals("1024M", arg(Fixtures.guestWith("<memory unit='MiB'>256</memory>",
                "<memory unit='GiB'>1</memory>"), "-m"));
        assertEquals("1024M", arg(Fixtures.guestWith("<memory unit='MiB'>256</memory>",
                "<memory unit='bytes'>1073741824</memory>"), "-m"));
    }

    @Test
    void domainTypeChoosesTheAccelerator() {
        assertEquals("kvm", arg(Fixtures.guest(), "-accel"));
        String qemu = Fixtures.guestWith("type='kvm'", "type='qemu'");
        assertEquals("tcg", arg(qemu, "-accel"), "type='qemu' runs on the software CPU, QEMU's -accel tcg");
        assertEquals("qemu64,-nx,+lahf-lm", arg(qemu, "-cpu"), "a named model is the same on both");
        assertEquals("kvm", EngineArgs.accelerator("kvm"));
        assertEquals("tcg", EngineArgs.accelerator("qemu"));
        DomainXmlException xen = assertThrows(DomainXmlException.class, () -> EngineArgs.accelerator("xen"));
        assertEquals("domain type 'xen' has no jkvm accelerator; use <domain type='kvm'> or <domain type='qemu'>",
                xen.getMessage());
    }

    @Test
    void theSoftwareCpuHasNoHostCpuToPassThrough() {
        String qemu = Fixtures.guestWith("type='kvm'", "type='qemu'");
        String model = qemu.replaceAll("(?s)<cpu .*</cpu>", "<cpu mode='host-model'/>");
        assertEquals("max", arg(model, "-cpu"), "host-model on the software CPU is everything it implements");
        assertEquals("host", arg(model.replace("type='qemu'", "type='kvm'"), "-cpu"));
        String passthrough = qemu.replaceAll("(?s)<cpu .*</cpu>", "<cpu mode='host-passthrough'/>");
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> EngineArgs.of(Fixtures.parse(
                passthrough), PATHS));
        assertEquals("CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 host is not supported by"
                + " hypervisor", e.getMessage(), "libvirt's sentence for TCG");
        assertTrue(JkvmSupport.check(Fixtures.parse(passthrough)).ok(), "defining it is allowed, as in libvirt");
        String hostModel = qemu.replace(">qemu64<", ">host<");
        assertTrue(assertThrows(DomainXmlException.class, () -> EngineArgs.of(Fixtures.parse(hostModel), PATHS))
                .getMessage().startsWith("CPU model 'host' needs KVM"));
    }

    @Test
    void refusesWhatTheEngineCannotRun() {
        DomainXmlException e = assertThrows(DomainXmlException.class, () -> EngineArgs.of(Fixtures.parse(
                Fixtures.guestWith("<vcpu placement='static'>1</vcpu>", "<vcpu>2</vcpu>")), PATHS));
        assertEquals("domain 'guest1' cannot run on jkvm: vcpu: 2 vCPUs requested; the jkvm engine runs one vCPU"
                + " for now, so use <vcpu>1</vcpu>", e.getMessage());
    }

    @Test
    void shellLineQuotesWhatNeedsIt() {
        assertEquals("-append 'a b' -name x", EngineArgs.shellLine(List.of("-append", "a b", "-name", "x")));
        assertTrue(EngineArgs.shellLine(List.of("it's")).contains("'it'\\''s'"));
    }

    private static String serial(String xml) {
        return arg(xml, "-serial");
    }

    private static String arg(String xml, String option) {
        List<String> a = EngineArgs.of(Fixtures.parse(xml), PATHS);
        return a.get(a.indexOf(option) + 1);
    }
}
