package org.jkvm.softcpu.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;

import org.jkvm.memory.MmapGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The kvmclock structures as the guest reads them: the bytes of {@code pvclock_vcpu_time_info} and
 * {@code pvclock_wall_clock} in guest RAM, decoded here on their own and evaluated with the formula of the KVM
 * documentation (ns = system_time + ((tsc - tsc_timestamp) shifted by tsc_shift) * mul >> 32, in 128-bit
 * arithmetic), compared with exact nanoseconds of the TSC rate; the TSC rate Linux derives from them; and the
 * clock across TSC writes, rate changes and a restore.
 */
class KvmClockTest {
    private static final long KHZ = 2_445_430;
    private static final long GPA = 0x5000;
    private final MmapGuestMemory memory = MmapGuestMemory.allocate(1 << 20);

    @AfterEach
    void close() {
        memory.close();
    }

    /** The structure at {@code GPA} as the guest sees it. */
    private record TimeInfo(int version, long tscTimestamp, long systemTime, int mul, int shift, int flags) {
        /** The guest's nanoseconds at {@code tsc}, by the documented formula in exact arithmetic. */
        long nanos(long tsc) {
            BigInteger d = BigInteger.valueOf(tsc - tscTimestamp);
            d = shift < 0 ? d.shiftRight(-shift) : d.shiftLeft(shift);
            return d.multiply(BigInteger.valueOf(mul & 0xffffffffL)).shiftRight(32).longValue() + systemTime;
        }

        /** Linux's pvclock_tsc_khz: (10^6 << 32) / mul, then shifted back. */
        long tscKhz() {
            long khz = (1_000_000L << 32) / (mul & 0xffffffffL);
            return shift < 0 ? khz << -shift : khz >> shift;
        }
    }

    private TimeInfo read() {
        return new TimeInfo(memory.readIntLE(GPA), memory.readLongLE(GPA + 8), memory.readLongLE(GPA + 16),
                memory.readIntLE(GPA + 24), memory.readByte(GPA + 28), memory.readByte(GPA + 29));
    }

    private KvmClock clock(long tscNow, long khz) {
        KvmClock k = new KvmClock(tscNow, khz);
        k.memory = memory;
        return k;
    }

    /** Exact nanoseconds of {@code ticks} at {@code khz}. */
    private static long exactNanos(long ticks, long khz) {
        return BigInteger.valueOf(ticks).multiply(BigInteger.valueOf(1_000_000)).divide(BigInteger.valueOf(khz))
                .longValue();
    }

