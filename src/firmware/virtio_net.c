/*
 * jkvm guest firmware: a polled virtio-net driver (virtio 1.2 section 5.1) on the virtio-pci core (virtio.h).
 *
 * One receive queue (0) kept full of 2 KiB buffers, one transmit queue (1) reaped when a buffer is needed (both
 * notified once per batch of frames, vn_flush), and,
 * when the device offers VIRTIO_NET_F_CTRL_VQ, the control queue (2) for the one command the firmware sends:
 * VIRTIO_NET_CTRL_ANNOUNCE_ACK after a gratuitous ARP the device asked for (VIRTIO_NET_F_GUEST_ANNOUNCE, the
 * "guest announces itself" step after a migration). Negotiated: VERSION_1, MAC, STATUS, CTRL_VQ, GUEST_ANNOUNCE;
 * no offloads and no mergeable buffers, so every frame is one buffer behind the 12-byte virtio_net_hdr
 * (VERSION_1 always has num_buffers) and a received frame is at most 1514 bytes. Interrupts stay off.
 */
#include "net.h"
#include "virtio.h"

#define VIRTIO_NET_F_MAC (1ULL << 5)
#define VIRTIO_NET_F_STATUS (1ULL << 16)
#define VIRTIO_NET_F_CTRL_VQ (1ULL << 17)
#define VIRTIO_NET_F_GUEST_ANNOUNCE (1ULL << 21)
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_S_ANNOUNCE 2
#define VIRTIO_NET_CTRL_ANNOUNCE 3
#define VIRTIO_NET_CTRL_ANNOUNCE_ACK 0
#define CFG_STATUS 6           /* le16 status in the device configuration, after the 6-byte MAC */
#define NET_HDR_LEN 12         /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define QSIZE 128              /* receive and transmit queue entries: a back-to-back burst waits in the receive
                                * ring rather than in the host's tap queue, and echoes of a batch never find the
                                * transmit ring full */
#define CTRL_QSIZE 4
#define BUF_BYTES 2048         /* header plus the largest frame without offloads (1526) fits */
#define RXQ 0
#define TXQ 1
#define CTRLQ 2

static struct virtio_dev dev;
static u64 features;
static struct virtq rxq, txq, ctrlq;
static u8 rx_ring[VQ_MEM_BYTES(QSIZE)] __attribute__((aligned(4096)));
static u8 tx_ring[VQ_MEM_BYTES(QSIZE)] __attribute__((aligned(4096)));
static u8 ctrl_ring[VQ_MEM_BYTES(CTRL_QSIZE)] __attribute__((aligned(4096)));
static u8 rx_bufs[QSIZE][BUF_BYTES] __attribute__((aligned(64)));
static u8 tx_bufs[QSIZE][BUF_BYTES] __attribute__((aligned(64)));
static u16 rx_of[QSIZE];       /* descriptor id -> receive buffer it carries */
static u16 tx_of[QSIZE];       /* descriptor id -> transmit buffer it carries */
static u16 tx_free[QSIZE];     /* transmit buffers not in the queue */
static u32 tx_nfree;
static u32 rx_cur, tx_cur;     /* the buffer handed to the stack by rx / tx_buf */
static u16 rx_flushed, tx_flushed;   /* each queue's available index at its last flush */
static u8 ctrl_cmd[2];         /* class, command (virtio_net_ctrl header, no data for ANNOUNCE_ACK) */
static volatile u8 ctrl_ack;
static int ctrl_pending;       /* an ANNOUNCE_ACK the device has not used yet */

static void rx_post(u32 i)
{
    struct vq_buf b = {rx_bufs[i], BUF_BYTES};
    int head = virtq_submit(&rxq, &b, 1, 0);
    if (head >= 0) {
        rx_of[head] = (u16)i;
    }
}

static const u8 *vn_rx(u32 *len)
{
    u32 l = 0;
    int head = virtq_reap(&rxq, &l);
    if (head < 0) {
        return 0;
    }
    rx_cur = rx_of[head];
    /* A used length outside [header, buffer] is a device bug: hand the stack an empty frame, it drops it. */
    *len = l >= NET_HDR_LEN && l <= BUF_BYTES ? l - NET_HDR_LEN : 0;
    return rx_bufs[rx_cur] + NET_HDR_LEN;
}

static void vn_rx_done(void)
{
    rx_post(rx_cur);   /* the device sees it at once; a device that ran out of buffers is told at the flush */
}

/* Takes back the transmit buffers the device has used; returns how many are free. */
static u32 tx_reap(void)
{
    u32 l;
    int head;
    while ((head = virtq_reap(&txq, &l)) >= 0) {
        tx_free[tx_nfree++] = tx_of[head];
    }
    return tx_nfree;
}

static int vn_tx_room(void)
{
    return tx_nfree != 0 || tx_reap() != 0;   /* the ring is read only when no buffer is known free */
}

static u8 *vn_tx_buf(void)
{
    if (tx_reap() == 0) {
        return 0;
    }
    tx_cur = tx_free[--tx_nfree];
    u8 *b = tx_bufs[tx_cur];
    *(u64 *)b = 0;   /* no checksum offload, no segmentation, num_buffers 0 (buffers are 64-byte aligned) */
    *(u32 *)(b + 8) = 0;
    return b + NET_HDR_LEN;
}

