/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_zipkin_json.c: the Zipkin v2 JSON encoder, byte for byte against
 * hand-checked vectors, and a tricky batch read back with jansson.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ot_buf.h"
#include "ot_tracer.h"
#include "ot_zipkin_json.h"

#define FFFD "\xef\xbf\xbd"

#define TRACE_HEX  "0102030405060708090a0b0c0d0e0f10"
#define SPAN_HEX   "a1a2a3a4a5a6a7a8"
#define PARENT_HEX "b1b2b3b4b5b6b7b8"

/* The start of a span object: a root span, a child span. */
#define ROOT_IDS "{\"traceId\":\"" TRACE_HEX "\",\"id\":\"" SPAN_HEX "\""
#define CHILD_IDS "{\"traceId\":\"" TRACE_HEX "\",\"parentId\":\"" \
    PARENT_HEX "\",\"id\":\"" SPAN_HEX "\""

#define LOCAL_HTTPD ",\"localEndpoint\":{\"serviceName\":\"httpd\"}"
#define LOCAL_UNKNOWN \
    ",\"localEndpoint\":{\"serviceName\":\"unknown_service\"}"

/* The tags every span of the test resource gets. */
#define SCOPE_TAGS \
    "\"otel.scope.name\":\"mod_opentracing\"," \
    "\"otel.scope.version\":\"0.1.0\"," \
    "\"otel.library.name\":\"mod_opentracing\"," \
    "\"otel.library.version\":\"0.1.0\""

/* A span with only ids and no resource, times, attributes... */
#define MINIMAL ROOT_IDS LOCAL_UNKNOWN "}"

#define ATTR_STR(k, lit) attr_str((k), (lit), sizeof(lit) - 1)

/* The resource of mod_opentracing's spans, with attributes that must not
 * be copied. */
static ot_attribute res_attrs[3];
static ot_resource res;

static const ot_resource *test_resource(void)
{
    res_attrs[0] = ATTR_STR("host.name", "web1");
    res_attrs[1] = ATTR_STR("service.name", "httpd");
    res_attrs[2] = attr_int("process.pid", 42);
    memset(&res, 0, sizeof(res));
    res.attributes = res_attrs;
    res.n_attributes = 3;
    res.scope_name.ptr = "mod_opentracing";
    res.scope_name.len = 15;
    res.scope_version.ptr = "0.1.0";
    res.scope_version.len = 5;
    return &res;
}

/* Encode n spans, check the result and the buffer against want. */
static void check_encode(const ot_span_record *const *spans, size_t n,
                         uint32_t max, const char *want)
{
    ot_zipkin_options opt = { max };
    ot_buf b;

    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_zipkin_json_encode(&b, spans, n, &opt), 0);
    assert_false(ot_buf_failed(&b));
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0) {
        print_error("got  %.*s\nwant %s\n", (int)b.len, b.data, want);
        fail();
    }
    ot_buf_free(&b);
}

static void check_one(const ot_span_record *s, uint32_t max, const char *want)
{
    const ot_span_record *spans[1] = { s };

    check_encode(spans, 1, max, want);
}

/* ---- vectors ------------------------------------------------------------ */

static void test_empty_batch(void **state)
{
    const ot_span_record *none[2] = { NULL, NULL };
    ot_buf b;

    (void)state;
    check_encode(NULL, 0, 0, "[]");
    check_encode(none, 2, 0, "[]");

    /* appends: what is in the buffer stays; NULL options are allowed */
    ot_buf_init(&b, 0, 0);
    ot_buf_puts(&b, "x");
    assert_int_equal(ot_zipkin_json_encode(&b, NULL, 0, NULL), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "x[]", 3);
    ot_buf_free(&b);
}

