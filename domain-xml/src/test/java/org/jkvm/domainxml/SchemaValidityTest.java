package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.internal.RngValidator;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * What we write for a schema-valid input is schema-valid too (libvirt's RELAX NG schemas from the corpus), and
 * the capabilities documents are valid against capability.rng and domaincaps.rng.
 */
class SchemaValidityTest {
    private static Path schema(String name) {
        return Require.path(Corpus.schemas().resolve(name), "libvirt's schemas (../shared/corpus/libvirt/schemas)");
    }

    /** Corpus files that virt-xml-validate accepted (MANIFEST.tsv column 5). */
    private static Set<String> validInputs() throws IOException {
        Path manifest = Require.path(Corpus.dir().resolveSibling("MANIFEST.tsv"), "the corpus manifest");
        Set<String> out = new HashSet<>();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length > 4 && "valid".equals(f[4])) {
                out.add(f[0].replaceFirst("^domain-xml/", ""));
            }
        }
        return out;
    }

    @Test
    void outputOfValidCorpusFilesIsValid() throws IOException {
        RngValidator rng = RngValidator.forSchema(schema("domain.rng"));
        Set<String> valid = validInputs();
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Path f : CorpusRoundTripTest.corpus()) {
            if (valid.contains(Corpus.name(f))) {
                List<String> errors = rng.validate(DomainXml.format(DomainXml.parse(f)));
                checked++;
                if (!errors.isEmpty()) {
                    failures.add(Corpus.name(f) + ": " + errors.get(0));
                }
            }
        }
        System.out.printf("schema check: %d valid inputs written back, %d invalid outputs%n", checked,
                failures.size());
        assertTrue(checked > 1000, "checked " + checked);
        assertEquals(List.of(), failures);
    }

    @Test
    void ourTestGuestIsValid() {
        RngValidator rng = RngValidator.forSchema(schema("domain.rng"));
        assertEquals(List.of(), rng.validate(Fixtures.guest()));
        assertEquals(List.of(), rng.validate(DomainXml.format(DomainXml.parse(Fixtures.guest()))));
    }

    @Test
    void capabilitiesAreValid() {
        HostInfo host = HostInfo.probe("/usr/local/bin/jkvm-engine");
        RngValidator capsRng = RngValidator.forSchema(schema("capability.rng"));
        String caps = Capabilities.host(host, true);
        assertEquals(List.of(), capsRng.validate(caps), caps);
        assertTrue(caps.contains("<arch>x86_64</arch>") && caps.contains("<domain type='qemu'/>\n      <domain"
                + " type='kvm'/>\n    </arch>"), "qemu always, then kvm, as libvirt lists them: " + caps);
        String noKvm = Capabilities.host(host, false);
        assertEquals(List.of(), capsRng.validate(noKvm), noKvm);
        assertTrue(noKvm.contains("<domain type='qemu'/>") && !noKvm.contains("'kvm'"), noKvm);
        RngValidator domRng = RngValidator.forSchema(schema("domaincaps.rng"));
        String dom = Capabilities.domain("/usr/local/bin/jkvm-engine", "kvm");
        assertEquals(List.of(), domRng.validate(dom), dom);
        assertTrue(dom.contains("<domain>kvm</domain>") && dom.contains("<vcpu max='1'/>")
                && dom.contains(">qemu64</model>") && dom.contains("<mode name='host-passthrough' supported='yes'>"),
                dom);
        String tcg = Capabilities.domain("/usr/local/bin/jkvm-engine", "qemu");
        assertEquals(List.of(), domRng.validate(tcg), tcg);
        assertTrue(tcg.contains("<domain>qemu</domain>") && tcg.contains("<mode name='host-passthrough'"
                + " supported='no'/>") && tcg.contains(">max</model>"), tcg);
        assertThrows(IllegalArgumentException.class, () -> Capabilities.domain("/x", "xen"));
    }
}
