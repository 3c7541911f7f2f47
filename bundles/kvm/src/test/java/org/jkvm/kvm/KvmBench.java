package org.jkvm.kvm;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Speed of the binding itself (not of the guest): KVM_RUN round trips for a port-I/O loop, and fetching and
 * scanning the dirty log of a 1 GiB guest, with and without {@code KVM_CLEAR_DIRTY_LOG}.
 *
 * <p>Run as root on a host with /dev/kvm (about 25 s; the argument is seconds per rate measurement):
 * <pre>
 * mvn -B -q -o test-compile dependency:build-classpath -pl bundles/kvm -Dmdep.outputFile=/tmp/kvm-cp.txt
 * java -cp bundles/kvm/target/test-classes:bundles/kvm/target/classes:$(cat /tmp/kvm-cp.txt) org.jkvm.kvm.KvmBench 3
 * </pre>
 */
public final class KvmBench {
    private static final long GIB = 1L << 30;
    /** Real mode at 0x1000: {@code 1: out %al,(%dx); jmp 1b}. */
    private static final byte[] OUT_LOOP = {(byte) 0xee, (byte) 0xeb, (byte) 0xfd};
    /** Long mode: {@code 1: movb $1,(%rdi); add $4096,%rdi; dec %rcx; jnz 1b; hlt}. */
    private static final byte[] DIRTY_LOOP = {(byte) 0xc6, 0x07, 0x01, 0x48, (byte) 0x81, (byte) 0xc7, 0x00, 0x10,
        0x00, 0x00, 0x48, (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xf1, (byte) 0xf4};
    private static final long FIRST_DIRTY_GPA = 4L << 20;

    private KvmBench() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3.0;
        System.out.printf("%-52s %14s %s%n", "measure", "value", "unit");
        long[] full = new long[(int) (GIB / 4096 / 64)];
        Arrays.fill(full, -1L);
        for (int i = 0; i < 200; i++) { // warm up the scan loop
            scan(full);
        }
        runLoop(seconds);
        trivialIoctl(seconds);
        dirtyLog(false);
        dirtyLog(true);
    }

    private static void row(String name, double value, String unit) {
        System.out.printf("%-52s %14.3f %s%n", name, value, unit);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static void runLoop(double seconds) {
        try (TestGuest g = new TestGuest(16 * 4096, 0)) {
            g.load(0x1000, OUT_LOOP);
            g.realMode(0x1000);
            KvmRun run = g.vcpu.kvmRun();
            for (int i = 0; i < 20_000; i++) { // warm up the JIT
                g.vcpu.run();
            }
            long exits = 0;
            long ports = 0;
            long alloc0 = allocatedBytes();
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < 1000; i++) {
                    if (g.vcpu.run() == KvmRun.EXIT_IO) {
                        exits++;
                        ports += run.ioPort() + run.ioValue();
                    }
                }
            }
            long t1 = System.nanoTime();
            long alloc = allocatedBytes() - alloc0;
            row("KVM_RUN round trips, port-I/O loop", exits / ((t1 - t0) / 1e9), "exits/s");
            row("  time per exit", (t1 - t0) / (double) exits / 1000.0, "us");
            row("  bytes allocated per exit" + (ports < 0 ? "!" : ""), alloc / (double) exits, "B");
        }
    }

    private static void trivialIoctl(double seconds) {
        try (Kvm kvm = Kvm.open()) {
            long n = 0;
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9 / 3);
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < 1000; i++) {
                    n += kvm.checkExtension(KvmCaps.KVM_CAP_USER_MEMORY) > 0 ? 1 : 0;
                }
            }
            long t1 = System.nanoTime();
            row("KVM_CHECK_EXTENSION (JNA direct call floor)", n / ((t1 - t0) / 1e9), "calls/s");
        }
    }

    private static void dirtyLog(boolean manual) {
        String mode = manual ? "manual protect: GET+CLEAR" : "GET_DIRTY_LOG (clears)";
        try (TestGuest g = new TestGuest(GIB, 0)) {
            if (manual) {
                g.vm.enableCap(KvmCaps.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KvmCaps.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
            }
            g.vm.setUserMemoryRegion(0, KvmCaps.KVM_MEM_LOG_DIRTY_PAGES, 0, GIB, g.hva);
            LongModeTest.enterLongMode(g, 0x100000);
            g.load(0x100000, DIRTY_LOOP);
            long[] bitmap = new long[g.vm.dirtyLogWords(0)];
            fetch(g, bitmap, manual); // start clean

            double[] clean = new double[7];
            double[] scanClean = new double[7];
            for (int i = 0; i < clean.length; i++) {
                long t0 = System.nanoTime();
                fetch(g, bitmap, manual);
                long t1 = System.nanoTime();
                long count = scan(bitmap);
                scanClean[i] = (System.nanoTime() - t1) / 1e6;
                clean[i] = (t1 - t0) / 1e6;
                if (count != 0) {
                    throw new IllegalStateException("clean guest has " + count + " dirty pages");
                }
            }
            row("1 GiB " + mode + ", 0 dirty", median(clean), "ms");
            row("  bitmap scan (32 KiB), 0 dirty", median(scanClean), "ms");

            long pages = (GIB - FIRST_DIRTY_GPA) / 4096;
            double[] dirty = new double[3];
            double[] scanDirty = new double[3];
            double guestSeconds = 0;
            for (int i = 0; i < dirty.length; i++) {
                long g0 = System.nanoTime();
                dirtyPages(g, pages);
                guestSeconds = (System.nanoTime() - g0) / 1e9;
                long t0 = System.nanoTime();
                fetch(g, bitmap, manual);
                long t1 = System.nanoTime();
                long count = scan(bitmap);
                scanDirty[i] = (System.nanoTime() - t1) / 1e6;
                dirty[i] = (t1 - t0) / 1e6;
                if (count < pages) {
                    throw new IllegalStateException("expected at least " + pages + " dirty pages, got " + count);
                }
            }
            row("1 GiB " + mode + ", " + pages + " dirty", median(dirty), "ms");
            row("  bitmap scan, " + pages + " dirty", median(scanDirty), "ms");
            row("  (guest time to dirty them, for scale)", guestSeconds * 1000, "ms");
        }
    }

    private static void dirtyPages(TestGuest g, long pages) {
        Regs r = Regs.atRip(0x100000);
        long[] v = r.toArray();
        v[5] = FIRST_DIRTY_GPA; // rdi
        v[2] = pages; // rcx
        g.vcpu.setRegs(Regs.fromArray(v));
        int exit = g.vcpu.run();
        if (exit != KvmRun.EXIT_HLT) {
            throw new IllegalStateException("dirtying guest stopped with " + KvmRun.exitName(exit));
        }
    }

    private static void fetch(TestGuest g, long[] bitmap, boolean manual) {
        g.vm.getDirtyLog(0, bitmap);
        if (manual) {
            g.vm.clearDirtyLog(0, 0, (int) (GIB / 4096), bitmap);
        }
    }

    /** Visits every set bit, as migration does when it sends pages; returns the count. */
    static long scan(long[] bitmap) {
        long count = 0;
        long sink = 0;
        for (int w = 0; w < bitmap.length; w++) {
            long bits = bitmap[w];
            while (bits != 0) {
                int bit = Long.numberOfTrailingZeros(bits);
                sink += ((long) w << 6) | bit;
                bits &= bits - 1;
                count++;
            }
        }
        return sink < 0 ? -1 : count;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
