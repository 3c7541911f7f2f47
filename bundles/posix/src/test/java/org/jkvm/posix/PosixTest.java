package org.jkvm.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calls against what the kernel shows in /proc. */
class PosixTest {
    @TempDir
    Path dir;

    /** The thread id the kernel gives for the calling thread: /proc/thread-self links to PID/task/TID. */
    private static int procTid() throws Exception {
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
        return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
    }

    @Test
    void gettidIsTheKernelsThreadIdAndDiffersPerThread() throws Exception {
        assertEquals(procTid(), Posix.gettid());
        AtomicInteger other = new AtomicInteger();
        AtomicInteger otherProc = new AtomicInteger();
        Thread t = new Thread(() -> {
            other.set(Posix.gettid());
            try {
                otherProc.set(procTid());
            } catch (Exception e) {
                otherProc.set(-1);
            }
        });
        t.start();
        t.join();
        assertEquals(otherProc.get(), other.get());
        assertNotEquals(Posix.gettid(), other.get());
    }

    @Test
    void setThreadNiceChangesThatThreadOnly() throws Exception {
        AtomicReference<String> stat = new AtomicReference<>();
        AtomicReference<Boolean> ok = new AtomicReference<>();
        Thread t = new Thread(() -> {
            ok.set(Posix.setThreadNice(Posix.gettid(), 19));
            try {
                stat.set(Files.readString(Path.of("/proc/thread-self/stat")));
            } catch (Exception e) {
                stat.set("");
            }
        });
        t.start();
        t.join();
        assertTrue(ok.get());
        // Field 19 of stat is the nice value; fields after the ")" of the command name start at field 3.
        String[] f = stat.get().substring(stat.get().lastIndexOf(')') + 2).split(" ");
        assertEquals("19", f[19 - 3], stat.get());
        String mine = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] m = mine.substring(mine.lastIndexOf(')') + 2).split(" ");
        assertNotEquals("19", m[19 - 3], "the calling thread keeps its own nice value");
    }

    @Test
    void threadNiceReadsWhatSetThreadNiceSet() throws Exception {
        AtomicReference<int[]> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int tid = Posix.gettid();
            int before = Posix.threadNice(tid);
            Posix.setThreadNice(tid, 7);
            seen.set(new int[] {before, Posix.threadNice(tid)});
        });
        t.start();
        t.join();
        assertEquals(Posix.threadNice(Posix.gettid()), seen.get()[0], "a new thread inherits its creator's nice");
        assertEquals(7, seen.get()[1]);
    }

    @Test
    void setThreadSchedulerSwitchesThatThreadToFifoAndBack() throws Exception {
        Require.root();
        AtomicReference<String[]> stats = new AtomicReference<>();
        AtomicReference<Boolean> ok = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int tid = Posix.gettid();
            boolean raised = Posix.setThreadScheduler(tid, Posix.SCHED_FIFO, 1);
            String during = threadStat();
            boolean lowered = Posix.setThreadScheduler(tid, Posix.SCHED_OTHER, 0);
            ok.set(raised && lowered);
            stats.set(new String[] {during, threadStat()});
        });
        t.start();
        t.join();
        assertTrue(ok.get(), "sched_setscheduler as root");
        // Fields 40 and 41 of stat: rt_priority and policy.
        String[] during = fields(stats.get()[0]);
        assertEquals("1", during[40 - 3], stats.get()[0]);
        assertEquals("1", during[41 - 3], "SCHED_FIFO");
        String[] after = fields(stats.get()[1]);
        assertEquals("0", after[40 - 3], stats.get()[1]);
        assertEquals("0", after[41 - 3], "SCHED_OTHER");
        assertEquals("0", fields(Files.readString(Path.of("/proc/thread-self/stat")))[41 - 3],
                "the calling thread keeps its policy");
    }

    private static String threadStat() {
        try {
            return Files.readString(Path.of("/proc/thread-self/stat"));
        } catch (Exception e) {
            return "";
        }
    }

    /** The fields of a stat line after the command name: index 0 is field 3. */
    private static String[] fields(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    @Test
    void openDup2AndCloseRedirectADescriptor() throws Exception {
        Path a = dir.resolve("a.log");
        Path b = dir.resolve("b.log");
        Files.writeString(a, "");
        Files.writeString(b, "");
        int fa = Posix.open(a.toString(), Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CLOEXEC);
        int fb = Posix.open(b.toString(), Posix.O_WRONLY | Posix.O_CLOEXEC);
        assertTrue(fa >= 0 && fb >= 0);
        assertEquals(fb, Posix.dup2(fa, fb));
        // fb now refers to a.log: what the kernel shows for it says so.
        assertEquals(a.toRealPath(), Files.readSymbolicLink(Path.of("/proc/self/fd/" + fb)));
        assertEquals(0, Posix.close(fa));
        assertEquals(0, Posix.close(fb));
        assertEquals("", Files.readString(b, StandardCharsets.UTF_8));
    }

    @Test
    void aFailedOpenReportsItsErrno() {
        assertEquals(-1, Posix.open(dir.resolve("missing").toString(), Posix.O_RDONLY));
        assertEquals(2, Posix.lastErrno(), "ENOENT");
        assertEquals("No such file or directory", Posix.strerror(2));
    }
}
