/*
 * jkvm benchmark client: a numbered UDP stream to a guest's echo port (RFC 862), in C so that the client is not
 * the limit of what it measures (a fresh JVM sending datagrams one DatagramSocket.send at a time on a loaded
 * 2-core host was). Built by NetBench with the host's gcc; run inside the client's network namespace.
 *
 *   udpecho ADDR COUNT RATE
 *
 * Sends COUNT datagrams "N jkvm-stream" (N = 0, 1, ...; the firmware counts gaps in these numbers) to ADDR:7:
 *   RATE > 0: paced at RATE datagrams per second (open loop: the offered load does not depend on the echoes);
 *   RATE = 0: as fast as the socket takes them (a flood);
 *   RATE < 0: closed loop, at most -RATE datagrams without an echo (-1: the next one is sent when the previous
 *             one came back, or after 100 ms without it; -32: the guest always has a backlog, so the echo rate
 *             is its capacity, without the losses of an open loop whose offered rate is above it).
 * Open loop: a receiver thread reads the echoes meanwhile (recvmmsg, large socket buffer) until 1 s after the last
 * send; the sender sleeps between 1 ms ticks and sends what is due at each (sendmmsg), so that neither spins (a
 * spinning client took a core of the two from the engine it measured). Closed loop: one thread sends the next
 * datagrams when echoes come back, blocked in recvmmsg meanwhile.
 * Prints one line:
 *   stream sent=N echoed=N lost=N longest_gap=N echo_ms=N send_ms=N rtt_us_median=N rtt_us_p99=N
 * echo_ms: first send to last echo; send_ms: first send to last send; rtt: per echoed datagram.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define LOST_AFTER_NS 100000000LL

static int sock;
static uint64_t count;
static int64_t *sent_at;      /* per number: when it was sent (ns), 0 until then */
static int64_t *rtt;          /* per number: its round trip (ns), -1 until echoed */
static volatile int receiving = 1;
static volatile int64_t last_echo;
static volatile uint64_t echoed_total;
static int64_t last_send;     /* when the last datagram was sent (ns) */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static char out_bufs[BATCH][32];
static struct mmsghdr out_msgs[BATCH];
static struct iovec out_iov[BATCH];

/* Sends numbers [from, to) in batches of at most BATCH; returns when all are sent (a full queue is retried). */
static void send_range(uint64_t from, uint64_t to, struct sockaddr_in *dst)
{
    while (from < to) {
        int n = to - from < BATCH ? (int)(to - from) : BATCH;
        int64_t t = now_ns();
        for (int i = 0; i < n; i++) {
            int len = snprintf(out_bufs[i], sizeof out_bufs[i], "%llu jkvm-stream", (unsigned long long)(from + i));
            out_iov[i].iov_base = out_bufs[i];
            out_iov[i].iov_len = (size_t)len;
            memset(&out_msgs[i], 0, sizeof out_msgs[i]);
            out_msgs[i].msg_hdr.msg_name = dst;
            out_msgs[i].msg_hdr.msg_namelen = sizeof *dst;
            out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
            out_msgs[i].msg_hdr.msg_iovlen = 1;
            sent_at[from + i] = t;
        }
        int done = sendmmsg(sock, out_msgs, (unsigned)n, 0);
        if (done < 0) {
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
                perror("sendmmsg");
                exit(2);
            }
            sched_yield();   /* the host's queue is full: the datagrams are offered again, not counted lost here */
            continue;
        }
        from += (uint64_t)done;
        last_send = now_ns();
    }
}

/* Records the echoes of one recvmmsg; returns how many were new. */
static int take(struct mmsghdr *msgs, char (*bufs)[256], int n)
{
    int64_t t = now_ns();
    int fresh = 0;
    for (int i = 0; i < n; i++) {
        char *b = bufs[i];
        b[msgs[i].msg_len] = 0;
        char *end;
        unsigned long long k = strtoull(b, &end, 10);
        if (end == b || *end != ' ' || k >= count || rtt[k] >= 0 || sent_at[k] == 0) {
            continue;
        }
        rtt[k] = t - sent_at[k];
        fresh++;
        last_echo = t;
    }
    __atomic_add_fetch(&echoed_total, (uint64_t)fresh, __ATOMIC_SEQ_CST);
    return fresh;
}

