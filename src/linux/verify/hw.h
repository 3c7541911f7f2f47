/*
 * jkvm-verify: the firmware's hw.h for a Linux user-space program. build-kit.sh compiles the firmware's own
 * workload.c and cmdline.c next to this file, so their "hw.h" is this one:
 *
 * - rdtsc() is CLOCK_MONOTONIC in nanoseconds (the program runs at "tsc_khz" 1000000), so the firmware's tsc_back
 *   counts the guest's monotonic clock going backwards, which a migration must never make it do;
 * - the power port reads 0 (never a shutdown request: the guest is powered off by its init system);
 * - INVLPG and CR3 reloads are privileged and, in a guest with its own kernel, not needed: no-ops;
 * - the compute block is plain C here (jkvm-verify refuses workload=compute; the loop only has to compile).
 */
#ifndef JKVM_FW_HW_H
#define JKVM_FW_HW_H

#include <time.h>

#include "fw.h"

static inline void outb(u16 port, u8 v)
{
    (void)port;
    (void)v;
}

static inline u8 inb(u16 port)
{
    (void)port;
    return 0;
}

static inline u64 rdtsc(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static inline void invlpg(const volatile void *p)
{
    (void)p;
}

static inline uptr read_cr3(void)
{
    return 0;
}

static inline void write_cr3(uptr v)
{
    (void)v;
}

#define COMPUTE_INSNS 16
#define COMPUTE_ROUNDS 1024

static inline void compute_block(u64 *st)
{
    for (int i = 0; i < COMPUTE_ROUNDS; i++) {
        st[1] += st[0];
        st[2] = (st[2] ^ st[1]) * 3;
        st[0] += st[2] >> 7;
    }
}

#endif
