package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/** Parse and format from several threads at once give the same texts as one thread (the driver is threaded). */
class ConcurrencyTest {
    @Test
    void fourThreadsGiveTheSameCanonicalTexts() throws Exception {
        List<Path> files = CorpusRoundTripTest.corpus().subList(0, 200);
        List<String> inputs = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (Path f : files) {
            String in = Files.readString(f, StandardCharsets.UTF_8);
            inputs.add(in);
            expected.add(DomainXml.format(DomainXml.parse(in)) + Fingerprint.of(DomainXml.parse(in)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    List<String> out = new ArrayList<>();
                    for (String in : inputs) {
                        DomainDefinition d = DomainXml.parse(in);
                        out.add(DomainXml.format(d) + Fingerprint.of(d));
                    }
                    return out;
                }));
            }
            for (Future<List<String>> r : results) {
                assertEquals(expected, r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
