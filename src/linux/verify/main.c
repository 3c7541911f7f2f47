/*
 * jkvm-verify: the firmware's memory writer and checker (src/firmware/workload.c and cmdline.c, compiled
 * unchanged) as a static Linux program, for the Linux guest kit's initramfs; with the firmware's disk.c and
 * disk_bench.c on /dev/vda (blk.c: O_DIRECT, flush = fdatasync) it is also the in-guest disk checker.
 *
 *     jkvm-verify [workload=verify|dirty|idle|disk|diskbench] [mib=N] [rate=N] [hb_ms=N] [exit_after=N]
 *                 [inject=page|disk] [op=... bs=N count=N]
 *
 * The same command-line keys as the firmware (src/firmware/README.md); the working set is one anonymous mapping
 * (populated at start), written in order at `rate` pages per second and checked two pages per loop, exactly as the
 * firmware does it. Output on stdout, one line each:
 *
 *     jkvm-verify 1.0 workload=verify mib=16 rate=1000 hb_ms=1000 clock=monotonic ram_mib=487
 *     hb seq=0 ms=1000 pages=1001 gen=1 errors=0 tsc=123456789 tsc_back=0 verify_bad=0
 *
 * tsc is CLOCK_MONOTONIC in ns and tsc_back counts it going backwards; errors = tsc_back + verify_bad. With
 * exit_after=N the program exits after N heartbeats with 0 when errors is 0, else 1; a bad command line exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "hw.h"

static char line[256];
static unsigned line_len;

static void flush_line(void)
{
    ssize_t off = 0;
    while (off < (ssize_t)line_len) {
        ssize_t n = write(STDOUT_FILENO, line + off, line_len - (unsigned)off);
        if (n <= 0) {
            break;
        }
        off += n;
    }
    line_len = 0;
}

void put_char(char c)
{
    line[line_len++] = c;
    if (c == '\n' || line_len == sizeof(line)) {
        flush_line();
    }
}

void debug_exit(u8 status)
{
    flush_line();
    exit(status);
}

void fw_error_begin(void)
{
    put_str("fw-error ");
}

void fw_error_end(void)
{
    put_char('\n');
    debug_exit(2);
}

void fw_fail(const char *msg)
{
    fw_error_begin();
    put_str(msg);
    fw_error_end();
}

/* Every address of the mapping is already mapped: nothing to add. */
void map_identity(u64 end)
{
    (void)end;
}

/* No CR3 reloads in the loop: they are the firmware's workaround for QEMU TCG's TLB and need ring 0. */
int hypervisor_is_kvm(void)
{
    return 1;
}

int main(int argc, char **argv)
{
    char cmdline[2048];
    size_t len = 0;
    cmdline[0] = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (len + n + 2 > sizeof(cmdline)) {
            fw_fail("the arguments are longer than 2047 bytes together; shorten them");
        }
        memcpy(cmdline + len, argv[i], n);
        len += n;
        cmdline[len++] = ' ';
        cmdline[len] = 0;
    }
    struct config cfg;
    cmdline_parse(cmdline, &cfg);
    if (cfg.workload == WL_COMPUTE) {
        fw_fail("workload=compute is the firmware's instruction-rate workload; jkvm-verify runs idle, dirty or "
                "verify");
    }
    struct memory mem;
    struct sysinfo si;
    mem.ram_mib = sysinfo(&si) == 0 ? ((u64)si.totalram * si.mem_unit + MIB - 1) / MIB : 0;
    mem.nranges = 0;
    if (cfg.workload != WL_IDLE) {
        /* The generation table (4 bytes a page) plus the pages, one populated anonymous mapping. */
        u64 pages = cfg.mib * (MIB / PAGE_SIZE) + (cfg.mib * (MIB / PAGE_SIZE) * 4 + PAGE_SIZE - 1) / PAGE_SIZE;
        void *area = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (area == MAP_FAILED) {
            fw_error_begin();
            put_str("cannot map the working set of ");
            put_dec(cfg.mib);
            put_str(" MiB; lower mib or give the guest more memory");
            fw_error_end();
        }
        mem.nranges = 1;
        mem.ranges[0].base = (uptr)area;
        mem.ranges[0].pages = pages;
    }
    put_str("jkvm-verify " FW_VERSION " workload=");
    put_str(workload_name(cfg.workload));
    put_kv("mib", cfg.mib);
    put_kv("rate", cfg.rate);
    put_kv("hb_ms", cfg.hb_ms);
    put_str(" clock=monotonic");
    put_kv("ram_mib", mem.ram_mib);
    put_char('\n');
    workload_setup(&cfg, &mem);
    workload_run(&cfg, 1000000);   /* "TSC" ticks are nanoseconds: 10^6 per millisecond */
}
