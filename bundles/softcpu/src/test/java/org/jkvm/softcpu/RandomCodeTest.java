package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random bytes executed as code in real mode and 64-bit mode must never break the software CPU: every run ends
 * with a guest-level exit (HLT, SHUTDOWN after a triple fault, INTERRUPTED by the test's kick, or FAILED with a
 * sentence about code outside RAM), never an internal error.
 */
class RandomCodeTest {
    @ParameterizedTest
    @ValueSource(ints = {16, 32, 64})
    void randomCodeNeverBreaksTheCpu(int bits) throws Exception {
        Random rnd = new Random(bits);
        for (int round = 0; round < 150; round++) {
            try (TestVm t = new TestVm(4L << 20)) {
                byte[] code = new byte[4096];
                rnd.nextBytes(code);
                long at = bits == 16 ? 0x1000 : 0x100000;
                t.memory.write(at, ByteBuffer.wrap(code));
                if (bits == 16) {
                    t.realMode(at);
                } else if (bits == 32) {
                    protected32(t, at);
                } else {
                    t.longMode(at, 0x200000);
                }
                Thread kicker = new Thread(() -> {
                    LockSupport.parkNanos(20_000_000L);
                    t.vcpu.kick();
                });
                kicker.start();
                VcpuExit e = t.vcpu.run();
                kicker.join();
                String why = t.vcpu.exitDetail();
                assertFalse(why.contains("internal error"), "round " + round + ": " + why);
                if (e == VcpuExit.FAILED) {
                    assertFalse(why.isEmpty(), "a FAILED exit says why");
                }
            }
        }
    }

    /** Flat 32-bit protected mode with the GDT TestVm.longMode writes (0x18 code32, 0x10 data), paging off. */
    private static void protected32(TestVm t, long at) {
        t.longMode(at, 0x200000);
        org.jkvm.hypervisor.x86.SystemRegisters s = t.vcpu.systemRegisters().withSegments(
                org.jkvm.hypervisor.x86.SegmentRegister.flat32(0x18, true),
                org.jkvm.hypervisor.x86.SegmentRegister.flat32(0x10, false))
                .withControl(org.jkvm.hypervisor.x86.SystemRegisters.CR0_PE
                        | org.jkvm.hypervisor.x86.SystemRegisters.CR0_ET, 0, 0, 0);
        t.vcpu.setSystemRegisters(s);
        long[] g = new long[16];
        g[4] = 0x200000;
        t.vcpu.setRegisters(org.jkvm.hypervisor.x86.Registers.of(g, at, 2));
    }
}
