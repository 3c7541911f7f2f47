/*
 * jkvm guest firmware: a minimal IPv4 host over one NIC (struct nic, net.h).
 *
 * What it does (README.md, "Network"): answers ARP requests for its address (RFC 826), answers ICMP echo
 * requests (RFC 792), echoes UDP datagrams sent to port 7 (RFC 862), and sends a gratuitous ARP when the device
 * asks the guest to announce itself (virtio 1.2, 5.1.6.5.4 VIRTIO_NET_F_GUEST_ANNOUNCE). IPv4 packets must be
 * unfragmented, carry a valid header checksum and be addressed to us; ICMP and UDP checksums are checked too
 * (a UDP checksum of 0 means none, RFC 768). Replies go back to the Ethernet source of the request, so the stack
 * needs no ARP cache: the sender of a request is "learned" for exactly as long as the answer needs it.
 *
 * UDP datagrams to port 7 whose payload starts with ASCII decimal digits carry a sequence number; per flow
 * (source address and port, the last FLOWS flows) a number that is not the previous highest + 1 counts in
 * seq_gaps, and a forward jump adds the numbers it skipped to seq_lost (a late datagram is counted as a gap but
 * not subtracted from seq_lost, so seq_lost is an upper bound on the loss).
 */
#include "net.h"

#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ETH_MIN_FRAME 60      /* shorter frames are padded with zeros (IEEE 802.3, without the FCS) */
#define IP_HLEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define IP_TTL 64
#define IP_FLAG_DF 0x4000
#define IP_FRAG_MASK 0x3fff   /* MF and the fragment offset: any of them set means a fragment */
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define UDP_HLEN 8
#define UDP_PORT_ECHO 7
#define UDP_PORT_DISCARD 9    /* RFC 863: where the flood's datagrams go, so that nobody answers them */
#define FLOOD_PAYLOAD 32
#define RX_BURST 16           /* frames per net_poll: the workload between polls must not starve */
#define FLOWS 4
#define SEQ_DIGITS 19         /* a u64 holds any 19-digit decimal number */

struct flow {
    u32 ip;
    u16 port;
    u16 used;
    u64 highest;   /* the highest sequence number seen in this flow */
    u64 stamp;     /* when it was last used, in datagrams: the oldest flow is replaced */
};

static struct nic *nic;
static u32 my_ip;
static struct net_stats stats;
static u16 ip_id;
static u32 flood;             /* net_flood=N: frames per poll */
static struct flow flows[FLOWS];
static u64 flow_clock;

static u16 get16(const u8 *p)
{
    return (u16)((p[0] << 8) | p[1]);
}