static void vn_tx_send(u32 len)
{
    struct vq_buf b = {tx_bufs[tx_cur], NET_HDR_LEN + len};
    int head = virtq_submit(&txq, &b, 1, 1);
    if (head < 0) {
        tx_free[tx_nfree++] = (u16)tx_cur;   /* cannot happen: one descriptor per buffer */
        return;
    }
    tx_of[head] = (u16)tx_cur;
}

/*
 * One notification per queue for the batch net_poll handled: transmit first (an answer is waiting), then receive,
 * and with the event index only when the device asked for one (it found the ring empty or drained it).
 */
static void vn_flush(void)
{
    if (txq.avail_idx != tx_flushed) {
        tx_flushed = txq.avail_idx;
        virtq_kick(&txq);
    }
    if (rxq.avail_idx != rx_flushed) {
        rx_flushed = rxq.avail_idx;
        virtq_kick(&rxq);
    }
}

static u16 cfg_status(void)
{
    return *(volatile u16 *)(dev.device + CFG_STATUS);
}

static int vn_announce_wanted(void)
{
    if (ctrl_pending) {
        u32 l;
        if (virtq_reap(&ctrlq, &l) < 0) {
            return 0;   /* the last acknowledgement is still in the device: its request may still show */
        }
        ctrl_pending = 0;
    }
    return (features & VIRTIO_NET_F_GUEST_ANNOUNCE) && (cfg_status() & VIRTIO_NET_S_ANNOUNCE);
}

static void vn_announce_ack(void)
{
    ctrl_cmd[0] = VIRTIO_NET_CTRL_ANNOUNCE;
    ctrl_cmd[1] = VIRTIO_NET_CTRL_ANNOUNCE_ACK;
    ctrl_ack = 0xff;
    struct vq_buf b[2] = {{ctrl_cmd, 2}, {&ctrl_ack, 1}};
    if (virtq_submit(&ctrlq, b, 2, 1) >= 0) {
        ctrl_pending = 1;
        virtq_kick(&ctrlq);
    }
}

static int vn_link_up(void)
{
    return !(features & VIRTIO_NET_F_STATUS) || (cfg_status() & VIRTIO_NET_S_LINK_UP);
}

static struct nic vn_nic = {
    .rx = vn_rx,
    .rx_done = vn_rx_done,
    .tx_room = vn_tx_room,
    .tx_buf = vn_tx_buf,
    .tx_send = vn_tx_send,
    .flush = vn_flush,
    .announce_wanted = vn_announce_wanted,
    .announce_ack = vn_announce_ack,
    .link_up = vn_link_up,
};

struct nic *virtio_net_open(void)
{
    if (!virtio_find(VIRTIO_ID_NET, 0, &dev)) {
        return 0;
    }
    u64 wanted = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_GUEST_ANNOUNCE
               | VIRTIO_F_EVENT_IDX;
    features = virtio_negotiate(&dev, wanted);
    if (!(features & VIRTIO_NET_F_MAC)) {
        fw_fail("the virtio-net device offers no MAC address (VIRTIO_NET_F_MAC); give it one with mac=");
    }
    if (!(features & VIRTIO_NET_F_CTRL_VQ)) {
        features &= ~VIRTIO_NET_F_GUEST_ANNOUNCE;   /* the acknowledgement needs the control queue */
    }
    virtq_setup(&dev, &rxq, RXQ, QSIZE, rx_ring);
    virtq_setup(&dev, &txq, TXQ, QSIZE, tx_ring);
    if (features & VIRTIO_NET_F_CTRL_VQ) {
        virtq_setup(&dev, &ctrlq, CTRLQ, CTRL_QSIZE, ctrl_ring);
    }
    /* With the event index a receive buffer posted while the device still has others costs no exit (the device
     * asks for a kick when it finds the ring empty), nor a transmit while it is still draining. */
    rxq.event_idx = txq.event_idx = ctrlq.event_idx = (features & VIRTIO_F_EVENT_IDX) != 0;
    for (u32 i = 0; i < rxq.size; i++) {
        rx_post(i);
    }
    for (u32 i = 0; i < txq.size; i++) {
        tx_free[tx_nfree++] = (u16)i;
    }
    for (u32 i = 0; i < ETH_ALEN; i++) {
        vn_nic.mac[i] = dev.device[i];
    }
    virtio_driver_ok(&dev);
    virtq_kick(&rxq);   /* not before DRIVER_OK (virtio 1.2, 3.1.1) */
    rx_flushed = rxq.avail_idx;
    return &vn_nic;
}

void virtio_net_put_features(void)
{
    put_str("mac");
    put_str(features & VIRTIO_NET_F_STATUS ? ",status" : "");
    put_str(features & VIRTIO_NET_F_CTRL_VQ ? ",ctrl_vq" : "");
    put_str(features & VIRTIO_NET_F_GUEST_ANNOUNCE ? ",guest_announce" : "");
    put_str(features & VIRTIO_F_EVENT_IDX ? ",event_idx" : "");
}
