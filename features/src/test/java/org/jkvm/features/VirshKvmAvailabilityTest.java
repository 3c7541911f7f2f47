package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, acceptance item 5, with the real virsh: a daemon on a host without KVM (its KVM device pointed at a
 * missing path, as {@code JKVM_KVM_DEVICE=/nonexistent} does) offers only {@code type='qemu'} in its capabilities
 * and domain capabilities, defines a {@code type='kvm'} domain but refuses to start it with libvirt's sentence, and
 * starts a {@code type='qemu'} domain on the software CPU ({@code -accel tcg}); a daemon on this host's own device
 * lists {@code kvm} exactly when KVM works here.
 */
class VirshKvmAvailabilityTest {
    private static final String REQUIRES_KVM = "error: unsupported configuration: Domain requires KVM, but it is not"
            + " available. Check that virtualization is enabled in the host BIOS, and host configuration is setup to"
            + " load the kvm modules.";

    @TempDir
    Path dir;

    private Daemon withoutKvm(String engine, int ports) {
        return new Daemon(dir.resolve("h"), engine, ports, Map.of("jkvm.kvm.device",
                dir.resolve("nonexistent").toString()));
    }

    private Path write(String name, String xml) throws Exception {
        return Files.writeString(dir.resolve(name + ".xml"), xml);
    }

    @Test
    void withoutKvmOnlyQemuIsOfferedAndAKvmDomainIsDefinedButNotStarted() throws Exception {
        Require.command("virsh");
        try (Daemon d = withoutKvm(Daemon.fakeEngine(), 49440)) {
            String uri = d.unixUri();
            String caps = Virsh.run(uri, "capabilities").ok();
            assertTrue(caps.contains("<domain type='qemu'/>") && !caps.contains("<domain type='kvm'/>"), caps);
            assertTrue(Virsh.run(uri, "domcapabilities").ok().contains("<domain>qemu</domain>"),
                    "without KVM the default virt type is qemu");
            assertTrue(Virsh.run(uri, "domcapabilities", "--virttype", "qemu").ok()
                    .contains("<mode name='host-passthrough' supported='no'/>"));
            Virsh.Result kvm = Virsh.run(uri, "domcapabilities", "--virttype", "kvm");
            assertNotEquals(0, kvm.code());
            assertTrue(kvm.err().matches("error: failed to get emulator capabilities\nerror: invalid argument: KVM is"
                    + " not supported by '[^']+' on this host"), kvm.err());

            Path k = write("k", Guest.xml("kvm", "k", "workload=idle"));
            assertEquals("Domain 'k' defined from " + k, Virsh.run(uri, "define", k.toString()).ok(),
                    "libvirt defines a kvm domain on such a host; only starting it fails");
            Virsh.Result start = Virsh.run(uri, "start", "k");
            assertNotEquals(0, start.code());
            assertEquals("error: Failed to start domain 'k'\n" + REQUIRES_KVM, start.err());
            assertEquals("shut off", Virsh.run(uri, "domstate", "k").ok());
            assertTrue(!Files.exists(d.state.resolve("log/k.log")), "no engine was started for it");

            Path q = write("q", Guest.xml("qemu", "q", "workload=idle"));
            Virsh.run(uri, "define", q.toString()).ok();
            assertEquals("Domain 'q' started", Virsh.run(uri, "start", "q").ok());
            Guest.awaitHeartbeats(d.state.resolve("log/q.serial"), -1, Duration.ofSeconds(30));
            assertEquals("jkvm-fw fake name=q accel=tcg", Files.readAllLines(d.state.resolve("log/q.serial"),
                    StandardCharsets.ISO_8859_1).get(0), "the engine was told -accel tcg");
            String live = Virsh.run(uri, "dumpxml", "q").ok();
            assertTrue(live.matches("(?s)<domain type=.qemu. id=.\\d+.>.*"), live);
            Virsh.run(uri, "destroy", "q").ok();
        }
    }

    @Test
    void onThisHostsDeviceKvmIsListedExactlyWhenItWorks() {
        Require.command("virsh");
        try (Daemon d = new Daemon(dir.resolve("h"), Daemon.fakeEngine(), 49448, Map.of())) {
            String caps = Virsh.run(d.unixUri(), "capabilities").ok();
            assertTrue(caps.contains("<domain type='qemu'/>"), caps);
            assertEquals(Backend.KVM.usable(), caps.contains("<domain type='kvm'/>"), Backend.KVM + ": " + caps);
            assertTrue(Virsh.run(d.unixUri(), "domcapabilities").ok().contains("<domain>" + Backend.domainType()
                    + "</domain>"), "the default is kvm where it works, else qemu");
        }
    }

    /** The real engine on its software CPU, on a daemon that sees no KVM even where the host has it. */
    @Test
    void aQemuDomainRunsOnTheRealEnginesSoftwareCpu() throws Exception {
        Require.command("virsh");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the"
                + " repository").toString();
        Backend.requireSoftCpu("");
        try (Daemon d = withoutKvm(engine, 49456)) {
            String uri = d.unixUri();
            Path q = write("soft", Guest.xml("qemu", "soft", "workload=idle hb_ms=200"));
            Virsh.run(uri, "define", q.toString()).ok();
            assertEquals("Domain 'soft' started", Virsh.run(uri, "start", "soft").ok());
            Path serial = d.state.resolve("log/soft.serial");
            long seq = Guest.awaitHeartbeats(serial, -1, Duration.ofSeconds(120));
            assertTrue(Files.readAllLines(serial, StandardCharsets.ISO_8859_1).stream()
                    .filter(l -> l.startsWith("hb seq=")).allMatch(l -> l.contains(" errors=0")), "no errors");
            Virsh.run(uri, "suspend", "soft").ok();
            Virsh.run(uri, "resume", "soft").ok();
            Guest.awaitHeartbeats(serial, seq, Duration.ofSeconds(120));
            Virsh.run(uri, "destroy", "soft").ok();
        }
    }
}
