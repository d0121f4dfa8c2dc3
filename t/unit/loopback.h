/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * loopback.h: a tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) run
 * by a thread of the test, for the HTTP client and exporter tests: it
 * reads requests (headers and a Content-Length body) on a keep-alive
 * connection and writes one fixed response to each, or (response NULL)
 * never answers.  It counts connections and requests and keeps the last
 * request's body size and whether it was gzipped.
 */

#ifndef OT_TEST_LOOPBACK_H
#define OT_TEST_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct server {
    int fd;
    int port;
    const char *response;       /* NULL: read requests, never answer */
    atomic_int connections;
    atomic_int requests;
    atomic_long last_body_len;
    atomic_int last_gzip;       /* Content-Encoding: gzip */
    atomic_int stop;
    pthread_t thread;
} server;

/* Read one request; 0 at EOF. */
static int read_request(server *s, int c)
{
    char buf[65536];
    size_t have = 0;
    char *end, *cl;
    long body;
    ssize_t n;

    for (;;) {
        n = read(c, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0) {
            return 0;
        }
        have += (size_t)n;
        buf[have] = '\0';
        if ((end = strstr(buf, "\r\n\r\n"))) {
            *end = '\0';
            cl = strcasestr(buf, "\r\nContent-Length: ");
            body = cl ? strtol(cl + 18, NULL, 10) : 0;
            if ((long)(have - (size_t)(end + 4 - buf)) >= body) {
                atomic_store(&s->last_body_len, body);
                atomic_store(&s->last_gzip,
                             strcasestr(buf, "\r\nContent-Encoding: gzip")
                             != NULL);
                return 1;
            }
            *end = '\r';
        }
        if (have >= sizeof(buf) - 1) {
            return 0;
        }
    }
}

static void *serve(void *data)
{
    server *s = data;
    int c;

    while (!atomic_load(&s->stop)) {
        c = accept(s->fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        atomic_fetch_add(&s->connections, 1);
        while (!atomic_load(&s->stop) && read_request(s, c)) {
            atomic_fetch_add(&s->requests, 1);
            if (!s->response) {
                /* hung: keep the connection, answer nothing */
                while (!atomic_load(&s->stop)) {
                    usleep(10000);
                }
                break;
            }
            if (write(c, s->response, strlen(s->response)) < 0) {
                break;
            }
        }
        close(c);
    }
    return NULL;
}

static void server_start(server *s, const char *response)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int one = 1;

    memset(s, 0, sizeof(*s));
    s->response = response;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    atomic_store(&s->stop, 1);
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

#endif /* OT_TEST_LOOPBACK_H */