static void test_root_server_span(void **state)
{
    ot_attribute attrs[5];
    ot_span_record s;

    (void)state;
    attrs[0] = ATTR_STR("http.request.method", "GET");
    attrs[1] = attr_int("http.response.status_code", 200);
    attrs[2] = ATTR_STR("client.address", "192.0.2.7");
    attrs[3] = ATTR_STR("network.peer.address", "192.0.2.7");
    attrs[4] = attr_int("network.peer.port", 54321);
    span_init(&s);
    s.flags = OT_FLAG_SAMPLED;
    s.kind = OT_SPAN_KIND_SERVER;
    s.name.ptr = "GET /";
    s.name.len = 5;
    s.start_ns = INT64_C(1700000000000000000);
    s.end_ns = INT64_C(1700000000001500000);
    s.attributes = attrs;
    s.n_attributes = 5;
    s.resource = test_resource();

    check_one(&s, 0,
        "[" ROOT_IDS ",\"kind\":\"SERVER\",\"name\":\"GET /\","
        "\"timestamp\":1700000000000000,\"duration\":1500"
        LOCAL_HTTPD
        ",\"remoteEndpoint\":{\"ipv4\":\"192.0.2.7\",\"port\":54321},"
        "\"tags\":{\"http.request.method\":\"GET\","
        "\"http.response.status_code\":\"200\","
        "\"client.address\":\"192.0.2.7\","
        "\"network.peer.address\":\"192.0.2.7\","
        "\"network.peer.port\":\"54321\"," SCOPE_TAGS "}}]");
}

static void test_child_span(void **state)
{
    ot_span_record s;

    (void)state;
    span_init(&s);
    memcpy(s.parent_span_id, parent_id, sizeof(parent_id));
    s.parent_is_remote = 1;
    s.kind = OT_SPAN_KIND_INTERNAL;
    s.status_code = OT_STATUS_OK;
    s.status_message.ptr = "ignored for OK";
    s.status_message.len = 14;
    s.trace_state.ptr = "k=v";
    s.trace_state.len = 3;
    s.name.ptr = "Handler";
    s.name.len = 7;
    s.start_ns = INT64_C(1700000000000100999);
    s.end_ns = s.start_ns + 250999;
    s.resource = test_resource();

    /* INTERNAL: no kind; the name as given; times truncated */
    check_one(&s, 0,
        "[" CHILD_IDS ",\"name\":\"Handler\","
        "\"timestamp\":1700000000000100,\"duration\":250" LOCAL_HTTPD
        ",\"tags\":{" SCOPE_TAGS ",\"otel.status_code\":\"OK\"}}]");
}

static void test_kinds(void **state)
{
    static const struct {
        uint8_t kind;
        const char *want;
    } v[] = {
        { OT_SPAN_KIND_UNSPECIFIED, MINIMAL },
        { OT_SPAN_KIND_INTERNAL, MINIMAL },
        { OT_SPAN_KIND_SERVER,
          ROOT_IDS ",\"kind\":\"SERVER\"" LOCAL_UNKNOWN "}" },
        { OT_SPAN_KIND_CLIENT,
          ROOT_IDS ",\"kind\":\"CLIENT\"" LOCAL_UNKNOWN "}" },
        { OT_SPAN_KIND_PRODUCER,
          ROOT_IDS ",\"kind\":\"PRODUCER\"" LOCAL_UNKNOWN "}" },
        { OT_SPAN_KIND_CONSUMER,
          ROOT_IDS ",\"kind\":\"CONSUMER\"" LOCAL_UNKNOWN "}" },
        { 9, MINIMAL },
    };
    char want[512];
    ot_span_record s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        span_init(&s);
        s.kind = v[i].kind;
        snprintf(want, sizeof(want), "[%s]", v[i].want);
        check_one(&s, 0, want);
    }
}

