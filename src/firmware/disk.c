/*
 * jkvm guest firmware: workload=disk, a disk that checks itself (issue 14 item 7), on the first virtio disk.
 *
 * The range is the first `mib` MiB of the disk: sectors 0 and 1 hold the header (two slots written in turn, so
 * a torn header leaves the other), sectors 2..7 are unused, data sectors are 8 .. mib*2048-1. Data sector i of
 * the walk (lba 8 + i) is written in order, `rate` sectors per second, wrapping and incrementing the generation
 * (the memory verify workload's walk). Each written sector is a stamp: magic "JKVMDSEC", its lba, the
 * generation, the write's sequence number, 59 words of a pattern derived from lba and generation, and a
 * checksum of the 63 words before it; so a lost write (an older generation), a misplaced one (another lba) and
 * a torn one (a mixed pattern, a wrong checksum) all show. Because the walk is in order, the generation each
 * sector must hold follows from the writer's position (in RAM, travelling with the guest): gen before it,
 * gen - 1 after it (0: never written, not checked). The checker reads sectors on its own cursor (2 after a
 * write, 8 in an iteration without one) and compares.
 *
 * The header is the on-disk table: the writer's position and generation, written (after a flush, so the data
 * it describes is durable first) each heartbeat, every half pass, at exit_after and at a shutdown request. A
 * restarted guest reads it and re-checks the whole range from that position: first the sectors written after
 * the header (the newer generation), then the rest (the older one); anything else is disk_bad. It then resumes
 * writing where the previous run stopped.
 */
#include "hw.h"
#include "virtio_blk.h"
#include "net.h"

#define SEC_MAGIC 0x434553444d564b4aULL   /* "JKVMDSEC" little-endian */
#define HDR_MAGIC 0x5244484d44564b4aULL   /* "JKVMDHDR" little-endian */
#define HDR_VERSION 1
#define FIRST_LBA 8
#define CHECK_SECTORS 8
#define MAX_REPORTS 8
#define PATTERN_MUL 0x9e3779b97f4a7c15ULL
#define WORDS (SECTOR_SIZE / 8)

static struct blk_info info;
static u64 wbuf[WORDS] __attribute__((aligned(4096)));
static u64 rbuf[CHECK_SECTORS * WORDS] __attribute__((aligned(4096)));

static struct {
    u64 nsect;                 /* data sectors in the walk */
    u64 w_idx, gen;            /* writer: next sector to write, its pass (from 1) */
    u64 c_idx;                 /* checker: next sector to read */
    u64 writes, bad, reports;  /* disk_writes, disk_bad, diagnostics printed */
    u64 hdr_seq, hdr_writes;   /* header writes so far, disk_writes at the last one */
    u64 t0, khz, seq, next_hb, next_poll, tsc_back;
    const struct config *cfg;
} d;

/*
 * A rotate-and-add over the first 63 words: three instructions a word, because under this host's KVM the
 * guest runs about a million instructions a second and the checker reads every sector again and again. Adding
 * (not XOR) keeps two stamps' halves from cancelling out, so a torn sector fails it.
 */
static u64 checksum(const u64 *w)
{
    u64 c = 0x6a09e667f3bcc908ULL;
    for (u32 j = 0; j < WORDS - 1; j++) {
        c = (c << 5 | c >> 59) + w[j];
    }
    return c;
}

static void report_start(const char *what)
{
    d.bad++;
    if (d.reports++ < MAX_REPORTS) {
        put_str(what);
    } else {
        d.reports = MAX_REPORTS + 1;
    }
}

static void report_end(void)
{
    if (d.reports <= MAX_REPORTS) {
        put_char('\n');
    }
}

/* A request that must succeed; a failure counts in disk_bad with a disk-ioerr line. Returns 1 if it did. */
static int request(u32 type, u64 lba, volatile void *buf, u32 len)
{
    u8 st = blk_request(type, lba, buf, len);
    if (st == BLK_S_OK) {
        return 1;
    }
    report_start("disk-ioerr");
    if (d.reports <= MAX_REPORTS) {
        put_kv("type", type);
        put_kv("lba", lba);
        put_kv("status", st);
    }
    report_end();
    return 0;
}

