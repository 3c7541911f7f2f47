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

    /** Real mode at 0x1000: {@code out 0x80, al} (e6 80), then {@code 1: jmp 1b} at 0x1002. */
    static final byte[] OUT_THEN_SPIN = {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfe};

    /**
     * The guest exits once (its OUT), so the vCPU thread knows it has run; it then enters KVM_RUN again and spins
     * with no exit, and only the kick gets it out. (Whether the kick lands before or inside that second KVM_RUN,
     * it must end it: immediate_exit covers the first case.) The waits are hang bounds, not speed goals.
     */
    @Test
    void kickInterruptsASpinningGuest() throws Exception {
        Require.kvm();
        try (TestGuest g = new TestGuest(16 * 4096, 0)) {
            g.load(0x1000, OUT_THEN_SPIN);
            g.realMode(0x1000);
            CountDownLatch spinning = new CountDownLatch(1);
            CompletableFuture<Integer> result = new CompletableFuture<>();
            Thread vcpuThread = new Thread(() -> {
                g.vcpu.bindToCurrentThread();
                try {
                    int first = g.vcpu.run();
                    if (first != KvmRun.EXIT_IO) {
                        throw new IllegalStateException("the OUT did not exit: " + first);
                    }
                    spinning.countDown();
                    result.complete(g.vcpu.run());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    spinning.countDown();
                }
            }, "vcpu-0");
            vcpuThread.setDaemon(true);
            vcpuThread.start();
            assertTrue(spinning.await(60, TimeUnit.SECONDS), "the guest ran its OUT");
            assertTrue(!result.isDone(), "the guest spins until kicked: " + result);
            g.vcpu.kick();
            int exit = result.get(60, TimeUnit.SECONDS);
            assertTrue(exit == VcpuFd.RUN_INTERRUPTED || exit == KvmRun.EXIT_INTR, "exit " + exit);
            vcpuThread.join(60_000);
            // The rip stayed in the loop: the guest was interrupted, not finished.
            long rip = g.vcpu.getRegs().rip();
            assertEquals(0x1002, rip);
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
