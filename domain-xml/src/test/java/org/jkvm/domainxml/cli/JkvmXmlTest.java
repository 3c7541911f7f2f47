package org.jkvm.domainxml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.domainxml.DomainXml;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jkvm-xml commands, their output lines and exit statuses. */
class JkvmXmlTest {
    @TempDir
    Path tmp;
    private Path guest;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void writeGuest() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/jkvm-guest.xml")) {
            guest = Files.write(tmp.resolve("guest1.xml"), in.readAllBytes());
        }
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return new JkvmXml(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }

    @Test
    void checkIsOneLinePerFileAndFailsIfAnyFails() throws IOException {
        Path bad = write("bad.xml", "<domain type='kvm'><name>x</name>");
        Path xen = write("xen.xml", Files.readString(guest).replace("type='kvm'", "type='xen'"));
        assertEquals(0, run("check", guest.toString(), xen.toString()));
        assertEquals(guest + ": ok\n" + xen + ": ok\n", out());
        assertEquals(1, run("check", "--for-jkvm", guest.toString(), xen.toString(), bad.toString()));
        String[] lines = out().split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].startsWith(guest + ": ok, 1 ignored by jkvm: devices/interface[1]"), lines[0]);
        assertEquals(xen + ": error: cannot run on jkvm: domain: domain type 'xen' is not supported by jkvm; use"
                + " <domain type='kvm'> (KVM) or <domain type='qemu'> (jkvm's software CPU)", lines[1]);
        assertEquals(bad + ": error: line 1, column 34: malformed XML: XML document structures must start and end"
                + " within the same entity.", lines[2]);
    }

    @Test
    void checkAgreesWithVirtXmlValidateOnTheCorpus() throws IOException {
        Path corpus = RepoPaths.shared().resolve("corpus/libvirt");
        Require.path(corpus.resolve("MANIFEST.tsv"), "the libvirt corpus (../shared/corpus)");
        String saved = System.getProperty("jkvm.libvirt.schemas");
        System.setProperty("jkvm.libvirt.schemas", corpus.resolve("schemas").toString());
        try {
            List<String> valid = new ArrayList<>();
            List<String> invalid = new ArrayList<>();
            for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv"))) {
                String[] f = line.split("\t");
                if (f.length > 4 && f[0].endsWith(".xml")) {
                    (f[4].equals("valid") ? valid : invalid).add(corpus.resolve(f[0]).toString());
                }
            }
            assertEquals(1, run(prepend("check", invalid)));
            assertEquals(invalid.size(), out().lines().filter(l -> l.contains(": error: not valid against libvirt's"
                    + " domain.rng: line ")).count(), "every file virt-xml-validate rejects is rejected: " + out());
            run(prepend("check", valid));
            List<String> refused = out().lines().filter(l -> !l.endsWith(": ok")).toList();
            String prefix = corpus.resolve("domain-xml/qemuxml2argvdata") + "/";
            assertEquals(List.of("cpu-numa-no-memory-element.xml: error: memory: the <memory> element is"
                    + " missing; add e.g. <memory unit='MiB'>256</memory>", "minimal-no-memory.xml: error: memory:"
                    + " the <memory> element is missing; add e.g. <memory unit='MiB'>256</memory>"),
                    refused.stream().map(l -> l.replace(prefix, "")).sorted().toList(),
                    "schema-valid files fail only libvirt's own define-time rules");
        } finally {
            if (saved == null) {
                System.clearProperty("jkvm.libvirt.schemas");
            } else {
                System.setProperty("jkvm.libvirt.schemas", saved);
            }
        }
    }

    private static String[] prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest);
        all.add(0, first);
        return all.toArray(String[]::new);
    }

    @Test
    void formatPrintsTheCanonicalFormWhichIsStable() throws IOException {
        assertEquals(0, run("format", guest.toString()));
        String once = out();
        assertEquals(DomainXml.format(DomainXml.parse(guest)), once);
        Path again = write("again.xml", once);
        assertEquals(0, run("format", again.toString()));
        assertEquals(once, out());
    }

    @Test
    void diffSaysCompatibleOrListsDifferences() throws IOException {
        Path renamed = write("renamed.xml", Files.readString(guest).replace("<name>guest1", "<name>guest2"));
        assertEquals(0, run("diff", guest.toString(), renamed.toString()));
        assertEquals("migration-compatible: the guest-visible configuration is identical\n", out());
        Path bigger = write("bigger.xml", Files.readString(guest).replace(">256</memory>", ">512</memory>")
                .replace("52:54:00:12:34:56", "52:54:00:12:34:99"));
        assertEquals(1, run("diff", guest.toString(), bigger.toString()));
        assertEquals("not migration-compatible: 2 differences\n"
                + "  memory: source '268435456 bytes', destination '536870912 bytes'\n"
                + "  devices/interface[1]: source 'mac=52:54:00:12:34:56 model=virtio', destination"
                + " 'mac=52:54:00:12:34:99 model=virtio'\n", out());
    }

    @Test
    void fingerprintAndToEngine() {
        assertEquals(0, run("fingerprint", guest.toString()));
        String fingerprint = out().strip();
        assertTrue(fingerprint.matches("sha256:[0-9a-f]{64}"), fingerprint);
        assertEquals(0, run("to-engine", guest.toString(), "/tmp/run"));
        assertEquals("jkvm-engine -name guest1 -uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 -accel kvm -m 256M"
                + " -smp 1 -cpu qemu64,-nx,+lahf-lm -abi-fingerprint " + fingerprint + " -append 'workload=dirty"
                + " mib=16 rate=1000' -serial file:/var/log/jkvm/guest1.serial -qmp"
                + " unix:/tmp/run/guest1.qmp,server,nowait -pidfile /tmp/run/guest1.pid\n", out());
    }

    @Test
    void usageErrorsExitWithTwoAndMissingFilesWithOne() {
        assertEquals(2, run());
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("jkvm-xml: unknown command 'frobnicate'"));
        assertEquals(2, run("diff", guest.toString()));
        assertEquals(1, run("format", tmp.resolve("missing.xml").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("jkvm-xml: cannot read " + tmp.resolve(
                "missing.xml")), err.toString(StandardCharsets.UTF_8));
        assertEquals(0, run("domcapabilities"));
        assertTrue(out().startsWith("<domainCapabilities>"));
    }

    @Test
    void capabilitiesFollowTheKvmDevice() {
        String before = System.getProperty("jkvm.kvm.device");
        System.setProperty("jkvm.kvm.device", tmp.resolve("nonexistent").toString());
        try {
            assertEquals(0, run("capabilities"));
            assertTrue(out().contains("<domain type='qemu'/>") && !out().contains("<domain type='kvm'/>"), out());
            assertEquals(0, run("domcapabilities"));
            assertTrue(out().contains("<domain>qemu</domain>"), "the default without KVM is qemu: " + out());
            assertEquals(1, run("domcapabilities", "kvm"));
            String e = err.toString(StandardCharsets.UTF_8);
            assertTrue(e.startsWith("jkvm-xml: KVM is not supported by '") && e.contains(" on this host: "
                    + tmp.resolve("nonexistent") + " does not exist"), e);
            assertEquals(2, run("domcapabilities", "xen"));
        } finally {
            if (before == null) {
                System.clearProperty("jkvm.kvm.device");
            } else {
                System.setProperty("jkvm.kvm.device", before);
            }
        }
        assertEquals(0, run("domcapabilities", "qemu"));
        assertTrue(out().contains("<domain>qemu</domain>"), out());
    }
}