/* Writes data sector i with generation gen. */
static void write_sector(u64 i, u64 gen)
{
    u64 lba = FIRST_LBA + i;
    wbuf[0] = SEC_MAGIC;
    wbuf[1] = lba;
    wbuf[2] = gen;
    wbuf[3] = d.writes + 1;
    u64 p = lba << 32 ^ gen;
    for (u32 j = 4; j < WORDS - 1; j++) {
        p += PATTERN_MUL;   /* a pattern of lba and gen: the checksum covers it */
        wbuf[j] = p;
    }
    wbuf[WORDS - 1] = checksum(wbuf);
    if (request(BLK_T_OUT, lba, wbuf, SECTOR_SIZE)) {
        d.writes++;
    }
}

/* The generation sector s holds, or -1 when it is no intact stamp of its own lba (magic, lba, checksum). */
static long long stamp_gen(const u64 *s, u64 lba)
{
    if (s[0] != SEC_MAGIC || s[1] != lba || s[WORDS - 1] != checksum(s)) {
        return -1;
    }
    return (long long)s[2];
}

/* Counts and reports data sector i holding something other than generation want, then rewrites it. */
static void sector_bad(u64 i, const u64 *s, u64 want)
{
    report_start("disk-bad");
    if (d.reports <= MAX_REPORTS) {
        put_kv("lba", FIRST_LBA + i);
        put_kv("want_gen", want);
        put_kv("got_lba", s[1]);
        put_kv("got_gen", s[2]);
        put_kv("magic_ok", s[0] == SEC_MAGIC);
        put_kv("sum_ok", s[WORDS - 1] == checksum(s));
    }
    report_end();
    write_sector(i, want);
}

/* Writes the header into slot hdr_seq % 2 after a flush (the data it describes is durable first). */
static void header_write(void)
{
    request(BLK_T_FLUSH, 0, 0, 0);
    d.hdr_seq++;
    for (u32 j = 0; j < WORDS; j++) {
        wbuf[j] = 0;
    }
    wbuf[0] = HDR_MAGIC;
    wbuf[1] = HDR_VERSION;
    wbuf[2] = d.nsect;
    wbuf[3] = FIRST_LBA;
    wbuf[4] = d.w_idx;
    wbuf[5] = d.gen;
    wbuf[6] = d.hdr_seq;
    wbuf[WORDS - 1] = checksum(wbuf);
    request(BLK_T_OUT, d.hdr_seq & 1, wbuf, SECTOR_SIZE);
    request(BLK_T_FLUSH, 0, 0, 0);
    d.hdr_writes = d.writes;
}

/* Checks sectors [i, i + n) of the walk (n <= CHECK_SECTORS, no wrap) against the writer's position. */
static void check_run(u64 i, u32 n)
{
    if (!request(BLK_T_IN, FIRST_LBA + i, rbuf, n * SECTOR_SIZE)) {
        return;
    }
    for (u32 k = 0; k < n; k++, i++) {
        u64 want = i < d.w_idx ? d.gen : d.gen - 1;
        const u64 *s = rbuf + k * WORDS;
        if (want != 0 && stamp_gen(s, FIRST_LBA + i) != (long long)want) {
            sector_bad(i, s, want);
        }
    }
}

/* The newest intact header of this layout: 1 and *pos, *gen set, or 0 (a fresh disk, or another layout). */
static int header_read(u64 *pos, u64 *gen)
{
    int found = 0;
    for (u32 slot = 0; slot < 2; slot++) {
        if (!request(BLK_T_IN, slot, rbuf, SECTOR_SIZE)) {
            continue;
        }
        /* A slot torn by a kill during its write is skipped: the other slot still holds the previous header. */
        if (rbuf[0] != HDR_MAGIC || rbuf[1] != HDR_VERSION || rbuf[WORDS - 1] != checksum(rbuf)
            || rbuf[2] != d.nsect || rbuf[3] != FIRST_LBA || rbuf[4] >= d.nsect || rbuf[5] == 0) {
            continue;
        }
        if (!found || rbuf[6] > d.hdr_seq) {
            found = 1;
            d.hdr_seq = rbuf[6];
            *pos = rbuf[4];
            *gen = rbuf[5];
        }
    }
    return found;
}

