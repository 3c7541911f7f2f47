package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainJobInfo;

/**
 * Issue 6 acceptance item 5, as CloudStack's KVM agent does it: open A and B, start {@code Domain.migrate} with
 * LIVE on a worker thread, lower the max downtime after a second, poll job info, then find the domain running on B.
 */
class LibvirtJavaMigrateTest {
    @TempDir
    Path dir;

    @Test
    void cloudStackStyleMigration() throws Exception {
        LibvirtJavaTest.requireLibvirt();
        String engine = Daemon.fakeEngine();
        try (Daemon a = new Daemon(dir.resolve("a"), engine, 49420, "127.0.0.2");
             Daemon b = new Daemon(dir.resolve("b"), engine, 49430, "127.0.0.3")) {
            Connect ca = new Connect(a.tcpUri(), false);
            Connect cb = new Connect(b.tcpUri(), false);
            ExecutorService worker = Executors.newSingleThreadExecutor();
            try {
                Domain dom = ca.domainDefineXML(Guest.xml("cs", "workload=idle"));
                dom.create();
                Guest.awaitHeartbeats(a.state.resolve("log/cs.serial"), -1, Duration.ofSeconds(30));
                dom.migrateSetMaxDowntime(500);
                String dxml = dom.getXMLDesc(8);
                // LIVE; the bandwidth argument (MiB/s) keeps the fake engine's 2 MiB stream going for about 1 s.
                Future<Domain> f = worker.submit(() -> dom.migrate(cb, 1L, dxml, "cs", null, 2L));
                List<Long> processed = new ArrayList<>();
                long t0 = System.nanoTime();
                boolean lowered = false;
                while (!f.isDone()) {
                    if (!lowered && System.nanoTime() - t0 > 1_000_000_000L) {
                        dom.migrateSetMaxDowntime(100);
                        lowered = true;
                    }
                    DomainJobInfo ji = dom.getJobInfo();
                    processed.add(ji.getDataProcessed());
                    Thread.sleep(100);
                }
                Domain onB = f.get(60, TimeUnit.SECONDS);
                assertEquals("cs", onB.getName());
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, cb.domainLookupByName("cs").getInfo().state);
                assertTrue(processed.stream().anyMatch(p -> p > 0), "job info showed progress: " + processed);
                assertEquals(DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF, ca.domainLookupByName("cs").getInfo().state);
                Guest.awaitHeartbeats(b.state.resolve("log/cs.serial"), -1, Duration.ofSeconds(30));
                cb.domainLookupByName("cs").destroy();
            } finally {
                worker.shutdownNow();
                ca.close();
                cb.close();
            }
        }
    }
}
