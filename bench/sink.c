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
 *   sink [-p port] [-P portfile]
 *
 * Port 0 (the default) picks a free one; the port is printed on stdout
 * ("port N") and written to portfile when given.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <unistd.h>

#define BUF_SIZE 65536
#define MAX_HEADER 16384

static atomic_ullong n_requests, n_bytes, n_conns, n_errors;

static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";
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

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(BUF_SIZE);
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
        /* Body: what is already buffered, then read and discard the rest. */
        in_buf = have - hlen;
        if (in_buf >= body) {
            memmove(buf, buf + hlen + body, in_buf - body);
            have = in_buf - body;
        }
        else {
            unsigned long long left = body - in_buf;
            have = 0;
            while (left > 0) {
                r = read(fd, buf, left < BUF_SIZE ? (size_t)left : BUF_SIZE);
                if (r < 0 && errno == EINTR) {
                    continue;
                }
                if (r <= 0) {
                    atomic_fetch_add_explicit(&n_errors, 1,
                                              memory_order_relaxed);
                    goto out;
                }
                left -= (unsigned long long)r;
            }
        }
        atomic_fetch_add_explicit(&n_requests, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&n_bytes, body, memory_order_relaxed);
        if (write_all(fd, OK, sizeof(OK) - 1)) {
            goto out;
        }
    }
bad:
    atomic_fetch_add_explicit(&n_errors, 1, memory_order_relaxed);
    (void)write_all(fd, BAD, sizeof(BAD) - 1);
out:
    free(buf);
    close(fd);
    return NULL;
}

static void *acceptor(void *arg)
{
    int ls = (int)(intptr_t)arg;
    pthread_attr_t attr;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        pthread_t t;
        int one = 1;
        int fd = accept(ls, NULL, NULL);
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
    printf("sink requests=%llu bytes=%llu connections=%llu errors=%llu\n",
           (unsigned long long)atomic_load(&n_requests),
           (unsigned long long)atomic_load(&n_bytes),
           (unsigned long long)atomic_load(&n_conns),
           (unsigned long long)atomic_load(&n_errors));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    const char *portfile = NULL;
    int port = 0, ls, one = 1, opt, sig;
    sigset_t set;
    pthread_t t;

    while ((opt = getopt(argc, argv, "p:P:")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'P':
            portfile = optarg;
            break;
        default:
            fprintf(stderr, "usage: %s [-p port] [-P portfile]\n", argv[0]);
            return 2;
        }
    }
    /* Every thread inherits the blocked set; main takes them with
     * sigwait. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        perror("sink: socket");
        return 1;
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 128)
        || getsockname(ls, (struct sockaddr *)&sa, &salen)) {
        perror("sink: bind/listen 127.0.0.1");
        return 1;
    }
    port = ntohs(sa.sin_port);
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
    if (pthread_create(&t, NULL, acceptor, (void *)(intptr_t)ls) != 0) {
        fprintf(stderr, "sink: cannot start the acceptor thread\n");
        return 1;
    }
    for (;;) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        print_counts();
        if (sig != SIGUSR1) {
            return 0;
        }
    }
}
