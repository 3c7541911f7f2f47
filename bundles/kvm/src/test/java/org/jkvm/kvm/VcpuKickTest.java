package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/** A guest spinning without exits is stopped by {@link VcpuFd#kick()} from another thread. */
class VcpuKickTest {
    /** Real mode at 0x1000: {@code 1: jmp 1b} (eb fe), a loop that never exits to the VMM. */
    static final byte[] SPIN = {(byte) 0xeb, (byte) 0xfe};

    @Test
    void kickInterruptsASpinningGuest() throws Exception {
        Require.kvm();
        try (TestGuest g = new TestGuest(16 * 4096, 0)) {
            g.load(0x1000, SPIN);
            g.realMode(0x1000);
            CountDownLatch bound = new CountDownLatch(1);
            CompletableFuture<Integer> result = new CompletableFuture<>();
            Thread vcpuThread = new Thread(() -> {
                g.vcpu.bindToCurrentThread();
                bound.countDown();
                try {
                    result.complete(g.vcpu.run());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }, "vcpu-0");
            vcpuThread.setDaemon(true);
            vcpuThread.start();
            assertTrue(bound.await(5, TimeUnit.SECONDS));
            Thread.sleep(300); // let it enter the guest and spin
            assertTrue(!result.isDone(), "the guest spins until kicked");
            long t0 = System.nanoTime();
            g.vcpu.kick();
            int exit = result.get(5, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(exit == VcpuFd.RUN_INTERRUPTED || exit == KvmRun.EXIT_INTR, "exit " + exit);
            assertTrue(ms < 1000, "kick took " + ms + " ms");
            vcpuThread.join(5000);
            // The rip stayed in the loop: the guest was interrupted, not finished.
            long rip = g.vcpu.getRegs().rip();
            assertEquals(0x1000, rip);
        }
    }

    @Test
    void kickBeforeRunIsNotLost() {
        Require.kvm();
        try (TestGuest g = new TestGuest(16 * 4096, 0)) {
            g.load(0x1000, SPIN);
            g.realMode(0x1000);
            g.vcpu.bindToCurrentThread();
            g.vcpu.kick(); // the signal lands now, before KVM_RUN; immediate_exit carries the request
            assertEquals(VcpuFd.RUN_INTERRUPTED, g.vcpu.run());
            g.vcpu.kvmRun().immediateExit(false);
        }
    }
}
