/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* What the HTTP plugins share: the JSON configuration and its errors, the
 * OTEL_EXPORTER_OTLP_* environment variables, the URL, and exports to a
 * loopback receiver (the debug line per export, rate-limited failures,
 * cancel).  The plugin definitions here are the test's own, with an
 * encoder that writes one byte per span. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>

#include "loopback.h"
#include "ot_http_exporter.h"

static const char *const protocols[] = { "http/protobuf", "http/json",
                                         NULL };
static const char *const content_types[] = {
    "Content-Type: application/x-protobuf",
    "Content-Type: application/json",
};

static int encode(ot_buf *b, const ot_span_record *const *spans, size_t n,
                  int protocol)
{
    size_t i;

    for (i = 0; i < n; i++) {
        ot_buf_putc(b, protocol == 0 ? 'p' : 'j');
    }
    return ot_buf_failed(b) ? -1 : 0;
}

static const ot_http_exporter_def otlp_def = {
    "tst", 1, "http://localhost:4318", "/v1/traces", protocols,
    content_types, encode, NULL
};

static const ot_http_exporter_def plain_def = {
    "plain", 0, "http://localhost:9411/api/v2/spans", NULL,
    protocols + 1, content_types + 1, encode, NULL
};

/* The host: its log lines. */
#define MAX_LINES 16
static char lines[MAX_LINES][1300];
static ot_log_level levels[MAX_LINES];
static int n_lines;

static void capture(void *ctx, ot_log_level level, const char *msg)
{
    if (n_lines < MAX_LINES) {
        snprintf(lines[n_lines], sizeof(lines[0]), "%s", msg);
        levels[n_lines] = level;
    }
    n_lines++;
}

static const ot_tracer_host host = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_host), "9.9", "/srv", NULL,
    capture
};

static const char *const env_vars[] = {
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_CERTIFICATE", NULL
};

static int setup(void **state)
{
    const char *const *v;

    for (v = env_vars; *v; v++) {
        unsetenv(*v);
    }
    n_lines = 0;
    return 0;
}

static int create(const ot_http_exporter_def *def, const char *json,
                  void **handle, char *err, size_t errlen)
{
    *handle = NULL;
    err[0] = '\0';
    return ot_http_exporter_create(def, &host, json, strlen(json), handle,
                                   err, errlen);
}

/* create() fails with exactly this message. */
static void fails(const ot_http_exporter_def *def, const char *json,
                  const char *want)
{
    void *handle;
    char err[512];

    assert_int_not_equal(create(def, json, &handle, err, sizeof(err)), 0);
    assert_string_equal(err, want);
}

