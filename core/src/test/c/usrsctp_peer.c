/*
 * usrsctp peer for percore's SCTP interoperability tests and benchmark (test tooling, built by the tests with
 * gcc against Debian's libusrsctp-dev; not part of the percore build).
 *
 *   usrsctp_peer server <local-udp-port|0> <ip>[,<ip>...] <sctp-port>
 *       echo server: every message goes back on its stream with its PPID and unordered flag. Several addresses
 *       make it multi-homed (bound with usrsctp_bindx; the socket's family is the first address's).
 *   usrsctp_peer client <local-udp-port|0> <remote-udp-port|0> <ip> <sctp-port> <count> <streams> [hold-ms]
 *       sends <count> messages of the shared pattern (see msg_* below and InteropPattern.java) and checks the
 *       echoes: content, stream, PPID, flag, exactly once, per-stream order for ordered ones. Prints OK or FAIL,
 *       then keeps the association up for hold-ms (default 0) before closing it.
 *   usrsctp_peer pingpong <local-udp-port|0> <remote-udp-port|0> <ip> <sctp-port> <count> <size>
 *   usrsctp_peer bulk <local-udp-port|0> <remote-udp-port|0> <ip> <sctp-port> <count> <size>
 *       benchmark clients: 1 outstanding message at a time (prints p50/p99 in us and msg/s), or <count> one-way
 *       messages then one echo as an end marker (prints msg/s).
 * Port 0 for the UDP port means raw IP (protocol 132, needs root). Checksums are computed on loopback too.
 * Addresses are IPv4 or IPv6 literals (an IPv6 one contains ':').
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <usrsctp.h>

#define MAX_MSG (256 * 1024)

static int msg_stream(long i, int streams) { return (int) (i % streams); }
static uint32_t msg_ppid(long i) { return i % 2 == 0 ? 60 : 18; }
static size_t msg_size(long i) {
    if (i % 500 == 0) return MAX_MSG;
    if (i % 50 == 0) return 1 + (size_t) ((i * 7919) % 65536);
    return 1 + (size_t) ((i * 31) % 1200);
}
static int msg_unordered(long i) { return i % 5 == 2 && msg_size(i) >= 4; }
static uint8_t msg_byte(long i, size_t k) {
    if (k < 4) return (uint8_t) (i >> (8 * k));
    return (uint8_t) (i * 131 + k * 7 + (k >> 8));
}

static void die(const char *what) {
    printf("FAIL %s errno=%d\n", what, errno);
    fflush(stdout);
    exit(1);
}

static struct socket *make_socket(int family) {
    struct socket *s = usrsctp_socket(family, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (!s) die("usrsctp_socket");
    struct sctp_initmsg init = {0};
    init.sinit_num_ostreams = 16;
    init.sinit_max_instreams = 16;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0) die("SCTP_INITMSG");
    int on = 1;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0) die("SCTP_RECVRCVINFO");
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) < 0) die("SCTP_NODELAY");
    int buf = 4 * 1024 * 1024;
    usrsctp_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    usrsctp_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    return s;
}

static void start(int local_udp_port) {
    usrsctp_init((uint16_t) local_udp_port, NULL, NULL);
    usrsctp_sysctl_set_sctp_no_csum_on_loopback(0); /* real checksums on loopback */
    usrsctp_sysctl_set_sctp_blackhole(2);           /* never ABORT packets for ports we do not own */
}

/* Receives one whole message; returns its length or -1 at end. */
static ssize_t recv_msg(struct socket *s, uint8_t *buf, struct sctp_rcvinfo *info) {
    size_t got = 0;
    for (;;) {
        socklen_t infolen = sizeof *info, fromlen = sizeof(struct sockaddr_storage);
        struct sockaddr_storage from;
        unsigned int infotype = 0;
        int flags = 0;
        ssize_t n = usrsctp_recvv(s, buf + got, MAX_MSG + 1 - got, (struct sockaddr *) &from, &fromlen, info,
                                  &infolen, &infotype, &flags);
        if (n <= 0) return -1;
        if (flags & MSG_NOTIFICATION) continue;
        got += (size_t) n;
        if (flags & MSG_EOR) return (ssize_t) got;
        if (got > MAX_MSG) die("message too long");
    }
}

