package org.jkvm.softcpu;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.CpuidEntry;

/**
 * A benchmark, not a test: the firmware's compute workload on the software CPU for {@code -Dseconds=N} (default
 * 10), printing guest instructions per second each second; {@code -Dirqchip=true} runs it in a VM with the
 * interrupt controllers and timers (the firmware leaves them idle, so the rate must not change). Run with
 * {@code mvn -pl bundles/softcpu test-compile exec:java} or from the IDE: {@code main}.
 */
public final class ComputeBench {
    private ComputeBench() {
    }

    public static void main(String[] args) {
        int seconds = Integer.getInteger("seconds", 10);
        String workload = System.getProperty("workload", "compute");
        try (TestVm t = new TestVm(Long.getLong("ram", 64L << 20), Boolean.getBoolean("irqchip"))) {
            List<CpuidEntry> cpuid = new ArrayList<>(t.hv.supportedCpuid());
            cpuid.add(new CpuidEntry(0x40000000, 0, false, 0x40000010, 0x4b4d564b, 0x564b4d56, 0x4d));
            cpuid.add(new CpuidEntry(0x40000010, 0, false, t.vcpu.tscKhz(), 0, 0, 0));
            t.vcpu.setCpuid(cpuid);
            FirmwareTest.boot(t, "workload=" + workload + " mib=" + Integer.getInteger("mib", 16)
                    + " rate=0 hb_ms=1000");
            SoftVcpu v = (SoftVcpu) t.vcpu;
            // Per CPU-second of the vCPU thread too: on a shared host the wall-clock rate mostly measures the load.
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long vcpuThread = Thread.currentThread().getId();
            Thread killer = new Thread(() -> {
                for (int s = 0; s < seconds; s++) {
                    long i0 = v.instructionsRetired();
                    long t0 = System.nanoTime();
                    long c0 = mx.getThreadCpuTime(vcpuThread);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long di = v.instructionsRetired() - i0;
                    double dt = (System.nanoTime() - t0) / 1e9;
                    double dc = (mx.getThreadCpuTime(vcpuThread) - c0) / 1e9;
                    System.out.printf("%d: %.1f M instructions/s, %.1f M per vCPU CPU-second%n", s, di / dt / 1e6,
                            di / dc / 1e6);
                }
                t.ops.stop = true;
                v.kick();
            });
            killer.start();
            while (!t.ops.stop) {
                VcpuExit e = v.run();
                if (e != VcpuExit.INTERRUPTED && e != VcpuExit.CONTINUE) {
                    System.out.println("exit " + e + " " + v.exitDetail());
                    break;
                }
            }
            System.out.println(t.ops.serial);
        }
    }
}
