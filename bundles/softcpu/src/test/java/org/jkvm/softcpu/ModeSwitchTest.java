package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;

/**
 * The engine's mode-switch guest ({@code bundles/engine/src/test/resources/org/jkvm/engine/modeswitch.S}): real
 * mode, 32-bit and 16-bit protected mode in a tight loop, checking two counters itself (OUT 0x99 on a mismatch,
 * OUT 0x98 every 256 laps). It must run, and keep running when its vCPU state is moved to another VM at random
 * block boundaries (including right after MOV CR0, before CS is reloaded).
 */
class ModeSwitchTest {
    static byte[] guest() {
        Path root = Path.of(System.getProperty("jkvm.root", "../.."));
        Path src = root.resolve("bundles/engine/src/test/resources/org/jkvm/engine/modeswitch.S");
        Require.path(src, "the engine's mode-switch guest source");
        try {
            return Asm.assemble32(Files.readString(src));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void switchesModesAndChecksItself() {
        try (TestVm t = new TestVm(1 << 20)) {
            t.load(0x1000, guest());
            t.realMode(0x1000);
            t.ops.onOut = (port, n) -> {
                if (port == 0x99 || (port == 0x98 && n == 40)) {
                    t.vcpu.kick();
                }
            };
            assertEquals(VcpuExit.INTERRUPTED, t.run(), () -> t.vcpu.exitDetail());
            assertEquals(0, t.ops.valuesAt(0x99).size(), "the guest found its counters unequal");
            assertEquals(40, t.ops.valuesAt(0x98).size());
        }
    }

    @Test
    void keepsRunningWhenMovedBetweenVmsAtRandomPoints() throws Exception {
        try (TestVm a = new TestVm(1 << 20); TestVm b = new TestVm(1 << 20)) {
            a.load(0x1000, guest());
            a.realMode(0x1000);
            TestVm[] vms = {a, b};
            Random rnd = new Random(11);
            int laps = 0;
            for (int move = 0; move < 300; move++) {
                TestVm cur = vms[move & 1];
                TestVm next = vms[(move + 1) & 1];
                long delay = 1000 + rnd.nextInt(200_000);
                Thread kicker = new Thread(() -> {
                    LockSupport.parkNanos(delay);
                    cur.vcpu.kick();
                });
                kicker.start();
                assertEquals(VcpuExit.INTERRUPTED, cur.run());
                kicker.join();
                CpuState s = cur.vcpu.saveState();
                next.memory.regions().get(0).view(0, 1 << 20).put(cur.memory.regions().get(0).view(0, 1 << 20));
                next.vcpu.restoreState(s);
                laps += cur.ops.valuesAt(0x98).size();
                cur.ops.outs.clear();
                assertEquals(0, cur.ops.valuesAt(0x99).size(), "counters differ after move " + move);
            }
            TestVm last = vms[0];
            last.ops.onOut = (port, n) -> {
                if (port == 0x99 || (port == 0x98 && n == 5)) {
                    last.vcpu.kick();
                }
            };
            assertEquals(VcpuExit.INTERRUPTED, last.run());
            assertEquals(0, last.ops.valuesAt(0x99).size());
            assertTrue(laps + 5 >= 5);
        }
    }
}
