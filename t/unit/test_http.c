/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The HTTP client of the exporting plugins against real HTTP servers on
 * loopback, run by threads of this test: keep-alive, the OTLP
 * classification of statuses, Retry-After, and cancel() from another
 * thread while a receiver never answers. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ot_http.h"

typedef struct server {
    int fd;
    int port;
    const char *response;       /* NULL: read requests, never answer */
    atomic_int connections;
    atomic_int requests;
    atomic_int stop;
    pthread_t thread;
} server;

/* Read one request (headers and a Content-Length body); 0 at EOF. */
static int read_request(int c)
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
            cl = strstr(buf, "Content-Length: ");
            body = cl ? strtol(cl + 16, NULL, 10) : 0;
            if ((long)(have - (size_t)(end + 4 - buf)) >= body) {
                return 1;
            }
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
        while (!atomic_load(&s->stop) && read_request(c)) {
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

static ot_http *client(const server *s, char *url, size_t len)
{
    ot_http_config cfg;
    ot_http *h;
    char err[256];

    snprintf(url, len, "http://127.0.0.1:%d/v1/traces", s->port);
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.user_agent = "test";
    cfg.content_type = "Content-Type: application/x-protobuf";
    assert_int_equal(ot_http_create(&h, &cfg, err, sizeof(err)), 0);
    return h;
}

static void test_keep_alive(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;
    int i;

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    h = client(&s, url, sizeof(url));
    for (i = 0; i < 5; i++) {
        assert_int_equal(ot_http_post(h, "abc", 3, 5000, &hint), OT_EXPORT_OK);
        assert_int_equal(ot_http_status(h), 200);
        assert_int_equal(ot_http_response_body(h)->len, 2);
    }
    ot_http_destroy(h);
    server_stop(&s);
    assert_int_equal(atomic_load(&s.requests), 5);
    /* one connection for all five POSTs */
    assert_int_equal(atomic_load(&s.connections), 1);
}

static void test_retry_after(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, "HTTP/1.1 503 Busy\r\nRetry-After: 7\r\n"
                     "Content-Length: 0\r\n\r\n");
    h = client(&s, url, sizeof(url));
    assert_int_equal(ot_http_post(h, "abc", 3, 5000, &hint), OT_EXPORT_RETRY);
    assert_int_equal(hint, 7000);
    assert_string_equal(ot_http_error(h), "HTTP status 503");
    ot_http_destroy(h);
    server_stop(&s);
}

static void test_client_error_is_final(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, "HTTP/1.1 400 Bad\r\nContent-Length: 3\r\n\r\nbad");
    h = client(&s, url, sizeof(url));
    assert_int_equal(ot_http_post(h, "abc", 3, 5000, &hint), OT_EXPORT_FAIL);
    assert_int_equal(ot_http_status(h), 400);
    ot_http_destroy(h);
    server_stop(&s);
}

typedef struct post_job {
    ot_http *h;
    atomic_int started;
    ot_export_result result;
    struct timespec done;
} post_job;

static void *post_thread(void *data)
{
    post_job *j = data;
    uint32_t hint = 0;

    atomic_store(&j->started, 1);
    /* a long timeout: only cancel() can end this POST soon */
    j->result = ot_http_post(j->h, "abc", 3, 60000, &hint);
    clock_gettime(CLOCK_MONOTONIC, &j->done);
    return NULL;
}

/* A receiver that accepts and never answers: cancel() from another thread
 * ends the POST, which fails as cancelled; later POSTs fail at once. */
static void test_cancel_hung_receiver(void **state)
{
    server s;
    char url[64];
    post_job j;
    pthread_t t;
    struct timespec at;
    uint32_t hint = 0;
    double ms;

    server_start(&s, NULL);
    memset(&j, 0, sizeof(j));
    j.h = client(&s, url, sizeof(url));
    assert_int_equal(pthread_create(&t, NULL, post_thread, &j), 0);
    while (atomic_load(&s.requests) == 0) {
        usleep(1000);     /* the request has reached the receiver */
    }
    clock_gettime(CLOCK_MONOTONIC, &at);
    ot_http_cancel(j.h);
    pthread_join(t, NULL);
    ms = (double)(j.done.tv_sec - at.tv_sec) * 1e3
         + (double)(j.done.tv_nsec - at.tv_nsec) / 1e6;
    print_message("cancel took %.2f ms\n", ms);
    assert_int_equal(j.result, OT_EXPORT_FAIL);
    assert_string_equal(ot_http_error(j.h), "cancelled");
    assert_int_equal(ot_http_post(j.h, "abc", 3, 60000, &hint),
                     OT_EXPORT_FAIL);
    assert_int_equal(atomic_load(&s.requests), 1);
    ot_http_destroy(j.h);
    server_stop(&s);
}

static void test_check_url(void **state)
{
    char err[256];

    assert_int_equal(ot_http_check_url("http://127.0.0.1:4318/v1/traces",
                                       err, sizeof(err)), 0);
    assert_int_equal(ot_http_check_url("ftp://x/", err, sizeof(err)), -1);
    assert_string_equal(err, "\"ftp://x/\": only http:// and https:// URLs "
                        "are supported");
    assert_int_equal(ot_http_check_url("not a url", err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_client_error_is_final),
        cmocka_unit_test(test_cancel_hung_receiver),
        cmocka_unit_test(test_check_url),
    };

    ot_http_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
