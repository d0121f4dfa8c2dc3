/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * bench/sink.c: a minimal OTLP/HTTP receiver for the overhead benchmark.
 *
 * Listens on 127.0.0.1 only, one thread per connection, HTTP/1.1 with
 * keep-alive: reads the headers and a Content-Length body (discarded, never
 * decoded), answers "200 OK" with an empty body.  It counts requests and
 * body bytes and prints them on SIGUSR1 (and goes on) and on SIGTERM /
 * SIGINT (and exits):
 *
 *   sink requests=N bytes=M connections=C errors=E
 *
 * It must be cheap: a slow sink would measure itself.  No parsing beyond
 * finding the end of the headers and the Content-Length, no allocation per
 * request, one write() per answer.
 *
 *   sink [-p port] [-P portfile] [-s] [-F mode:seconds,...]
 *
 * Port 0 (the default) picks a free one; the port is printed on stdout
 * ("port N") and written to portfile when given.
 *
 * For the soak test (t/60-soak.t), a collector that counts what it
 * receives and fails now and then:
 *   -s  count the spans of every body answered 200 (an OTLP/protobuf
 *       ExportTraceServiceRequest, not compressed): spans=N in the counts
 *       (bad_bodies=N: bodies that did not parse)
 *   -F  flap: the modes in turn, each for its seconds, the cycle over and
 *       over from the start: up (answer 200), refuse (the listening socket
 *       is closed: connections are refused; a request on an open
 *       connection is answered by closing it), 503 (answer 503), hang (read
 *       the request, answer nothing until the mode changes, then close).
 *       SIGUSR2 ends the flapping: up from then on.  The counts get
 *       unavailable=N (503 answers), hung=N, reset=N (requests closed in
 *       refuse mode) and refusals=N (times the listening socket closed).
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 65536
#define MAX_HEADER 16384

static atomic_ullong n_requests, n_bytes, n_conns, n_errors;

/* -s and -F (the soak test's collector) */
enum mode { MODE_UP, MODE_REFUSE, MODE_503, MODE_HANG, N_MODES };
static const char *const mode_names[N_MODES] = { "up", "refuse", "503",
                                                 "hang" };
#define MAX_PHASES 32
static struct phase {
    enum mode mode;
    double seconds;
} phases[MAX_PHASES];
static unsigned n_phases;
static double cycle_seconds, start_seconds;
static atomic_int steady;       /* SIGUSR2: no more flapping */
static int count_spans_on;
static atomic_ullong n_spans, n_bad_bodies, n_unavailable, n_hung, n_reset,
    n_refusals;

static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";
static const char UNAVAILABLE[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
static const char BAD[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The value of header name (lowercase, with ':') in hdr[0..len), or NULL. */
static const char *header_value(const char *hdr, size_t len, const char *name,
                                size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = hdr, *end = hdr + len;

    /* skip the request line */
    while (p < end && *p != '\n') {
        p++;
    }
    while (++p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) {
            break;
        }
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t')) {
                v++;
            }
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ')) {
                ve--;
            }
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the collector does now: where the clock is in the -F cycle. */
static enum mode current_mode(void)
{
    double t;
    unsigned i;

    if (!n_phases || atomic_load(&steady)) {
        return MODE_UP;
    }
    t = now_seconds() - start_seconds;
    t -= cycle_seconds * (double)(unsigned long long)(t / cycle_seconds);
    for (i = 0; i + 1 < n_phases && t >= phases[i].seconds; i++) {
        t -= phases[i].seconds;
    }
    return phases[i].mode;
}

/* -F mode:seconds,...; 0 when it parses. */
static int parse_phases(const char *spec)
{
    char *copy = strdup(spec), *tok, *save = NULL;
    int rc = 0;

    for (tok = strtok_r(copy, ",", &save); tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':'), *end;
        unsigned m;

        rc = -1;
        if (!colon || n_phases == MAX_PHASES) {
            break;
        }
        *colon = 0;
        for (m = 0; m < N_MODES && strcmp(tok, mode_names[m]); m++) {
        }
        phases[n_phases].seconds = strtod(colon + 1, &end);
        if (m == N_MODES || *end || !(phases[n_phases].seconds > 0)) {
            break;
        }
        phases[n_phases].mode = (enum mode)m;
        cycle_seconds += phases[n_phases++].seconds;
        rc = 0;
    }
    free(copy);
    return n_phases ? rc : -1;
}

static int varint(const unsigned char **p, const unsigned char *end,
                  uint64_t *v)
{
    unsigned shift;

    *v = 0;
    for (shift = 0; *p < end && shift < 64; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            return 0;
        }
    }
    return -1;
}

/* The protobuf fields down to a span: ExportTraceServiceRequest
 * .resource_spans (1), ResourceSpans.scope_spans (2), ScopeSpans.spans (2). */
static const unsigned span_path[] = { 1, 2, 2 };

