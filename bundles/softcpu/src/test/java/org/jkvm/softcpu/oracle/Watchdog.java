package org.jkvm.softcpu.oracle;

import org.jkvm.hypervisor.HvVcpu;

/**
 * Kicks the vCPU when one case has run for more than two seconds (a case is a few instructions: that is a hang in
 * the CPU under test), so the oracle reports the case instead of hanging. A safety net, not a timing assertion:
 * correct runs never come near it.
 */
final class Watchdog implements AutoCloseable {
    private static final long PERIOD_MS = 2000;

    private final HvVcpu vcpu;
    private final Thread thread;
    private volatile long current;
    private volatile long firedFor;
    private long sequence;

    Watchdog(HvVcpu vcpu) {
        this.vcpu = vcpu;
        this.thread = new Thread(this::watch, "oracle-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /** A case starts (owner thread). */
    void start() {
        current = ++sequence;
    }

    /** The case's run is over (owner thread). */
    void stop() {
        current = 0;
    }

    /** Whether the watchdog kicked the current case. */
    boolean fired() {
        return firedFor == sequence;
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            long seen = current;
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
            if (seen != 0 && current == seen) {
                firedFor = seen;
                vcpu.kick();
            }
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