static void test_duration(void **state)
{
    static const struct {
        int64_t start, end;
        const char *want;
    } v[] = {
        /* 500 ns: less than one microsecond is rounded up */
        { 1000, 1500, ",\"timestamp\":1,\"duration\":1" },
        { 1999, 1999, ",\"timestamp\":1,\"duration\":1" },
        /* 1234 ns is 1 microsecond */
        { 1000, 2234, ",\"timestamp\":1,\"duration\":1" },
        { 1000, 2999, ",\"timestamp\":1,\"duration\":1" },
        { 1000, 3000, ",\"timestamp\":1,\"duration\":2" },
        /* an end before the start */
        { 5000, 4000, ",\"timestamp\":5,\"duration\":1" },
        /* not ended: no duration */
        { 5000, 0, ",\"timestamp\":5" },
        /* no start: neither */
        { 0, 5000, "" },
        { INT64_MAX, INT64_MAX,
          ",\"timestamp\":9223372036854775,\"duration\":1" },
        { 1, INT64_MAX,
          ",\"timestamp\":0,\"duration\":9223372036854775" },
    };
    char want[512];
    ot_span_record s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        span_init(&s);
        s.start_ns = v[i].start;
        s.end_ns = v[i].end;
        snprintf(want, sizeof(want), "[" ROOT_IDS "%s" LOCAL_UNKNOWN "}]",
                 v[i].want);
        check_one(&s, 0, want);
    }
}

static void test_error_status(void **state)
{
    ot_attribute attrs[3];
    ot_span_record s;

    (void)state;
    attrs[0] = attr_bool("error", 0);
    attrs[1] = ATTR_STR("otel.status_code", "bogus");
    attrs[2] = attr_int("http.response.status_code", 500);
    span_init(&s);
    s.status_code = OT_STATUS_ERROR;
    s.status_message.ptr = "Internal Server Error";
    s.status_message.len = 21;
    s.attributes = attrs;
    s.n_attributes = 3;

    /* the encoder's own status tags replace the attributes of those names */
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"http.response.status_code\":\"500\","
        "\"otel.status_code\":\"ERROR\","
        "\"error\":\"Internal Server Error\"}}]");

    /* the description is a tag value: cut like the others */
    check_one(&s, 8,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"http.response.status_code\":\"500\","
        "\"otel.status_code\":\"ERROR\",\"error\":\"Internal\"}}]");

    /* no description: an empty error tag */
    s.status_message.ptr = NULL;
    s.status_message.len = 0;
    s.n_attributes = 0;
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"otel.status_code\":\"ERROR\",\"error\":\"\"}}]");

    /* UNSET: no status tags; an error attribute is still left out, the
     * user's otel.status_code is kept */
    s.status_code = OT_STATUS_UNSET;
    s.status_message.ptr = "unused";
    s.status_message.len = 6;
    s.n_attributes = 2;
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN
        ",\"tags\":{\"otel.status_code\":\"bogus\"}}]");

    /* an unknown status code counts as UNSET */
    s.status_code = 7;
    s.n_attributes = 1;
    check_one(&s, 0, "[" MINIMAL "]");
}

