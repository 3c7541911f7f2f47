package org.jkvm.engine;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.loader.TinyElf;

/**
 * Engine costs on this host, printed as a table (not a test): port-I/O exits per second through the whole exit
 * path (KVM_RUN, the exit switch, the bus, a device), the same under an auto-converge throttle ({@code -Dthrottle=P},
 * default 75, 0 leaves it out; the guest should run about {@code 100 - P} % as fast), and the latency of stop (kick)
 * and cont.
 *
 * <p>Run: {@code bin/jkvm-bench EngineBench} on the default backend, {@code -Daccel=tcg} (or kvm) to choose.
 */
public final class EngineBench {
    private EngineBench() {
    }

    /** Entry point; prints the table. */
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("engine-bench");
        Path elf = dir.resolve("loop.elf");
        // loop: out 0x80, al; jmp loop  (a POST-port write per iteration: one KVM_EXIT_IO each)
        Files.write(elf, TinyElf.elf32(new byte[] {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfc}, true, 0));
        VmConfig c = VmConfig.builder().name("bench").memoryBytes(16L << 20).cpu(CpuSpec.parse("qemu64")).kernel(elf)
                .build();
        String accel = System.getProperty("accel");
        if (accel != null) {
            c = c.toBuilder().accel(java.util.List.of(VmConfigParser.parseAccel(accel))).build();
        }
        try (Vm vm = Vm.create(c)) {
            vm.cont();
            Thread.sleep(500);
            long exits0 = vm.ioExits();
            long t0 = System.nanoTime();
            Thread.sleep(2000);
            long exits = vm.ioExits() - exits0;
            double secs = (System.nanoTime() - t0) / 1e9;
            long[] stopNs = new long[20];
            long[] contNs = new long[20];
            for (int i = 0; i < stopNs.length; i++) {
                long a = System.nanoTime();
                vm.stop();
                long b = System.nanoTime();
                vm.cont();
                contNs[i] = System.nanoTime() - b;
                stopNs[i] = b - a;
                Thread.sleep(20);
            }
            long throttledExits = -1;
            int throttle = Integer.getInteger("throttle", 75);
            if (throttle > 0) {
                vm.migratable().setThrottle(throttle);
                Thread.sleep(200); // a benchmark's settling time, not synchronisation
                long e0 = vm.ioExits();
                Thread.sleep(2000);
                throttledExits = vm.ioExits() - e0;
                vm.migratable().setThrottle(0);
            }
            java.util.Arrays.sort(stopNs);
            java.util.Arrays.sort(contNs);
            System.out.println("| measure (accel " + vm.accelerator().optionName()
                    + ")                      | value |");
            System.out.println("|------------------------------------------|-------|");
            System.out.printf("| port-I/O exits per second (full path)    | %,.0f |%n", exits / secs);
            if (throttledExits >= 0) {
                System.out.printf("| exits/s throttled %2d %% (expect ~%d %%)     | %,.0f |%n", throttle,
                        100 - throttle, throttledExits / 2.0);
            }
            System.out.printf("| stop latency, median / max (ms)          | %.2f / %.2f |%n", stopNs[10] / 1e6,
                    stopNs[19] / 1e6);
            System.out.printf("| cont latency, median / max (ms)          | %.2f / %.2f |%n", contNs[10] / 1e6,
                    contNs[19] / 1e6);
            vm.quit();
        }
    }
}
