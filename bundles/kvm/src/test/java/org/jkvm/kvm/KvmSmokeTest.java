package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Hand-assembled real-mode guests on the real /dev/kvm: port output, a dirtied page, HLT, dirty log. */
class KvmSmokeTest {
    /**
     * Real mode, loaded at 0x1000:
     * <pre>
     *   ba f8 03        mov  $0x3f8, %dx
     *   b0 4a           mov  $0x4a, %al
     *   ee              out  %al, (%dx)
     *   c6 06 00 30 5a  movb $0x5a, 0x3000     ; dirties page 3
     *   f4              hlt
     * </pre>
     */
    static final byte[] CODE = {(byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xb0, 0x4a, (byte) 0xee, (byte) 0xc6, 0x06,
        0x00, 0x30, 0x5a, (byte) 0xf4};

    @BeforeEach
    void kvm() {
        Require.kvm();
    }

    @Test
    void runsRealModeCodeAndLogsTheDirtyPage() {
        try (TestGuest g = new TestGuest(64 * 4096, KvmCaps.KVM_MEM_LOG_DIRTY_PAGES)) {
            g.load(0x1000, CODE);
            g.realMode(0x1000);
            long[] bitmap = new long[g.vm.dirtyLogWords(0)];
            g.vm.getDirtyLog(0, bitmap); // reset whatever was logged before the run

            assertEquals(KvmRun.EXIT_IO, g.vcpu.run());
            KvmRun run = g.vcpu.kvmRun();
            assertEquals(KvmRun.IO_OUT, run.ioDirection());
            assertEquals(0x3f8, run.ioPort());
            assertEquals(1, run.ioSize());
            assertEquals(1, run.ioCount());
            assertEquals(0x4a, run.ioValue());

            assertEquals(KvmRun.EXIT_HLT, g.vcpu.run());
            assertEquals(0x1000 + CODE.length, g.vcpu.getRegs().rip());
            assertEquals(0x5a, g.ram.get(0x3000));

            g.vm.getDirtyLog(0, bitmap);
            assertEquals(1L << 3, bitmap[0], "exactly page 3 dirty, got 0x" + Long.toHexString(bitmap[0]));
            g.vm.getDirtyLog(0, bitmap);
            assertEquals(0L, bitmap[0], "the log is cleared by the previous fetch");
        }
    }

    @Test
    void clearDirtyLogWithManualProtection() {
        try (Kvm kvm = Kvm.open()) {
            Require.that(kvm.checkExtension(KvmCaps.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) != 0,
                    "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is not reported by this host");
        }
        try (TestGuest g = new TestGuest(64 * 4096, 0)) {
            g.vm.enableCap(KvmCaps.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KvmCaps.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
            g.vm.setUserMemoryRegion(0, KvmCaps.KVM_MEM_LOG_DIRTY_PAGES, 0, g.sizeBytes, g.hva);
            g.load(0x1000, CODE);
            g.realMode(0x1000);
            assertEquals(KvmRun.EXIT_IO, g.vcpu.run());
            assertEquals(KvmRun.EXIT_HLT, g.vcpu.run());

            long[] bitmap = new long[g.vm.dirtyLogWords(0)];
            g.vm.getDirtyLog(0, bitmap);
            assertEquals(1L << 3, bitmap[0]);
            g.vm.getDirtyLog(0, bitmap);
            assertEquals(1L << 3, bitmap[0], "with manual protection GET_DIRTY_LOG does not clear");
            g.vm.clearDirtyLog(0, 0, 64, bitmap);
            g.vm.getDirtyLog(0, bitmap);
            assertEquals(0L, bitmap[0], "CLEAR_DIRTY_LOG re-armed page 3");

            // Run it again: the page is logged anew after the clear.
            g.realMode(0x1000);
            assertEquals(KvmRun.EXIT_IO, g.vcpu.run());
            assertEquals(KvmRun.EXIT_HLT, g.vcpu.run());
            g.vm.getDirtyLog(0, bitmap);
            assertEquals(1L << 3, bitmap[0]);
        }
    }

    @Test
    void immediateExitMakesRunReturnInterrupted() {
        try (TestGuest g = new TestGuest(16 * 4096, 0)) {
            g.load(0x1000, CODE);
            g.realMode(0x1000);
            g.vcpu.kvmRun().immediateExit(true);
            assertTrue(g.vcpu.kvmRun().immediateExit());
            assertEquals(VcpuFd.RUN_INTERRUPTED, g.vcpu.run());
            g.vcpu.kvmRun().immediateExit(false);
            assertEquals(KvmRun.EXIT_IO, g.vcpu.run());
        }
    }
}