/*
 * A restarted guest: re-checks the whole range from the header's position h (generation gh). Walking from h
 * and wrapping, the sectors written after the header hold the newer generation (gh from h to the end, gh + 1
 * after the wrap), the rest the older one; a newer sector after an older one means a write in between was lost.
 * Returns how many sectors were newer; the writer resumes after them.
 */
static u64 resume_check(u64 h, u64 gh)
{
    u64 newer = 0;
    int in_newer = 1;
    u64 i = h;
    for (u64 j = 0; j < d.nsect;) {
        u32 n = CHECK_SECTORS;
        n = d.nsect - i < n ? (u32)(d.nsect - i) : n;
        n = d.nsect - j < n ? (u32)(d.nsect - j) : n;
        if (!request(BLK_T_IN, FIRST_LBA + i, rbuf, n * SECTOR_SIZE)) {
            in_newer = 0;
        } else {
            for (u32 k = 0; k < n; k++) {
                u64 old = i + k >= h ? gh - 1 : gh;
                const u64 *s = rbuf + k * WORDS;
                long long g = stamp_gen(s, FIRST_LBA + i + k);
                if (in_newer && g == (long long)(old + 1)) {
                    newer++;
                    continue;
                }
                in_newer = 0;
                if (g == (long long)(old + 1) || (old != 0 && g != (long long)old)) {
                    sector_bad(i + k, s, old);
                }
            }
        }
        j += n;
        i += n;
        if (i == d.nsect) {
            i = 0;
        }
    }
    return newer;
}

/* Finds the disk, checks the range fits, and resumes from the on-disk header or starts fresh. */
static void disk_setup(const struct config *cfg)
{
    if (!blk_open(&info)) {
        fw_fail("workload=disk needs a virtio disk (-device virtio-blk-pci) but the guest has none; add one");
    }
    u64 want = cfg->mib * (MIB / SECTOR_SIZE);
    if (info.sectors < want || info.readonly) {
        fw_error_begin();
        put_str("workload=disk mib=");
        put_dec(cfg->mib);
        put_str(" needs a writable virtio disk of at least ");
        put_dec(cfg->mib);
        put_str(" MiB but the first one has ");
        put_dec(info.sectors / (MIB / SECTOR_SIZE));
        put_str(info.readonly ? " MiB and is read-only; use a writable image" : " MiB; lower mib or grow the image");
        fw_error_end();
    }
    d.nsect = want - FIRST_LBA;
    u64 h = 0, gh = 0, newer = 0;
    int resumed = header_read(&h, &gh);
    if (resumed) {
        newer = resume_check(h, gh);
        d.w_idx = h + newer;
        d.gen = gh;
        if (d.w_idx >= d.nsect) {
            d.w_idx -= d.nsect;
            d.gen++;
        }
    } else {
        d.w_idx = 0;
        d.gen = 1;
    }
    put_str("disk");
    put_kv("slot", info.slot);
    put_kv("capacity_sectors", info.sectors);
    put_kv("flush", (u64)info.flush);
    put_kv("sectors", d.nsect);
    put_str(resumed ? " resume=header" : " resume=fresh");
    put_kv("checked", resumed ? d.nsect : 0);
    put_kv("newer", newer);
    put_kv("disk_bad", d.bad);
    put_kv("pos", d.w_idx);
    put_kv("gen", d.gen);
    put_char('\n');
    header_write();
}

