/*
 * jkvm guest firmware: the workloads and the main loop.
 *
 * One loop serves every workload. Each iteration reads the TSC (a TSC that goes backwards is an error),
 * writes pages when the pacing says so, lets the verify checker re-read two pages, and every 10 ms of guest
 * time polls the power-control port; heartbeats come once per hb_ms. The hot path keeps its state in
 * registers and calls nothing: under the host's KVM the guest runs about a million instructions a second.
 *
 * Pages are walked in order over the working area (QEMU's a-b test guest pattern), one write per page for
 * dirty (the u64 generation at offset 0), a header for verify (see README.md, "verify algorithm").
 * inject=page|tsc makes one deliberate error, so tests can prove the checks count what they should.
 */
#include "hw.h"
#include "net.h"

#define PAGE_MAGIC 0x454741504d564b4aULL   /* "JKVMPAGE" little-endian */
#define CHECKS_PER_LOOP 2
#define FILL_BURST 64                       /* at most this many pages per iteration */
#define MAX_REPORTS 8

/* The working area: page i of the walk is in area[r], after the pages of the ranges before it. */
static struct range area[MAX_RANGES];
static u32 nareas;
static u64 npages;
static volatile u32 *gens;   /* verify: generation last written to each page, 0 = never */

/* State of the slow path (heartbeat, power poll, reports): touched a few times per second only. */
static struct {
    u64 t0, khz, hb_ticks, poll_ticks, next_hb, next_poll;
    u64 seq, exit_after, tsc_back, verify_bad, reports, last_bias;
    enum inject inject;
    enum workload workload;
} slow;

/* workload=compute: the kernel's values and memory operands (hw.h, compute_block). */
static u64 compute_state[8] = {1, 2, 3, 5, 7, 0, 0, 11};

static void too_big(const struct config *cfg, u64 need_pages, u64 have_pages)
{
    fw_error_begin();
    put_str("workload=");
    put_str(workload_name(cfg->workload));
    put_str(" mib=");
    put_dec(cfg->mib);
    put_str(" needs ");
    put_dec((need_pages * PAGE_SIZE + MIB - 1) / MIB);
    put_str(" MiB of RAM above 16 MiB but the guest has ");
    put_dec(have_pages * PAGE_SIZE / MIB);
    put_str(" MiB there; lower mib or give the guest more memory");
    fw_error_end();
}

void workload_setup(const struct config *cfg, const struct memory *mem)
{
    if (cfg->inject == INJECT_PAGE && (cfg->workload != WL_VERIFY || cfg->rate == 0)) {
        fw_fail("inject=page needs workload=verify and a rate above 0");
    }
    if (cfg->inject == INJECT_DISK && cfg->workload != WL_DISK) {
        fw_fail("inject=disk needs workload=disk");
    }
    if (cfg->workload == WL_IDLE || cfg->workload == WL_COMPUTE || cfg->workload == WL_DISK
        || cfg->workload == WL_DISKBENCH) {
        return;   /* no working set in RAM; the disk workloads set up in disk.c */
    }
    npages = cfg->mib * (MIB / PAGE_SIZE);
    u64 table_pages = cfg->workload == WL_VERIFY ? (npages * sizeof(u32) + PAGE_SIZE - 1) / PAGE_SIZE : 0;
    u64 have = 0;
    for (u32 i = 0; i < mem->nranges; i++) {
        have += mem->ranges[i].pages;
    }
    if (mem->nranges == 0 || table_pages >= mem->ranges[0].pages || npages + table_pages > have) {
        too_big(cfg, npages + table_pages, have);
    }
    /* The generation table sits at the start of the first range, the pages follow it. */
    u64 left = npages;
    for (u32 i = 0; i < mem->nranges && left > 0; i++) {
        struct range r = mem->ranges[i];
        if (i == 0) {
            gens = (volatile u32 *)(uptr)r.base;
            r.base += table_pages * PAGE_SIZE;
            r.pages -= table_pages;
        }
        if (r.pages > left) {
            r.pages = left;
        }
        area[nareas++] = r;
        left -= r.pages;
    }
    map_identity(area[nareas - 1].base + area[nareas - 1].pages * PAGE_SIZE);
    /* RAM keeps old contents across a reset: start from an empty table. */
    volatile u64 *t = (volatile u64 *)gens;
    for (u64 i = 0; i < table_pages * (PAGE_SIZE / 8); i++) {
        t[i] = 0;
    }
}

static void errors_line_end(void)
{
    put_char('\n');
}

/* Out of line: a page whose header or table entry disagrees with the walk. Counts it once and repairs it. */
static __attribute__((noinline)) void page_bad(u64 index, volatile u64 *p, u32 want)
{
    slow.verify_bad++;
    if (slow.reports++ < MAX_REPORTS) {
        put_str("verify-bad");
        put_kv("page", index);
        put_kv("want_gen", want);
        put_kv("table_gen", gens[index]);
        put_kv("got_page", p[1]);
        put_kv("got_gen", p[2]);
        put_kv("magic_ok", p[0] == PAGE_MAGIC);
        errors_line_end();
    }
    p[0] = PAGE_MAGIC;
    p[1] = index;
    p[2] = want;
    gens[index] = want;
    invlpg(p);
    invlpg(&gens[index]);
}

