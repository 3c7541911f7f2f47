package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.LapicState;

/**
 * A {@link Lapic}'s registers to and from the 1 KiB register page of {@link LapicState}, in KVM's layout: the ID as
 * an xAPIC ID (bits 31-24) also in x2APIC mode, the LDR as the mode reads it, the timer's current count as read at
 * the save. Version, APR and PPR are computed and ignored on the way in. Lock held by the caller.
 */
final class LapicPage {
    private LapicPage() {
    }

    static LapicState save(Lapic a) {
        byte[] page = new byte[LapicState.SIZE];
        for (int i = 0; i < 64; i++) {
            int v = i == 0x02 ? a.apicId << 24 : a.read(i);
            for (int k = 0; k < 4; k++) {
                page[i * 16 + k] = (byte) (v >>> (8 * k));
            }
        }
        return new LapicState(page);
    }

    static void restore(Lapic a, LapicState s) {
        int[] regs = a.regs;
        java.util.Arrays.fill(regs, 0);
        a.apicId = s.register(LapicState.ID) >>> 24;
        for (int i = 0x08; i <= 0x37; i++) {
            regs[i] = s.register(i * 16);
        }
        regs[0x0e] |= 0x0fffffff;
        regs[0x09] = 0;
        regs[0x0a] = 0;
        regs[0x0b] = 0;
        regs[0x0c] = 0;
        int mode = (regs[Lapic.LVT_TIMER] >> 17) & 3;
        a.timer.restore(s.register(LapicState.TIMER_INITIAL), s.register(LapicState.TIMER_DIVIDE),
                mode == 3 ? LapicTimer.ONE_SHOT : mode, s.register(LapicState.TIMER_CURRENT), a.now());
    }
}
