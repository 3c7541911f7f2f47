package org.jkvm.softcpu.sys;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.function.LongSupplier;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;
import org.jkvm.memory.MemoryRegion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One vCPU's kvmclock, as KVM gives it to a guest that sees KVM_FEATURE_CLOCKSOURCE2 (CPUID 0x40000001 EAX bit 3;
 * Linux's Documentation/virt/kvm/x86/msr.rst describes the MSRs and structures):
 * {@code MSR_KVM_SYSTEM_TIME_NEW} (0x4b564d01) holds the guest-physical address of the vCPU's
 * {@code pvclock_vcpu_time_info} with bit 0 = enable, {@code MSR_KVM_WALL_CLOCK_NEW} (0x4b564d00) the address of a
 * {@code pvclock_wall_clock} written once per write of the MSR.
 *
 * <pre>
 * pvclock_vcpu_time_info (32 bytes, little-endian)      pvclock_wall_clock (12 bytes)
 *   0 u32 version   odd while being written               0 u32 version
 *   4 u32 pad                                             4 u32 sec    wall time at kvmclock 0
 *   8 u64 tsc_timestamp                                   8 u32 nsec
 *  16 u64 system_time   ns at tsc_timestamp
 *  24 u32 tsc_to_system_mul
 *  28 s8  tsc_shift
 *  29 u8  flags         bit 0 PVCLOCK_TSC_STABLE_BIT, bit 1 PVCLOCK_GUEST_STOPPED
 * </pre>
 *
 * The guest computes {@code ns = system_time + ((tsc - tsc_timestamp) << tsc_shift (>> -tsc_shift if negative))
 * * mul >> 32}, and Linux takes its TSC rate from it ({@code 10^6 << 32 / mul}, shifted back) instead of
 * calibrating against the PIT.
 *
 * <p>The clock is defined by that formula over this vCPU's TSC: {@link #nanos(long)} is exactly what the guest
 * computes, so a save ({@link #nanos}) never reads ahead of or behind the guest. The base ({@code tsc_timestamp},
 * {@code system_time}, mul, shift) changes only where it must: a new TSC rate, a TSC write (the clock goes on from
 * its value: KVM's kvmclock does not follow guest TSC writes) and a restore of the clock; each new base starts at
 * the old clock's value at that instant, so the clock never goes back. The structure is rewritten then, on the vCPU
 * thread: at once inside the guest's WRMSR, else before the vCPU next runs ({@link #stale()}).
 *
 * <p>After a pause ({@link #guestPaused()}: a stop and cont, a migration's destination) the next structure carries
 * PVCLOCK_GUEST_STOPPED, as KVM's does after {@code KVM_KVMCLOCK_CTRL}: Linux's soft-lockup watchdog clears it and
 * does not report the pause as a lockup. The bit stays in every later structure until the guest clears it (KVM keeps
 * the guest's copy of it too), so a rewrite for another reason cannot hide it.
 *
 * <p>Not thread-safe: the vCPU's thread (or the owner while the vCPU is stopped) calls it.
 */
public final class KvmClock {
    /** MSR_KVM_WALL_CLOCK_NEW. */
    public static final int MSR_WALL_CLOCK = 0x4b564d00;
    /** MSR_KVM_SYSTEM_TIME_NEW. */
    public static final int MSR_SYSTEM_TIME = 0x4b564d01;
    /** pvclock flags bit 0: the TSCs of all vCPUs agree, the guest need not keep a global maximum. */
    public static final int PVCLOCK_TSC_STABLE_BIT = 1;
    /** pvclock flags bit 1: the VMM paused the guest since the guest last cleared this bit. */
    public static final int PVCLOCK_GUEST_STOPPED = 2;
    private static final int FLAGS_OFFSET = 29;
    /** Size of {@code pvclock_vcpu_time_info}. */
    public static final int TIME_INFO_BYTES = 32;
    private static final int WALL_CLOCK_BYTES = 12;
    private static final Logger LOG = LoggerFactory.getLogger(KvmClock.class);
    private static final long NS_PER_S = 1_000_000_000L;

    /** Guest RAM, for the structures; null until the vCPU is attached (unit tests may leave it). */
    public GuestMemory memory;
    /** Wall-clock nanoseconds since 1970 (the host's real time; tests inject one). */
    public LongSupplier realtimeNanos = KvmClock::hostRealtimeNanos;
    private long systemTimeMsr;
    private long wallClockMsr;
    private long tscTimestamp;
    private long systemTime;
    private int mul;
    private int shift;
    private boolean stale;
    /** PVCLOCK_GUEST_STOPPED is to be set in the next structure. */
    private boolean stoppedRequest;
    private boolean badAddressLogged;

    /** A clock at 0 ns at TSC {@code tscNow}, at {@code khz}. */
    public KvmClock(long tscNow, long khz) {
        tscTimestamp = tscNow;
        setScale(khz);
    }

    /** The guest's kvmclock in nanoseconds at TSC value {@code tsc} (not before the current base's TSC). */
    public long nanos(long tsc) {
        return systemTime + scale(tsc - tscTimestamp, mul, shift);
    }

    /** {@code (delta << shift or >> -shift) * mul >> 32}, with {@code delta} and the product unsigned 64-bit. */
    static long scale(long delta, int mul, int shift) {
        long d = shift < 0 ? delta >>> -shift : delta << shift;
        long m = mul & 0xffffffffL;
        return (d >>> 32) * m + ((d & 0xffffffffL) * m >>> 32);
    }

    /** {@code tsc_to_system_mul}, as an unsigned 32-bit value in an int. */
    public int mul() {
        return mul;
    }

    /** {@code tsc_shift}. */
    public int shift() {
        return shift;
    }

    /**
     * Chooses {@code shift} and {@code mul} for {@code khz} TSC ticks per millisecond: ns per tick =
     * {@code mul * 2^shift / 2^32}, with {@code mul} in [2^31, 2^32) for the most precision (its rounding error is
     * below 2^-31 of the rate, about 0.5 ns per second).
     */
    private void setScale(long khz) {
        BigInteger num = BigInteger.valueOf(1_000_000L).shiftLeft(32);
        BigInteger k = BigInteger.valueOf(khz);
        int s = 0;
        BigInteger m = num.divide(k);
        while (m.bitLength() > 32) {
            s++;
            m = num.divide(k.shiftLeft(s));
        }
        while (m.bitLength() < 32) {
            s--;
            m = num.shiftLeft(-s).divide(k);
        }
        shift = s;
        mul = m.intValue();
    }

    /** The TSC rate changes to {@code khz} at TSC {@code tscNow}: the clock goes on from its value there. */
    public void rateChanged(long tscNow, long khz) {
        rebase(nanos(tscNow), tscNow);
        setScale(khz);
    }

    /** The TSC jumps from {@code tscBefore} to {@code tscAfter} (a write): the clock goes on from its value. */
    public void tscWritten(long tscBefore, long tscAfter) {
        rebase(nanos(tscBefore), tscAfter);
    }

    /** Sets the clock to {@code ns} at TSC {@code tscNow} (a restore: the migrated clock's value). */
    public void set(long tscNow, long ns) {
        rebase(ns, tscNow);
    }

    private void rebase(long ns, long tscNew) {
        systemTime = ns;
        tscTimestamp = tscNew;
        stale = (systemTimeMsr & 1) != 0;
    }

    /**
     * The guest was paused: when the clock is enabled, its structure is rewritten with PVCLOCK_GUEST_STOPPED before
     * the vCPU runs again (KVM's {@code KVM_KVMCLOCK_CTRL}; nothing when the guest has not enabled the clock, where
     * KVM answers EINVAL).
     */
    public void guestPaused() {
        if ((systemTimeMsr & 1) != 0) {
            stoppedRequest = true;
            stale = true;
        }
    }

    /** Whether the guest's structure must be written before the vCPU runs again. */
    public boolean stale() {
        return stale;
    }

    /** RDMSR of {@link #MSR_SYSTEM_TIME}. */
    public long systemTimeMsr() {
        return systemTimeMsr;
    }

    /** RDMSR of {@link #MSR_WALL_CLOCK}. */
    public long wallClockMsr() {
        return wallClockMsr;
    }

    /** WRMSR of {@link #MSR_SYSTEM_TIME} at TSC {@code tscNow}: with bit 0 set the structure is written at once. */
    public void writeSystemTime(long value, long tscNow) {
        systemTimeMsr = value;
        stale = (value & 1) != 0;
        publish(tscNow);
    }

    /** A restored {@link #MSR_SYSTEM_TIME}: the structure is written before the vCPU next runs. */
    public void restoreSystemTime(long value) {
        systemTimeMsr = value;
        stale = (value & 1) != 0;
    }

    /** A restored {@link #MSR_WALL_CLOCK}: only the value (the guest read the structure at its own write). */
    public void restoreWallClock(long value) {
        wallClockMsr = value;
    }

    /**
     * WRMSR of {@link #MSR_WALL_CLOCK} at TSC {@code tscNow}: writes the wall time at which the kvmclock read 0
     * (now minus the clock), as KVM does on each write.
     */
    public void writeWallClock(long gpa, long tscNow) {
        wallClockMsr = gpa;
        long boot = realtimeNanos.getAsLong() - nanos(tscNow);
        ByteBuffer b = ByteBuffer.allocate(WALL_CLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int version = readVersion(gpa, WALL_CLOCK_BYTES);
        if (version == Integer.MIN_VALUE) {
            return;
        }
        b.putInt(0, version + 1);
        write(gpa, b.limit(4));
        b.clear();
        b.putInt(0, version + 1).putInt(4, (int) Math.floorDiv(boot, NS_PER_S))
                .putInt(8, (int) Math.floorMod(boot, NS_PER_S));
        write(gpa, b);
        b.clear();
        b.putInt(0, version + 2);
        write(gpa, b.limit(4));
    }

    /**
     * Writes this vCPU's {@code pvclock_vcpu_time_info} if it is enabled and stale: version odd, the body, version
     * even (the guest retries a read that saw an odd or changed version). Through {@link GuestMemory}, so the page
     * is marked dirty for migration and decoded code on it is dropped.
     */
    public void publish(long tscNow) {
        if (!stale) {
            return;
        }
        stale = false;
        if ((systemTimeMsr & 1) == 0) {
            return;
        }
        long gpa = systemTimeMsr & ~1L;
        int version = readVersion(gpa, TIME_INFO_BYTES);
        if (version == Integer.MIN_VALUE) {
            return;
        }
        int odd = (version + 1) | 1;
        int flags = PVCLOCK_TSC_STABLE_BIT | memory.readByte(gpa + FLAGS_OFFSET) & PVCLOCK_GUEST_STOPPED
                | (stoppedRequest ? PVCLOCK_GUEST_STOPPED : 0);
        stoppedRequest = false;
        ByteBuffer b = ByteBuffer.allocate(TIME_INFO_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, odd);
        write(gpa, b.limit(4));
        b.clear();
        b.putInt(0, odd).putLong(8, tscTimestamp).putLong(16, systemTime).putInt(24, mul).put(28, (byte) shift)
                .put(FLAGS_OFFSET, (byte) flags);
        write(gpa, b);
        java.lang.invoke.VarHandle.fullFence();
        b.clear();
        b.putInt(0, odd + 1);
        write(gpa, b.limit(4));
    }

    /** The version word at {@code gpa}, or {@link Integer#MIN_VALUE} when the structure is not all in one RAM page. */
    private int readVersion(long gpa, int bytes) {
        MemoryRegion r;
        try {
            r = memory == null ? null : memory.regionFor(gpa);
        } catch (GuestMemoryException e) {
            r = null;
        }
        boolean ok = r != null && (gpa & 0xfff) + bytes <= 4096 && gpa + bytes <= r.gpa() + r.sizeBytes();
        if (!ok) {
            if (!badAddressLogged) {
                badAddressLogged = true;
                LOG.info("kvmclock: the guest's structure at 0x{} ({} bytes) is not within one page of RAM; not "
                        + "written", Long.toHexString(gpa), bytes);
            }
            return Integer.MIN_VALUE;
        }
        return memory.readIntLE(gpa);
    }

    private void write(long gpa, ByteBuffer b) {
        try {
            memory.write(gpa, b);
        } catch (GuestMemoryException e) {
            LOG.debug("kvmclock: cannot write guest memory at 0x{}", Long.toHexString(gpa), e);
        }
    }

    private static long hostRealtimeNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * NS_PER_S + now.getNano();
    }
}