static void test_remote_endpoint(void **state)
{
    static const struct {
        const char *client, *peer;
        int64_t port;
        const char *want;
    } v[] = {
        { "192.0.2.1", NULL, 0, "{\"ipv4\":\"192.0.2.1\"}" },
        { "192.0.2.1", NULL, 8080, "{\"ipv4\":\"192.0.2.1\",\"port\":8080}" },
        { "2001:db8::1", "2001:db8::1", 443,
          "{\"ipv6\":\"2001:db8::1\",\"port\":443}" },
        { "::1", NULL, 1, "{\"ipv6\":\"::1\",\"port\":1}" },
        /* IPv4-mapped: as ipv4 */
        { "::ffff:192.0.2.9", "::ffff:192.0.2.9", 65535,
          "{\"ipv4\":\"192.0.2.9\",\"port\":65535}" },
        { "::FFFF:192.0.2.9", NULL, 0, "{\"ipv4\":\"192.0.2.9\"}" },
        /* behind a proxy: the peer port is the proxy's */
        { "203.0.113.5", "10.0.0.1", 40000, "{\"ipv4\":\"203.0.113.5\"}" },
        /* no client.address: the peer address, with its port */
        { NULL, "10.0.0.1", 40000, "{\"ipv4\":\"10.0.0.1\",\"port\":40000}" },
        /* ports out of range */
        { "192.0.2.1", NULL, 0, "{\"ipv4\":\"192.0.2.1\"}" },
        { "192.0.2.1", NULL, 65536, "{\"ipv4\":\"192.0.2.1\"}" },
        { "192.0.2.1", NULL, -1, "{\"ipv4\":\"192.0.2.1\"}" },
        /* not IP literals: no remote endpoint */
        { "client.example", NULL, 80, NULL },
        { "192.0.2", NULL, 80, NULL },
        { "192.0.2.256", NULL, 80, NULL },
        { "2001:db8:::1", NULL, 80, NULL },
        { "fe80::1%eth0", NULL, 80, NULL },
        { "[2001:db8::1]", NULL, 80, NULL },
        { "", NULL, 80, NULL },
        { NULL, NULL, 80, NULL },
    };
    char want[1024], tags[512];
    ot_attribute attrs[3];
    ot_span_record s;
    size_t i;
    int len;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint32_t n = 0;

        tags[0] = '\0';
        len = 0;
        if (v[i].client) {
            attrs[n++] = attr_str("client.address", v[i].client,
                                  strlen(v[i].client));
            len += snprintf(tags + len, sizeof(tags) - (size_t)len,
                            "%s\"client.address\":\"%s\"", len ? "," : "",
                            v[i].client);
        }
        if (v[i].peer) {
            attrs[n++] = attr_str("network.peer.address", v[i].peer,
                                  strlen(v[i].peer));
            len += snprintf(tags + len, sizeof(tags) - (size_t)len,
                            "%s\"network.peer.address\":\"%s\"",
                            len ? "," : "", v[i].peer);
        }
        attrs[n++] = attr_int("network.peer.port", v[i].port);
        snprintf(tags + len, sizeof(tags) - (size_t)len,
                 "%s\"network.peer.port\":\"%lld\"", len ? "," : "",
                 (long long)v[i].port);
        span_init(&s);
        s.kind = OT_SPAN_KIND_SERVER;
        s.attributes = attrs;
        s.n_attributes = n;
        snprintf(want, sizeof(want),
                 "[" ROOT_IDS ",\"kind\":\"SERVER\"" LOCAL_UNKNOWN
                 "%s%s,\"tags\":{%s}}]",
                 v[i].want ? ",\"remoteEndpoint\":" : "",
                 v[i].want ? v[i].want : "", tags);
        check_one(&s, 0, want);
    }

    /* only string addresses and int ports count */
    attrs[0] = attr_int("client.address", 1);
    attrs[1] = ATTR_STR("network.peer.address", "192.0.2.3");
    attrs[2] = ATTR_STR("network.peer.port", "80");
    span_init(&s);
    s.attributes = attrs;
    s.n_attributes = 3;
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"remoteEndpoint\":{\"ipv4\":"
        "\"192.0.2.3\"},\"tags\":{\"client.address\":\"1\","
        "\"network.peer.address\":\"192.0.2.3\","
        "\"network.peer.port\":\"80\"}}]");
}

static void test_annotations(void **state)
{
    ot_attribute eattrs[5];
    ot_event ev[3];
    ot_span_record s;

    (void)state;
    eattrs[0] = ATTR_STR("exception.type", "E");
    eattrs[1] = attr_int("n", -3);
    eattrs[2] = attr_bool("ok", 1);
    eattrs[3] = attr_dbl("d", 0.5);
    eattrs[4] = attr_dbl("inf", -INFINITY);
    memset(ev, 0, sizeof(ev));
    ev[0].name.ptr = "start";
    ev[0].name.len = 5;
    ev[0].time_ns = INT64_C(1700000000000000999);
    ev[1].name.ptr = "exception";
    ev[1].name.len = 9;
    ev[1].time_ns = INT64_C(1700000000000001000);
    ev[1].attributes = eattrs;
    ev[1].n_attributes = 5;
    /* no name, no time */
    ev[2].attributes = eattrs;
    ev[2].n_attributes = 1;
    span_init(&s);
    s.events = ev;
    s.n_events = 3;
    s.dropped_events = 2;

    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"annotations\":["
        "{\"timestamp\":1700000000000000,\"value\":\"start\"},"
        "{\"timestamp\":1700000000000001,\"value\":"
        "\"\\\"exception\\\":{\\\"exception.type\\\":\\\"E\\\","
        "\\\"n\\\":-3,\\\"ok\\\":true,\\\"d\\\":0.5,"
        "\\\"inf\\\":\\\"-Infinity\\\"}\"},"
        "{\"timestamp\":0,\"value\":"
        "\"\\\"\\\":{\\\"exception.type\\\":\\\"E\\\"}\"}],"
        "\"tags\":{\"otel.dropped_events_count\":\"2\"}}]");

    /* attribute values in events are cut too */
    s.n_events = 2;
    s.dropped_events = 0;
    eattrs[0] = ATTR_STR("exception.type", "java.lang.Error");
    eattrs[1].type = 99;
    ev[1].n_attributes = 2;
    check_one(&s, 4,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"annotations\":["
        "{\"timestamp\":1700000000000000,\"value\":\"start\"},"
        "{\"timestamp\":1700000000000001,\"value\":"
        "\"\\\"exception\\\":{\\\"exception.type\\\":\\\"java\\\"}\"}]}]");
}

