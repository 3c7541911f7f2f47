/*
 * jkvm guest firmware: the TSC frequency, from (in order) the command line, the hypervisor timing leaf
 * 0x40000010 (EAX = kHz) when leaf 0x40000000 reports it, or a PIT channel 2 calibration (QEMU).
 */
#include "hw.h"

#define LEAF_HV_BASE 0x40000000U
#define LEAF_HV_TIMING 0x40000010U
#define PIT_HZ 1193182ULL
#define PIT_COUNT 11932U          /* 10 ms of PIT ticks */
#define PIT_TRIES 16
#define PORT_PIT_CH2 0x42
#define PORT_PIT_MODE 0x43
#define PORT_SPEAKER 0x61
#define SPEAKER_GATE2 0x01
#define SPEAKER_ON 0x02
#define SPEAKER_OUT2 0x20
#define CALIBRATION_POLLS 5000000U
#define MAX_CALIBRATION_TICKS 2000000000ULL   /* 10 ms would be 1 GHz x 2 s: the PIT is not counting */
#define MIN_KHZ 10000ULL          /* 10 MHz: anything slower is a failed calibration */
#define MAX_KHZ 100000000ULL      /* 100 GHz */

/* True when leaf 0x40000000 carries KVM's signature "KVMKVMKVM\0\0\0" (jkvm's engine, QEMU with KVM). */
int hypervisor_is_kvm(void)
{
    u32 a, b, c, d;
    cpuid(LEAF_HV_BASE, 0, &a, &b, &c, &d);
    return b == 0x4b4d564b && c == 0x564b4d56 && d == 0x0000004d;
}

static u64 from_cpuid(void)
{
    u32 a, b, c, d;
    cpuid(LEAF_HV_BASE, 0, &a, &b, &c, &d);
    /* A CPU without hypervisor leaves echoes its highest basic leaf here; demand a sane range too. */
    if (a < LEAF_HV_TIMING || a > LEAF_HV_BASE + 0xff) {
        return 0;
    }
    cpuid(LEAF_HV_TIMING, 0, &a, &b, &c, &d);
    return a;
}

/*
 * One 8254 measurement: channel 2 in mode 0 counts PIT_COUNT ticks with its gate held by port 0x61 bit 0;
 * its output (port 0x61 bit 5) goes high at terminal count. Counting starts with the write of the count's
 * high byte and ends between two polls; each edge is bracketed by TSC reads, and *slack is the width of
 * both brackets together, so a vCPU preempted at an edge (a busy host) shows up as a large slack rather
 * than as a wrong frequency. Returns the TSC ticks for PIT_COUNT PIT ticks, or 0 when there is no PIT.
 */
static u64 pit_once(u64 *slack)
{
    outb(PORT_SPEAKER, (u8)((inb(PORT_SPEAKER) & ~SPEAKER_ON) | SPEAKER_GATE2));
    outb(PORT_PIT_MODE, 0xb0);   /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PORT_PIT_CH2, PIT_COUNT & 0xff);
    u64 start_lo = rdtsc();
    outb(PORT_PIT_CH2, PIT_COUNT >> 8);
    u64 start_hi = rdtsc();
    if (inb(PORT_SPEAKER) & SPEAKER_OUT2) {
        return 0;                /* OUT2 must be low while counting: there is no PIT here */
    }
    /* Bounded twice: a port that never changes must not hang the boot (each poll may be a VM exit). */
    u64 before = rdtsc();
    for (u32 i = 0; i < CALIBRATION_POLLS; i++) {
        u8 v = inb(PORT_SPEAKER);
        u64 after = rdtsc();
        if (v & SPEAKER_OUT2) {
            *slack = (start_hi - start_lo) + (after - before);
            return (before + after) / 2 - (start_lo + start_hi) / 2;
        }
        if (after - start_lo > MAX_CALIBRATION_TICKS) {
            break;
        }
        before = after;
    }
    return 0;
}

static int agree(u64 x, u64 y)
{
    u64 d = x > y ? x - y : y - x;
    return d * 1000 <= x;
}

/*
 * Up to PIT_TRIES measurements. Those whose edges are known to within 1/256 of the interval count; the
 * first two that agree within 0.1% give the answer. On a busy host single measurements can still be far
 * off (seen under QEMU TCG with a load average of 20), which is why one is not enough. If no two agree, the
 * narrowest measurement is used.
 */
static u64 from_pit(void)
{
    u64 good[PIT_TRIES];
    u32 ngood = 0;
    u64 best = 0, best_slack = ~0ULL;
    for (u32 i = 0; i < PIT_TRIES; i++) {
        u64 slack = 0;
        u64 ticks = pit_once(&slack);
        if (ticks == 0) {
            return 0;
        }
        if (slack < best_slack) {
            best = ticks;
            best_slack = slack;
        }
        if (slack * 256 >= ticks) {
            continue;
        }
        for (u32 j = 0; j < ngood; j++) {
            if (agree(good[j], ticks)) {
                return (good[j] + ticks) / 2 * PIT_HZ / (PIT_COUNT * 1000ULL);
            }
        }
        good[ngood++] = ticks;
    }
    return best * PIT_HZ / (PIT_COUNT * 1000ULL);
}

u64 tsc_khz_detect(u64 from_cmdline)
{
    if (from_cmdline != 0) {
        return from_cmdline;
    }
    u64 khz = from_cpuid();
    if (khz != 0) {
        return khz;
    }
    khz = from_pit();
    if (khz < MIN_KHZ || khz > MAX_KHZ) {
        fw_fail("cannot tell the TSC frequency: no tsc_khz= on the command line, no CPUID leaf 0x40000010 "
                "and no working PIT; pass tsc_khz=N");
    }
    return khz;
}