static int receive_batch(struct mmsghdr *msgs, struct iovec *iov, char (*bufs)[256], struct timespec *timeout)
{
    memset(msgs, 0, sizeof(struct mmsghdr) * BATCH);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = 255;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    return recvmmsg(sock, msgs, BATCH, MSG_WAITFORONE, timeout);
}

static void *receiver(void *unused)
{
    (void)unused;
    static char bufs[BATCH][256];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    while (receiving) {
        int n = receive_batch(msgs, iov, bufs, 0);
        if (n > 0) {
            take(msgs, bufs, n);   /* n <= 0: the 10 ms timeout (SO_RCVTIMEO) or EINTR: look at the flag again */
        }
    }
    return 0;
}

/* Closed loop on the calling thread: at most window datagrams without an echo (one unanswered for 100 ms is lost). */
static void closed_loop(uint64_t window, struct sockaddr_in *dst)
{
    static char bufs[BATCH][256];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct timeval tv = {0, LOST_AFTER_NS / 1000};
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint64_t next = 0, oldest = 0;
    for (;;) {
        while (oldest < next && (rtt[oldest] >= 0 || now_ns() - sent_at[oldest] > LOST_AFTER_NS)) {
            oldest++;
        }
        if (next < count && next - oldest < window) {
            uint64_t to = oldest + window < count ? oldest + window : count;
            send_range(next, to, dst);
            next = to;
        }
        if (next == count && oldest == count) {
            return;
        }
        int n = receive_batch(msgs, iov, bufs, 0);
        if (n > 0) {
            take(msgs, bufs, n);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: udpecho ADDR COUNT RATE\n");
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7)};
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "udpecho: '%s' is not an IPv4 address\n", argv[1]);
        return 2;
    }
    count = strtoull(argv[2], 0, 10);
    long rate = strtol(argv[3], 0, 10);
    long window = rate < 0 ? -rate : 1;
    if (count == 0) {
        fprintf(stderr, "udpecho: COUNT must be at least 1\n");
        return 2;
    }
    sent_at = calloc(count, sizeof *sent_at);
    rtt = malloc(count * sizeof *rtt);
    for (uint64_t i = 0; i < count; i++) {
        rtt[i] = -1;
    }
    sock = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 8 << 20;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);   /* as root: past rmem_max */
    int64_t first = now_ns();
    if (rate < 0) {
        closed_loop((uint64_t)window, &to);
    } else {
        struct timeval tv = {0, 10000};
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        pthread_t rx;
        pthread_create(&rx, 0, receiver, 0);
        uint64_t n = 0;
        while (n < count) {
            /* what is due by now at the offered rate (all of it for a flood), sent at once, then a 1 ms sleep */
            uint64_t due = rate == 0 ? count : (uint64_t)((now_ns() - first) * (double)rate / 1e9) + 1;
            due = due < count ? due : count;
            if (due > n) {
                send_range(n, due, &to);
                n = due;
            }
            if (n < count) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, 0);
            }
        }
        /* late echoes: the receiver reads on for 1 s, less when all came back */
        for (int64_t until = last_send + 1000000000LL; now_ns() < until && echoed_total < count;) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, 0);
        }
        receiving = 0;
        pthread_join(rx, 0);
    }
    int64_t send_done = last_send;

    uint64_t echoed = 0, gap = 0, longest = 0;
    int64_t *r = malloc(count * sizeof *r);
    for (uint64_t n = 0; n < count; n++) {
        if (rtt[n] >= 0) {
            r[echoed++] = rtt[n];
            gap = 0;
        } else if (++gap > longest) {
            longest = gap;
        }
    }
    qsort(r, echoed, sizeof *r, cmp64);
    int64_t median = echoed ? r[echoed / 2] / 1000 : -1;
    int64_t p99 = echoed ? r[echoed * 99 / 100] / 1000 : -1;
    int64_t echo_ms = echoed ? (last_echo - first) / 1000000 : 0;
    printf("stream sent=%llu echoed=%llu lost=%llu longest_gap=%llu echo_ms=%lld send_ms=%lld rtt_us_median=%lld"
           " rtt_us_p99=%lld\n", (unsigned long long)count, (unsigned long long)echoed,
           (unsigned long long)(count - echoed), (unsigned long long)longest, (long long)echo_ms,
           (long long)((send_done - first) / 1000000), (long long)median, (long long)p99);
    return 0;
}
