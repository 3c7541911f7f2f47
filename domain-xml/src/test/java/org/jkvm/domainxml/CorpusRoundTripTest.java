package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.jkvm.domainxml.internal.XmlCompare;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 1: every corpus file parses and writes back to the same document (up to whitespace, attribute order,
 * namespace prefixes, comments and the order of differently named siblings), the written form is canonical, and
 * the fingerprint does not change across format and parse.
 */
class CorpusRoundTripTest {
    static List<Path> corpus() throws IOException {
        Path dir = Require.path(Corpus.dir(), "the libvirt corpus (../shared/corpus/libvirt/domain-xml) is absent");
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
        }
    }

    @Test
    void everyCorpusFileRoundTripsWithoutLoss() throws IOException {
        List<Path> files = corpus();
        List<String> failures = new ArrayList<>();
        int lossless = 0;
        int canonical = 0;
        int withComments = 0;
        for (Path f : files) {
            String in = Files.readString(f, StandardCharsets.UTF_8);
            withComments += in.contains("<!--") ? 1 : 0;
            try {
                DomainDefinition parsed = DomainXml.parse(in);
                String out = DomainXml.format(parsed);
                String diff = XmlCompare.firstDifference(in, out);
                if (diff != null) {
                    failures.add(Corpus.name(f) + ": lost " + diff);
                    continue;
                }
                lossless++;
                DomainDefinition reparsed = DomainXml.parse(out);
                String again = DomainXml.format(reparsed);
                if (again.equals(out)) {
                    canonical++;
                } else {
                    failures.add(Corpus.name(f) + ": the canonical form changed when parsed again");
                }
                if (!Fingerprint.of(reparsed).equals(Fingerprint.of(parsed))) {
                    failures.add(Corpus.name(f) + ": the fingerprint changed across format and parse");
                }
            } catch (RuntimeException e) {
                failures.add(Corpus.name(f) + ": " + e.getMessage());
            }
        }
        System.out.printf("corpus round trip: %d files, %d lossless, %d canonical (format∘parse idempotent),"
                + " %d failures; %d files had comments (not kept, as libvirt)%n",
                files.size(), lossless, canonical, failures.size(), withComments);
        failures.stream().limit(40).forEach(s -> System.out.println("  " + s));
        assertTrue(files.size() > 1000, "expected the whole corpus, found " + files.size() + " files");
        assertEquals(List.of(), failures);
    }
}
