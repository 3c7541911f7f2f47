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

static inline u64 read_cr3(void)
{
    u64 v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(u64 v)
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

#endif
