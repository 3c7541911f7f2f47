/* jkvm guest firmware: single x86 instructions as inline functions. */
#ifndef JKVM_FW_HW_H
#define JKVM_FW_HW_H

#include "fw.h"

static inline void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Drops the TLB entry of one address; QEMU 7.2 TCG needs it to keep dirty tracking exact (see README). */
static inline void invlpg(const volatile void *p)
{
    __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}

static inline uptr read_cr3(void)
{
    uptr v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uptr v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/*
 * workload=compute: COMPUTE_ROUNDS rounds of a fixed block of COMPUTE_INSNS instructions (the loop's own DEC
 * and JNZ included): integer ALU, shifts, a rotate, LEA, IMUL, a store and a load, ADC on the carry of a compare,
 * and a taken branch. Guest instructions per second = work * COMPUTE_INSNS / seconds, on any CPU that runs it
 * (bin/jkvm-bench SoftCpu compares jkvm's software CPU with QEMU TCG on it). st[0..5] carry the values between
 * calls; st[6..7] are the memory operands.
 */
#define COMPUTE_INSNS 16
#define COMPUTE_ROUNDS 1024

#ifdef __x86_64__
static inline void compute_block(u64 *st)
{
    register u64 *mem __asm__("r8") = st;
    register u64 rounds __asm__("r10") = COMPUTE_ROUNDS;
    __asm__ volatile(
        "1:\n\t"
        "add %%rax, %%rbx\n\t"
        "xor %%rbx, %%rcx\n\t"
        "rol $13, %%rcx\n\t"
        "lea 1(%%rax,%%rcx,2), %%rdx\n\t"
        "imul %%rdx, %%rsi\n\t"
        "shr $7, %%rdx\n\t"
        "sub %%rdx, %%rdi\n\t"
        "mov %%rdi, 48(%%r8)\n\t"
        "mov 56(%%r8), %%r9\n\t"
        "add %%r9, %%rax\n\t"
        "or %%rsi, %%r9\n\t"
        "mov %%r9, 56(%%r8)\n\t"
        "cmp %%rax, %%rbx\n\t"
        "adc $0, %%rax\n\t"
        "dec %%r10\n\t"
        "jnz 1b\n\t"
        : "+a"(st[0]), "+b"(st[1]), "+c"(st[2]), "+S"(st[3]), "+D"(st[4]), "+r"(rounds)
        : "r"(mem)
        : "rdx", "r9", "memory", "cc");
}
#else
/*
 * jkvm-fw32: the same 16 instructions on 32-bit registers. i386 has too few registers for the 64-bit block's
 * scratch and counter, so EDX serves as both scratch registers (its first value is dead before the load) and the
 * round counter is the low word of st[5] in memory (DEC on memory).
 */
static inline void compute_block(u64 *st)
{
    u32 a = (u32)st[0], b = (u32)st[1], c = (u32)st[2], s = (u32)st[3], d = (u32)st[4];
    __asm__ volatile(
        "movl %6, 40(%5)\n\t"
        "1:\n\t"
        "add %%eax, %%ebx\n\t"
        "xor %%ebx, %%ecx\n\t"
        "rol $13, %%ecx\n\t"
        "lea 1(%%eax,%%ecx,2), %%edx\n\t"
        "imul %%edx, %%esi\n\t"
        "shr $7, %%edx\n\t"
        "sub %%edx, %%edi\n\t"
        "mov %%edi, 48(%5)\n\t"
        "mov 56(%5), %%edx\n\t"
        "add %%edx, %%eax\n\t"
        "or %%esi, %%edx\n\t"
        "mov %%edx, 56(%5)\n\t"
        "cmp %%eax, %%ebx\n\t"
        "adc $0, %%eax\n\t"
        "decl 40(%5)\n\t"
        "jnz 1b\n\t"
        : "+a"(a), "+b"(b), "+c"(c), "+S"(s), "+D"(d)
        : "r"(st), "i"(COMPUTE_ROUNDS)
        : "edx", "memory", "cc");
    st[0] = a;
    st[1] = b;
    st[2] = c;
    st[3] = s;
    st[4] = d;
}
#endif

#endif