static void test_tag_values(void **state)
{
    ot_attribute attrs[11];
    ot_span_record s;

    (void)state;
    attrs[0] = attr_int("min", INT64_MIN);
    attrs[1] = attr_int("max", INT64_MAX);
    attrs[2] = attr_bool("t", 1);
    attrs[3] = attr_bool("f", 0);
    attrs[4] = attr_dbl("tenth", 0.1);
    attrs[5] = attr_dbl("big", 1e300);
    attrs[6] = attr_dbl("nan", NAN);
    attrs[7] = attr_dbl("inf", INFINITY);
    attrs[8] = ATTR_STR("long", "abcdefgh");
    attrs[9] = ATTR_STR("empty", "");
    attrs[10] = ATTR_STR("unknown", "x");
    attrs[10].type = 0;
    span_init(&s);
    s.attributes = attrs;
    s.n_attributes = 11;
    s.dropped_attributes = 1;
    s.dropped_links = 4;

    check_one(&s, 5,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"min\":\"-9223372036854775808\",\"max\":\"9223372036854775807\","
        "\"t\":\"true\",\"f\":\"false\",\"tenth\":\"0.1\","
        "\"big\":\"1e+300\",\"nan\":\"NaN\",\"inf\":\"Infinity\","
        "\"long\":\"abcde\",\"empty\":\"\","
        "\"otel.dropped_attributes_count\":\"1\","
        "\"otel.dropped_links_count\":\"4\"}}]");
}

/* The tag key of the only span in b as a string, parsed again as JSON:
 * the array it holds. */
static json_t *tag_array(const ot_buf *b, const char *key)
{
    json_error_t err;
    json_t *root, *arr;
    const char *text;

    root = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &err);
    assert_non_null(root);
    text = json_string_value(json_object_get(
        json_object_get(json_array_get(root, 0), "tags"), key));
    assert_non_null(text);
    arr = json_loads(text, 0, &err);
    json_decref(root);
    assert_true(json_is_array(arr));
    return arr;
}

/* A string array as a tag: the text of its JSON array ("Array values MUST
 * be serialized to string like a JSON list"), each item cut to max and
 * repaired; in an annotation's folded object, a JSON array. */
