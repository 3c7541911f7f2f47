/*
 * jkvm guest firmware: polled virtio 1.x over PCI, modern interface (virtio 1.2 sections 2.7 and 4.1).
 * Usage: virtio.h. Split virtqueues only, no event index, no MSI-X; the firmware polls the used ring.
 */
#include "hw.h"
#include "virtio.h"

#define PCI_CAP_VENDOR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* virtio_pci_common_cfg offsets (virtio 1.2, 4.1.4.3). */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_NUM_QUEUES 0x12
#define CC_STATUS 0x14
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOTIFY_OFF 0x1e
#define CC_Q_DESC 0x20
#define CC_Q_DRIVER 0x28
#define CC_Q_DEVICE 0x30

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

static inline void mmio_w8(volatile u8 *base, u32 off, u8 v)
{
    *(volatile u8 *)(base + off) = v;
}

static inline void mmio_w16(volatile u8 *base, u32 off, u16 v)
{
    *(volatile u16 *)(base + off) = v;
}

static inline void mmio_w32(volatile u8 *base, u32 off, u32 v)
{
    *(volatile u32 *)(base + off) = v;
}

static inline u8 mmio_r8(volatile u8 *base, u32 off)
{
    return *(volatile u8 *)(base + off);
}

static inline u16 mmio_r16(volatile u8 *base, u32 off)
{
    return *(volatile u16 *)(base + off);
}

static inline u32 mmio_r32(volatile u8 *base, u32 off)
{
    return *(volatile u32 *)(base + off);
}

/* Orders the ring stores the device must see; x86 keeps stores in order, so only the compiler needs telling. */
static inline void barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

/* The address a virtio_pci_cap at config offset `cap` points to; 0 if its BAR is unusable here. */
static volatile u8 *cap_addr(pci_bdf f, u8 cap)
{
    u64 bar = pci_bar_mem(f, pci_read8(f, cap + 4u));
    if (bar == 0) {
        return 0;
    }
    u64 at = bar + pci_read32(f, cap + 8u);
#ifdef __x86_64__
    map_identity(at + 4096);   /* a 64-bit BAR may sit above the 4 GiB the boot tables map */
#else
    if (at >= 4 * GIB - 4096) {
        return 0;   /* paging is off: the 32-bit build reaches nothing above 4 GiB */
    }
#endif
    return (volatile u8 *)(uptr)at;
}

int virtio_find(u32 type, u32 n, struct virtio_dev *dev)
{
    /* Modern-only 0x1040 + type; transitional 0x1000 + type - 1 (net and block only). */
    u16 transitional = type == VIRTIO_ID_NET || type == VIRTIO_ID_BLOCK ? (u16)(0x1000 + type - 1) : 0xffff;
    pci_bdf f;
    if (!pci_find(PCI_VENDOR_VIRTIO, (u16)(0x1040 + type), transitional, n, &f)) {
        return 0;
    }
    dev->bdf = f;
    dev->common = dev->notify = dev->isr = dev->device = 0;
    dev->notify_mult = 0;
    for (u8 cap = pci_cap_find(f, PCI_CAP_VENDOR, 0); cap != 0; cap = pci_cap_find(f, PCI_CAP_VENDOR, cap)) {
        u8 kind = pci_read8(f, cap + 3u);
        volatile u8 **slot = kind == CAP_COMMON ? &dev->common : kind == CAP_NOTIFY ? &dev->notify
                             : kind == CAP_ISR ? &dev->isr : kind == CAP_DEVICE ? &dev->device : 0;
        if (slot == 0 || *slot != 0) {
            continue;   /* another kind (PCI config access), or a second one of a kind: the first wins */
        }
        *slot = cap_addr(f, cap);
        if (kind == CAP_NOTIFY) {
            dev->notify_mult = pci_read32(f, cap + 16u);
        }
    }
    return dev->common != 0 && dev->notify != 0 && dev->device != 0;
}

static void virtio_failed(struct virtio_dev *dev, const char *what)
{
    mmio_w8(dev->common, CC_STATUS, VIRTIO_STATUS_FAILED);
    fw_error_begin();
    put_str("the virtio device at pci slot ");
    put_dec(dev->bdf >> 11);
    put_str(" ");
    put_str(what);
    fw_error_end();
}