static void test_config_errors(void **state)
{
    static const struct {
        const char *json, *err;
    } cases[] = {
        { "[]", "the configuration must be a JSON object" },
        { "{\"endpoint\": 7}", "key \"endpoint\": expected a string" },
        { "{\"nope\": 1}", "unknown key \"nope\"" },
        { "{\"timeout_ms\": 0}", "key \"timeout_ms\": 0 is out of range "
          "1..600000" },
        { "{\"endpoint\": \"ftp://x/\"}", "\"ftp://x/v1/traces\": only "
          "http:// and https:// URLs are supported" },
        { "{\"traces_endpoint\": \"not a url\"}", "\"not a url\" is not a "
          "valid URL" },
        { "{\"ca_file\": \"/no/such/file\"}", "key \"ca_file\": cannot read "
          "/no/such/file" },
        { "{\"client_cert\": \"/dev/null\"}", "keys \"client_cert\" and "
          "\"client_key\" go together" },
        { "{\"insecure\": 1}", "key \"insecure\": expected true or false" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fails(&otlp_def, cases[i].json, cases[i].err);
    }
    /* only OTLP has traces_endpoint and protocol */
    fails(&plain_def, "{\"traces_endpoint\": \"http://x/\"}",
          "unknown key \"traces_endpoint\"");
    assert_int_equal(n_lines, 0);
}

static void url_is(const ot_http_exporter_def *def, const char *json,
                   const char *want)
{
    void *handle;
    char err[512];

    assert_int_equal(create(def, json, &handle, err, sizeof(err)), 0);
    assert_string_equal(ot_http_exporter_url(handle), want);
    ot_http_exporter_destroy(handle);
}

static void test_urls(void **state)
{
    url_is(&otlp_def, "{}", "http://localhost:4318/v1/traces");
    url_is(&otlp_def, "{\"endpoint\": \"http://c:1\"}",
           "http://c:1/v1/traces");
    /* no double slash */
    url_is(&otlp_def, "{\"endpoint\": \"http://c:1/\"}",
           "http://c:1/v1/traces");
    url_is(&otlp_def, "{\"endpoint\": \"http://c:1/base\"}",
           "http://c:1/base/v1/traces");
    /* a full URL, as it is */
    url_is(&otlp_def, "{\"traces_endpoint\": \"http://c:1/x\"}",
           "http://c:1/x");
    /* not OTLP: the endpoint is the URL */
    url_is(&plain_def, "{}", "http://localhost:9411/api/v2/spans");
    url_is(&plain_def, "{\"endpoint\": \"https://z/api/v2/spans\"}",
           "https://z/api/v2/spans");
}

static void test_environment(void **state)
{
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:1", 1);
    url_is(&otlp_def, "{}", "http://env:1/v1/traces");
    /* the signal-specific one wins, as it is */
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://env:2/t", 1);
    url_is(&otlp_def, "{}", "http://env:2/t");
    /* the config file wins */
    url_is(&otlp_def, "{\"endpoint\": \"http://cfg:3\"}",
           "http://cfg:3/v1/traces");
    /* not OTLP: no OTEL_EXPORTER_OTLP_* */
    url_is(&plain_def, "{}", "http://localhost:9411/api/v2/spans");

    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
    fails(&otlp_def, "{}", "environment variable "
          "OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\" is not supported here (use "
          "http/protobuf or http/json)");
    /* the config's protocol wins over the environment's */
    url_is(&otlp_def, "{\"protocol\": \"http/json\"}", "http://env:2/t");
    unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");

    setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "br", 1);
    fails(&otlp_def, "{}", "environment variable "
          "OTEL_EXPORTER_OTLP_COMPRESSION=\"br\" is not supported here (use "
          "none or gzip)");
    unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");

    setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", 1);
    fails(&otlp_def, "{}", "environment variable "
          "OTEL_EXPORTER_OTLP_TIMEOUT=\"10s\" is not a number of "
          "milliseconds in 1..600000");
    unsetenv("OTEL_EXPORTER_OTLP_TIMEOUT");

    setenv("OTEL_EXPORTER_OTLP_HEADERS", "novalue", 1);
    fails(&otlp_def, "{}", "environment variable "
          "OTEL_EXPORTER_OTLP_HEADERS: \"novalue\" is not key=value");
    unsetenv("OTEL_EXPORTER_OTLP_HEADERS");

    setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem", 1);
    fails(&otlp_def, "{}", "key \"ca_file\": cannot read /no/such/ca.pem");
}

/* An exporter of def posting to s, after child_init. */
static void *exporter_for(const ot_http_exporter_def *def, const server *s,
                          const char *extra)
{
    void *handle;
    char json[256], err[512];

    snprintf(json, sizeof(json), "{\"%s\": \"http://127.0.0.1:%d/v1/t\"%s}",
             def->otlp ? "traces_endpoint" : "endpoint", s->port, extra);
    assert_int_equal(create(def, json, &handle, err, sizeof(err)), 0);
    assert_int_equal(ot_http_exporter_child_init(handle, err, sizeof(err)),
                     0);
    return handle;
}

static ot_export_result export(void *handle, size_t n)
{
    static ot_span_record recs[8];
    const ot_span_record *spans[8];
    uint32_t hint = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        spans[i] = &recs[i];
    }
    return ot_http_exporter_export(handle, spans, n, 5000, &hint);
}

static int matches(const char *s, const char *re)
{
    regex_t r;
    int m;

    assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    m = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return m;
}

