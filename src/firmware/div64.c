/*
 * jkvm-fw32: 64-bit division for the i386 build. gcc turns u64 '/' and '%' into calls to these libgcc routines;
 * the firmware links no libgcc (and this host has no 32-bit one), so here they are: binary long division, one
 * quotient bit per step. Only the slow paths call them (pacing set-up, heartbeats, number printing).
 */
#include "fw.h"

u64 __udivmoddi4(u64 n, u64 d, u64 *rem);
u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);

u64 __udivmoddi4(u64 n, u64 d, u64 *rem)
{
    u64 q = 0, r = 0;
    if (d == 0) {
        fw_fail("division by zero");
    }
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ULL << i;
        }
    }
    if (rem) {
        *rem = r;
    }
    return q;
}

u64 __udivdi3(u64 n, u64 d)
{
    return __udivmoddi4(n, d, 0);
}

u64 __umoddi3(u64 n, u64 d)
{
    u64 r;
    __udivmoddi4(n, d, &r);
    return r;
}
