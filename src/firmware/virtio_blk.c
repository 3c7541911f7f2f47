/*
 * jkvm guest firmware: polled virtio-blk driver (virtio 1.2 section 5.2). See virtio_blk.h.
 *
 * Each request is a three-descriptor chain: the 16-byte header (device-readable), the data (readable for a
 * write, writable for a read; absent for a flush) and the status byte (writable). Capacity comes from the
 * device configuration (le64 at offset 0, read as two 32-bit halves under the configuration generation).
 */
#include "hw.h"
#include "virtio.h"
#include "virtio_blk.h"

#define VIRTIO_BLK_F_RO (1ULL << 5)
#define VIRTIO_BLK_F_FLUSH (1ULL << 9)
#define QUEUE_SIZE 16
#define CC_CONFIG_GENERATION 0x15

struct blk_req_hdr {
    u32 type;
    u32 reserved;
    u64 sector;
};

static struct virtio_dev dev;
static struct virtq queue;
static u8 ring[VQ_MEM_BYTES(QUEUE_SIZE)] __attribute__((aligned(4096)));
static volatile struct blk_req_hdr hdr __attribute__((aligned(16)));
static volatile u8 status;
static int opened;
static int has_flush;

static u64 read_capacity(void)
{
    for (;;) {
        u8 gen = dev.common[CC_CONFIG_GENERATION];
        u32 lo = *(volatile u32 *)(dev.device);
        u32 hi = *(volatile u32 *)(dev.device + 4);
        if (dev.common[CC_CONFIG_GENERATION] == gen) {
            return (u64)hi << 32 | lo;
        }
    }
}

int blk_open(struct blk_info *info)
{
    if (!virtio_find(VIRTIO_ID_BLOCK, 0, &dev)) {
        return 0;
    }
    u64 feats = virtio_negotiate(&dev, VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO);
    virtq_setup(&dev, &queue, 0, QUEUE_SIZE, ring);
    virtio_driver_ok(&dev);
    has_flush = (feats & VIRTIO_BLK_F_FLUSH) != 0;
    opened = 1;
    info->slot = dev.bdf >> 11;
    info->sectors = read_capacity();
    info->flush = has_flush;
    info->readonly = (feats & VIRTIO_BLK_F_RO) != 0;
    return 1;
}

u8 blk_request(u32 type, u64 sector, volatile void *buf, u32 len)
{
    if (!opened) {
        fw_fail("a disk request was made before the virtio disk was opened; this is a firmware bug");
    }
    if (type == BLK_T_FLUSH && !has_flush) {
        return BLK_S_OK;   /* no volatile write cache to flush (virtio 1.2, 5.2.6.2) */
    }
    hdr.type = type;
    hdr.reserved = 0;
    hdr.sector = type == BLK_T_FLUSH ? 0 : sector;
    status = 0xff;
    struct vq_buf bufs[3] = {{&hdr, sizeof(hdr)}, {buf, len}, {&status, 1}};
    int n = type == BLK_T_FLUSH ? 2 : 3;
    if (n == 2) {
        bufs[1] = bufs[2];
    }
    if (virtq_submit(&queue, bufs, (u32)n, type == BLK_T_IN || n == 2 ? 1 : 2) < 0) {
        fw_fail("the virtio disk queue has no free descriptors; this is a firmware bug");
    }
    virtq_kick(&queue);
    u32 used_len;
    while (virtq_reap(&queue, &used_len) < 0) {
        /* Polled: the device completes the request on its own thread (jkvm) or in its event loop (QEMU). */
    }
    return status;
}