/* The spans in the message p..end at depth (0: the request); -1 when it
 * does not parse.  Only the fields on span_path are entered. */
static long long count_spans(const unsigned char *p, const unsigned char *end,
                             unsigned depth)
{
    long long n = 0, k;
    uint64_t key, len;

    while (p < end) {
        if (varint(&p, end, &key)) {
            return -1;
        }
        switch (key & 7) {
        case 0:                 /* a varint: read, nothing to skip */
        case 2:                 /* a length, then that many bytes */
            if (varint(&p, end, &len)) {
                return -1;
            }
            if ((key & 7) == 0) {
                continue;
            }
            break;
        case 1:
            len = 8;
            break;
        case 5:
            len = 4;
            break;
        default:
            return -1;
        }
        if (len > (uint64_t)(end - p)) {
            return -1;
        }
        if ((key & 7) == 2 && key >> 3 == span_path[depth]) {
            if (depth == 2) {
                n++;
            }
            else if ((k = count_spans(p, p + len, depth + 1)) < 0) {
                return -1;
            }
            else {
                n += k;
            }
        }
        p += len;
    }
    return n;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(BUF_SIZE);
    char *kept = NULL;          /* -s: the body */
    unsigned long long kept_room = 0;
    size_t have = 0;            /* bytes in buf */

    atomic_fetch_add_explicit(&n_conns, 1, memory_order_relaxed);
    if (!buf) {
        close(fd);
        return NULL;
    }
    for (;;) {
        char *eoh = NULL;
        size_t hlen, vlen, in_buf;
        unsigned long long body = 0;
        const char *v;
        ssize_t r;

        /* Headers. */
        while (!(eoh = have >= 4 ? memmem(buf, have, "\r\n\r\n", 4) : NULL)) {
            if (have >= MAX_HEADER) {
                goto bad;
            }
            r = read(fd, buf + have, BUF_SIZE - have);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                if (have) {
                    atomic_fetch_add_explicit(&n_errors, 1,
                                              memory_order_relaxed);
                }
                goto out;
            }
            have += (size_t)r;
        }
        hlen = (size_t)(eoh - buf) + 4;
        if ((v = header_value(buf, hlen, "content-length:", &vlen))) {
            char num[32], *end;
            if (vlen == 0 || vlen >= sizeof(num)) {
                goto bad;
            }
            memcpy(num, v, vlen);
            num[vlen] = 0;
            body = strtoull(num, &end, 10);
            if (*end) {
                goto bad;
            }
        }
        else if (header_value(buf, hlen, "transfer-encoding:", &vlen)) {
            goto bad;           /* chunked: not needed by libcurl here */
        }
        if ((v = header_value(buf, hlen, "expect:", &vlen))
            && vlen == 12 && strncasecmp(v, "100-continue", 12) == 0
            && write_all(fd, CONTINUE, sizeof(CONTINUE) - 1)) {
            goto out;
        }
        /* Body: what is already buffered, then read the rest: into
         * kept (-s: to count its spans), else discarded. */
        in_buf = have - hlen;
        if (count_spans_on) {
            if (body > kept_room) {
                char *k = realloc(kept, body);
                if (!k) {
                    goto bad;
                }
                kept = k;
                kept_room = body;
            }
            memcpy(kept, buf + hlen, in_buf < body ? in_buf : body);
        }
        if (in_buf >= body) {
            memmove(buf, buf + hlen + body, in_buf - body);
            have = in_buf - body;
        }
        else {
            unsigned long long got = in_buf;
            have = 0;
            while (got < body) {
                size_t want = body - got < BUF_SIZE ? (size_t)(body - got)
                                                    : BUF_SIZE;
                r = read(fd, count_spans_on ? kept + got : buf, want);
                if (r < 0 && errno == EINTR) {
                    continue;
                }
                if (r <= 0) {
                    atomic_fetch_add_explicit(&n_errors, 1,
                                              memory_order_relaxed);
                    goto out;
                }
                got += (unsigned long long)r;
            }
        }
        atomic_fetch_add_explicit(&n_requests, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&n_bytes, body, memory_order_relaxed);
        switch (current_mode()) {
        case MODE_REFUSE:
            atomic_fetch_add_explicit(&n_reset, 1, memory_order_relaxed);
            goto out;
        case MODE_HANG:
            atomic_fetch_add_explicit(&n_hung, 1, memory_order_relaxed);
            while (current_mode() == MODE_HANG) {
                usleep(20000);
            }
            goto out;
        case MODE_503:
            atomic_fetch_add_explicit(&n_unavailable, 1,
                                      memory_order_relaxed);
            if (write_all(fd, UNAVAILABLE, sizeof(UNAVAILABLE) - 1)) {
                goto out;
            }
            continue;
        default:
            break;
        }
        /* Counted before the answer: once the client has the 200, the
         * spans are in the counts. */
        if (count_spans_on) {
            long long n = count_spans((const unsigned char *)kept,
                                      (const unsigned char *)kept + body, 0);
            if (n < 0) {
                atomic_fetch_add_explicit(&n_bad_bodies, 1,
                                          memory_order_relaxed);
            }
            else {
                atomic_fetch_add_explicit(&n_spans, (unsigned long long)n,
                                          memory_order_relaxed);
            }
        }
        if (write_all(fd, OK, sizeof(OK) - 1)) {
            goto out;
        }
    }