static void test_string_arrays(void **state)
{
    static const ot_str items[] = {
        { "a", 1 }, { "\xff", 1 }, { "q\"x", 3 }, { "", 0 }
    };
    static const char *const want[2][4] = {
        { "a", FFFD, "q\"x", "" },             /* no limit */
        { "a", "", "q\"", "" }                 /* cut to 2 */
    };
    ot_attribute attrs[2];
    ot_event ev;
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf b;
    json_t *arr;
    size_t i;
    int round;

    (void)state;
    attrs[0] = attr_of("h", OT_VALUE_STRING_ARRAY);
    attrs[0].v.sa.items = items;
    attrs[0].v.sa.n = 2;
    attrs[1] = attr_of("e", OT_VALUE_STRING_ARRAY);     /* empty */
    span_init(&s);
    s.attributes = attrs;
    s.n_attributes = 2;
    memset(&ev, 0, sizeof(ev));
    ev.name.ptr = "ev";
    ev.name.len = 2;
    ev.attributes = attrs;
    ev.n_attributes = 2;
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"h\":\"[\\\"a\\\",\\\"" FFFD "\\\"]\",\"e\":\"[]\"}}]");
    s.events = &ev;
    s.n_events = 1;
    s.n_attributes = 0;
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"annotations\":["
        "{\"timestamp\":0,\"value\":"
        "\"\\\"ev\\\":{\\\"h\\\":[\\\"a\\\",\\\"" FFFD "\\\"],"
        "\\\"e\\\":[]}\"}]}]");

    /* read back: quotes and backslashes escaped twice, items cut */
    s.n_events = 0;
    s.n_attributes = 1;
    attrs[0].v.sa.n = 4;
    ot_buf_init(&b, 0, 0);
    for (round = 0; round < 2; round++) {
        ot_zipkin_options opt = { round ? 2 : 0 };

        ot_buf_reset(&b);
        assert_int_equal(ot_zipkin_json_encode(&b, spans, 1, &opt), 0);
        arr = tag_array(&b, "h");
        assert_int_equal(json_array_size(arr), 4);
        for (i = 0; i < 4; i++) {
            assert_string_equal(json_string_value(json_array_get(arr, i)),
                                want[round][i]);
        }
        json_decref(arr);
    }
    ot_buf_free(&b);
}

static void test_scope_tags(void **state)
{
    ot_attribute attrs[4];
    ot_resource r;
    ot_span_record s;

    (void)state;
    attrs[0] = ATTR_STR("otel.scope.name", "mine");
    attrs[1] = ATTR_STR("otel.library.version", "mine");
    attrs[2] = ATTR_STR("otel.dropped_links_count", "mine");
    attrs[3] = ATTR_STR("otel.scope", "mine");
    memset(&r, 0, sizeof(r));
    r.scope_name.ptr = "scope";
    r.scope_name.len = 5;
    span_init(&s);
    s.attributes = attrs;
    s.n_attributes = 4;
    s.resource = &r;

    /* a resource without service.name; a scope without version: the
     * user's otel.library.version and otel.dropped_links_count stay */
    check_one(&s, 0,
        "[" ROOT_IDS LOCAL_UNKNOWN ",\"tags\":{"
        "\"otel.library.version\":\"mine\","
        "\"otel.dropped_links_count\":\"mine\","
        "\"otel.scope\":\"mine\","
        "\"otel.scope.name\":\"scope\",\"otel.library.name\":\"scope\"}}]");
}

static void test_escaping(void **state)
{
    static const char name[] = "a\"b\\c\n\x01/\xff" "d";
    static const char val[] = "tab\there \xc3\xa9 \xe2\x82";
    ot_attribute attrs[2], rattrs[1];
    ot_resource r;
    ot_span_record s;

    (void)state;
    attrs[0] = attr_str("k\"ey", val, sizeof(val) - 1);
    attrs[1] = ATTR_STR("\x7f\xc0", "\x1f");
    rattrs[0] = ATTR_STR("service.name", "svc \"q\"");
    memset(&r, 0, sizeof(r));
    r.attributes = rattrs;
    r.n_attributes = 1;
    r.scope_version.ptr = "1\n";
    r.scope_version.len = 2;
    span_init(&s);
    s.name.ptr = name;
    s.name.len = sizeof(name) - 1;
    s.attributes = attrs;
    s.n_attributes = 2;
    s.resource = &r;
    s.status_code = OT_STATUS_ERROR;
    s.status_message.ptr = "bad \"x\"";
    s.status_message.len = 7;

    check_one(&s, 0,
        "[" ROOT_IDS ",\"name\":\"a\\\"b\\\\c\\n\\u0001/" FFFD "d\""
        ",\"localEndpoint\":{\"serviceName\":\"svc \\\"q\\\"\"}"
        ",\"tags\":{\"k\\\"ey\":\"tab\\there \xc3\xa9 " FFFD "\","
        "\"\x7f" FFFD "\":\"\\u001f\","
        "\"otel.scope.version\":\"1\\n\",\"otel.library.version\":\"1\\n\","
        "\"otel.status_code\":\"ERROR\",\"error\":\"bad \\\"x\\\"\"}}]");
}

