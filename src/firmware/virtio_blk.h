/*
 * jkvm guest firmware: polled virtio-blk driver (virtio 1.2 section 5.2) on the virtio-pci core (virtio.h).
 * One request at a time: submit, notify, poll the used ring. Single-threaded, not reentrant.
 */
#ifndef JKVM_FW_VIRTIO_BLK_H
#define JKVM_FW_VIRTIO_BLK_H

#include "fw.h"

#define SECTOR_SIZE 512u
/* Largest request the driver issues (one data descriptor): the diskbench's largest bs. */
#define BLK_MAX_BYTES (64u * 1024u)

/* Request types and status values (virtio 1.2, 5.2.6). */
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_S_OK 0

/* The first virtio disk, once blk_open found it. */
struct blk_info {
    u32 slot;           /* PCI slot */
    u64 sectors;        /* capacity in 512-byte sectors */
    int flush;          /* VIRTIO_BLK_F_FLUSH negotiated */
    int readonly;       /* VIRTIO_BLK_F_RO offered */
};

/* Finds and starts the first virtio-blk function; 0 if the guest has none. */
int blk_open(struct blk_info *info);

/*
 * One request: BLK_T_IN reads `len` bytes (a multiple of 512, at most BLK_MAX_BYTES) at `sector` into buf,
 * BLK_T_OUT writes them, BLK_T_FLUSH flushes (buf, len unused; succeeds without the feature). Blocks until the
 * device completes it; returns the status byte (BLK_S_OK = 0).
 */
u8 blk_request(u32 type, u64 sector, volatile void *buf, u32 len);

/* disk_bench.c: workload=diskbench on the opened disk; prints one result line and exits. */
void disk_bench(const struct config *cfg, u64 tsc_khz, const struct blk_info *info) __attribute__((noreturn));

#endif
