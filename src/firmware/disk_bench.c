/*
 * jkvm guest firmware: workload=diskbench, the guest side of `bin/jkvm-bench Disk` (issue 14 acceptance 5).
 *
 * `count` requests of `bs` bytes, one at a time (queue depth 1), over the first `mib` MiB of the first virtio
 * disk (the whole disk if it is smaller): randread/randwrite at bs-aligned offsets from a fixed xorshift
 * sequence (the same offsets on every run and under QEMU), seqread/seqwrite in order, wrapping. The elapsed
 * time is measured with the TSC from before the first request to after the last; then one line
 *
 *   diskbench op=randread bs=4096 count=N requests=N bytes=N errors=N tsc_ticks=N us=N iops=N kib_s=N
 *
 * and the debug exit (0 when every request succeeded, else 1). Writes carry a fixed pattern, not stamps:
 * diskbench destroys what workload=disk wrote in its range.
 */
#include "hw.h"
#include "virtio_blk.h"

static u8 buf[BLK_MAX_BYTES] __attribute__((aligned(4096)));

static const char *const op_names[] = {"randread", "randwrite", "seqread", "seqwrite"};

void disk_bench(const struct config *cfg, u64 khz, const struct blk_info *info)
{
    int write = cfg->op == OP_RANDWRITE || cfg->op == OP_SEQWRITE;
    int random = cfg->op == OP_RANDREAD || cfg->op == OP_RANDWRITE;
    u64 per = cfg->bs / SECTOR_SIZE;
    u64 range = cfg->mib * (MIB / SECTOR_SIZE);
    range = info->sectors < range ? info->sectors : range;
    u64 blocks = range / per;
    if (blocks == 0 || (write && info->readonly)) {
        fw_error_begin();
        put_str("workload=diskbench op=");
        put_str(op_names[cfg->op]);
        put_str(" bs=");
        put_dec(cfg->bs);
        put_str(write && info->readonly ? " cannot write: the first virtio disk is read-only; use a writable image"
                                        : " needs a disk of at least bs bytes; use a larger image or a smaller bs");
        fw_error_end();
    }
    for (u32 i = 0; i < BLK_MAX_BYTES; i++) {
        buf[i] = (u8)(i * 7 + 1);
    }
    u64 x = 0x2545f4914f6cdd1dULL, errors = 0;
    u64 t0 = rdtsc();
    for (u64 n = 0; n < cfg->count; n++) {
        u64 block;
        if (random) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            block = x % blocks;
        } else {
            block = n % blocks;
        }
        if (blk_request(write ? BLK_T_OUT : BLK_T_IN, block * per, buf, (u32)cfg->bs) != BLK_S_OK) {
            errors++;
        }
    }
    u64 ticks = rdtsc() - t0;
    u64 us = ticks * 1000 / khz;
    us = us == 0 ? 1 : us;
    u64 bytes = cfg->count * cfg->bs;
    put_str("diskbench op=");
    put_str(op_names[cfg->op]);
    put_kv("bs", cfg->bs);
    put_kv("count", cfg->count);
    put_kv("requests", cfg->count - errors);
    put_kv("bytes", bytes - errors * cfg->bs);
    put_kv("errors", errors);
    put_kv("tsc_ticks", ticks);
    put_kv("us", us);
    put_kv("iops", cfg->count * 1000000 / us);
    put_kv("kib_s", bytes / 1024 * 1000000 / us);
    put_char('\n');
    debug_exit(errors == 0 ? 0 : 1);
}