/* Out of line: the TSC went backwards. Counts it and restarts the deadlines from the new value. */
static __attribute__((noinline)) void tsc_went_back(u64 now, u64 last)
{
    slow.tsc_back++;
    if (slow.reports++ < MAX_REPORTS) {
        put_str("tsc-back");
        put_kv("from", last);
        put_kv("to", now);
        errors_line_end();
    }
    slow.next_hb = now + slow.hb_ticks;
    slow.next_poll = now;
}

static void heartbeat(u64 now, u64 pages, u64 gen, u64 work)
{
    u64 errors = slow.tsc_back + slow.verify_bad;
    put_str("hb");
    put_kv("seq", slow.seq);
    put_kv("ms", (now - slow.t0) / slow.khz);
    put_kv("pages", pages);
    put_kv("gen", gen);
    put_kv("errors", errors);
    put_kv("tsc", now);
    put_kv("tsc_back", slow.tsc_back);
    put_kv("verify_bad", slow.verify_bad);
    if (slow.workload == WL_COMPUTE) {
        put_kv("work", work);   /* compute_block rounds done; each is COMPUTE_INSNS instructions (hw.h) */
    }
    if (net_enabled) {
        net_put_heartbeat();
    }
    put_char('\n');
    slow.seq++;
    if (slow.exit_after != 0 && slow.seq >= slow.exit_after) {
        debug_exit(errors == 0 ? 0 : 1);
    }
}

/* The address of page i of the walk. */
static volatile u64 *page_addr(u64 i)
{
    for (u32 r = 0; r < nareas; r++) {
        if (i < area[r].pages) {
            return (volatile u64 *)(uptr)(area[r].base + i * PAGE_SIZE);
        }
        i -= area[r].pages;
    }
    return (volatile u64 *)(uptr)area[0].base;
}

/*
 * inject=page|tsc (self-test, README): one deliberate error right after heartbeat seq=0. page: the page
 * written last (the walk reaches it again only after a whole pass, the checker sooner) gets a wrong
 * generation in its header; tsc: the loop's previous TSC reading is moved one second later, so the next
 * reading looks one second back. (Guests cannot move the TSC back themselves: QEMU TCG ignores writes to
 * IA32_TSC and KVM treats them as synchronisation.)
 */
static void inject_error(u64 next_write)
{
    if (slow.inject == INJECT_PAGE) {
        u64 i = (next_write == 0 ? npages : next_write) - 1;
        volatile u64 *p = page_addr(i);
        p[2] = gens[i] + 1000;
        invlpg(p);
    } else if (slow.inject == INJECT_TSC) {
        slow.last_bias = slow.khz * 1000;
    }
    slow.inject = INJECT_NONE;
}

/* Out of line: power poll and heartbeat. Returns the next TSC value at which to come back. */
static __attribute__((noinline)) u64 slow_path(u64 now, u64 pages, u64 gen, u64 next_write, u64 work)
{
    if (now >= slow.next_poll) {
        u8 v = inb(PORT_POWER);
        if (v == POWER_SHUTDOWN_REQUESTED) {
            put_str("shutdown requested\n");
            debug_exit(0);
        }
        if (net_enabled) {
            net_slow_poll();   /* the device's announcement request: a configuration read, so not every loop */
        }
        slow.next_poll = now + slow.poll_ticks;
    }
    if (now >= slow.next_hb) {
        heartbeat(now, pages, gen, work);
        slow.next_hb += slow.hb_ticks;
        if (now >= slow.next_hb) {
            slow.next_hb = now + slow.hb_ticks;   /* guest time jumped (stop/cont): no burst of lines */
        }
        if (slow.inject != INJECT_NONE) {
            inject_error(next_write);
        }
    }
    return slow.next_hb < slow.next_poll ? slow.next_hb : slow.next_poll;
}

/* Advances a cursor (index, address, pages left in range, range) by one page; sets wrapped when it wraps. */
#define CURSOR_STEP(idx, addr, left, rng, wrapped)                        \
    do {                                                                  \
        (idx)++;                                                          \
        (addr) += PAGE_SIZE;                                              \
        if (--(left) == 0) {                                              \
            if (++(rng) == nareas) {                                      \
                (rng) = 0;                                                \
                (idx) = 0;                                                \
                (wrapped) = 1;                                            \
            }                                                             \
            (addr) = area[rng].base;                                      \
            (left) = area[rng].pages;                                     \
        }                                                                 \
    } while (0)

/*
 * The loop, inlined once per (workload, flush) pair so that each copy carries only the state it needs in
 * registers: every memory access costs microseconds under the host's instruction emulator.
 */
