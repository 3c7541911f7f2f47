package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.TypedParam;
import org.jkvm.rpc.RemoteClient;
import org.jkvm.xdr.XdrWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, acceptance 1, against the daemon as {@code bin/jkvmd} runs it: a definition nested 5,000 elements deep
 * inside {@code <metadata>} (which used to get no reply and cost an RPC worker) is refused with an error naming the
 * depth limit, through define and through a migration's destination XML, and afterwards every RPC worker thread
 * that was alive before still is. Other parser-breaking shapes (deeper, unclosed, 250,000 attributes, 1 MiB names)
 * get an XML error reply too.
 */
class HostileXmlDaemonTest {
    /** Only a bound on a hang: each refusal takes milliseconds (the test prints the time), none took seconds. */
    private static final long REPLY_BOUND_MS = 30_000;

    @TempDir
    Path dir;

    /** A guest definition with {@code inner} added inside its {@code <metadata>}. */
    private static String guestWith(String name, String inner) {
        return Guest.xml(name, "workload=idle").replace("  <memory", "  <metadata>" + inner + "</metadata>\n  <memory");
    }

    private static String deep(int levels) {
        return "<x>".repeat(levels) + "</x>".repeat(levels);
    }

    @Test
    void deepDefinitionIsRefusedNamingTheLimitAndNoWorkerEnds() throws Exception {
        try (Daemon d = new Daemon(dir, "/bin/false");
             RemoteClient c = RemoteClient.connectUnix(d.socket).open("jkvm:///system", false)) {
            c.callTimeoutMs(REPLY_BOUND_MS);
            // Warm up: the JAXB context and a few workers exist before the measured call, as in a running daemon.
            for (int i = 0; i < 3; i++) {
                define(c, guestWith("ok" + i, deep(10)));
            }
            List<Thread> before = rpcWorkers();
            assertTrue(!before.isEmpty(), "the daemon's RPC workers are visible in this JVM");

            long t0 = System.nanoTime();
            LibvirtError e = assertThrows(LibvirtError.class, () -> define(c, guestWith("deep", deep(5_000))));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("deep definition (5,000 levels in <metadata>): error reply after %d ms: %s%n", ms,
                    e.getMessage());
            assertEquals(ErrorCodes.XML_ERROR, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("nested more than 256 levels deep"), e.getMessage());
            assertTrue(e.getMessage().contains("libxml2"), e.getMessage());

            LibvirtError m = assertThrows(LibvirtError.class, () -> c.migratePrepare3(List.of(
                    new TypedParam.Str(MigrationParams.DEST_XML, guestWith("deepin", deep(5_000)))), new byte[0], 1));
            assertTrue(m.getMessage().contains("nested more than 256 levels deep"), m.getMessage());

            for (String hostile : List.of(deep(300_000), "<x>".repeat(500_000), attributes(250_000),
                    "<" + "n".repeat(1 << 20) + "/>", "<x " + "n".repeat(1 << 20) + "='1'/>")) {
                LibvirtError h = assertThrows(LibvirtError.class, () -> define(c, guestWith("hostile", hostile)));
                assertEquals(ErrorCodes.XML_ERROR, h.code(), h.getMessage());
            }

            assertEquals(1000L, c.version(), "the same connection still works");
            define(c, guestWith("after", deep(10)));
            List<Thread> after = rpcWorkers();
            for (Thread t : before) {
                assertTrue(t.isAlive() && after.contains(t), "RPC worker " + t.getName() + " ended");
            }
            System.out.printf("RPC worker threads: %d before, %d after%n", before.size(), after.size());
        }
    }

    private static void define(RemoteClient c, String xml) {
        Consumer<XdrWriter> args = w -> w.writeString(xml, Programs.STRING_MAX).writeInt(0);
        c.call(Procedures.DOMAIN_DEFINE_XML_FLAGS, args, RemoteCodec::readDomain);
    }

    private static String attributes(int count) {
        StringBuilder sb = new StringBuilder("<x");
        for (int i = 0; i < count; i++) {
            sb.append(" a").append(i).append("='v'");
        }
        return sb.append("/>").toString();
    }

    /** The daemon's RPC worker threads alive now (the daemon's framework runs in this JVM). */
    private static List<Thread> rpcWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("jkvm-rpc-worker-") && t.isAlive()).toList();
    }
}