u64 virtio_negotiate(struct virtio_dev *dev, u64 wanted)
{
    mmio_w8(dev->common, CC_STATUS, 0);
    /* The reset is done when the status reads 0 again (virtio 1.2, 4.1.4.3.2); bounded against a dead device. */
    for (u32 i = 0; mmio_r8(dev->common, CC_STATUS) != 0; i++) {
        if (i == 1000000) {
            virtio_failed(dev, "did not finish its reset; check the device model");
        }
    }
    mmio_w8(dev->common, CC_STATUS, VIRTIO_STATUS_ACK);
    mmio_w8(dev->common, CC_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    mmio_w32(dev->common, CC_DFSELECT, 0);
    u64 offered = mmio_r32(dev->common, CC_DF);
    mmio_w32(dev->common, CC_DFSELECT, 1);
    offered |= (u64)mmio_r32(dev->common, CC_DF) << 32;
    if (!(offered & VIRTIO_F_VERSION_1)) {
        virtio_failed(dev, "does not offer VIRTIO_F_VERSION_1; the firmware drives modern virtio devices only");
    }
    u64 accepted = offered & (wanted | VIRTIO_F_VERSION_1);
    mmio_w32(dev->common, CC_GFSELECT, 0);
    mmio_w32(dev->common, CC_GF, (u32)accepted);
    mmio_w32(dev->common, CC_GFSELECT, 1);
    mmio_w32(dev->common, CC_GF, (u32)(accepted >> 32));
    u8 st = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    mmio_w8(dev->common, CC_STATUS, st);
    if (!(mmio_r8(dev->common, CC_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_failed(dev, "refused the features the firmware accepted (FEATURES_OK cleared)");
    }
    return accepted;
}

void virtq_setup(struct virtio_dev *dev, struct virtq *q, u16 index, u16 size, void *mem)
{
    volatile u8 *c = dev->common;
    if (index >= mmio_r16(c, CC_NUM_QUEUES)) {
        virtio_failed(dev, "has fewer queues than its driver needs");
    }
    mmio_w16(c, CC_Q_SELECT, index);
    u16 max = mmio_r16(c, CC_Q_SIZE);
    if (max == 0) {
        virtio_failed(dev, "reports a queue of size 0");
    }
    while (size > max || size > VQ_MAX_SIZE || (size & (size - 1)) != 0) {
        size = (u16)(size & (size - 1) ? size & (size - 1) : size / 2);   /* down to a power of two that fits */
    }
    volatile u8 *m = (volatile u8 *)mem;
    for (u32 i = 0; i < VQ_MEM_BYTES(size); i++) {
        m[i] = 0;
    }
    q->dev = dev;
    q->index = index;
    q->size = size;
    q->desc = m;
    q->avail = (volatile u16 *)(m + VQ_AVAIL_OFF(size));
    q->used = m + VQ_USED_OFF(size);
    for (u16 i = 0; i < size; i++) {
        *(volatile u16 *)(q->desc + 16u * i + 14) = (u16)(i + 1);   /* the free list: each one's next */
    }
    q->free_head = 0;
    q->nfree = size;
    q->avail_idx = 0;
    q->last_used = 0;
    q->kicked_idx = 0;
    q->event_idx = 0;
    q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    mmio_w16(c, CC_Q_SIZE, size);
    mmio_w16(c, CC_Q_MSIX, 0xffff);
    u64 d = (uptr)q->desc, a = (uptr)q->avail, u = (uptr)q->used;
    mmio_w32(c, CC_Q_DESC, (u32)d);
    mmio_w32(c, CC_Q_DESC + 4, (u32)(d >> 32));
    mmio_w32(c, CC_Q_DRIVER, (u32)a);
    mmio_w32(c, CC_Q_DRIVER + 4, (u32)(a >> 32));
    mmio_w32(c, CC_Q_DEVICE, (u32)u);
    mmio_w32(c, CC_Q_DEVICE + 4, (u32)(u >> 32));
    q->notify_at = (volatile u16 *)(dev->notify + (u32)mmio_r16(c, CC_Q_NOTIFY_OFF) * dev->notify_mult);
    mmio_w16(c, CC_Q_ENABLE, 1);
}

void virtio_driver_ok(struct virtio_dev *dev)
{
    mmio_w8(dev->common, CC_STATUS, (u8)(mmio_r8(dev->common, CC_STATUS) | VIRTIO_STATUS_DRIVER_OK));
}

int virtq_submit(struct virtq *q, const struct vq_buf *bufs, u32 n, u32 n_out)
{
    if (n == 0 || n > q->nfree) {
        return -1;
    }
    u16 head = q->free_head, id = head;
    for (u32 i = 0; i < n; i++) {
        volatile u8 *d = q->desc + 16u * id;
        u16 next = *(volatile u16 *)(d + 14);
        *(volatile u64 *)d = (uptr)bufs[i].addr;
        *(volatile u32 *)(d + 8) = bufs[i].len;
        *(volatile u16 *)(d + 12) = (u16)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (i >= n_out ? VIRTQ_DESC_F_WRITE : 0));
        id = next;   /* free descriptors are already linked: the chain follows the free list */
    }
    q->free_head = id;
    q->nfree = (u16)(q->nfree - n);
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    barrier();   /* the ring entry before the index that publishes it */
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    return head;
}

void virtq_kick(struct virtq *q)
{
    if (q->event_idx) {
        /* The index store before the avail_event load (store-load order needs a real fence), or a device that
         * found the ring empty and asked for a kick meanwhile would be skipped and wait for ever. */
        __asm__ volatile("mfence" ::: "memory");
        u16 event = *(volatile u16 *)(q->used + 4 + 8u * q->size);
        u16 now = q->avail_idx, old = q->kicked_idx;
        q->kicked_idx = now;
        if ((u16)(now - event - 1) >= (u16)(now - old)) {
            return;   /* the device is still consuming: it will see the new entries without a notification */
        }
    } else {
        barrier();
    }
    *q->notify_at = q->index;
}

int virtq_reap(struct virtq *q, u32 *len)
{
    if (*(volatile u16 *)(q->used + 2) == q->last_used) {
        return -1;
    }
    barrier();   /* the index before the entry it covers */
    volatile u8 *e = q->used + 4 + 8u * (q->last_used & (q->size - 1));
    u16 head = (u16)*(volatile u32 *)e;
    *len = *(volatile u32 *)(e + 4);
    q->last_used++;
    /* Return the chain to the free list: walk to its last descriptor, link it to the old free head. */
    u16 id = head, count = 1;
    while ((*(volatile u16 *)(q->desc + 16u * id + 12) & VIRTQ_DESC_F_NEXT) && count < q->size) {
        id = *(volatile u16 *)(q->desc + 16u * id + 14);
        count++;
    }
    *(volatile u16 *)(q->desc + 16u * id + 12) = 0;
    *(volatile u16 *)(q->desc + 16u * id + 14) = q->free_head;
    q->free_head = head;
    q->nfree = (u16)(q->nfree + count);
    return head;
}