static void test_two_spans(void **state)
{
    const ot_span_record *spans[4];
    ot_span_record a, b;

    (void)state;
    span_init(&a);
    a.kind = OT_SPAN_KIND_SERVER;
    a.start_ns = 2000;
    a.end_ns = 9000;
    span_init(&b);
    memcpy(b.parent_span_id, a.span_id, sizeof(a.span_id));
    memset(b.span_id, 0xff, sizeof(b.span_id));
    b.start_ns = 3000;
    b.end_ns = 4000;
    spans[0] = NULL;
    spans[1] = &a;
    spans[2] = NULL;
    spans[3] = &b;

    check_encode(spans, 4, 0,
        "[" ROOT_IDS ",\"kind\":\"SERVER\",\"timestamp\":2,\"duration\":7"
        LOCAL_UNKNOWN "},"
        "{\"traceId\":\"" TRACE_HEX "\",\"parentId\":\"" SPAN_HEX "\","
        "\"id\":\"ffffffffffffffff\",\"timestamp\":3,\"duration\":1"
        LOCAL_UNKNOWN "}]");
}

static void test_buffer_failure(void **state)
{
    const ot_span_record *spans[3];
    ot_attribute eattrs[1];
    ot_event ev;
    ot_span_record s;
    ot_buf b;
    size_t limit;
    int ok = 0;

    (void)state;
    eattrs[0] = ATTR_STR("k", "a value long enough to matter, and more: "
                         "\"quotes\" and \\ get escaped twice here");
    memset(&ev, 0, sizeof(ev));
    ev.name.ptr = "ev";
    ev.name.len = 2;
    ev.attributes = eattrs;
    ev.n_attributes = 1;
    span_init(&s);
    s.events = &ev;
    s.n_events = 1;
    s.attributes = eattrs;
    s.n_attributes = 1;
    s.resource = test_resource();
    spans[0] = &s;
    spans[1] = &s;
    spans[2] = &s;

    /* every limit below the output's size fails, cleanly (limits from
     * 256: ot_buf's first allocation) */
    for (limit = 256; limit < 4096; limit++) {
        ot_buf_init(&b, 0, limit);
        if (ot_zipkin_json_encode(&b, spans, 3, NULL) == 0) {
            assert_false(ot_buf_failed(&b));
            assert_true(b.len <= limit);
            assert_true(limit > 256);
            ok = 1;
            ot_buf_free(&b);
            break;
        }
        assert_true(ot_buf_failed(&b));
        ot_buf_free(&b);
    }
    assert_true(ok);

    /* a buffer that had failed before */
    ot_buf_init(&b, 0, 0);
    b.failed = 1;
    assert_int_equal(ot_zipkin_json_encode(&b, spans, 1, NULL), -1);
    assert_int_equal(b.len, 0);
    ot_buf_free(&b);
}

/* ---- jansson ---------------------------------------------------------- */

/* value, a JSON string holding "name":{...}, read back inside braces. */
static void check_folded(const char *value)
{
    json_error_t err;
    size_t len = strlen(value);
    char *obj = malloc(len + 3);
    json_t *root;

    assert_non_null(obj);
    obj[0] = '{';
    memcpy(obj + 1, value, len);
    obj[len + 1] = '}';
    obj[len + 2] = '\0';
    root = json_loads(obj, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!root) {
        print_error("folded: %s at %d in %s\n", err.text, err.position, obj);
        fail();
    }
    assert_true(json_is_object(root));
    assert_int_equal(json_object_size(root), 1);
    json_decref(root);
    free(obj);
}

