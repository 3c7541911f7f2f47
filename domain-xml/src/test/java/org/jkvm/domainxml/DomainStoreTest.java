package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 4: atomic writes under kill -9, a broken file among good ones, and a clean git working tree. */
class DomainStoreTest {
    @TempDir
    Path tmp;

    /** A definition whose text is large (4 MiB, so a write takes many syscalls) and carries a marker. */
    private static String big(String marker) {
        return Fixtures.guestWith("<title>A jkvm test guest</title>", "<description>" + marker.repeat(1 << 20)
                + "</description>");
    }

    @Test
    void killDuringWritesLeavesTheOldOrTheNewFileNeverABrokenOne() throws Exception {
        Path store = tmp.resolve("store");
        Path a = Files.writeString(tmp.resolve("a.xml"), big("AAAA"));
        Path b = Files.writeString(tmp.resolve("b.xml"), big("BBBB"));
        String textA = DomainXml.format(DomainXml.parse(a).persistent());
        String textB = DomainXml.format(DomainXml.parse(b).persistent());
        Random random = new Random(42);
        int sawA = 0;
        int sawB = 0;
        for (int round = 0; round < 4; round++) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), StoreWriterMain.class.getName(),
                    store.toString(), a.toString(), b.toString()).redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                assertEquals("ready", r.readLine(), "the writer process did not start");
                // Killed after a random number of saves, while it writes the next one (it does not wait for us).
                int saves = 1 + random.nextInt(4);
                for (int i = 0; i < saves; i++) {
                    assertEquals("saved " + i, r.readLine(), "the writer's save " + i);
                }
                p.destroyForcibly();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            }
            String now = Files.readString(store.resolve("guest1.xml"), StandardCharsets.UTF_8);
            assertTrue(now.equals(textA) || now.equals(textB), "round " + round + ": the file is neither version");
            sawA += now.equals(textA) ? 1 : 0;
            sawB += now.equals(textB) ? 1 : 0;
            DomainStore.LoadResult loaded = new DomainStore(store).loadAll();
            assertEquals(1, loaded.definitions().size());
            assertEquals(List.of(), loaded.broken(), "hidden temporary files must be skipped");
        }
        System.out.printf("store crash test: 4 kills, old/new version seen %d/%d times%n", sawA, sawB);
    }

    @Test
    void killInTheMiddleOfAWriteLeavesTheOldFile() throws Exception {
        Path store = tmp.resolve("store");
        Path a = Files.writeString(tmp.resolve("a.xml"), big("AAAA"));
        Path b = Files.writeString(tmp.resolve("b.xml"), big("BBBB"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StoreWriterMain.class.getName(),
                store.toString(), a.toString(), b.toString(), "pause").redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("ready", r.readLine(), "the writer process did not start");
            assertTrue(r.readLine().startsWith("mid-write "), "the writer did not stop inside a write");
            p.destroyForcibly();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        }
        assertEquals(DomainXml.format(DomainXml.parse(a).persistent()),
                Files.readString(store.resolve("guest1.xml"), StandardCharsets.UTF_8));
        DomainStore.LoadResult loaded = new DomainStore(store).loadAll();
        assertEquals(1, loaded.definitions().size());
        assertEquals(List.of(), loaded.broken());
    }

    @Test
    void oneBrokenFileDoesNotStopTheOthers() throws IOException {
        DomainStore store = new DomainStore(tmp);
        store.save(DomainXml.parse(Fixtures.guest()));
        store.save(DomainXml.parse(Fixtures.guest()).withName("guest2").withUuidIfAbsent());
        Files.writeString(tmp.resolve("guest2.xml"), Files.readString(tmp.resolve("guest2.xml"))
                .replace("c7a5fdbd-edaf-9455-926a-d65c16db1809", "c7a5fdbd-edaf-9455-926a-d65c16db1802"));
        Files.writeString(tmp.resolve("broken.xml"), "<domain type='kvm'>\n  <name>broken</name>\n  <memory>");
        Files.writeString(tmp.resolve("misnamed.xml"), Fixtures.guestWith("guest1", "other")
                .replace("d65c16db1809", "d65c16db1803"));
        DomainStore.LoadResult r = store.loadAll();
        assertEquals(List.of("guest1", "guest2"), r.definitions().stream().map(DomainDefinition::name).toList());
        assertEquals(2, r.broken().size());
        assertEquals(tmp.resolve("broken.xml"), r.broken().get(0).file());
        assertEquals(tmp.resolve("broken.xml") + ": line 3, column 11: malformed XML: XML document structures must"
                + " start and end within the same entity.", r.broken().get(0).reason());
        assertEquals("the file holds domain 'other'; rename the file to other.xml", r.broken().get(1).reason());
    }

    @Test
    void storedFilesAreCanonicalWithoutRuntimeFacts() throws IOException {
        DomainStore store = new DomainStore(tmp);
        DomainDefinition live = LiveXml.of(DomainXml.parse(Fixtures.guestWith("<serial type='file'>\n      <source"
                + " path='/var/log/jkvm/guest1.serial'/>", "<serial type='pty'>")), 7, Path.of("/run/g.log"));
        assertTrue(DomainXml.format(live).contains("id=\"7\""));
        assertTrue(DomainXml.format(live).contains("/run/g.log"));
        Path f = store.save(live);
        String text = Files.readString(f);
        assertFalse(text.contains("id=\"7\""), text);
        assertFalse(text.contains("/run/g.log"), text);
        assertEquals(DomainXml.format(DomainXml.parse(text)), text);
        assertTrue(store.find("guest1").isPresent());
        store.save(DomainXml.parse(Fixtures.guest().replace("<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>",
                "").replace("guest1", "nouuid")));
        assertTrue(store.find("nouuid").orElseThrow().uuid().matches("[0-9a-f-]{36}"), "a UUID is generated");
        assertTrue(store.delete("guest1"));
        assertFalse(store.find("guest1").isPresent());
    }

    @Test
    void roundTripLeavesAGitWorkingTreeClean() throws Exception {
        Require.command("git");
        DomainStore store = new DomainStore(tmp);
        List<Path> sources = CorpusRoundTripTest.corpus().stream()
                .filter(p -> p.getFileName().toString().startsWith("serial-")).toList();
        int saved = 0;
        for (Path p : sources) {
            DomainDefinition d = DomainXml.parse(p);
            if (LibvirtRules.check(d).isEmpty() && store.fileOf(d.name()) != null
                    && !Files.exists(store.fileOf(d.name()))) {
                DomainDefinition renamed = d.withName(p.getFileName().toString().replace(".xml", ""));
                renamed.model().uuid = Uuids.random();
                store.save(renamed);
                saved++;
            }
        }
        assertTrue(saved > 5, "saved " + saved);
        git("init", "-q");
        git("add", "-A");
        git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "defs");
        DomainStore reopened = new DomainStore(tmp);
        DomainStore.LoadResult all = reopened.loadAll();
        assertEquals(List.of(), all.broken());
        for (DomainDefinition d : all.definitions()) {
            reopened.save(DomainXml.parse(DomainXml.format(d)));
        }
        assertEquals("", git("status", "--porcelain"), "the store must not change files it rewrites");
    }

    private String git(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", tmp.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "git " + String.join(" ", args) + ": " + out);
        return out.strip();
    }
}