static inline __attribute__((always_inline, noreturn)) void loop(const enum workload wl, const int flush_tlb,
                                                                 const u64 page_ticks, const u64 max_lag)
{
    volatile u32 *const table = gens;
    u64 now = rdtsc(), last = now;
    u64 next_slow = now, next_page = now, pages = 0, gen = wl == WL_IDLE || wl == WL_COMPUTE ? 0 : 1, work = 0;
    u64 w_idx = 0, w_addr = area[0].base, w_left = area[0].pages;
    u64 c_idx = 0, c_addr = area[0].base, c_left = area[0].pages;
    u32 w_rng = 0, c_rng = 0;
    const int net = net_enabled;
    slow.t0 = now;
    slow.next_hb = now + slow.hb_ticks;
    slow.next_poll = now;
    for (;;) {
        now = rdtsc();
        if (now < last) {
            tsc_went_back(now, last);
            next_slow = now;
            next_page = now;
        }
        last = now;
        if (flush_tlb) {
            write_cr3(read_cr3());   /* QEMU TCG: keep stack and data writes dirty-tracked (README) */
        }
        if (wl == WL_COMPUTE) {
            compute_block(compute_state);
            work += COMPUTE_ROUNDS;
        }
        if (wl == WL_DIRTY || wl == WL_VERIFY) {
            /* Every page that is due, at most FILL_BURST per iteration (all of them when rate=0). */
            for (u32 n = 0; n < FILL_BURST && (page_ticks == 0 || now >= next_page); n++) {
                volatile u64 *p = (volatile u64 *)(uptr)w_addr;
                if (wl == WL_VERIFY) {
                    p[0] = PAGE_MAGIC;
                    p[1] = w_idx;
                    p[2] = gen;
                    table[w_idx] = (u32)gen;
                    invlpg(&table[w_idx]);
                } else {
                    p[0] = gen;
                }
                invlpg(p);
                pages++;
                u32 wrapped = 0;
                CURSOR_STEP(w_idx, w_addr, w_left, w_rng, wrapped);
                gen += wrapped;
                next_page += page_ticks;
            }
            if (now > next_page + max_lag) {
                next_page = now;
            }
        }
        if (wl == WL_VERIFY) {
            for (u32 n = 0; n < CHECKS_PER_LOOP; n++) {
                /* The walk is in order: pages before the writer carry gen, the others gen - 1 (0: unwritten). */
                u32 want = (u32)(c_idx < w_idx ? gen : gen - 1);
                volatile u64 *p = (volatile u64 *)(uptr)c_addr;
                if (want != 0 && (table[c_idx] != want || p[0] != PAGE_MAGIC || p[1] != c_idx || p[2] != want)) {
                    page_bad(c_idx, p, want);
                }
                u32 wrapped = 0;
                CURSOR_STEP(c_idx, c_addr, c_left, c_rng, wrapped);
                (void)wrapped;
            }
        }
        if (net) {
            net_poll();   /* between page bursts: at most a few frames, one ring read when none waits */
        }
        if (now >= next_slow) {
            next_slow = slow_path(now, pages, gen, w_idx, work);
            last += slow.last_bias;   /* inject=tsc: the previous reading now looks one second later */
            slow.last_bias = 0;
        }
    }
}

void workload_run(const struct config *cfg, u64 khz)
{
    if (cfg->workload == WL_DISK || cfg->workload == WL_DISKBENCH) {
        disk_run(cfg, khz);
    }
    const int flush_tlb = !hypervisor_is_kvm();
    u64 page_ticks = 0;
    if (cfg->rate != 0) {
        page_ticks = khz * 1000 / cfg->rate;
        page_ticks = page_ticks == 0 ? 1 : page_ticks;
    }
    const u64 max_lag = khz * 100;   /* never catch up more than 100 ms of missed page writes */
    slow.khz = khz;
    slow.hb_ticks = cfg->hb_ms * khz;
    slow.poll_ticks = khz * 10;
    slow.exit_after = cfg->exit_after;
    slow.inject = cfg->inject;
    slow.workload = cfg->workload;
    switch (cfg->workload * 2 + (flush_tlb ? 1 : 0)) {
    case WL_DIRTY * 2:
        loop(WL_DIRTY, 0, page_ticks, max_lag);
    case WL_DIRTY * 2 + 1:
        loop(WL_DIRTY, 1, page_ticks, max_lag);
    case WL_VERIFY * 2:
        loop(WL_VERIFY, 0, page_ticks, max_lag);
    case WL_VERIFY * 2 + 1:
        loop(WL_VERIFY, 1, page_ticks, max_lag);
    case WL_COMPUTE * 2:
        loop(WL_COMPUTE, 0, page_ticks, max_lag);
    case WL_COMPUTE * 2 + 1:
        loop(WL_COMPUTE, 1, page_ticks, max_lag);
    case WL_IDLE * 2 + 1:
        loop(WL_IDLE, 1, page_ticks, max_lag);
    default:
        loop(WL_IDLE, 0, page_ticks, max_lag);
    }
}
