/*
 * jkvm-verify: the firmware's block interface (virtio_blk.h) on Linux, so the firmware's own disk.c and
 * disk_bench.c run unchanged as a user-space checker of the guest's first virtio disk, /dev/vda, through the
 * kernel's virtio_blk driver (issue 14 item 7: "the in-guest checker does the same on /dev/vda with O_DIRECT").
 *
 * Requests bypass the page cache (O_DIRECT), so every read is the device's answer and not a cached copy; the
 * firmware's buffers are 4096-byte aligned and its lengths multiples of 512, as O_DIRECT needs. BLK_T_FLUSH is
 * fdatasync(2), which Linux turns into a virtio-blk flush request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw.h"
#include "virtio_blk.h"

#define DISK_PATH "/dev/vda"

static int fd = -1;

int blk_open(struct blk_info *info)
{
    int ro = 0;
    fd = open(DISK_PATH, O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0 && (errno == EROFS || errno == EACCES)) {
        fd = open(DISK_PATH, O_RDONLY | O_DIRECT | O_CLOEXEC);
        ro = 1;
    }
    if (fd < 0) {
        return 0;
    }
    unsigned long long bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
        close(fd);
        fd = -1;
        return 0;
    }
    info->slot = 0;          /* the kernel's driver owns the PCI function */
    info->sectors = bytes / SECTOR_SIZE;
    info->flush = 1;         /* fdatasync: a flush request when the device offers VIRTIO_BLK_F_FLUSH */
    info->readonly = ro;
    return 1;
}

u8 blk_request(u32 type, u64 sector, volatile void *buf, u32 len)
{
    ssize_t n;
    switch (type) {
    case BLK_T_IN:
        n = pread(fd, (void *)buf, len, (off_t)(sector * SECTOR_SIZE));
        return n == (ssize_t)len ? BLK_S_OK : 1;
    case BLK_T_OUT:
        n = pwrite(fd, (const void *)buf, len, (off_t)(sector * SECTOR_SIZE));
        return n == (ssize_t)len ? BLK_S_OK : 1;
    case BLK_T_FLUSH:
        return fdatasync(fd) == 0 ? BLK_S_OK : 1;
    default:
        return 2;            /* virtio's UNSUPP */
    }
}
