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

#include <time.h>

#include "loopback.h"
#include "ot_http.h"

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

/* gzip: the body is sent compressed, with its header, and the size sent
 * is what the receiver read. */
static void test_gzip_sent_bytes(void **state)
{
    server s;
    char url[64], body[4096], err[256];
    ot_http_config cfg;
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/traces", s.port);
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.user_agent = "test";
    cfg.gzip = 1;
    cfg.content_type = "Content-Type: application/json";
    assert_int_equal(ot_http_create(&h, &cfg, err, sizeof(err)), 0);
    memset(body, 'a', sizeof(body));
    assert_int_equal(ot_http_post(h, body, sizeof(body), 5000, &hint),
                     OT_EXPORT_OK);
    assert_int_equal(atomic_load(&s.last_gzip), 1);
    assert_true(ot_http_sent_bytes(h) > 0);
    assert_true(ot_http_sent_bytes(h) < sizeof(body));
    assert_int_equal(ot_http_sent_bytes(h), atomic_load(&s.last_body_len));
    ot_http_destroy(h);
    server_stop(&s);
}

/* Nobody listens: RETRY, as the OTLP specification classifies connection
 * failures. */
static void test_refused_is_retry(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, "");
    server_stop(&s);            /* the port is closed now */
    h = client(&s, url, sizeof(url));
    assert_int_equal(ot_http_post(h, "abc", 3, 5000, &hint), OT_EXPORT_RETRY);
    assert_int_equal(ot_http_status(h), 0);
    assert_true(strlen(ot_http_error(h)) > 0);
    ot_http_destroy(h);
}

/* A receiver that never answers and no cancel: the POST ends at its
 * timeout, as RETRY. */
static void test_timeout_is_retry(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, NULL);
    h = client(&s, url, sizeof(url));
    assert_int_equal(ot_http_post(h, "abc", 3, 200, &hint), OT_EXPORT_RETRY);
    assert_non_null(strstr(ot_http_error(h), "timed out"));
    ot_http_destroy(h);
    server_stop(&s);
}

/* cancel() before any POST: the POST fails at once and sends nothing. */
static void test_cancel_before_post(void **state)
{
    server s;
    char url[64];
    ot_http *h;
    uint32_t hint = 0;

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    h = client(&s, url, sizeof(url));
    ot_http_cancel(h);
    assert_int_equal(ot_http_post(h, "abc", 3, 5000, &hint), OT_EXPORT_FAIL);
    assert_string_equal(ot_http_error(h), "cancelled");
    ot_http_destroy(h);
    server_stop(&s);
    assert_int_equal(atomic_load(&s.connections), 0);
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

/* What a status page may show of a URL: no user, password, path, query. */
static void test_url_origin(void **state)
{
    char out[128];

    assert_int_equal(ot_http_url_origin("http://user:pw@collector:4318/v1/"
                                        "traces?token=x", out, sizeof(out)),
                     0);
    assert_string_equal(out, "http://collector:4318");
    assert_int_equal(ot_http_url_origin("https://[::1]/api/v2/spans", out,
                                        sizeof(out)), 0);
    assert_string_equal(out, "https://[::1]:443");
    assert_int_equal(ot_http_url_origin("http://127.0.0.1/x", out,
                                        sizeof(out)), 0);
    assert_string_equal(out, "http://127.0.0.1:80");
    assert_int_equal(ot_http_url_origin("not a url", out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_client_error_is_final),
        cmocka_unit_test(test_cancel_hung_receiver),
        cmocka_unit_test(test_gzip_sent_bytes),
        cmocka_unit_test(test_refused_is_retry),
        cmocka_unit_test(test_timeout_is_retry),
        cmocka_unit_test(test_cancel_before_post),
        cmocka_unit_test(test_url_origin),
        cmocka_unit_test(test_check_url),
    };

    ot_http_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
