package org.jkvm.block;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Finds which process holds a lock byte of an image, for error messages only: OFD locks carry no owner pid
 * ({@code /proc/locks} shows -1), but {@code /proc/PID/fdinfo/FD} lists the locks of each open file. The search
 * reads every process's fdinfo it may read (all of them as root), so it runs only after a conflict; anything it
 * cannot read is skipped, and when it finds nothing the answer is the generic "QEMU or jkvm".
 */
final class LockHolders {
    private static final String UNKNOWN = "QEMU or jkvm";

    private LockHolders() {
    }

    /**
     * Describes the holder of byte {@code offset} of {@code image}: "QEMU, pid 123 qemu-system-x86", "jkvm, pid
     * 456", or "QEMU or jkvm" when it cannot be found.
     *
     * @param ownFd this process's descriptor of the image, whose own locks are not the conflict
     */
    static String describe(Path image, int ownFd, long offset) {
        try {
            String id = inodeId(image);
            long self = ProcessHandle.current().pid();
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path proc : procs) {
                    long pid = Long.parseLong(proc.getFileName().toString());
                    if (holds(proc, pid == self ? ownFd : -1, id, offset)) {
                        return kind(proc, pid);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
        return UNKNOWN;
    }

    /** The file's device and inode as {@code /proc/locks} prints them: "MAJ:MIN:INODE", major and minor in hex. */
    static String inodeId(Path image) throws IOException {
        long dev = (Long) Files.getAttribute(image, "unix:dev");
        long ino = (Long) Files.getAttribute(image, "unix:ino");
        // glibc's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 12-31
        long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        return String.format(Locale.ROOT, "%02x:%02x:%d", major, minor, ino);
    }

    private static boolean holds(Path proc, int skipFd, String id, long offset) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fdinfo"))) {
            for (Path fd : fds) {
                if (fd.getFileName().toString().equals(Integer.toString(skipFd))) {
                    continue;
                }
                for (String line : Files.readAllLines(fd, StandardCharsets.US_ASCII)) {
                    if (line.startsWith("lock:") && covers(line, id, offset)) {
                        return true;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return false; // the process ended or is not ours to read
        }
        return false;
    }

    /** "lock: 1: OFDLCK ADVISORY  READ -1 fe:00:2154981 100 101": the inode, then the first and last byte. */
    private static boolean covers(String line, String id, long offset) {
        String[] t = line.trim().split("\\s+");
        for (int i = 0; i + 2 < t.length; i++) {
            if (t[i].equals(id)) {
                long start = Long.parseLong(t[i + 1]);
                boolean toEof = t[i + 2].equals("EOF");
                return start <= offset && (toEof || offset <= Long.parseLong(t[i + 2]));
            }
        }
        return false;
    }

    private static String kind(Path proc, long pid) throws IOException {
        String comm = Files.readString(proc.resolve("comm"), StandardCharsets.UTF_8).trim();
        String cmdline = Files.readString(proc.resolve("cmdline"), StandardCharsets.UTF_8);
        if (cmdline.contains("org.jkvm")) {
            return "jkvm, pid " + pid;
        }
        if (comm.startsWith("qemu")) {
            return "QEMU, pid " + pid + " " + comm;
        }
        return "QEMU or jkvm, pid " + pid + " " + comm;
    }
}
