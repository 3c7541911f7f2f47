package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Migrations that must fail cleanly: the source keeps (or resumes) running and says why. */
class MigrationFailureTest {
    static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    final List<FakeVm> vms = new ArrayList<>();

    @AfterEach
    void stopVms() {
        vms.forEach(FakeVm::shutdown);
    }

    FakeVm vm(long bytes, String cpu) {
        FakeVm v = new FakeVm(FakeMemory.of(bytes), cpu);
        vms.add(v);
        return v;
    }

    static MigrationParameters params(long bandwidth) {
        return MigrationParameters.defaults().withMaxBandwidth(bandwidth).withTimeouts(10_000, 10_000);
    }

    /** A blocked VM (e.g. nested virtualization exposed) is refused before anything is sent or paused. */
    @Test
    void aBlockedVmIsRefusedAtOnceAndKeepsRunning() throws Exception {
        FakeVm src = vm(16 * MIB, "qemu64").fill(16, 1).running().blocked("it exposes svm; use -cpu qemu64,-svm");
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            MigrationException e = org.junit.jupiter.api.Assertions.assertThrows(MigrationException.class,
                    () -> OutgoingMigration.start(src, "tcp:127.0.0.1:" + listener.getLocalPort(), params(1L << 30),
                            MigrationListener.NONE));
            assertEquals("migration is blocked: it exposes svm; use -cpu qemu64,-svm", e.getMessage());
            listener.setSoTimeout(300);
            org.junit.jupiter.api.Assertions.assertThrows(java.net.SocketTimeoutException.class, listener::accept,
                    "nothing connected to the destination");
        }
        assertTrue(src.isRunning(), "the guest was never paused");
    }

    @Test
    void corruptedByteInFlightIsAChecksumErrorNamingTheRecordAndTheSourceResumes() throws Exception {
        FakeVm src = vm(16 * MIB, "qemu64").fill(1024, 3).running().dirtying(256, 2000);
        FakeVm dst = vm(16 * MIB, "qemu64");
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        try (CorruptingProxy proxy = new CorruptingProxy(in.port(), 512 * 1024)) {
            OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + proxy.port(),
                    params(0), MigrationListener.NONE);
            MigrationStats s = out.await(30_000);
            assertEquals(MigrationStatus.FAILED, s.status());
            assertTrue(s.errorDesc().contains("checksum error in the RAM record at gpa 0x0 (round 0)"),
                    s.errorDesc());
            assertTrue(src.isRunning(), "the source guest runs again");
            assertEquals(MigrationStatus.FAILED, in.await(10_000));
            assertTrue(in.error().contains("checksum error"), in.error());
            assertFalse(dst.isRunning(), "the destination never runs a guest it could not check");
        }
    }

    @Test
    void corruptedDeviceSectionInAStateFileIsNamed() throws Exception {
        Path file = dir.resolve("state.bin");
        FakeVm src = vm(8 * MIB, "qemu64").fill(64, 5);
        MigrationStats s = OutgoingMigration.start(src, "exec:cat > " + file, params(0), MigrationListener.NONE)
                .await(30_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s::errorDesc);
        byte[] bytes = Files.readAllBytes(file);
        int at = indexOf(bytes, "fake-dev".getBytes(StandardCharsets.US_ASCII));
        assertTrue(at > 0, "the device section is in the file");
        bytes[at + 8 + 20] ^= 0x40; // past instance, version and lengths: in the (deflated) payload
        Files.write(file, bytes);
        FakeVm dst = vm(8 * MIB, "qemu64");
        IncomingMigration in = IncomingMigration.start(dst, "exec:cat " + file, MigrationListener.NONE);
        assertEquals(MigrationStatus.FAILED, in.await(30_000));
        assertTrue(in.error().contains("checksum error in the DEVICE section fake-dev#0"), in.error());
        assertEquals(0, dst.devicePasses(), "nothing was restored");
    }

    @Test
    void killedDestinationMakesTheSourceResumeWithinASecond() throws Exception {
        FakeVm src = vm(32 * MIB, "qemu64").fill(8192, 9).running();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process dest = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                DestinationMain.class.getName(), "tcp:127.0.0.1:0", Long.toString(32 * MIB))
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(dest.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.startsWith("PORT ")) {
                // skip log lines
            }
            assertTrue(line != null, "the destination process started");
            int port = Integer.parseInt(line.substring(5).trim());
            OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + port, params(16 * MIB),
                    MigrationListener.NONE);
            Await.value("4 MiB sent", out::stats, st -> st.transferredBytes() >= 4 * MIB || st.status().isFinal());
            long killedAt = System.nanoTime();
            dest.destroyForcibly();
            MigrationStats s = out.await(60_000);
            long reactionMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertEquals(MigrationStatus.FAILED, s.status());
            assertTrue(src.isRunning(), "the source guest keeps running");
            // The socket tells the source at once (milliseconds here); only a source that waited for its 10 s
            // acknowledgement timeout, or longer, would reach this wide bound.
            assertTrue(reactionMs < 9_000, "the source noticed after " + reactionMs + " ms");
            assertTrue(s.errorDesc().contains("lost") || s.errorDesc().contains("failed"), s.errorDesc());
        } finally {
            dest.destroyForcibly();
        }
    }

    @Test
    void anImageHeldOnTheDestinationFailsAfterTheReleaseAndTheSourceTakesItBack() throws Exception {
        FakeVm src = vm(8 * MIB, "qemu64").fill(256, 3).running();
        FakeVm dst = vm(8 * MIB, "qemu64").imageHeldBy("QEMU, pid 4242 qemu-system-x86");
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withTimeouts(10_000, 10_000), MigrationListener.NONE);
        MigrationStats stats = out.await(60_000);
        assertEquals(MigrationStatus.FAILED, stats.status());
        assertTrue(stats.errorDesc().contains("held for writing by QEMU, pid 4242"), stats.errorDesc());
        assertEquals(MigrationStatus.FAILED, in.await(10_000));
        assertEquals(List.of("flush", "inactivate", "activate", "resume"), src.blockEvents(),
                "the source takes its images back before its guest runs again");
        assertTrue(src.isRunning());
        assertEquals(List.of("check"), dst.blockEvents(), "the destination never runs");
        assertFalse(dst.isRunning());
    }

    @Test
    void differentConfigurationIsRefusedNamingEachDifference() throws Exception {
        FakeVm src = vm(16 * MIB, "qemu64").running();
        FakeVm dst = vm(8 * MIB, "max");
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationStats s = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), params(0),
                MigrationListener.NONE).await(10_000);
        assertEquals(MigrationStatus.FAILED, s.status());
        assertTrue(s.errorDesc().contains("refused"), s.errorDesc());
        assertTrue(s.errorDesc().contains("cpu.model: source qemu64, here max"), s.errorDesc());
        assertTrue(s.errorDesc().contains("ram.bytes: source 16777216, here 8388608"), s.errorDesc());
        assertEquals(0, s.normalPages() + s.zeroPages(), "no RAM was sent");
        assertTrue(src.isRunning());
        assertEquals(MigrationStatus.FAILED, in.await(5_000));
    }

    @Test
    void nobodyListeningFailsAtOnce() throws Exception {
        FakeVm src = vm(4 * MIB, "qemu64").running();
        MigrationStats s = OutgoingMigration.start(src, "unix:" + dir.resolve("nobody.sock"), params(0),
                MigrationListener.NONE).await(5_000);
        assertEquals(MigrationStatus.FAILED, s.status());
        assertTrue(s.errorDesc().contains("cannot connect to unix:"), s.errorDesc());
        assertTrue(src.isRunning());
    }

    @Test
    void execCommandThatFailsMakesTheMigrationFail() throws Exception {
        FakeVm src = vm(4 * MIB, "qemu64").fill(16, 1).running();
        MigrationStats s = OutgoingMigration.start(src, "exec:cat > " + dir.resolve("no/such/dir/f"), params(0),
                MigrationListener.NONE).await(10_000);
        assertEquals(MigrationStatus.FAILED, s.status());
        assertTrue(s.errorDesc().contains("exited with status") || s.errorDesc().contains("exit status"),
                s.errorDesc());
        assertTrue(src.isRunning(), "the source resumes after the final pass failed");
    }

    /** The last occurrence (the config record names the device too; the DEVICE record comes last). */
    @Test
    void loadingAMissingStateFileNamesTheCommandsError() throws Exception {
        FakeVm dst = vm(4 * MIB, "qemu64");
        IncomingMigration in = IncomingMigration.start(dst, "exec:gzip -c -d " + dir.resolve("missing.gz"),
                MigrationListener.NONE);
        assertEquals(MigrationStatus.FAILED, in.await(10_000));
        assertTrue(in.error().contains("ended early") && in.error().contains("exit status 1")
                && in.error().contains("missing.gz"), in.error());
        assertFalse(dst.isRunning());
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = hay.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
