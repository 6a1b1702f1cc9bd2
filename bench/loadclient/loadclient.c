/*
 * HJ 212 load client for bench/bench_gateway.py: N stop-and-wait data loggers over one epoll.
 *
 * Each connection is one logger (MN = prefix + 6 digits). It sends a CN 2011 real-time
 * upload asking for an answer (Flag=5), waits for the 9014, then sends the next one:
 *   closed loop (rate 0): immediately;
 *   open loop (rate R packets/s over all loggers): each logger on its own schedule
 *   (interval N/R, staggered); latency is measured from the scheduled send time, so a
 *   slow gateway is not hidden (no coordinated omission).
 * DataTime is unique per packet of a logger (a per-logger counter of seconds from
 * 2024-01-08 00:00), so every acknowledged packet has a distinct natural key (MN, DataTime); with -o every acknowledged "MN|DataTime" is logged.
 * Latencies count from 1 s after the last connection is up (warm-up).
 * Stops by itself after the duration (then waits at most 2 s for outstanding answers).
 *
 * With -w every counted answer is logged as "SEND_S LATENCY_MS" (send time in seconds from the
 * start, latency in ms) for per-second windows.
 *
 * usage: loadclient HOST PORT CONNS SECONDS RATE MN_PREFIX [-o ACKED_LOG] [-s START_INDEX]
 *        [-w LATENCY_LOG]
 * prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXLAT_US 10000000 /* 10 s in 1 us bins would be 40 MB: use 10 us bins */
#define BIN_US 10
#define NBINS (MAXLAT_US / BIN_US + 1)
#define WARMUP_S 1.0 /* latencies of sends in the first second after all connected are not counted */

typedef struct {
    int fd;
    int state; /* 0 connecting, 1 idle, 2 waiting answer, 3 dead */
    uint64_t counter;
    double sent_at;  /* when the outstanding packet was (scheduled to be) sent */
    double next_at;  /* open loop: next scheduled send */
    char mn[32];
    char dt[16];
    char rbuf[512];
    int rlen;
} conn_t;

static uint16_t crc_table[256];
static uint32_t lat_bins[NBINS];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void crc_init(void) {
    for (int v = 0; v < 256; v++) {
        uint16_t c = v;
        for (int j = 0; j < 8; j++) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
        crc_table[v] = c;
    }
}

/* HJ 212-2017 Appendix A: crc = (crc >> 8) ^ byte, then 8 rounds of shift/XOR 0xA001 */
static uint16_t crc_hj212(const char *p, int n) {
    uint16_t crc = 0xFFFF;
    for (int i = 0; i < n; i++) crc = crc_table[((crc >> 8) ^ (unsigned char)p[i]) & 0xFF];
    return crc;
}