bad:
    atomic_fetch_add_explicit(&n_errors, 1, memory_order_relaxed);
    (void)write_all(fd, BAD, sizeof(BAD) - 1);
out:
    free(kept);
    free(buf);
    close(fd);
    return NULL;
}

/* A socket listening on 127.0.0.1:port (0: any free port), or -1. */
static int listen_on(int port)
{
    struct sockaddr_in sa;
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    if (ls < 0) {
        return -1;
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128)) {
        close(ls);
        return -1;
    }
    return ls;
}

static int listen_port;

/* Accepts connections, one thread each.  In refuse mode (-F) the
 * listening socket is closed (what was in its backlog is reset) and
 * opened again on the same port when the mode ends. */
static void *acceptor(void *arg)
{
    int ls = (int)(intptr_t)arg;
    pthread_attr_t attr;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        pthread_t t;
        int one = 1, fd;
        struct pollfd pfd;

        if (n_phases) {
            int refuse = current_mode() == MODE_REFUSE;
            if (refuse && ls >= 0) {
                close(ls);
                ls = -1;
                atomic_fetch_add_explicit(&n_refusals, 1,
                                          memory_order_relaxed);
            }
            else if (!refuse && ls < 0
                     && (ls = listen_on(listen_port)) < 0) {
                perror("sink: listen again");
                exit(1);
            }
            if (ls < 0) {
                usleep(20000);
                continue;
            }
            pfd.fd = ls;
            pfd.events = POLLIN;
            if (poll(&pfd, 1, 20) <= 0) {
                continue;
            }
        }
        fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE
                || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE) {
                    usleep(10000);
                }
                continue;
            }
            perror("sink: accept");
            exit(1);
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
            atomic_fetch_add_explicit(&n_errors, 1, memory_order_relaxed);
            close(fd);
        }
    }
    return NULL;
}

static void print_counts(void)
{
    printf("sink requests=%llu bytes=%llu connections=%llu errors=%llu",
           (unsigned long long)atomic_load(&n_requests),
           (unsigned long long)atomic_load(&n_bytes),
           (unsigned long long)atomic_load(&n_conns),
           (unsigned long long)atomic_load(&n_errors));
    if (count_spans_on) {
        printf(" spans=%llu bad_bodies=%llu",
               (unsigned long long)atomic_load(&n_spans),
               (unsigned long long)atomic_load(&n_bad_bodies));
    }
    if (n_phases) {
        printf(" unavailable=%llu hung=%llu reset=%llu refusals=%llu",
               (unsigned long long)atomic_load(&n_unavailable),
               (unsigned long long)atomic_load(&n_hung),
               (unsigned long long)atomic_load(&n_reset),
               (unsigned long long)atomic_load(&n_refusals));
    }
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    const char *portfile = NULL;
    int port = 0, ls, opt, sig;
    sigset_t set;
    pthread_t t;

    while ((opt = getopt(argc, argv, "p:P:sF:")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'P':
            portfile = optarg;
            break;
        case 's':
            count_spans_on = 1;
            break;
        case 'F':
            if (parse_phases(optarg) == 0) {
                break;
            }
            /* fall through */
        default:
            fprintf(stderr, "usage: %s [-p port] [-P portfile] [-s] "
                    "[-F up|refuse|503|hang:seconds,...]\n", argv[0]);
            return 2;
        }
    }
    /* Every thread inherits the blocked set; main takes them with
     * sigwait. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((ls = listen_on(port)) < 0
        || getsockname(ls, (struct sockaddr *)&sa, &salen)) {
        perror("sink: bind/listen 127.0.0.1");
        return 1;
    }
    listen_port = port = ntohs(sa.sin_port);
    if (portfile) {
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
        if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", port) < 0
            || fclose(f) || rename(tmp, portfile)) {
            perror("sink: port file");
            return 1;
        }
    }
    printf("port %d\n", port);
    fflush(stdout);
    start_seconds = now_seconds();
    if (pthread_create(&t, NULL, acceptor, (void *)(intptr_t)ls) != 0) {
        fprintf(stderr, "sink: cannot start the acceptor thread\n");
        return 1;
    }
    for (;;) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGUSR2) {
            atomic_store(&steady, 1);
            continue;
        }
        print_counts();
        if (sig != SIGUSR1) {
            return 0;
        }
    }
}
