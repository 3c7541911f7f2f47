/*
 * jkvm guest firmware: the TSC frequency, from (in order) the command line, the hypervisor timing leaf
 * 0x40000010 (EAX = kHz) when leaf 0x40000000 reports it, or a PIT channel 2 calibration (QEMU).
 */
#include "hw.h"

#define LEAF_HV_BASE 0x40000000U
#define LEAF_HV_TIMING 0x40000010U
#define PIT_HZ 1193182ULL
#define PIT_COUNT 11932U          /* 10 ms of PIT ticks */
#define PIT_TRIES 5
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
 * 8254 channel 2 in mode 0 counts PIT_COUNT ticks with its gate held by port 0x61 bit 0; its output
 * (port 0x61 bit 5) goes high at terminal count. The TSC ticks in between give the frequency.
 */
static u64 pit_once(void)
{
    outb(PORT_SPEAKER, (u8)((inb(PORT_SPEAKER) & ~SPEAKER_ON) | SPEAKER_GATE2));
    outb(PORT_PIT_MODE, 0xb0);   /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PORT_PIT_CH2, PIT_COUNT & 0xff);
    outb(PORT_PIT_CH2, PIT_COUNT >> 8);
    u64 start = rdtsc();
    if (inb(PORT_SPEAKER) & SPEAKER_OUT2) {
        return 0;                /* OUT2 must be low while counting: there is no PIT here */
    }
    /* Bounded twice: a port that never changes must not hang the boot (each poll may be a VM exit). */
    for (u32 i = 0; i < CALIBRATION_POLLS; i++) {
        u64 ticks = rdtsc() - start;
        if (inb(PORT_SPEAKER) & SPEAKER_OUT2) {
            return ticks * PIT_HZ / (PIT_COUNT * 1000ULL);
        }
        if (ticks > MAX_CALIBRATION_TICKS) {
            break;
        }
    }
    return 0;
}

/* The median of PIT_TRIES calibrations: a vCPU thread preempted by a busy host skews single ones. */
static u64 from_pit(void)
{
    u64 v[PIT_TRIES];
    for (u32 i = 0; i < PIT_TRIES; i++) {
        v[i] = pit_once();
        if (v[i] == 0) {
            return 0;
        }
        for (u32 j = i; j > 0 && v[j - 1] > v[j]; j--) {
            u64 t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
    return v[PIT_TRIES / 2];
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
