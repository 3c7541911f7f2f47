package org.jkvm.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real virsh 9.0 against our server and the in-memory test driver, over UNIX and TCP sockets. */
class VirshTest {
    @TempDir
    Path dir;
    private final TestDriver driver = new TestDriver();
    private final RpcServer server = new RpcServer(new InMemoryDriverRegistry().register(driver));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void virshOverUnixSocket() throws Exception {
        Path virsh = Require.command("virsh");
        Path sock = server.listenUnix(dir.resolve("run/jkvm-sock"));
        session(new Virsh(virsh, "jkvm+unix:///system?socket=" + sock, dir));
    }

    @Test
    void virshOverTcp() throws Exception {
        Path virsh = Require.command("virsh");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        session(new Virsh(virsh, "jkvm+tcp://127.0.0.1:" + a.getPort() + "/system", dir));
    }

    @Test
    void virshEventSeesLifecycle() throws Exception {
        Path virsh = Require.command("virsh");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        String uri = "jkvm+tcp://127.0.0.1:" + a.getPort() + "/system";
        Path xml = dir.resolve("vm1.xml");
        Files.writeString(xml, RpcServerTest.VM1);
        new Virsh(virsh, uri, dir).run("define", xml.toString()).ok();
        Process p = new ProcessBuilder(virsh.toString(), "-c", uri, "event", "--event", "lifecycle", "--timeout", "20")
                .redirectErrorStream(true).start();
        try {
            Await.until("virsh event registers for lifecycle events", () -> !driver.listeners.isEmpty());
            assertEquals(1, driver.listeners.size(), "virsh event registered for lifecycle events");
            new Virsh(virsh, uri, dir).run("start", "vm1").ok();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(out.contains("event 'lifecycle' for domain 'vm1': Started Booted"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void virshSavePollsJobInfoAndDomjobinfoShowsStats() throws Exception {
        Path virsh = Require.command("virsh");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        Virsh v = new Virsh(virsh, "jkvm+tcp://127.0.0.1:" + a.getPort() + "/system", dir);
        Path xml = dir.resolve("vm1.xml");
        Files.writeString(xml, RpcServerTest.VM1);
        v.run("define", xml.toString()).ok();
        v.run("start", "vm1").ok();
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        driver.saveGate = gate;
        var save = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                // --verbose: virsh keeps polling job info for its progress bar (without it, it stops after the
                // first poll that shows a running job)
                return v.run("save", "--verbose", "vm1", dir.resolve("vm1.save").toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Await.value("virsh polls job info twice while save runs", driver.jobPolls::get, n -> n >= 2);
        assertTrue(driver.jobPolls.get() >= 2, "virsh polled job info while save ran: " + driver.jobPolls.get());
        String job = v.run("domjobinfo", "vm1").ok().out();
        assertTrue(job.matches("(?s).*Job type:\\s+Unbounded.*"), job);
        assertTrue(job.matches("(?s).*Operation:\\s+Save.*"), job);
        assertTrue(job.matches("(?s).*Time elapsed:\\s+1500\\s+ms.*"), job);
        assertTrue(job.matches("(?s).*Data processed:\\s+512[.,]000 MiB.*"), job);
        gate.countDown();
        Virsh.Result saved = save.get(30, java.util.concurrent.TimeUnit.SECONDS).ok();
        assertTrue(saved.out().contains("Domain 'vm1' saved to"), saved.out());
        assertTrue(saved.err().contains("Save: [ 40 %]"), "progress from dataRemaining/dataTotal: " + saved.err());
        String none = v.run("domjobinfo", "vm1").ok().out();
        assertTrue(none.matches("(?s).*Job type:\\s+None.*"), none);
    }

    @Test
    void readOnlyVirshCannotChangeDomains() throws Exception {
        Path virsh = Require.command("virsh");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        Path xml = dir.resolve("vm1.xml");
        Files.writeString(xml, RpcServerTest.VM1);
        ProcessBuilder pb = new ProcessBuilder(virsh.toString(), "-r", "-c",
                "jkvm+tcp://127.0.0.1:" + a.getPort() + "/system", "define", xml.toString());
        pb.environment().put("HOME", dir.toString());
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertNotEquals(0, p.waitFor());
        assertTrue(out.contains("operation forbidden"), out);
        assertEquals(0, driver.domains.size());
    }

    @Test
    void virshConsoleShowsOutputAndSendsKeys() throws Exception {
        Path virsh = Require.command("virsh");
        Path script = Require.command("script");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
        String uri = "jkvm+tcp://127.0.0.1:" + a.getPort() + "/system";
        Virsh v = new Virsh(virsh, uri, dir);
        Path xml = dir.resolve("vm1.xml");
        Files.writeString(xml, RpcServerTest.VM1);
        v.run("define", xml.toString()).ok();
        v.run("start", "vm1").ok();
        // virsh console needs a terminal: script(1) gives it one and forwards our keystrokes
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "-qfec", virsh + " -c " + uri + " console vm1",
                "/dev/null").redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        StringBuffer seen = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (var in = new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8)) {
                char[] buf = new char[1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    seen.append(buf, 0, n);
                }
            } catch (java.io.IOException e) {
                seen.append("\n(reading virsh's output failed: ").append(e).append(')');
            }
        }, "virsh-console-output");
        reader.start();
        try {
            // The driver's console says hello once the stream runs: then virsh forwards what we type.
            Await.until("the console stream runs: " + seen, () -> seen.indexOf("console of vm1") >= 0);
            p.getOutputStream().write("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
            Await.until("the keys come back through the console", () -> seen.indexOf("ABC") >= 0);
            p.getOutputStream().write(0x1d); // Ctrl-]: virsh finishes the stream
            p.getOutputStream().flush();
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "virsh console ended after Ctrl-]");
            reader.join(10_000);
            String out = seen.toString();
            assertTrue(out.contains("Connected to domain 'vm1'"), out);
            assertTrue(out.contains("console of vm1"), out);
            assertTrue(out.contains("ABC"), out);
            assertEquals(1, driver.consolesClosed.get(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Rows of a virsh list table (after the header and the dashes). */
    private static int rows(String table) {
        String[] lines = table.strip().split("\n");
        return Math.max(0, lines.length - 2);
    }

    private void session(Virsh v) throws Exception {
        String version = v.run("version").ok().out();
        assertTrue(version.contains("Running hypervisor: JKVM 1.2.3"), version);
        String uri = v.run("uri").ok().out();
        assertTrue(uri.startsWith("jkvm+"), uri);
        String host = v.run("hostname").ok().out().trim();
        assertEquals("jkvm-test-host", host);
        String node = v.run("nodeinfo").ok().out();
        assertTrue(node.matches("(?s).*CPU model:\\s+x86_64.*"), node);
        assertTrue(node.matches("(?s).*CPU\\(s\\):\\s+2\\b.*"), node);
        assertTrue(node.matches("(?s).*Memory size:\\s+25165824 KiB.*"), node);
        assertEquals(0, rows(v.run("list", "--all").ok().out()));
        assertTrue(v.run("capabilities").ok().out().contains("<arch>x86_64</arch>"));
        Virsh.Result noCaps = v.run("domcapabilities");
        assertNotEquals(0, noCaps.exit());
        assertTrue(noCaps.err().contains("this function is not supported by the connection driver"), noCaps.err());

        Path xml = dir.resolve("vm1.xml");
        Files.writeString(xml, RpcServerTest.VM1);
        assertTrue(v.run("define", xml.toString()).ok().out().contains("Domain 'vm1' defined"));
        String list = v.run("list", "--all").ok().out();
        assertTrue(list.matches("(?s).*\\n\\s*-\\s+vm1\\s+shut off\\s*"), list);
        String info = v.run("dominfo", "vm1").ok().out();
        assertTrue(info.matches("(?s).*UUID:\\s+11111111-2222-3333-4444-555555555555.*"), info);
        assertTrue(info.matches("(?s).*State:\\s+shut off.*"), info);
        assertTrue(info.matches("(?s).*Max memory:\\s+1048576 KiB.*"), info);
        assertTrue(info.matches("(?s).*CPU\\(s\\):\\s+2\\b.*"), info);
        assertTrue(v.run("dumpxml", "vm1").ok().out().contains("<name>vm1</name>"));

        assertTrue(v.run("start", "vm1").ok().out().contains("Domain 'vm1' started"));
        assertTrue(v.run("domstate", "--reason", "vm1").ok().out().contains("running (booted)"));
        String running = v.run("dominfo", "vm1").ok().out();
        assertTrue(running.matches("(?s).*State:\\s+running.*"), running);
        assertTrue(running.matches("(?s).*CPU time:\\s+12.3s.*"), running);
        String active = v.run("list").ok().out();
        assertTrue(active.matches("(?s).*\\n\\s*1\\s+vm1\\s+running\\s*"), active);
        v.run("suspend", "vm1").ok();
        assertTrue(v.run("domstate", "--reason", "vm1").ok().out().contains("paused (user)"));
        v.run("resume", "vm1").ok();
        v.run("migrate-setspeed", "vm1", "50").ok();
        assertEquals("50", v.run("migrate-getspeed", "vm1").ok().out().trim());
        v.run("migrate-setmaxdowntime", "vm1", "123").ok();
        assertEquals("123", v.run("migrate-getmaxdowntime", "vm1").ok().out().trim());

        Virsh.Result again = v.run("start", "vm1");
        assertNotEquals(0, again.exit());
        assertTrue(again.err().contains("error: Domain is already active"),
                again.err());
        Virsh.Result missing = v.run("dominfo", "nope");
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("failed to get domain 'nope'"), missing.err());

        v.run("destroy", "vm1").ok();
        assertTrue(v.run("domstate", "--reason", "vm1").ok().out().contains("shut off (destroyed)"));
        assertTrue(v.run("undefine", "vm1").ok().out().contains("Domain 'vm1' has been undefined"));
        assertEquals(0, rows(v.run("list", "--all").ok().out()));
        assertEquals(0, driver.domains.size());
    }
}