/* One debug line per export: spans, bytes, time, result, status. */
static void test_export_debug_line(void **state)
{
    server s;
    void *x;
    char re[256];

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    x = exporter_for(&otlp_def, &s, "");
    assert_int_equal(export(x, 3), OT_EXPORT_OK);
    assert_int_equal(export(x, 5), OT_EXPORT_OK);
    assert_int_equal(n_lines, 2);
    snprintf(re, sizeof(re), "^OT02003: tst tracer: POST http://127\\.0\\.0"
             "\\.1:%d/v1/t: 3 spans, 3 bytes, [0-9.]+ ms: ok \\(HTTP status "
             "200\\)$", s.port);
    assert_true(matches(lines[0], re));
    assert_int_equal(levels[0], OT_LOG_DEBUG);
    assert_true(matches(lines[1], ": 5 spans, 5 bytes, "));
    assert_int_equal(atomic_load(&s.requests), 2);
    assert_int_equal(atomic_load(&s.connections), 1);
    assert_int_equal(atomic_load(&s.last_body_len), 5);
    ot_http_exporter_child_exit(x);
    ot_http_exporter_destroy(x);
    server_stop(&s);
}

/* With gzip the line gives the size on the wire too. */
static void test_export_debug_line_gzip(void **state)
{
    server s;
    void *x;
    char re[128];

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    x = exporter_for(&plain_def, &s, ", \"compression\": \"gzip\"");
    assert_int_equal(export(x, 8), OT_EXPORT_OK);
    assert_int_equal(n_lines, 1);
    assert_int_equal(atomic_load(&s.last_gzip), 1);
    snprintf(re, sizeof(re), ": 8 spans, 8 bytes \\(gzip %ld\\), [0-9.]+ ms: "
             "ok \\(HTTP status 200\\)$", atomic_load(&s.last_body_len));
    assert_true(matches(lines[0], re));
    ot_http_exporter_destroy(x);
    server_stop(&s);
}

/* Failures: a warning for RETRY (503), at most one a minute; the debug
 * line each time. */
static void test_failures_rate_limited(void **state)
{
    server s;
    void *x;
    int i, warnings = 0;

    server_start(&s, "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy");
    x = exporter_for(&otlp_def, &s, "");
    for (i = 0; i < 3; i++) {
        assert_int_equal(export(x, 1), OT_EXPORT_RETRY);
    }
    assert_int_equal(n_lines, 4);
    for (i = 0; i < n_lines; i++) {
        if (levels[i] == OT_LOG_WARNING) {
            warnings++;
            assert_true(matches(lines[i], "^OT02002: tst tracer: POST \\S+: "
                                "HTTP status 503: busy$"));
        }
        else {
            assert_true(matches(lines[i], "^OT02003: .*: retry \\(HTTP "
                                "status 503\\)$"));
        }
    }
    assert_int_equal(warnings, 1);
    ot_http_exporter_destroy(x);
    server_stop(&s);
}

/* cancel(): the next export fails at once and sends nothing. */
static void test_cancel(void **state)
{
    server s;
    void *x;

    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    x = exporter_for(&otlp_def, &s, "");
    ot_http_exporter_cancel(x);
    assert_int_equal(export(x, 1), OT_EXPORT_FAIL);
    assert_int_equal(atomic_load(&s.requests), 0);
    ot_http_exporter_child_exit(x);
    ot_http_exporter_destroy(x);
    server_stop(&s);
}

/* Before child_init (the parent process) there is no connection. */
static void test_no_connection_in_parent(void **state)
{
    void *x;
    char err[256];

    assert_int_equal(create(&otlp_def, "{}", &x, err, sizeof(err)), 0);
    assert_int_equal(export(x, 1), OT_EXPORT_FAIL);
    ot_http_exporter_destroy(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_errors, setup),
        cmocka_unit_test_setup(test_urls, setup),
        cmocka_unit_test_setup(test_environment, setup),
        cmocka_unit_test_setup(test_export_debug_line, setup),
        cmocka_unit_test_setup(test_export_debug_line_gzip, setup),
        cmocka_unit_test_setup(test_failures_rate_limited, setup),
        cmocka_unit_test_setup(test_cancel, setup),
        cmocka_unit_test_setup(test_no_connection_in_parent, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