static void test_jansson(void **state)
{
    static const char nasty[] = "\"\\\n\r\t\b\f\x01\x1f\x7f"
                                "\xc3\xa9\xed\xa0\x80\xf0\x9f\x98\x80"
                                "\xf4\x90\x80\x80\xc0\xaf\xe2\x82\xf0";
    enum { NSPAN = 6 };
    const ot_span_record *spans[NSPAN];
    ot_span_record s[NSPAN];
    ot_attribute attrs[8];
    ot_event ev[2];
    ot_buf b;
    json_error_t err;
    json_t *root, *span, *tags, *ann, *v;
    const char *key;
    size_t i, j;
    uint32_t max;

    (void)state;
    attrs[0] = attr_str(nasty, nasty, sizeof(nasty) - 1);
    attrs[1] = attr_dbl("nan", NAN);
    attrs[2] = attr_dbl("neg", -1.0 / 3.0);
    attrs[3] = attr_int("min", INT64_MIN);
    attrs[4] = attr_bool("error", 1);
    attrs[5] = ATTR_STR("client.address", "2001:db8::5");
    attrs[6] = attr_int("network.peer.port", 1234);
    attrs[7] = attr_str("nul", "a\0b", 3);
    memset(ev, 0, sizeof(ev));
    ev[0].name = attrs[0].key;
    ev[0].time_ns = 123456789;
    ev[0].attributes = attrs;
    ev[0].n_attributes = 8;
    ev[1].name = attrs[0].v.s;
    for (i = 0; i < NSPAN; i++) {
        span_init(&s[i]);
        s[i].span_id[7] = (uint8_t)i;
        s[i].kind = (uint8_t)i;
        s[i].status_code = (uint8_t)(i % 3);
        s[i].status_message = attrs[0].v.s;
        s[i].name = attrs[0].key;
        s[i].start_ns = (int64_t)i * 1000;
        s[i].end_ns = (int64_t)i * 700;
        s[i].attributes = attrs;
        s[i].n_attributes = 8;
        s[i].events = ev;
        s[i].n_events = 2;
        s[i].dropped_attributes = (uint32_t)i;
        s[i].resource = (i & 1) ? test_resource() : NULL;
        spans[i] = &s[i];
    }

    ot_buf_init(&b, 0, 0);
    for (max = 0; max < 40; max++) {
        ot_zipkin_options opt = { max };

        ot_buf_reset(&b);
        assert_int_equal(ot_zipkin_json_encode(&b, spans, NSPAN, &opt), 0);
        root = json_loadb(b.data, b.len,
                          JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
        if (!root) {
            print_error("jansson: %s at %d\n", err.text, err.position);
            fail();
        }
        assert_true(json_is_array(root));
        assert_int_equal(json_array_size(root), NSPAN);
        json_array_foreach(root, i, span) {
            assert_string_equal(
                json_string_value(json_object_get(span, "traceId")),
                TRACE_HEX);
            assert_int_equal(
                strlen(json_string_value(json_object_get(span, "id"))), 16);
            /* every tag value is a string */
            tags = json_object_get(span, "tags");
            assert_true(json_is_object(tags));
            json_object_foreach(tags, key, v) {
                assert_true(json_is_string(v));
            }
            /* error only on ERROR spans (status_code 2) */
            assert_true((json_object_get(tags, "error") != NULL)
                        == (i % 3 == 2));
            assert_string_equal(json_string_value(json_object_get(
                json_object_get(span, "remoteEndpoint"), "ipv6")),
                "2001:db8::5");
            ann = json_object_get(span, "annotations");
            assert_int_equal(json_array_size(ann), 2);
            check_folded(json_string_value(json_object_get(
                json_array_get(ann, 0), "value")));
            for (j = 0; j < 2; j++) {
                assert_true(json_is_integer(json_object_get(
                    json_array_get(ann, j), "timestamp")));
            }
        }
        json_decref(root);
    }
    ot_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_root_server_span),
        cmocka_unit_test(test_child_span),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_error_status),
        cmocka_unit_test(test_remote_endpoint),
        cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_tag_values),
        cmocka_unit_test(test_string_arrays),
        cmocka_unit_test(test_scope_tags),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_two_spans),
        cmocka_unit_test(test_buffer_failure),
        cmocka_unit_test(test_jansson),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