static int send_packet(conn_t *c) {
    char seg[600], frame[700];
    time_t t = 1704643200 + (time_t)c->counter; /* 2024-01-08 00:00 CST + counter s (as UTC fields) */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(c->dt, sizeof c->dt, "%Y%m%d%H%M%S", &tm);
    int n = snprintf(seg, sizeof seg,
                     "QN=%s%03llu;ST=31;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&DataTime=%s;"
                     "a21026-Rtd=%llu.5,a21026-ZsRtd=20.1,a21026-Flag=N;"
                     "a21002-Rtd=45.6,a21002-ZsRtd=50.2,a21002-Flag=N;"
                     "a34013-Rtd=3.2,a34013-ZsRtd=3.9,a34013-Flag=N;"
                     "a19001-Rtd=10.1,a19001-Flag=N;a01012-Rtd=120.4,a01012-Flag=N&&",
                     c->dt, (unsigned long long)(c->counter % 1000), c->mn, c->dt,
                     (unsigned long long)(c->counter % 97));
    int m = snprintf(frame, sizeof frame, "##%04d%s%04X\r\n", n, seg, crc_hj212(seg, n));
    ssize_t w = send(c->fd, frame, m, MSG_NOSIGNAL);
    if (w != m) return -1; /* a 400-byte write to an idle socket does not go short */
    c->state = 2;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s HOST PORT CONNS SECONDS RATE MN_PREFIX [-o LOG] [-s START]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    double seconds = atof(argv[4]), rate = atof(argv[5]);
    const char *prefix = argv[6];
    FILE *acklog = NULL, *latlog = NULL;
    long start_index = 0;
    for (int i = 7; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-o")) acklog = fopen(argv[i + 1], "w");
        if (!strcmp(argv[i], "-s")) start_index = atol(argv[i + 1]);
        if (!strcmp(argv[i], "-w")) latlog = fopen(argv[i + 1], "w");
    }
    crc_init();
    conn_t *conns = calloc(nconn, sizeof(conn_t));
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    double t0 = now_s();
    double interval = rate > 0 ? nconn / rate : 0;
    int connected = 0, dead = 0;
    for (int i = 0; i < nconn; i++) {
        conn_t *c = &conns[i];
        snprintf(c->mn, sizeof c->mn, "%s%06ld", prefix, start_index + i);
        c->counter = 0; /* DataTime is unique per MN: all loggers share one day of data */
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        c->next_at = t0 + (interval > 0 ? interval * i / nconn : 0);
    }
    uint64_t sent = 0, acked = 0, late = 0;
    double maxlat = 0;
    struct epoll_event events[1024];
    double stop_at = t0 + seconds, hard_stop = stop_at + 2.0, measure_from = 0;
    for (;;) {
        double now = now_s();
        if (now >= hard_stop) break;
        int outstanding = 0;
        for (int i = 0; i < nconn; i++) outstanding += conns[i].state == 2;
        if (now >= stop_at && outstanding == 0) break;
        int timeout_ms = interval > 0 ? 1 : 50;
        int n = epoll_wait(ep, events, 1024, timeout_ms);
        now = now_s();
        for (int k = 0; k < n; k++) {
            conn_t *c = &conns[events[k].data.u32];
            if (c->state == 3) continue;
            if (events[k].events & (EPOLLERR | EPOLLHUP)) {
                c->state = 3; dead++; close(c->fd); continue;
            }
            if (c->state == 0 && (events[k].events & EPOLLOUT)) {
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[k].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->state = 1;
                connected++;
                if (connected == nconn) measure_from = now;
                if (interval == 0 && now < stop_at) {
                    c->sent_at = now; c->counter++;
                    if (send_packet(c) < 0) { c->state = 3; dead++; close(c->fd); continue; }
                    sent++;
                }
            }
            if (events[k].events & EPOLLIN) {
                ssize_t r = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen - 1, 0);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    c->state = 3; dead++; close(c->fd); continue;
                }
                c->rlen += r;
                char *nl;
                while ((nl = memchr(c->rbuf, '\n', c->rlen)) != NULL) {
                    int linelen = nl - c->rbuf + 1;
                    if (c->state == 2 && memmem(c->rbuf, linelen, "CN=9014", 7)) {
                        double lat = now - c->sent_at;
                        if (measure_from == 0 || c->sent_at < measure_from + WARMUP_S) lat = -1;
                        if (lat >= 0) {
                            long bin = (long)(lat * 1e6 / BIN_US);
                            if (bin >= NBINS) bin = NBINS - 1;
                            lat_bins[bin]++;
                            if (lat > maxlat) maxlat = lat;
                            if (latlog) fprintf(latlog, "%.4f %.3f\n", c->sent_at - t0, lat * 1e3);
                        }
                        acked++;
                        if (acklog) fprintf(acklog, "%s|%s\n", c->mn, c->dt);
                        c->state = 1;
                    }
                    memmove(c->rbuf, c->rbuf + linelen, c->rlen - linelen);
                    c->rlen -= linelen;
                }
                if (c->state == 1 && interval == 0 && now < stop_at) {
                    c->sent_at = now; c->counter++;
                    if (send_packet(c) < 0) { c->state = 3; dead++; close(c->fd); continue; }
                    sent++;
                }
            }
        }
        if (interval > 0 && now < stop_at) {
            for (int i = 0; i < nconn; i++) {
                conn_t *c = &conns[i];
                if (c->state != 1 || now < c->next_at) continue;
                if (now - c->next_at > 0.010) late++;
                c->sent_at = c->next_at; /* latency from the scheduled time */
                c->next_at += interval;
                if (c->next_at < now) c->next_at = now + interval;
                c->counter++;
                if (send_packet(c) < 0) { c->state = 3; dead++; close(c->fd); continue; }
                sent++;
            }
        }
    }
    double elapsed = now_s() - t0;
    double span = (measure_from > 0 ? stop_at - measure_from : seconds);
    uint64_t total = 0, p50 = 0, p99 = 0, p999 = 0;
    for (long b = 0; b < NBINS; b++) total += lat_bins[b];
    uint64_t acc = 0;
    for (long b = 0; b < NBINS; b++) {
        acc += lat_bins[b];
        if (!p50 && acc * 100 >= total * 50) p50 = b + 1;
        if (!p99 && acc * 100 >= total * 99) p99 = b + 1;
        if (!p999 && acc * 1000 >= total * 999) { p999 = b + 1; break; }
    }
    if (acklog) fclose(acklog);
    if (latlog) fclose(latlog);
    printf("{\"conns\": %d, \"connected\": %d, \"dead\": %d, \"sent\": %llu, \"acked\": %llu, "
           "\"late_sends\": %llu, \"seconds\": %.3f, \"elapsed\": %.3f, \"acked_per_s\": %.1f, "
           "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f}\n",
           nconn, connected, dead, (unsigned long long)sent, (unsigned long long)acked,
           (unsigned long long)late, span, elapsed, span > 0 ? acked / span : 0.0,
           p50 * BIN_US / 1000.0, p99 * BIN_US / 1000.0, p999 * BIN_US / 1000.0, maxlat * 1000);
    return 0;
}
