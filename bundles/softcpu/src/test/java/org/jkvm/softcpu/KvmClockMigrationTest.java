package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.junit.jupiter.api.Test;

/**
 * kvmclock across a migration between two software-CPU VMs: a guest enables it with WRMSR, the source saves the vCPU
 * (TSC and kvmclock MSRs) and the clock's value, the destination restores both (in either order) and rewrites the
 * structure before its first instruction, so the clock the guest computes goes on from the saved value: never back,
 * and forward only by the time the destination has run.
 */
class KvmClockMigrationTest {
    private static final long GPA = 0x5000;
    /** Real mode: ECX = MSR_KVM_SYSTEM_TIME_NEW, EDX:EAX = 0x5000 | enable, WRMSR, HLT, HLT. */
    private static final byte[] ENABLE = {0x66, (byte) 0xb9, 0x01, 0x4d, 0x56, 0x4b, 0x66, (byte) 0xb8, 0x01, 0x50, 0,
        0, 0x66, 0x31, (byte) 0xd2, 0x0f, 0x30, (byte) 0xf4, (byte) 0xf4};

    /** The guest's nanoseconds at {@code tsc} from the structure in {@code vm}'s RAM (the documented formula). */
    private static long guestNanos(TestVm vm, long tsc) {
        long ts = vm.memory.readLongLE(GPA + 8);
        long system = vm.memory.readLongLE(GPA + 16);
        long mul = vm.memory.readIntLE(GPA + 24) & 0xffffffffL;
        int shift = vm.memory.readByte(GPA + 28);
        BigInteger d = BigInteger.valueOf(tsc - ts);
        d = shift < 0 ? d.shiftRight(-shift) : d.shiftLeft(shift);
        return system + d.multiply(BigInteger.valueOf(mul)).shiftRight(32).longValue();
    }

    private static long tsc(CpuState s) {
        return s.msrs().stream().filter(m -> m.index() == Msr.IA32_TSC).findFirst().orElseThrow().value();
    }

    @Test
    void theClockGoesOnFromTheSavedValueInEitherRestoreOrder() {
        for (boolean clockFirst : new boolean[] {false, true}) {
            try (TestVm a = new TestVm(1 << 20); TestVm b = new TestVm(1 << 20)) {
                a.load(0x1000, ENABLE);
                a.realMode(0x1000);
                assertEquals(VcpuExit.HLT, a.run());
                assertEquals(2, a.memory.readIntLE(GPA), "written once by the guest's WRMSR");
                assertEquals(1, a.memory.readByte(GPA + 29), "PVCLOCK_TSC_STABLE_BIT");
                CpuState halted = a.vcpu.saveState();
                // the destination runs on to the second HLT rather than waiting for an interrupt
                CpuState saved = new CpuState(halted.registers(), halted.system(), halted.fpu(), halted.xcr0(),
                        halted.msrs(), halted.events(), ActivityState.ACTIVE, halted.debug());
                long clock = a.vm.kvmClockNanos();
                assertTrue(clock >= guestNanos(a, tsc(saved)), "the saved clock is not behind the guest's last read");
                assertTrue(saved.msrs().contains(new Msr(0x4b564d01, GPA | 1)), "the MSR travels with the vCPU");

                // the RAM stream brings the structure's page; the guest keeps its own idea of the version
                ByteBuffer page = ByteBuffer.allocate(4096);
                a.memory.read(GPA, page);
                b.memory.write(GPA, page.flip());
                b.load(0x1000, ENABLE);
                if (clockFirst) {
                    b.vm.setKvmClockNanos(clock);
                    b.vcpu.restoreState(saved);
                } else {
                    b.vcpu.restoreState(saved);
                    b.vm.setKvmClockNanos(clock);
                }
                assertEquals(VcpuExit.HLT, b.run(), "the second HLT");
                long tscB = tsc(b.vcpu.saveState());
                assertTrue(b.memory.readIntLE(GPA) > 2 && (b.memory.readIntLE(GPA) & 1) == 0,
                        "rewritten before the destination's first instruction: version " + b.memory.readIntLE(GPA));
                long after = guestNanos(b, tscB);
                assertTrue(after >= clock, "never back: " + after + " < " + clock);
                // forward by what the destination ran since the restore, far below a second
                assertTrue(after - clock < 1_000_000_000L, "no jump: " + (after - clock) + " ns");
                assertEquals(b.vm.kvmClockNanos(), guestNanos(b, tsc(b.vcpu.saveState())), 2_000_000,
                        "the VMM's clock is the guest's formula");
            }
        }
    }
}
