package org.jkvm.softcpu.platform;

/**
 * The guest's reads and writes of a {@link Lapic}'s registers (SDM vol. 3, table 10-1), by index = offset / 16:
 * which registers exist, their writable bits, the effects of a write (EOI, ESR latch, ICR send, SVR software
 * disable masking the LVT, LVT timer mode changes, the timer's count and divider). The caller holds the platform
 * lock and recomputes the APIC's hint afterwards.
 */
final class LapicRegisters {
    /** Writable bits of the LVT entries 0x32-0x37 (timer, thermal, perf, LINT0, LINT1, error). */
    private static final int[] LVT_BITS = {0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff};

    private LapicRegisters() {
    }

    /** The 32-bit register at {@code index} as the guest reads it; 0 for a register that does not exist. */
    static int read(Lapic a, int index) {
        int[] regs = a.regs;
        switch (index) {
            case 0x02: return a.x2apic() ? a.apicId : a.apicId << 24;
            case 0x03: return Lapic.VERSION;
            case 0x09: return a.apr();
            case 0x0a: return a.ppr();
            case 0x0b: case 0x0c: return 0;
            case 0x0d: return a.x2apic() ? a.x2apicLdr() : regs[0x0d];
            case 0x39: return a.timer.current(a.now());
            case 0x38: return a.timer.initial;
            case 0x3e: return a.timer.divide;
            default:
                if (index == 0x08 || (index >= 0x0e && index <= 0x28) || index == 0x30 || index == 0x31
                        || (index >= 0x32 && index <= 0x37)) {
                    return regs[index];
                }
                return 0;
        }
    }

    /** A guest write of the register at {@code index}; false for a register that cannot be written. */
    static boolean write(Lapic a, int index, int v) {
        int[] regs = a.regs;
        long now = a.now();
        switch (index) {
            case 0x02 -> a.apicId = a.x2apic() ? a.apicId : v >>> 24;
            case 0x08 -> regs[0x08] = v & 0xff;
            case 0x0b -> a.eoi();
            case 0x0d -> regs[0x0d] = v & 0xff000000;
            case 0x0e -> regs[0x0e] = v | 0x0fffffff;
            case 0x0f -> writeSvr(a, v);
            case 0x28 -> {
                // The ESR shows the errors since the previous write (SDM 10.5.3).
                regs[0x28] = a.esrPending;
                a.esrPending = 0;
            }
            case 0x30 -> {
                regs[0x30] = v & ~(1 << 12);
                sendIpi(a, v, a.x2apic() ? regs[0x31] : regs[0x31] >>> 24);
            }
            case 0x31 -> regs[0x31] = a.x2apic() ? v : v & 0xff000000;
            case 0x38 -> a.timer.writeInitial(v, now);
            case 0x3e -> a.timer.writeDivide(v, now);
            default -> {
                if (index >= 0x32 && index <= 0x37) {
                    writeLvt(a, index, v, now);
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    private static void writeSvr(Lapic a, int v) {
        a.regs[0x0f] = v & 0x3ff;
        if (!a.swEnabled()) {
            // Software disable masks every LVT entry (SDM 10.4.7.2).
            for (int i = 0x32; i <= 0x37; i++) {
                a.regs[i] |= Lapic.MASKED;
            }
        }
    }

    private static void writeLvt(Lapic a, int index, int v, long now) {
        int keep = index == Lapic.LVT_LINT0 || index == Lapic.LVT_LINT1 ? a.regs[index] & (1 << 14) : 0;
        int value = v & LVT_BITS[index - 0x32] | keep;
        if (!a.swEnabled()) {
            value |= Lapic.MASKED;
        }
        a.regs[index] = value;
        if (index == Lapic.LVT_TIMER) {
            int mode = (value >> 17) & 3;
            a.timer.setMode(mode == 3 ? LapicTimer.ONE_SHOT : mode, now);
        }
    }

    /** The ICR was written: send the IPI (fixed, lowest priority or NMI; the chip drops the others). */
    private static void sendIpi(Lapic a, int low, int dest) {
        int mode = (low >> 8) & 7;
        int vector = low & 0xff;
        if ((mode == 0 || mode == 1) && vector < 16) {
            a.error(Lapic.ESR_SEND_ILLEGAL);
            return;
        }
        a.chip.ipi(a, (low >> 18) & 3, (low & 0x800) != 0, dest, mode, vector);
    }
}
