/*
 * jkvm guest firmware: the mini network stack (net.c) and the NIC interface it runs on (virtio_net.c).
 *
 * The stack answers ARP requests for its address, ICMP echo requests and UDP datagrams to port 7 (echo), and
 * counts the numbered UDP stream a test sends (README.md, "Network"). It never blocks: net_poll handles at most a
 * few frames and returns, so the memory workload keeps its pace. Everything is polled, as in the rest of the
 * firmware; there is one NIC and one caller (the main loop), so nothing here is reentrant.
 */
#ifndef JKVM_FW_NET_H
#define JKVM_FW_NET_H

#include "fw.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_FRAME_MAX 1514   /* without the FCS, which the NIC neither delivers nor expects */

/*
 * A NIC as the stack sees it. A driver fills one in (virtio_net_open) and the stack calls it only from net_poll
 * and net_announce. Frames start at the Ethernet header; the driver adds and strips its own headers.
 */
struct nic {
    u8 mac[ETH_ALEN];
    /* The next received frame, or 0 when none is waiting; it stays valid until rx_done. */
    const u8 *(*rx)(u32 *len);
    /* Gives the frame returned by rx back to the device (it learns of it at the next flush). */
    void (*rx_done)(void);
    /* 1 when tx_buf would return a buffer now, 0 when the transmit queue is full. */
    int (*tx_room)(void);
    /* A buffer of ETH_FRAME_MAX bytes for the next frame to send, or 0 when the transmit queue is full. */
    u8 *(*tx_buf)(void);
    /* Queues the first len bytes of the buffer tx_buf returned; the device learns of it at the next flush. */
    void (*tx_send)(u32 len);
    /* Tells the device about the frames queued and the buffers given back since the last flush: one notification
     * per batch (none when the device is still busy with the earlier ones), not one per frame. */
    void (*flush)(void);
    /* 1 when the device asks the guest to announce itself (VIRTIO_NET_S_ANNOUNCE), else 0. */
    int (*announce_wanted)(void);
    /* Tells the device the announcement was sent (VIRTIO_NET_CTRL_ANNOUNCE_ACK). */
    void (*announce_ack)(void);
    /* 1 when the link is up, 0 when down (always 1 without VIRTIO_NET_F_STATUS). */
    int (*link_up)(void);
};

/* The counters a heartbeat shows (README.md, "Network"). */
struct net_stats {
    u64 rx;         /* frames for us: our MAC, or a broadcast we answered */
    u64 tx;         /* frames sent */
    u64 seq_gaps;   /* numbered UDP datagrams that did not carry the previous number + 1 of their flow */
    u64 seq_lost;   /* numbers skipped by forward jumps in those flows */
    u64 announces;  /* gratuitous ARPs sent */
};

/* net.c */
extern int net_enabled;   /* 1 once net_open found a NIC: the loop polls it and heartbeats show its counters */
void net_open(const struct config *cfg);
void net_poll(void);
void net_slow_poll(void);
void net_announce(void);
void net_put_heartbeat(void);
void put_ip(u32 ip);
void put_mac(const u8 *mac);

/* virtio_net.c: finds and starts the first virtio-net function; returns 0 when there is none. */
struct nic *virtio_net_open(void);
/* One word for the `net` line: the features the driver negotiated (e.g. "mac,status,ctrl_vq,announce"). */
void virtio_net_put_features(void);

#endif
