package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.jkvm.domainxml.KvmDevice;
import org.jkvm.driver.qmp.KvmInfo;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.TypedParam;
import org.jkvm.remote.spi.DriverConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, libvirt items: on a host without KVM (the daemon's KVM device pointed at a missing path) a
 * {@code type='kvm'} domain is defined but not started, with libvirt's sentence and code, on every path that starts
 * an engine, while a {@code type='qemu'} domain runs on the software CPU ({@code -accel tcg}); capabilities and
 * domain capabilities follow the device.
 */
class KvmAvailabilityTest {
    private static final String REQUIRES_KVM = "unsupported configuration: Domain requires KVM, but it is not"
            + " available. Check that virtualization is enabled in the host BIOS, and host configuration is setup to"
            + " load the kvm modules.";

    @TempDir
    Path dir;

    private Fixture noKvm(String host, int ports) {
        return new Fixture(dir.resolve(host), ports, dir.resolve("nonexistent"));
    }

    private static void assertRequiresKvm(LibvirtError e) {
        assertEquals(REQUIRES_KVM, e.getMessage());
        assertEquals(ErrorCodes.CONFIG_UNSUPPORTED, e.code());
        assertEquals(ErrorCodes.FROM_QEMU, e.domain(), "raised by the qemu driver in libvirt");
    }

    @Test
    void aKvmDomainIsDefinedButNotStartedWithoutKvm() throws Exception {
        try (Fixture f = noKvm("h", 49360)) {
            DomainRef r = f.conn.defineXml(Fixture.xml("kvm", "k1", UUID.randomUUID()), 0);
            assertRequiresKvm(assertThrows(LibvirtError.class, () -> f.conn.create(r, 0)));
            assertEquals(DomainState.SHUTOFF, f.conn.state(r, 0).state());
            assertFalse(Files.exists(f.state.resolve("log/k1.log")), "no engine was started");
            assertEquals(List.of(), f.conn.listAllDomains(0x1));

            f.conn.setAutostart(r, true);
            f.manager.autostart();
            assertEquals(DomainState.SHUTOFF, f.conn.state(r, 0).state(), "autostart logs the refusal");
            assertFalse(Files.exists(f.state.resolve("log/k1.log")));
        }
    }

    @Test
    void aQemuDomainRunsOnTheSoftwareCpuWithoutKvm() throws Exception {
        try (Fixture f = noKvm("h", 49366)) {
            DomainRef r = f.conn.defineXml(Fixture.xml("qemu", "q1", UUID.randomUUID()), 0);
            f.conn.create(r, 0);
            assertEquals(DomainState.RUNNING, f.conn.state(r, 0).state());
            Fixture.await(() -> firstLine(f.serial("q1")).startsWith("jkvm-fw fake"), Duration.ofSeconds(20),
                    "the engine's first serial line");
            assertEquals("jkvm-fw fake name=q1 accel=tcg", firstLine(f.serial("q1")));
            Domain d = f.manager.byName("q1");
            List<String> argv = cmdline(d.engine().pid());
            int accel = argv.indexOf("-accel");
            assertTrue(accel > 0 && argv.get(accel + 1).equals("tcg"), "-accel tcg: " + argv);
            int dev = argv.indexOf("-kvm-device");
            assertTrue(dev > 0 && argv.get(dev + 1).equals(dir.resolve("nonexistent").toString()),
                    "the engine is told the daemon's KVM device: " + argv);
            assertEquals(new KvmInfo(false, false), d.engine().qmp().queryKvm());

            // A restore of the same guest as type='kvm' (its XML replaced) is refused before anything is added.
            Path save = dir.resolve("q1.save");
            f.conn.save(r, save.toString(), null, 0);
            String asKvm = f.conn.xmlDesc(r, 0).replace("type='qemu'", "type='kvm'").replace("type=\"qemu\"",
                    "type=\"kvm\"");
            f.conn.undefine(r, 0);
            assertRequiresKvm(assertThrows(LibvirtError.class, () -> f.conn.restore(save.toString(), asKvm, 0)));
            assertEquals(List.of(), f.conn.listAllDomains(0), "no transient domain is left behind");
            f.conn.restore(save.toString(), null, 0);
            assertEquals(DomainState.RUNNING, f.conn.state(f.conn.lookupByName("q1"), 0).state());
        }
    }

    /** The spare engine, started before any domain, is handed the domain's -accel (and the daemon's KVM device). */
    @Test
    void theSpareEngineIsHandedTheAccelerator() throws Exception {
        Path state = dir.resolve("spare");
        DriverConfig cfg = new DriverConfig(state, Fixture.fakeEngine(), true, "127.0.0.1", 49390, 49395,
                Duration.ofSeconds(30), true, dir.resolve("nonexistent"));
        DomainManager m = new DomainManager(cfg, new XmlDefinitions(state, "jkvm-engine"));
        try {
            Fixture.await(() -> standby(state) != null, Duration.ofSeconds(30), "the spare engine");
            long sparePid = standby(state).pid();
            DriverConnection conn = new JkvmDriver(m, true).open("jkvm:///system", false);
            DomainRef r = conn.defineXml(Fixture.xml("qemu", "sp", UUID.randomUUID()), 0);
            conn.create(r, 0);
            Domain d = m.byName("sp");
            assertEquals(sparePid, d.engine().pid(), "the spare became the engine");
            Fixture.await(() -> firstLine(state.resolve("log/sp.serial")).startsWith("jkvm-fw"),
                    Duration.ofSeconds(20), "the engine's first serial line");
            assertEquals("jkvm-fw fake name=sp accel=tcg", firstLine(state.resolve("log/sp.serial")));
            assertEquals(new KvmInfo(false, false), d.engine().qmp().queryKvm());
            conn.destroy(r, 0);
        } finally {
            m.close();
        }
    }

    /** The waiting spare engine of a state folder: a process whose command line ends in -standby STATE. */
    private static ProcessHandle standby(Path state) {
        return ProcessHandle.current().descendants().filter(p -> {
            try {
                List<String> argv = cmdline(p.pid());
                return argv.size() >= 2 && argv.get(argv.size() - 2).equals("-standby")
                        && argv.get(argv.size() - 1).equals(state.toString());
            } catch (java.io.IOException gone) {
                return false;
            }
        }).findFirst().orElse(null);
    }

    @Test
    void anIncomingKvmGuestIsRefusedByADestinationWithoutKvm() {
        try (Fixture f = noKvm("dst", 49372)) {
            String xml = Fixture.xml("kvm", "mig", UUID.randomUUID());
            List<TypedParam> p = List.of(new TypedParam.Str(MigrationParams.DEST_XML, xml));
            assertRequiresKvm(assertThrows(LibvirtError.class, () -> f.conn.migratePrepare3(p, new byte[0],
                    MigrationParams.LIVE)));
            assertEquals(List.of(), f.conn.listAllDomains(0), "the destination keeps no trace of it");
        }
    }

    @Test
    void aMigrationThatChangesTheDomainTypeIsRefusedAsLibvirtDoes() {
        try (Fixture f = noKvm("dst", 49378)) {
            UUID uuid = UUID.randomUUID();
            f.conn.defineXml(Fixture.xml("qemu", "abi", uuid), 0);
            List<TypedParam> p = List.of(new TypedParam.Str(MigrationParams.DEST_XML, Fixture.xml("kvm", "abi",
                    uuid)));
            LibvirtError e = assertThrows(LibvirtError.class, () -> f.conn.migratePrepare3(p, new byte[0],
                    MigrationParams.LIVE));
            assertEquals("unsupported configuration: Target domain virt type qemu does not match source kvm",
                    e.getMessage());
            assertEquals(ErrorCodes.CONFIG_UNSUPPORTED, e.code());
        }
    }

    @Test
    void capabilitiesListKvmOnlyWhenTheDeviceWorksAndAreProbedAgainOnDemand() throws Exception {
        Path link = dir.resolve("kvm-link");
        try (Fixture f = new Fixture(dir.resolve("h"), 49384, link)) {
            String caps = f.conn.capabilities();
            assertTrue(caps.contains("<domain type='qemu'/>") && !caps.contains("<domain type='kvm'/>"), caps);
            assertTrue(f.conn.domainCapabilities(null, null, null, null, 0).contains("<domain>qemu</domain>"),
                    "the default virt type without KVM is qemu");
            assertTrue(f.conn.domainCapabilities(null, "x86_64", null, "qemu", 0).contains(
                    "<mode name='host-passthrough' supported='no'/>"));
            LibvirtError kvm = assertThrows(LibvirtError.class, () -> f.conn.domainCapabilities(null, null, null,
                    "kvm", 0));
            assertEquals("invalid argument: KVM is not supported by 'jkvm-engine' on this host", kvm.getMessage());
            assertEquals(ErrorCodes.INVALID_ARG, kvm.code());
            assertEquals("invalid argument: Emulator 'jkvm-engine' does not support virt type 'xen'",
                    assertThrows(LibvirtError.class, () -> f.conn.domainCapabilities(null, null, null, "xen", 0))
                            .getMessage());
            assertEquals("invalid argument: unknown virttype: frob", assertThrows(LibvirtError.class,
                    () -> f.conn.domainCapabilities(null, null, null, "frob", 0)).getMessage());

            // The module "loads": the device appears. Capabilities probe again (libvirt re-reads them too).
            Files.createSymbolicLink(link, KvmDevice.DEFAULT);
            boolean works = KvmDevice.probe(KvmDevice.DEFAULT).usable();
            assertEquals(works, f.conn.capabilities().contains("<domain type='kvm'/>"));
            assertEquals(works ? "kvm" : "qemu", f.conn.domainCapabilities(null, null, null, null, 0)
                    .replaceAll("(?s).*<domain>(\\w+)</domain>.*", "$1"));
        }
    }

    private static String firstLine(Path serial) {
        try {
            List<String> lines = Files.readAllLines(serial, StandardCharsets.ISO_8859_1);
            return lines.isEmpty() ? "" : lines.get(0);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** A process's command line, from /proc. */
    private static List<String> cmdline(long pid) throws java.io.IOException {
        String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
        return List.of(raw.split("\0"));
    }
}
