package org.jkvm.engine;

import java.util.concurrent.TimeUnit;

/**
 * Auto-converge throttling: while {@code percent > 0}, the vCPU sleeps {@link #sleepNanos(int)} ({@code 10 ms * p /
 * (100 - p)}) after each 10 ms of running (QEMU's cpu-throttle timeslice), so it runs {@code 100 - p} % of the time.
 * A daemon thread, started on first use, sends the sleeps.
 */
final class Throttle {
    private static final long SLICE_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Vm vm;
    private volatile int percent;
    private Thread thread;

    Throttle(Vm vm) {
        this.vm = vm;
    }

    synchronized void set(int p) {
        if (p < 0 || p > 99) {
            throw new EngineException("throttle " + p + "% is out of range; give 0 to 99");
        }
        percent = p;
        if (p > 0 && thread == null) {
            thread = new Thread(this::loop, "vcpu-throttle");
            thread.setDaemon(true);
            thread.start();
        }
    }

    int percent() {
        return percent;
    }

    /** The vCPU's sleep after each running slice at {@code p} percent, in nanoseconds (0 when not throttled). */
    static long sleepNanos(int p) {
        return p == 0 ? 0 : SLICE_NS * p / (100 - p);
    }

    private void loop() {
        try {
            while (vm.state() != RunState.SHUTDOWN) {
                int p = percent;
                long sleep = sleepNanos(p);
                if (sleep > 0 && vm.state() == RunState.RUNNING) {
                    vm.runner().throttleSleep(sleep);
                }
                TimeUnit.NANOSECONDS.sleep(sleep + SLICE_NS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