static void send_msg(struct socket *s, const uint8_t *buf, size_t len, int sid, uint32_t ppid_host, int unordered) {
    struct sctp_sndinfo snd = {0};
    snd.snd_sid = (uint16_t) sid;
    snd.snd_ppid = htonl(ppid_host); /* the API passes the PPID as it goes on the wire */
    snd.snd_flags = unordered ? SCTP_UNORDERED : 0;
    size_t off = 0;
    while (off < len) {
        ssize_t n = usrsctp_sendv(s, buf + off, len - off, NULL, 0, &snd, sizeof snd, SCTP_SENDV_SNDINFO, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) { usleep(100); continue; }
            die("usrsctp_sendv");
        }
        off += (size_t) n;
    }
}

static int family_of(const char *ip) { return strchr(ip, ':') ? AF_INET6 : AF_INET; }

/* Fills *out with ip (IPv4 or IPv6 literal) and port; returns the sockaddr's length. */
static socklen_t addr_of(const char *ip, int port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (family_of(ip) == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *) out;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t) port);
        if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1) die("address");
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *) out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) die("address");
    return sizeof *a;
}

static int run_server(int udp, const char *ips, int port) {
    start(udp);
    char list[512];
    snprintf(list, sizeof list, "%s", ips);
    char *save = NULL;
    struct socket *l = NULL;
    for (char *ip = strtok_r(list, ",", &save); ip; ip = strtok_r(NULL, ",", &save)) {
        struct sockaddr_storage a;
        socklen_t len = addr_of(ip, port, &a);
        if (!l) {
            l = make_socket(family_of(ip));
            if (usrsctp_bind(l, (struct sockaddr *) &a, len) < 0) die("bind");
        } else if (usrsctp_bindx(l, (struct sockaddr *) &a, 1, SCTP_BINDX_ADD_ADDR) < 0) {
            die("bindx");
        }
    }
    if (!l) die("no address");
    if (usrsctp_listen(l, 8) < 0) die("listen");
    printf("READY\n");
    fflush(stdout);
    uint8_t *buf = malloc(MAX_MSG + 1);
    for (;;) {
        struct socket *c = usrsctp_accept(l, NULL, NULL);
        if (!c) die("accept");
        struct sctp_rcvinfo info;
        ssize_t n;
        while ((n = recv_msg(c, buf, &info)) > 0) {
            send_msg(c, buf, (size_t) n, info.rcv_sid, ntohl(info.rcv_ppid), (info.rcv_flags & SCTP_UNORDERED) != 0);
        }
        usrsctp_close(c);
    }
    return 0;
}

static struct socket *connect_to(int remote_udp, const char *ip, int port) {
    struct socket *s = make_socket(family_of(ip));
    if (remote_udp) {
        struct sctp_udpencaps enc;
        memset(&enc, 0, sizeof enc);
        enc.sue_address.ss_family = (sa_family_t) family_of(ip);
        enc.sue_port = htons((uint16_t) remote_udp);
        if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof enc) < 0) die("encaps");
    }
    struct sockaddr_storage a;
    socklen_t len = addr_of(ip, port, &a);
    if (usrsctp_connect(s, (struct sockaddr *) &a, len) < 0) die("connect");
    return s;
}

struct checker {
    struct socket *s;
    long count;
    int streams;
    const char *failure;
    long received;
};

static void *check_echoes(void *arg) {
    struct checker *c = arg;
    uint8_t *buf = malloc(MAX_MSG + 1);
    long *next_ordered = calloc((size_t) c->streams, sizeof(long));
    char *seen = calloc((size_t) c->count, 1);
    for (int s = 0; s < c->streams; s++) next_ordered[s] = -1;
    /* next ordered index on stream s at or after i */
    #define ADVANCE(s, from) do { long _j = (from); while (_j < c->count && (msg_stream(_j, c->streams) != (s) || msg_unordered(_j))) _j++; next_ordered[s] = _j; } while (0)
    for (int s = 0; s < c->streams; s++) ADVANCE(s, 0);
    while (c->received < c->count) {
        struct sctp_rcvinfo info;
        ssize_t n = recv_msg(c->s, buf, &info);
        if (n < 0) { c->failure = "association ended early"; return NULL; }
        int sid = info.rcv_sid;
        long i;
        if (sid >= c->streams) { c->failure = "bad stream"; return NULL; }
        if (info.rcv_flags & SCTP_UNORDERED) {
            if (n < 4) { c->failure = "short unordered"; return NULL; }
            i = (long) (buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t) buf[3] << 24);
            if (i < 0 || i >= c->count || !msg_unordered(i)) { c->failure = "unexpected unordered message"; return NULL; }
        } else {
            i = next_ordered[sid];
            if (i >= c->count) { c->failure = "too many ordered messages"; return NULL; }
            ADVANCE(sid, i + 1);
        }
        if (seen[i]) { c->failure = "duplicate"; return NULL; }
        seen[i] = 1;
        if (msg_stream(i, c->streams) != sid || msg_ppid(i) != ntohl(info.rcv_ppid) || (size_t) n != msg_size(i)) {
            c->failure = "wrong stream, PPID or size (order broken?)";
            return NULL;
        }
        for (size_t k = 0; k < (size_t) n; k++) {
            if (buf[k] != msg_byte(i, k)) { c->failure = "content differs"; return NULL; }
        }
        c->received++;
    }
    return NULL;
}