static u32 get32(const u8 *p)
{
    return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

static void put16(u8 *p, u32 v)
{
    p[0] = (u8)(v >> 8);
    p[1] = (u8)v;
}

static void put32(u8 *p, u32 v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* Unaligned loads and stores the compiler may not assume apart from byte accesses (x86 allows them). */
typedef u64 __attribute__((may_alias, aligned(1))) u64_un;
typedef u32 __attribute__((may_alias, aligned(1))) u32_un;
typedef u16 __attribute__((may_alias, aligned(1))) u16_un;

/*
 * The ones' complement sum of RFC 1071 over len bytes, added to sum (unfolded, in network byte order). Summed
 * 4 bytes at a time in the CPU's little-endian order, folded and byte-swapped at the end: RFC 1071 2(B), the sum
 * does not depend on byte order but for that swap. A quarter of the loop turns of a 16-bit walk: on a software
 * CPU that interprets the firmware's once-per-frame code, loop turns are most of a frame's cost.
 */
static u64 csum_add(u64 sum, const u8 *p, u32 len)
{
    u64 s = 0;
    for (; len >= 4; len -= 4, p += 4) {
        s += *(const u32_un *)p;
    }
    if (len >= 2) {
        s += *(const u16_un *)p;
        p += 2;
        len -= 2;
    }
    if (len) {
        s += p[0];   /* the low byte of a little-endian word: after the swap, the high byte (RFC 1071) */
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return sum + (((s & 0xff) << 8) | (s >> 8));
}

/* Copies n bytes 8 at a time (the shared memcpy goes byte by byte: eight times the loop turns). */
static void copy(u8 *d, const u8 *s, u32 n)
{
    for (; n >= 8; n -= 8, d += 8, s += 8) {
        *(u64_un *)d = *(const u64_un *)s;
    }
    for (; n; n--) {
        *d++ = *s++;
    }
}

static void copy_mac(u8 *d, const u8 *s)
{
    *(u32_un *)d = *(const u32_un *)s;
    *(u16_un *)(d + 4) = *(const u16_un *)(s + 4);
}

/* Folds a sum to 16 bits and complements it: the checksum to store, or 0 when a received sum checks out. */
static u16 csum_fold(u64 sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (u16)~sum;
}

/* The UDP pseudo header (RFC 768): addresses, protocol and UDP length. */
static u64 pseudo_sum(u32 src, u32 dst, u32 udp_len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_UDP + udp_len;
}

static int mac_eq(const u8 *a, const u8 *b)
{
    return *(const u32_un *)a == *(const u32_un *)b && *(const u16_un *)(a + 4) == *(const u16_un *)(b + 4);
}

static int mac_broadcast(const u8 *a)
{
    for (int i = 0; i < ETH_ALEN; i++) {
        if (a[i] != 0xff) {
            return 0;
        }
    }
    return 1;
}

static void send(u8 *o, u32 len)
{
    for (; len < ETH_MIN_FRAME; len++) {
        o[len] = 0;
    }
    nic->tx_send(len);
    stats.tx++;
}

static void eth_header(u8 *o, const u8 *dst, u32 type)
{
    copy_mac(o, dst);
    copy_mac(o + ETH_ALEN, nic->mac);
    put16(o + 12, type);
}

/*
 * An ARP packet from us: a reply to (tha, tpa), or with oper ARP_REQUEST and tpa = our address, a gratuitous ARP.
 * Returns 0 when the transmit queue was full and nothing was sent.
 */
static int arp_send(const u8 *eth_dst, u32 oper, const u8 *tha, u32 tpa)
{
    u8 *o = nic->tx_buf();
    if (o == 0) {
        return 0;   /* transmit queue full: the peer asks again */
    }
    eth_header(o, eth_dst, ETHERTYPE_ARP);
    u8 *a = o + ETH_HLEN;
    put16(a, 1);              /* hardware: Ethernet */
    put16(a + 2, ETHERTYPE_IP);
    a[4] = ETH_ALEN;
    a[5] = 4;
    put16(a + 6, oper);
    copy_mac(a + 8, nic->mac);
    put32(a + 14, my_ip);
    copy_mac(a + 18, tha);
    put32(a + 24, tpa);
    send(o, ETH_HLEN + ARP_LEN);
    return 1;
}

static void arp_in(const u8 *f, u32 len, int for_us)
{
    const u8 *a = f + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IP || a[4] != ETH_ALEN
        || a[5] != 4) {
        return;
    }
    if (get16(a + 6) == ARP_REQUEST && get32(a + 24) == my_ip) {
        stats.rx += for_us ? 0 : 1;   /* a broadcast request for our address is a frame for us too */
        (void)arp_send(a + 8, ARP_REPLY, a + 8, get32(a + 14));
    }
}

/* Starts a reply to the IPv4 packet ip (from frame f): Ethernet and IP headers; the caller adds len payload bytes. */
static u8 *ip_reply(const u8 *f, const u8 *ip, u32 proto, u32 len)
{
    u8 *o = nic->tx_buf();
    if (o == 0) {
        return 0;
    }
    eth_header(o, f + ETH_ALEN, ETHERTYPE_IP);
    u8 *h = o + ETH_HLEN;
    h[0] = 0x45;
    h[1] = 0;
    put16(h + 2, IP_HLEN + len);
    put16(h + 4, ip_id++);
    put16(h + 6, IP_FLAG_DF);
    h[8] = IP_TTL;
    h[9] = (u8)proto;
    put16(h + 10, 0);
    put32(h + 12, my_ip);
    *(u32_un *)(h + 16) = *(const u32_un *)(ip + 12);
    put16(h + 10, csum_fold(csum_add(0, h, IP_HLEN)));
    return h + IP_HLEN;
}

static void icmp_in(const u8 *f, const u8 *ip, const u8 *p, u32 len)
{
    if (len < 8 || p[0] != ICMP_ECHO_REQUEST || p[1] != 0 || csum_fold(csum_add(0, p, len)) != 0) {
        return;
    }
    u8 *r = ip_reply(f, ip, IP_PROTO_ICMP, len);
    if (r == 0) {
        return;
    }
    copy(r, p, len);   /* identifier, sequence number and data come back unchanged */
    r[0] = ICMP_ECHO_REPLY;
    put16(r + 2, 0);
    put16(r + 2, csum_fold(csum_add(0, r, len)));
    send(r - IP_HLEN - ETH_HLEN, ETH_HLEN + IP_HLEN + len);
}

/* A sequence number at the start of a port-7 payload: counts gaps and skipped numbers per flow. */
static void seq_in(u32 src, u32 port, const u8 *d, u32 n)
{
    u64 seq = 0;
    u32 i = 0;
    for (; i < n && i < SEQ_DIGITS && d[i] >= '0' && d[i] <= '9'; i++) {
        seq = seq * 10 + (u64)(d[i] - '0');
    }
    if (i == 0) {
        return;
    }
    struct flow *fl = &flows[0];
    for (u32 k = 0; k < FLOWS; k++) {
        if (flows[k].used && flows[k].ip == src && flows[k].port == port) {
            fl = &flows[k];
            break;
        }
        if (flows[k].stamp < fl->stamp) {
            fl = &flows[k];   /* the least recently used (or a free one, stamp 0) */
        }
    }
    fl->stamp = ++flow_clock;
    if (!fl->used || fl->ip != src || fl->port != port) {
        fl->used = 1;
        fl->ip = src;
        fl->port = (u16)port;
        fl->highest = seq;   /* a new flow: its first number sets the start */
        return;
    }
    if (seq != fl->highest + 1) {
        stats.seq_gaps++;
    }
    if (seq > fl->highest) {
        stats.seq_lost += seq - fl->highest - 1;
        fl->highest = seq;
    }
}

static void udp_in(const u8 *f, const u8 *ip, const u8 *p, u32 len)
{
    if (len < UDP_HLEN) {
        return;
    }
    u32 ulen = get16(p + 4);
    u32 src = get32(ip + 12);
    if (ulen < UDP_HLEN || ulen > len || get16(p + 2) != UDP_PORT_ECHO) {
        return;
    }
    if (get16(p + 6) != 0 && csum_fold(csum_add(pseudo_sum(src, my_ip, ulen), p, ulen)) != 0) {
        return;
    }
    seq_in(src, get16(p), p + UDP_HLEN, ulen - UDP_HLEN);
    u8 *r = ip_reply(f, ip, IP_PROTO_UDP, ulen);
    if (r == 0) {
        return;
    }
    copy(r + UDP_HLEN, p + UDP_HLEN, ulen - UDP_HLEN);
    put16(r, UDP_PORT_ECHO);
    *(u16_un *)(r + 2) = *(const u16_un *)p;   /* back to the sender's port */
    put16(r + 4, ulen);
    /* The request's checksum, unchanged: the reply swaps the addresses of the pseudo header and the two ports and
     * keeps the length and the data, and a ones' complement sum does not depend on the order of its terms (a
     * request without a checksum, 0, gets an answer without one, which RFC 768 allows). */
    *(u16_un *)(r + 6) = *(const u16_un *)(p + 6);
    send(r - IP_HLEN - ETH_HLEN, ETH_HLEN + IP_HLEN + ulen);
}

static void ip_in(const u8 *f, u32 len)
{
    const u8 *ip = f + ETH_HLEN;
    u32 l = len - ETH_HLEN;
    if (l < IP_HLEN || (ip[0] >> 4) != 4) {
        return;
    }
    u32 ihl = (ip[0] & 15) * 4u;
    u32 total = get16(ip + 2);
    if (ihl < IP_HLEN || total < ihl || total > l || (get16(ip + 6) & IP_FRAG_MASK) != 0
        || csum_fold(csum_add(0, ip, ihl)) != 0 || get32(ip + 16) != my_ip) {
        return;
    }
    if (ip[9] == IP_PROTO_ICMP) {
        icmp_in(f, ip, ip + ihl, total - ihl);
    } else if (ip[9] == IP_PROTO_UDP) {
        udp_in(f, ip, ip + ihl, total - ihl);
    }
}

static void frame_in(const u8 *f, u32 len)
{
    if (len < ETH_HLEN) {
        return;
    }
    int for_us = mac_eq(f, nic->mac);
    if (!for_us && !mac_broadcast(f)) {
        return;   /* another station's unicast or a multicast we did not join */
    }
    stats.rx += for_us;
    u32 type = get16(f + 12);
    if (type == ETHERTYPE_ARP) {
        arp_in(f, len, for_us);
    } else if (type == ETHERTYPE_IP && for_us) {
        ip_in(f, len);
    }
}

int net_enabled;

/* ip= was given: opens the first virtio-net function and prints the `net` line; fw-error when there is none. */
void net_open(const struct config *cfg)
{
    nic = virtio_net_open();
    if (nic == 0) {
        fw_error_begin();
        put_str("ip=");
        put_ip(cfg->ip);
        put_str(" needs a virtio-net device (PCI 1af4:1041 or 1af4:1000) but there is none; add one with "
                "-device virtio-net-pci,netdev=ID or drop ip=");
        fw_error_end();
    }
    my_ip = cfg->ip;   /* every reply goes back to the hop it came from: the prefix only documents the subnet */
    flood = cfg->net_flood;
    net_enabled = 1;
    put_str("net mac=");
    put_mac(nic->mac);
    put_str(" ip=");
    put_ip(cfg->ip);
    put_char('/');
    put_dec(cfg->ip_prefix);
    put_kv("link", (u64)nic->link_up());
    put_str(" features=");
    virtio_net_put_features();
    put_char('\n');
}

/*
 * net_flood=N: up to N broadcast UDP datagrams to the discard port, as many as the transmit queue takes now (a full
 * queue ends the burst: the guest sends as fast as the device drains, which is what a flood test wants).
 */
static void flood_out(void)
{
    static const u8 broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    for (u32 i = 0; i < flood; i++) {
        u8 *o = nic->tx_buf();
        if (o == 0) {
            return;
        }
        eth_header(o, broadcast, ETHERTYPE_IP);
        u8 *h = o + ETH_HLEN;
        h[0] = 0x45;
        h[1] = 0;
        put16(h + 2, IP_HLEN + UDP_HLEN + FLOOD_PAYLOAD);
        put16(h + 4, ip_id++);
        put16(h + 6, IP_FLAG_DF);
        h[8] = IP_TTL;
        h[9] = IP_PROTO_UDP;
        put16(h + 10, 0);
        put32(h + 12, my_ip);
        put32(h + 16, 0xffffffffu);
        put16(h + 10, csum_fold(csum_add(0, h, IP_HLEN)));
        u8 *u = h + IP_HLEN;
        put16(u, UDP_PORT_DISCARD);
        put16(u + 2, UDP_PORT_DISCARD);
        put16(u + 4, UDP_HLEN + FLOOD_PAYLOAD);
        put16(u + 6, 0);   /* no checksum (RFC 768 allows it over IPv4) */
        for (u32 b = 0; b < FLOOD_PAYLOAD; b++) {
            u[UDP_HLEN + b] = (u8)b;
        }
        send(o, ETH_HLEN + IP_HLEN + UDP_HLEN + FLOOD_PAYLOAD);
    }
}

/*
 * Handles the frames that are waiting, at most RX_BURST of them, then tells the device once about the answers and
 * the receive buffers given back (a notification costs an exit, and a thread hand-off in the device). Cheap when
 * none is waiting: one read of the ring (and of the free transmit count).
 */
void net_poll(void)
{
    u32 i = 0;
    for (; i < RX_BURST; i++) {
        /* A full transmit queue holds the receive back (a frame taken now could not be answered, and its answer
         * would be dropped): frames wait in the receive ring, then in the host's queue, as a driver that stops its
         * queue holds its packets. Not while flooding, which fills the transmit queue on purpose. */
        if (flood == 0 && !nic->tx_room()) {
            break;
        }
        u32 len = 0;
        const u8 *f = nic->rx(&len);
        if (f == 0) {
            break;
        }
        frame_in(f, len);
        nic->rx_done();
    }
    if (flood != 0) {
        flood_out();
    }
    if (i != 0 || flood != 0) {
        nic->flush();
    }
}

/* A gratuitous ARP (a request for our own address, RFC 5227 "ARP Announcement"), broadcast. */
void net_announce(void)
{
    static const u8 broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const u8 zero[ETH_ALEN] = {0};
    stats.announces += (u64)arp_send(broadcast, ARP_REQUEST, zero, my_ip);
    nic->flush();
}

/* Every 10 ms of guest time: the device's announcement request (a configuration read: it costs an exit). */
void net_slow_poll(void)
{
    if (nic->announce_wanted()) {
        net_announce();
        nic->announce_ack();
    }
}

void net_put_heartbeat(void)
{
    put_kv("net_rx", stats.rx);
    put_kv("net_tx", stats.tx);
    put_kv("net_seq_gaps", stats.seq_gaps);
    put_kv("net_seq_lost", stats.seq_lost);
    put_kv("net_announce", stats.announces);
}

void put_ip(u32 ip)
{
    for (int s = 24; s >= 0; s -= 8) {
        put_dec((ip >> s) & 0xff);
        if (s) {
            put_char('.');
        }
    }
}

void put_mac(const u8 *mac)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < ETH_ALEN; i++) {
        put_char(hex[mac[i] >> 4]);
        put_char(hex[mac[i] & 15]);
        if (i < ETH_ALEN - 1) {
            put_char(':');
        }
    }
}
