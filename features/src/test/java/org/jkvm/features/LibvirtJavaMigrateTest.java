package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.DomainInfo;

/**
 * Issue 6 acceptance item 5, as CloudStack's KVM agent does it ({@link CloudStackAgent}): open A and B, start
 * {@code Domain.migrate} with LIVE on a worker thread, lower the max downtime after a second, poll job info, then
 * find the domain running on B. Once in this JVM against in-JVM daemons on 127.0.0.2 / 127.0.0.3 with the fake
 * engine; once with the real engine between two hosts in network namespaces, the agent being a JVM of its own
 * inside host A's namespace (this test JVM sits in the root namespace, which cannot reach 192.0.2.x).
 */
class LibvirtJavaMigrateTest {
    @TempDir
    Path dir;

    @Test
    void cloudStackStyleMigration() throws Exception {
        LibvirtJavaTest.requireLibvirt();
        try (TwoHosts h = TwoHosts.start(dir, Daemon.fakeEngine(), false, 49420)) {
            h.virsh(h.a.tcpUri(), "define", xml("cs", "workload=idle").toString()).ok();
            h.virsh(h.a.tcpUri(), "start", "cs").ok();
            Guest.awaitHeartbeats(h.a.state().resolve("log/cs.serial"), -1, Duration.ofSeconds(30));
            // The bandwidth argument (MiB/s) keeps the fake engine's 2 MiB stream going for about 1 s.
            CloudStackAgent.Outcome o = CloudStackAgent.migrate(h.a.tcpUri(), h.b.tcpUri(), "cs", 2L);
            assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, o.stateOnDest());
            assertEquals(DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF, o.stateOnSrc());
            assertTrue(o.processed().stream().anyMatch(p -> p > 0), "job info showed progress: " + o.processed());
            Guest.awaitHeartbeats(h.b.state().resolve("log/cs.serial"), -1, Duration.ofSeconds(30));
            h.virsh(h.b.tcpUri(), "destroy", "cs").ok();
        }
    }

    @Test
    void agentOnHostAMigratesARealGuestToHostB() throws Exception {
        LibvirtJavaTest.requireLibvirt();
        Backend.requireGuests();
        String engine = RepoPaths.of("bin", "jkvm-engine").toString();
        try (TwoHosts h = TwoHosts.start(dir, engine, true, 49480)) {
            h.virsh(h.a.tcpUri(), "define", xml("csr", "workload=dirty mib=8 rate=100 hb_ms=200").toString()).ok();
            h.virsh(h.a.tcpUri(), "start", "csr").ok();
            Path serialA = h.a.state().resolve("log/csr.serial");
            // 20 heartbeats = 4 s of writing 100 pages/s: 400 pages (1.6 MB) populated. At 1 MiB/s, that keeps the
            // first pass beyond the second after which the agent lowers the downtime, whatever the start-up costs.
            Guest.awaitHeartbeats(serialA, 18, Duration.ofSeconds(60));
            String out = agent(h, "1");
            System.out.println("[jkvm] CloudStack-style agent on host A: " + out);
            assertTrue(out.startsWith("outcome ") && out.contains("lowered=true") && !out.contains("processed=0 ")
                    && out.contains("dest=VIR_DOMAIN_RUNNING") && out.contains("src=VIR_DOMAIN_SHUTOFF"), out);
            Path serialB = h.b.state().resolve("log/csr.serial");
            long leftA = Guest.lastSeq(serialA);
            assertTrue(Guest.awaitHeartbeats(serialB, leftA, Duration.ofSeconds(30)) > leftA, "heartbeats go on");
            assertTrue(Files.readString(serialB).lines().filter(l -> l.contains("hb seq="))
                    .allMatch(l -> l.contains("errors=0")), "no errors on B");
            h.virsh(h.b.tcpUri(), "destroy", "csr").ok();
        }
    }

    /** Runs the agent where host A's clients run: a JVM in A's namespace, or this JVM on the fallback. */
    private String agent(TwoHosts h, String bandwidth) throws Exception {
        if (!h.namespaced()) {
            CloudStackAgent.Outcome o = CloudStackAgent.migrate(h.a.tcpUri(), h.b.tcpUri(), "csr",
                    Long.parseLong(bandwidth));
            return "outcome processed=" + o.processed().stream().mapToLong(Long::longValue).max().orElse(0)
                    + " lowered=" + o.lowered() + " dest=" + o.stateOnDest() + " src=" + o.stateOnSrc();
        }
        List<String> cmd = new ArrayList<>(h.clientPrefix());
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), CloudStackAgent.class.getName(),
                h.a.tcpUri(), h.b.tcpUri(), "csr", bandwidth));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the agent did not finish in 120 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out.lines().filter(l -> l.startsWith("outcome ") || l.startsWith("failed: ")).findFirst()
                .orElse("no outcome (exit " + p.exitValue() + "): " + out);
    }

    private Path xml(String name, String cmdline) throws IOException {
        Path f = dir.resolve(name + ".xml");
        Files.writeString(f, Guest.xml(name, cmdline));
        return f;
    }
}