static void heartbeat(u64 now)
{
    u64 errors = d.tsc_back + d.bad;
    put_str("hb");
    put_kv("seq", d.seq);
    put_kv("ms", (now - d.t0) / d.khz);
    put_kv("pages", 0);
    put_kv("gen", d.gen);
    put_kv("errors", errors);
    put_kv("tsc", now);
    put_kv("tsc_back", d.tsc_back);
    put_kv("verify_bad", 0);
    put_kv("disk_writes", d.writes);
    put_kv("disk_bad", d.bad);
    if (net_enabled) {
        net_put_heartbeat();
    }
    put_char('\n');
    d.seq++;
    if (d.cfg->exit_after != 0 && d.seq >= d.cfg->exit_after) {
        header_write();
        debug_exit(errors == 0 ? 0 : 1);
    }
    if (d.seq == 1 && d.cfg->inject == INJECT_DISK) {
        /* Self-test: the sector written last gets a generation 1000 too high; the checker must count it once. */
        u64 last = d.w_idx == 0 ? d.nsect - 1 : d.w_idx - 1;
        write_sector(last, (d.w_idx == 0 ? d.gen - 1 : d.gen) + 1000);
    }
}

/* Power poll and heartbeat, each when due. */
static void slow_path(u64 now)
{
    if (now >= d.next_poll) {
        if (inb(PORT_POWER) == POWER_SHUTDOWN_REQUESTED) {
            header_write();
            put_str("shutdown requested\n");
            debug_exit(0);
        }
        if (net_enabled) {
            net_slow_poll();
        }
        d.next_poll = now + d.khz * 10;
    }
    if (now >= d.next_hb) {
        heartbeat(now);
        header_write();
        d.next_hb += d.cfg->hb_ms * d.khz;
        if (now >= d.next_hb) {
            d.next_hb = now + d.cfg->hb_ms * d.khz;   /* guest time jumped (stop/cont): no burst of lines */
        }
    }
}

void disk_run(const struct config *cfg, u64 khz)
{
    if (cfg->workload == WL_DISKBENCH) {
        if (!blk_open(&info)) {
            fw_fail("workload=diskbench needs a virtio disk (-device virtio-blk-pci) but the guest has none; add one");
        }
        disk_bench(cfg, khz, &info);
    }
    d.cfg = cfg;
    d.khz = khz;
    disk_setup(cfg);
    const int flush_tlb = !hypervisor_is_kvm();
    u64 ticks = cfg->rate == 0 ? 0 : khz * 1000 / cfg->rate;
    u64 now = rdtsc(), last = now, next_write = now;
    d.t0 = now;
    d.next_hb = now + cfg->hb_ms * khz;
    d.next_poll = now;
    for (;;) {
        now = rdtsc();
        if (now < last) {
            d.tsc_back++;   /* counted in errors; the deadlines restart from here */
            next_write = d.next_poll = d.next_hb = now;
        }
        last = now;
        if (flush_tlb) {
            write_cr3(read_cr3());   /* QEMU TCG: keep the firmware's own writes dirty-tracked (README) */
        }
        u32 budget = CHECK_SECTORS;
        if (ticks == 0 || now >= next_write) {
            budget = 2;   /* a write was due: check less, so the rate holds on slow CPUs */
            write_sector(d.w_idx, d.gen);
            if (++d.w_idx == d.nsect) {
                d.w_idx = 0;
                d.gen++;
            }
            next_write = now > next_write + khz * 100 ? now : next_write + ticks;   /* no burst after a stop */
            if (d.writes - d.hdr_writes >= d.nsect / 2) {
                header_write();   /* the restart check needs fewer than a pass of writes after the header */
            }
        }
        u32 n = d.nsect - d.c_idx < budget ? (u32)(d.nsect - d.c_idx) : budget;
        check_run(d.c_idx, n);
        d.c_idx += n;
        if (d.c_idx == d.nsect) {
            d.c_idx = 0;
        }
        if (net_enabled) {
            net_poll();
        }
        if (now >= d.next_poll || now >= d.next_hb) {
            slow_path(now);
        }
    }
}
