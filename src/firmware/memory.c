/*
 * jkvm guest firmware: guest RAM as the multiboot information describes it, and the identity map.
 *
 * Multiboot v1 information (at RSI/EBX): flags bit 0 = mem_lower/mem_upper valid (KiB), bit 2 = cmdline
 * valid, bit 6 = mmap_length/mmap_addr valid. Each mmap entry is {u32 size; u64 base; u64 length; u32 type},
 * and the next entry starts size + 4 bytes later; type 1 is usable RAM.
 */
#include "hw.h"

#define MBI_MEM (1U << 0)
#define MBI_CMDLINE (1U << 2)
#define MBI_MMAP (1U << 6)
#define E820_RAM 1
#define PTE_PRESENT 0x1ULL
#define PTE_WRITE 0x2ULL
#define PTE_LARGE 0x80ULL
#define POOL_PAGES 64

struct mbi {
    u32 flags;
    u32 mem_lower;
    u32 mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count;
    u32 mods_addr;
    u32 syms[4];
    u32 mmap_length;
    u32 mmap_addr;
} __attribute__((packed));

struct mmap_entry {
    u32 size;
    u64 base;
    u64 length;
    u32 type;
} __attribute__((packed));

#ifdef __x86_64__
/* Page-table pages for RAM the boot tables do not map; not cleared at boot (filled whole when taken). */
static u64 pool[POOL_PAGES][512] __attribute__((section(".pool"), aligned(4096)));
static u32 pool_used;
#endif

const char *mbi_cmdline(u32 mbi_gpa)
{
    const struct mbi *mbi = (const struct mbi *)(uptr)mbi_gpa;
    if (!(mbi->flags & MBI_CMDLINE) || mbi->cmdline == 0) {
        return "";
    }
    return (const char *)(uptr)mbi->cmdline;
}

/* Adds the part of [base, base+len) at or above AREA_START, page aligned, keeping ranges ascending. */
static void add_range(struct memory *mem, u64 base, u64 len)
{
    u64 end = base + len;
#ifndef __x86_64__
    /* jkvm-fw32 runs with paging off: only the first 4 GiB are addressable. */
    if (end > 4 * GIB) {
        end = 4 * GIB;
    }
#endif
    if (end < base || end <= AREA_START) {
        return;
    }
    if (base < AREA_START) {
        base = AREA_START;
    }
    base = (base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    end &= ~(PAGE_SIZE - 1);
    if (end <= base || mem->nranges == MAX_RANGES) {
        return;
    }
    u32 i = mem->nranges++;
    while (i > 0 && mem->ranges[i - 1].base > base) {
        mem->ranges[i] = mem->ranges[i - 1];
        i--;
    }
    mem->ranges[i].base = base;
    mem->ranges[i].pages = (end - base) / PAGE_SIZE;
}

void memory_read(u32 mbi_gpa, struct memory *mem)
{
    const struct mbi *mbi = (const struct mbi *)(uptr)mbi_gpa;
    u64 total = 0;
    mem->nranges = 0;
    if (mbi->flags & MBI_MMAP) {
        u64 at = mbi->mmap_addr;
        u64 end = at + mbi->mmap_length;
        while (at + sizeof(struct mmap_entry) <= end) {
            const struct mmap_entry *e = (const struct mmap_entry *)(uptr)at;
            if (e->size < 20) {
                fw_fail("the multiboot memory map is malformed (an entry is shorter than 20 bytes)");
            }
            if (e->type == E820_RAM) {
                total += e->length;
                add_range(mem, e->base, e->length);
            }
            at += e->size + 4ULL;
        }
    } else if (mbi->flags & MBI_MEM) {
        total = ((u64)mbi->mem_lower + mbi->mem_upper) * 1024;
        add_range(mem, MIB, (u64)mbi->mem_upper * 1024);
    } else {
        fw_fail("the multiboot information has neither a memory map nor memory sizes (flags bits 0 and 6)");
    }
    mem->ram_mib = (total + MIB - 1) / MIB;
}

#ifdef __x86_64__
static u64 *table_next(u64 *table, u32 index)
{
    if (!(table[index] & PTE_PRESENT)) {
        if (pool_used == POOL_PAGES) {
            fw_fail("the working area reaches beyond 64 GiB, which the firmware cannot map; lower mib");
        }
        u64 *fresh = pool[pool_used++];
        for (u32 i = 0; i < 512; i++) {
            fresh[i] = 0;
        }
        table[index] = (u64)fresh | PTE_PRESENT | PTE_WRITE;
    }
    return (u64 *)(table[index] & 0x000ffffffffff000ULL);
}

/*
 * Makes sure [0, end) is identity mapped, adding 2 MiB pages where the current tables (the engine's at
 * 0x1000, or the multiboot path's own, both mapping at least 4 GiB) stop. Existing entries are kept.
 */
void map_identity(u64 end)
{
    u64 *pml4 = (u64 *)(read_cr3() & 0x000ffffffffff000ULL);
    int added = 0;
    for (u64 gib = 0; gib * GIB < end; gib++) {
        u64 *pdpt = table_next(pml4, (u32)(gib >> 9));
        if (pdpt[gib & 511] & PTE_PRESENT) {
            continue;
        }
        u64 *pd = table_next(pdpt, (u32)(gib & 511));
        for (u64 i = 0; i < 512; i++) {
            pd[i] = (gib * GIB + i * 2 * MIB) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
        }
        added = 1;
    }
    if (added) {
        write_cr3(read_cr3());
    }
}
#else
/* jkvm-fw32: paging is off, so everything below 4 GiB is reachable as it is (add_range keeps to it). */
void map_identity(u64 end)
{
    if (end > 4 * GIB) {
        fw_fail("the working area reaches beyond 4 GiB, which the 32-bit firmware cannot address; lower mib");
    }
}
#endif