    @Test
    void theStructureEncodesTheTscRateAndLinuxReadsItBack() {
        long t0 = 123_456_789L;
        KvmClock k = clock(t0, KHZ);
        k.writeSystemTime(GPA | 1, t0 + 1000);
        TimeInfo ti = read();
        assertEquals(2, ti.version(), "even after one update (odd while it was written)");
        assertEquals(t0, ti.tscTimestamp());
        assertEquals(0, ti.systemTime());
        assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT, ti.flags());
        assertEquals(-1, ti.shift(), "2.4 GHz: one tick is 0.41 ns, mul 0.82 x 2^32 with shift -1");
        assertTrue((ti.mul() & 0xffffffffL) >= 1L << 31, "mul uses all 32 bits: " + Integer.toUnsignedString(ti.mul()));
        assertEquals(KHZ, ti.tscKhz(), "the rate Linux prints as 'tsc: Detected 2445.430 MHz processor'");
        for (long ticks : new long[] {0, 1, 3, 2_445_430, 2_445_430_000L, 8_803_548_000_000L, 211_285_152_000_000L}) {
            long want = exactNanos(ticks, KHZ);
            long got = ti.nanos(t0 + ticks);
            // mul's rounding: below 2^-31 of the elapsed time (0.5 ns per second), plus one for the floor
            assertTrue(Math.abs(got - want) <= 1 + (want >> 31), ticks + " ticks: " + got + " against " + want);
            assertEquals(got, k.nanos(t0 + ticks), "the clock the VMM saves is the guest's formula");
        }
        for (long khz : new long[] {1_000, 999_999, 1_000_000, 1_000_001, 3_000_000, 4_294_967, 100_000_000}) {
            KvmClock other = clock(0, khz);
            other.writeSystemTime(GPA | 1, 0);
            TimeInfo o = read();
            assertTrue(Math.abs(o.tscKhz() - khz) <= Math.max(1, khz >> 30) << Math.max(0, -o.shift()),
                    khz + " kHz reads back as " + o.tscKhz());
            assertTrue(Math.abs(o.nanos(khz * 1000) - 1_000_000_000L) <= 1, khz + " kHz: one second");
        }
    }

    @Test
    void aTscWriteNeitherStopsNorMovesTheClock() {
        KvmClock k = clock(0, KHZ);
        k.writeSystemTime(GPA | 1, 0);
        long before = k.nanos(KHZ * 5000);   // 5 s
        k.tscWritten(KHZ * 5000, 7);
        k.publish(7);
        TimeInfo ti = read();
        assertEquals(4, ti.version());
        assertEquals(before, ti.nanos(7), "the clock goes on from its value at the write");
        assertTrue(Math.abs(before + 1_000_000 - ti.nanos(7 + KHZ)) <= 1, "and counts a millisecond per " + KHZ
                + " ticks: " + (ti.nanos(7 + KHZ) - before));
    }

    @Test
    void aNewRateKeepsTheValueAndChangesTheSlope() {
        KvmClock k = clock(0, KHZ);
        k.writeSystemTime(GPA | 1, 0);
        long at = k.nanos(KHZ * 1000);
        k.rateChanged(KHZ * 1000, 1_000_000);
        assertTrue(k.stale(), "an enabled structure must be rewritten before the vCPU runs");
        k.publish(KHZ * 1000);
        TimeInfo ti = read();
        assertEquals(at, ti.nanos(KHZ * 1000));
        assertEquals(at + 1_000_000, ti.nanos(KHZ * 1000 + 1_000_000), "1 GHz: a million ticks are a millisecond");
        assertEquals(1_000_000, ti.tscKhz());
    }

    @Test
    void aRestoredClockGoesOnFromTheSavedValueWithAHigherVersion() {
        KvmClock source = clock(0, KHZ);
        source.writeSystemTime(GPA | 1, 0);
        long tscAtSave = KHZ * 60_000;
        long saved = source.nanos(tscAtSave);
        long lastGuestRead = read().nanos(tscAtSave);
        // The destination: another vCPU whose TSC was restored to the saved value, the MSR restored, the clock set.
        memory.writeIntLE(GPA, 40);   // the structure as the RAM stream brought it
        KvmClock dest = clock(0, KHZ);
        dest.restoreSystemTime(GPA | 1);
        dest.tscWritten(5, tscAtSave);
        dest.set(tscAtSave + 10, saved);
        assertTrue(dest.stale());
        dest.publish(tscAtSave + 10);
        TimeInfo ti = read();
        assertEquals(42, ti.version(), "past the version the guest last saw, even");
        assertEquals(saved, ti.nanos(tscAtSave + 10));
        assertTrue(ti.nanos(tscAtSave + 10) >= lastGuestRead, "never back");
        assertEquals(dest.systemTimeMsr(), GPA | 1);
    }

    @Test
    void aPauseSetsGuestStoppedUntilTheGuestClearsIt() {
        KvmClock k = clock(0, KHZ);
        k.guestPaused();
        assertTrue(!k.stale(), "a guest without kvmclock is not told (KVM's KVM_KVMCLOCK_CTRL answers EINVAL)");
        k.writeSystemTime(GPA | 1, 0);
        assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT, read().flags());
        k.guestPaused();
        assertTrue(k.stale(), "rewritten before the vCPU runs again");
        k.publish(KHZ);
        int both = KvmClock.PVCLOCK_TSC_STABLE_BIT | KvmClock.PVCLOCK_GUEST_STOPPED;
        assertEquals(both, read().flags());
        k.rateChanged(KHZ * 2, 1_000_000);
        k.publish(KHZ * 2);
        assertEquals(both, read().flags(), "a rewrite for another reason keeps the bit the guest has not cleared");
        memory.writeByte(GPA + 29, (byte) KvmClock.PVCLOCK_TSC_STABLE_BIT);   // the guest's watchdog clears it
        k.tscWritten(KHZ * 3, 0);
        k.publish(0);
        assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT, read().flags(), "once cleared, only a new pause sets it");
    }

    @Test
    void theWallClockIsTheRealTimeAtKvmclockZero() {
        KvmClock k = clock(0, KHZ);
        k.realtimeNanos = () -> 1_765_000_000_123_456_789L;
        k.writeWallClock(GPA + 64, KHZ * 2500);   // 2.5 s after kvmclock 0
        assertEquals(2, memory.readIntLE(GPA + 64));
        assertEquals(1_764_999_997, memory.readIntLE(GPA + 68));
        assertTrue(Math.abs(623_456_789 - memory.readIntLE(GPA + 72)) <= 1, "the clock's floor may add 1 ns");
        assertEquals(GPA + 64, k.wallClockMsr());
    }

    @Test
    void aStructureOutsideOnePageOfRamIsNotWritten() {
        KvmClock k = clock(0, KHZ);
        k.writeSystemTime(0x1ff0 | 1, 0);          // crosses into the next page
        assertEquals(0, memory.readLongLE(0x1ff0));
        k.writeSystemTime((2L << 20) | 1, 0);       // beyond RAM
        k.writeSystemTime(GPA, 0);                  // disabled: nothing written, the MSR reads back
        assertEquals(0, memory.readIntLE(GPA));
        assertEquals(GPA, k.systemTimeMsr());
        assertTrue(!k.stale());
    }
}