static int run_client(int udp, int remote_udp, const char *ip, int port, long count, int streams, long hold_ms) {
    start(udp);
    struct socket *s = connect_to(remote_udp, ip, port);
    struct checker c = {s, count, streams, NULL, 0};
    pthread_t t;
    pthread_create(&t, NULL, check_echoes, &c);
    uint8_t *buf = malloc(MAX_MSG);
    long bytes = 0;
    for (long i = 0; i < count; i++) {
        size_t n = msg_size(i);
        for (size_t k = 0; k < n; k++) buf[k] = msg_byte(i, k);
        send_msg(s, buf, n, msg_stream(i, streams), msg_ppid(i), msg_unordered(i));
        bytes += (long) n;
    }
    pthread_join(t, NULL);
    if (c.failure) {
        printf("FAIL %s after %ld messages\n", c.failure, c.received);
        fflush(stdout);
        return 1;
    }
    printf("OK %ld messages %ld bytes\n", c.received, bytes);
    fflush(stdout);
    if (hold_ms > 0) {
        struct timespec hold = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
        nanosleep(&hold, NULL);
    }
    usrsctp_close(s);
    return 0;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

struct drain {
    struct socket *s;
    long count;
};

static void *drain_echoes(void *arg) {
    struct drain *d = arg;
    uint8_t *buf = malloc(MAX_MSG + 1);
    struct sctp_rcvinfo info;
    for (long i = 0; i < d->count; i++) if (recv_msg(d->s, buf, &info) < 0) die("bulk echo");
    return NULL;
}

static int run_bench(int pingpong, int udp, int remote_udp, const char *ip, int port, long count, size_t size) {
    start(udp);
    struct socket *s = connect_to(remote_udp, ip, port);
    uint8_t *buf = calloc(MAX_MSG + 1, 1);
    struct sctp_rcvinfo info;
    long long t0 = now_ns();
    if (pingpong) {
        long long *lat = malloc(sizeof(long long) * (size_t) count);
        for (long i = 0; i < count; i++) {
            long long a = now_ns();
            send_msg(s, buf, size, 0, 60, 0);
            if (recv_msg(s, buf, &info) < 0) die("echo");
            lat[i] = now_ns() - a;
        }
        long long total = now_ns() - t0;
        qsort(lat, (size_t) count, sizeof lat[0], cmp_ll);
        printf("RESULT msgs_per_s=%.0f p50_us=%.1f p99_us=%.1f\n", count * 1e9 / total, lat[count / 2] / 1e3,
               lat[count * 99 / 100] / 1e3);
    } else {
        /* All in flight: a thread takes the echoes while this one sends (blocking both ways would deadlock). */
        struct drain d = {s, count};
        pthread_t t;
        pthread_create(&t, NULL, drain_echoes, &d);
        for (long i = 0; i < count; i++) send_msg(s, buf, size, (int) (i % 4), 60, 0);
        pthread_join(t, NULL);
        long long total = now_ns() - t0;
        printf("RESULT msgs_per_s=%.0f\n", count * 1e9 / total);
    }
    fflush(stdout);
    usrsctp_close(s);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && !strcmp(argv[1], "server")) return run_server(atoi(argv[2]), argv[3], atoi(argv[4]));
    if ((argc == 8 || argc == 9) && !strcmp(argv[1], "client"))
        return run_client(atoi(argv[2]), atoi(argv[3]), argv[4], atoi(argv[5]), atol(argv[6]), atoi(argv[7]),
                          argc == 9 ? atol(argv[8]) : 0);
    if (argc == 8 && (!strcmp(argv[1], "pingpong") || !strcmp(argv[1], "bulk")))
        return run_bench(!strcmp(argv[1], "pingpong"), atoi(argv[2]), atoi(argv[3]), argv[4], atoi(argv[5]),
                         atol(argv[6]), (size_t) atol(argv[7]));
    fprintf(stderr, "usage: see the comment at the top of usrsctp_peer.c\n");
    return 2;
}
