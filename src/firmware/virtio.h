/*
 * jkvm guest firmware: PCI configuration space (pci.c) and a polled modern virtio-pci driver core (virtio.c).
 *
 * Specs: PCI Local Bus 3.0 (configuration mechanism #1 through ports 0xCF8/0xCFC, BARs, capability list) and
 * virtio 1.2 sections 2.7 (split virtqueues) and 4.1 (virtio over PCI, modern interface only). Both the jkvm
 * engine's modern-only functions (device 0x1040 + type) and QEMU's transitional ones (0x1000 + type - 1, with
 * the modern capabilities next to the legacy I/O BAR) are found; only the modern capabilities are used.
 * Everything is polled: no MSI-X, no INTx, interrupts stay off (the avail ring asks for no interrupts).
 * Single-threaded like the rest of the firmware: nothing here is reentrant.
 *
 * How to use it (virtio_blk.c is a complete example):
 *
 *     struct virtio_dev dev;
 *     if (!virtio_find(VIRTIO_ID_BLOCK, 0, &dev)) { ...no such device... }
 *     u64 feats = virtio_negotiate(&dev, wanted);            // reset, ACK, DRIVER, features, FEATURES_OK
 *     static u8 ring[VQ_MEM_BYTES(64)] __attribute__((aligned(4096)));
 *     struct virtq q;
 *     virtq_setup(&dev, &q, 0, 64, ring);                     // queue 0, size 64 (capped to the device's)
 *     virtio_driver_ok(&dev);
 *     struct vq_buf bufs[3] = {{hdr, 16}, {data, 512}, {&status, 1}};
 *     int head = virtq_submit(&q, bufs, 3, 1);                // 1 device-readable buffer first, then 2 writable
 *     virtq_kick(&q);                                         // notify the device
 *     u32 len; while (virtq_reap(&q, &len) < 0) {}            // poll the used ring; frees the chain
 *
 * Device configuration is read through dev.device (volatile MMIO, read it with the widths the spec gives).
 * Buffers and rings are addressed by their guest-physical addresses, which are their addresses here: the
 * firmware runs identity mapped (64-bit) or with paging off (32-bit build).
 */
#ifndef JKVM_FW_VIRTIO_H
#define JKVM_FW_VIRTIO_H

#include "fw.h"

/* ---- pci.c ---- */

#define PCI_VENDOR_VIRTIO 0x1af4

/* Bus/device/function packed as in the 0xCF8 address: bus << 16 | device << 11 | function << 8. */
typedef u32 pci_bdf;

u32 pci_read32(pci_bdf f, u32 off);
u16 pci_read16(pci_bdf f, u32 off);
u8 pci_read8(pci_bdf f, u32 off);
void pci_write32(pci_bdf f, u32 off, u32 v);
void pci_write16(pci_bdf f, u32 off, u16 v);

/*
 * The n-th function (0 = first) on bus 0 with this vendor whose device id is dev_a or dev_b, in slot and
 * function order; returns 1 and sets *out, else 0.
 */
int pci_find(u16 vendor, u16 dev_a, u16 dev_b, u32 n, pci_bdf *out);

/* The first capability of this id at or after config offset `from` (0 = from the list head); 0 if none. */
u8 pci_cap_find(pci_bdf f, u8 id, u8 from);

/*
 * The memory address of BAR `bar` (64-bit BARs included). A memory BAR the platform left at 0 is sized and
 * placed in the PCI hole below 4 GiB above every BAR already there. Also enables memory decoding and bus
 * mastering. Returns 0 for an I/O BAR or when the BAR cannot be placed.
 */
u64 pci_bar_mem(pci_bdf f, u32 bar);

/* ---- virtio.c ---- */

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_F_VERSION_1 (1ULL << 32)
#define VIRTIO_F_EVENT_IDX (1ULL << 29)   /* avail_event / used_event (virtio 1.2, 2.7.10) */

/* Device status bits (virtio 1.2, 2.1). */
#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 0x80

/* virtq_desc flags. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

/* Bytes a split queue of n entries needs: descriptors, then the available ring, the used ring on a new page. */
#define VQ_AVAIL_OFF(n) (16u * (n))
#define VQ_USED_OFF(n) ((16u * (n) + 6u + 2u * (n) + 4095u) & ~4095u)
#define VQ_MEM_BYTES(n) (VQ_USED_OFF(n) + ((6u + 8u * (n) + 4095u) & ~4095u))
#define VQ_MAX_SIZE 256

/* One virtio-pci function, located and mapped. */
struct virtio_dev {
    pci_bdf bdf;
    volatile u8 *common;   /* virtio_pci_common_cfg */
    volatile u8 *notify;   /* notification area base */
    u32 notify_mult;       /* notify_off_multiplier */
    volatile u8 *isr;
    volatile u8 *device;   /* device-specific configuration */
};

/* One split virtqueue in driver memory. */
struct virtq {
    struct virtio_dev *dev;
    u16 index;             /* queue number */
    u16 size;              /* entries, a power of two */
    volatile u8 *desc;     /* struct virtq_desc[size] */
    volatile u16 *avail;   /* flags, idx, ring[size] */
    volatile u8 *used;     /* flags, idx, {u32 id, u32 len}[size] */
    volatile u16 *notify_at;
    u16 free_head;         /* free descriptors, chained by their next field */
    u16 nfree;
    u16 avail_idx;         /* next avail ring slot (free running) */
    u16 last_used;         /* used ring entries already reaped (free running) */
    u16 kicked_idx;        /* avail_idx at the last virtq_kick (event index) */
    u8 event_idx;          /* VIRTIO_F_EVENT_IDX negotiated: kick only when the device's avail_event asks */
};

/* A buffer of a descriptor chain: guest address and length in bytes. */
struct vq_buf {
    const volatile void *addr;
    u32 len;
};

/* The n-th virtio function (0 = first) of this device type, with its modern capabilities; 1 if found. */
int virtio_find(u32 type, u32 n, struct virtio_dev *dev);

/*
 * Resets the device, sets ACKNOWLEDGE and DRIVER, accepts the offered features among `wanted` (VERSION_1
 * is always wanted and required), sets FEATURES_OK and checks the device kept it. Returns the accepted
 * features; on failure prints fw-error and stops.
 */
u64 virtio_negotiate(struct virtio_dev *dev, u64 wanted);

/*
 * Sets up queue `index` with `size` entries (a power of two; capped to the device's maximum) in `mem`
 * (VQ_MEM_BYTES(size) bytes, 4 KiB aligned, zeroed here) and enables it. Stops with fw-error if the queue
 * does not exist.
 */
void virtq_setup(struct virtio_dev *dev, struct virtq *q, u16 index, u16 size, void *mem);

/* Sets DRIVER_OK: call after every queue is set up. */
void virtio_driver_ok(struct virtio_dev *dev);

/*
 * Makes a chain of n buffers available: the first n_out are read by the device, the rest written by it.
 * Returns the head descriptor id, or -1 when fewer than n descriptors are free. Does not notify.
 */
int virtq_submit(struct virtq *q, const struct vq_buf *bufs, u32 n, u32 n_out);

/*
 * Notifies the device that queue q has new available buffers; with q->event_idx set (the driver negotiated
 * VIRTIO_F_EVENT_IDX) only when the device's avail_event lies among the entries made available since the last call.
 */
void virtq_kick(struct virtq *q);

/* One used chain: returns its head id and sets *len (bytes the device wrote), freeing its descriptors; -1 if none. */
int virtq_reap(struct virtq *q, u32 *len);

#endif
