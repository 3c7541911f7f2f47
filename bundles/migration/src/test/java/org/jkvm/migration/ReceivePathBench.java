package org.jkvm.migration;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jkvm.migration.stream.RamWindows;

/**
 * Takes apart the non-zero page path of a migration on this host, one cost at a time, for 1 GiB (or the MiB given
 * as the first argument) of shared memory like guest RAM (a /dev/shm file): the destination's copy into fresh
 * memory (first touch: the kernel allocates and zeroes each page), the same copy into memory already touched,
 * the source's zero check of non-zero pages, CRC32C, and bare loopback TCP with 2 MiB writes. Each row gives MiB/s and
 * the minor page faults and CPU of this process during it. Run: {@code bin/jkvm-bench ReceivePath [MIB]}.
 */
public final class ReceivePathBench {
    private static final int CHUNK = 2 << 20;

    private ReceivePathBench() {
    }

    public static void main(String[] args) throws Exception {
        long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 1024) << 20;
        ByteBuffer src = ByteBuffer.allocateDirect(CHUNK);
        for (int i = 0; i < CHUNK; i += 8) {
            src.putLong(i, 0x0101010101010101L * (i | 1));
        }
        List<String> rows = new ArrayList<>();
        MappedByteBuffer[] ram = shm(bytes);
        rows.add(measure("copy into fresh shared memory (dst, first touch)", bytes, () -> copy(src, ram)));
        rows.add(measure("copy into touched shared memory (dst, warm)", bytes, () -> copy(src, ram)));
        rows.add(measure("zero check of non-zero pages (src classify)", bytes, () -> scan(ram)));
        rows.add(measure("CRC32C over the pages (each side once)", bytes, () -> crc(ram)));
        rows.add(measure("loopback TCP, 2 MiB writes, reader copies out", bytes, () -> loopback(bytes)));
        System.out.printf("%-50s %8s %9s %12s %9s%n", "step (" + (bytes >> 20) + " MiB)", "ms", "MiB/s",
                "minor faults", "cpu ms");
        rows.forEach(System.out::println);
    }

    interface Step {
        void run() throws Exception;
    }

    private static String measure(String name, long bytes, Step step) throws Exception {
        long f0 = minorFaults();
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        step.run();
        long ns = System.nanoTime() - t0;
        return String.format(Locale.ROOT, "%-50s %8d %9.0f %12d %9d", name, ns / 1_000_000,
                bytes / 1048576.0 / (ns / 1e9), minorFaults() - f0, (cpuNanos() - c0) / 1_000_000);
    }

    private static MappedByteBuffer[] shm(long bytes) throws IOException {
        Path f = Files.createTempFile(Path.of("/dev/shm"), "jkvm-bench-ram", ".bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer[] parts = new MappedByteBuffer[(int) ((bytes + (1 << 30) - 1) >> 30)];
            for (int i = 0; i < parts.length; i++) {
                long off = (long) i << 30;
                parts[i] = ch.map(FileChannel.MapMode.READ_WRITE, off, Math.min(1L << 30, bytes - off));
            }
            return parts;
        } finally {
            Files.delete(f);
        }
    }

    private static void copy(ByteBuffer src, MappedByteBuffer[] ram) {
        for (MappedByteBuffer part : ram) {
            for (int off = 0; off < part.capacity(); off += CHUNK) {
                part.put(off, src, 0, Math.min(CHUNK, part.capacity() - off));
            }
        }
    }

    private static void scan(MappedByteBuffer[] ram) {
        long zero = 0;
        for (MappedByteBuffer part : ram) {
            for (int off = 0; off < part.capacity(); off += 4096) {
                zero += RamWindows.isZero(part, off) ? 1 : 0;
            }
        }
        if (zero != 0) {
            throw new IllegalStateException(zero + " pages read back as zero after being filled");
        }
    }

    private static void crc(MappedByteBuffer[] ram) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (MappedByteBuffer part : ram) {
            crc.update(part.duplicate().clear());
        }
        if (crc.getValue() == 0) {
            System.out.println("(CRC32C of the pattern happens to be 0)");
        }
    }

    private static void loopback(long bytes) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread writer = new Thread(() -> {
                try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
                    ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
                    for (long sent = 0; sent < bytes; sent += CHUNK) {
                        b.clear();
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            try (SocketChannel in = server.accept()) {
                ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
                ByteBuffer sink = ByteBuffer.allocateDirect(CHUNK);
                long got = 0;
                while (got < bytes) {
                    b.clear();
                    int n = in.read(b);
                    if (n < 0) {
                        throw new IOException("loopback closed after " + got + " bytes");
                    }
                    sink.put(0, b, 0, n);
                    got += n;
                }
            }
            writer.join();
        }
    }

    private static long minorFaults() throws IOException {
        String[] f = Files.readString(Path.of("/proc/self/stat")).replaceFirst("^.*\\) ", "").split(" ");
        return Long.parseLong(f[7]); // field 10 (minflt), counted from the state field (3)
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
