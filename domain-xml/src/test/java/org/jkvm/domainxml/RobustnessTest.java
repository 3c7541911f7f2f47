package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Bad or unusual input gives a DomainXmlException with a message, never another exception. */
class RobustnessTest {
    @Test
    void everyCheckRunsOnEveryCorpusFile() throws Exception {
        List<String> crashes = new ArrayList<>();
        int runnable = 0;
        RuntimePaths paths = RuntimePaths.under(Path.of("/run/jkvm"), "x");
        int i = 0;
        for (Path f : CorpusRoundTripTest.corpus()) {
            boolean sample = i++ % 4 == 0;
            try {
                DomainDefinition d = DomainXml.parse(f);
                LibvirtRules.check(d);
                SupportReport r = JkvmSupport.check(d);
                assertEquals(List.of(), AbiCheck.compare(d, d), f.toString());
                Fingerprint.of(d);
                if (sample) {
                    // Copies go through format and parse: a quarter of the corpus keeps the test quick.
                    DomainXml.format(d.persistent());
                    LiveXml.of(d, 1, Path.of("/run/x.log"));
                }
                if (r.ok()) {
                    EngineArgs.of(d.withUuidIfAbsent(), paths);
                    runnable++;
                }
            } catch (DomainXmlException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
            } catch (RuntimeException e) {
                crashes.add(Corpus.name(f) + ": " + e);
            }
        }
        System.out.printf("robustness: %d corpus files accepted by jkvm as they are%n", runnable);
        assertEquals(List.of(), crashes);
    }

    @Test
    void everyTruncationOfADefinitionIsAClearError() {
        String xml = Fixtures.guest();
        for (int len = 0; len < xml.length() - 12; len += 7) {
            String cut = xml.substring(0, len);
            try {
                DomainXml.parse(cut);
                fail("a truncated document parsed: " + cut);
            } catch (DomainXmlException e) {
                assertTrue(e.getMessage().startsWith("domain XML: "), e.getMessage());
            }
        }
    }

    @Test
    void oddValuesDoNotCrashTheChecks() {
        String[][] edits = {
            {"<vcpu placement='static'>1</vcpu>", "<vcpu>abc</vcpu>"},
            {"<vcpu placement='static'>1</vcpu>", "<vcpu/>"},
            {"<memory unit='MiB'>256</memory>", "<memory unit='MiB'>99999999999999999999999</memory>"},
            {"<memory unit='MiB'>256</memory>", "<memory/>"},
            {"<feature policy='disable' name='nx'/>", "<feature/>"},
            {"<mac address='52:54:00:12:34:56'/>", "<mac/>"},
            {"<target port='0'/>", "<target/>"},
            {"<type arch='x86_64' machine='pc'>hvm</type>", "<type/>"},
            {"<serial type='file'>", "<serial>"},
            {"<clock offset='utc'/>", "<clock><timer/></clock>"},
        };
        for (String[] e : edits) {
            DomainDefinition d = DomainXml.parse(Fixtures.guestWith(e[0], e[1]));
            try {
                JkvmSupport.check(d);
                Fingerprint.of(d);
                AbiCheck.compare(DomainXml.parse(Fixtures.guest()), d);
                EngineArgs.of(d, RuntimePaths.under(Path.of("/run"), "g"));
            } catch (DomainXmlException ex) {
                assertTrue(ex.getMessage().contains(": "), ex.getMessage());
            }
        }
    }
}
