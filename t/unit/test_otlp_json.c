/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_otlp_json.c: the OTLP/JSON encoder, byte for byte against
 * hand-checked vectors, and its output read back with jansson.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "records.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ot_buf.h"
#include "ot_otlp_json.h"
#include "ot_tracer.h"

#define FFFD "\xef\xbf\xbd"

#define TRACE_HEX  "0102030405060708090a0b0c0d0e0f10"
#define SPAN_HEX   "a1a2a3a4a5a6a7a8"
#define PARENT_HEX "b1b2b3b4b5b6b7b8"

/* The frame around the spans of one batch with one NULL resource. */
#define NULL_RES_BEGIN \
    "{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":[{\"spans\":["
#define NULL_RES_END "]}]}]}"
#define SPAN_IDS "{\"traceId\":\"" TRACE_HEX "\",\"spanId\":\"" SPAN_HEX "\""

#define S(lit) { (lit), (uint32_t)(sizeof(lit) - 1) }

/* Encode n spans, check the result and the buffer against want, twice
 * (nothing is kept from one call to the next). */
static void check_encode(const ot_span_record *const *spans, size_t n,
                         uint32_t max, const char *want)
{
    ot_json_options opt = { max };
    ot_buf b;
    int round;

    for (round = 0; round < 2; round++) {
        ot_buf_init(&b, 0, 0);
        assert_int_equal(ot_otlp_json_encode(&b, spans, n, &opt), 0);
        ot_buf_putc(&b, '\0');
        assert_false(ot_buf_failed(&b));
        assert_string_equal(b.data, want);
        assert_int_equal(b.len - 1, strlen(want));
        ot_buf_free(&b);
    }
}

/* Keys are remembered by address within one call only: the same address
 * with other bytes in the next call (a configuration reloaded in place) is
 * not confused. */
static void test_keys_not_kept_across_calls(void **state)
{
    ot_json_options opt = { 0 };
    char key[16] = "app.one";
    ot_attribute a;
    ot_span_record r;
    const ot_span_record *rs[1] = { &r };
    ot_buf b;

    memset(&r, 0, sizeof(r));
    memset(&a, 0, sizeof(a));
    a.key.ptr = key;
    a.key.len = 7;
    a.type = OT_VALUE_INT;
    a.v.i = 1;
    r.attributes = &a;
    r.n_attributes = 1;
    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_json_encode(&b, rs, 1, &opt), 0);
    ot_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"key\":\"app.one\""));
    memcpy(key, "app.two", 7);
    ot_buf_reset(&b);
    assert_int_equal(ot_otlp_json_encode(&b, rs, 1, &opt), 0);
    ot_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"key\":\"app.two\""));
    ot_buf_free(&b);
}

static void check_one(const ot_span_record *s, uint32_t max, const char *want)
{
    const ot_span_record *spans[1] = { s };

    check_encode(spans, 1, max, want);
}

/* Encode s (len bytes) as a JSON string, compare with want (wlen bytes). */
static void check_str(const char *s, size_t len, uint32_t max,
                      const char *want, size_t wlen)
{
    ot_buf b;

    ot_buf_init(&b, 0, 0);
    ot_json_put_string(&b, s, len, max);
    assert_false(ot_buf_failed(&b));
    if (b.len != wlen || memcmp(b.data, want, wlen) != 0) {
        print_error("got  %.*s\nwant %.*s\n", (int)b.len, b.data,
                    (int)wlen, want);
        fail();
    }
    ot_buf_free(&b);
}

#define CHECK_STR(in, max, want) \
    check_str((in), sizeof(in) - 1, (max), (want), sizeof(want) - 1)

/* ---- vectors ---------------------------------------------------------- */

static void test_empty_batch(void **state)
{
    const ot_span_record *none[2] = { NULL, NULL };

    (void)state;
    check_encode(NULL, 0, 0, "{\"resourceSpans\":[]}");
    check_encode(none, 2, 0, "{\"resourceSpans\":[]}");
}

static void test_root_span(void **state)
{
    ot_attribute rattrs[1], attrs[2];
    ot_resource res;
    ot_span_record s;

    (void)state;
    rattrs[0] = attr_str("service.name", "httpd", 5);
    memset(&res, 0, sizeof(res));
    res.attributes = rattrs;
    res.n_attributes = 1;
    res.scope_name.ptr = "mod_opentracing";
    res.scope_name.len = 15;
    res.scope_version.ptr = "0.1.0";
    res.scope_version.len = 5;

    attrs[0] = attr_str("http.request.method", "GET", 3);
    attrs[1] = attr_int("http.response.status_code", 200);
    span_init(&s);
    s.flags = OT_FLAG_SAMPLED;
    s.kind = OT_SPAN_KIND_SERVER;
    s.name.ptr = "GET /";
    s.name.len = 5;
    s.start_ns = INT64_C(1700000000000000000);
    s.end_ns = INT64_C(1700000000001500000);
    s.attributes = attrs;
    s.n_attributes = 2;
    s.resource = &res;

    check_one(&s, 0,
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
        "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"httpd\"}}]},"
        "\"scopeSpans\":[{\"scope\":{\"name\":\"mod_opentracing\","
        "\"version\":\"0.1.0\"},\"spans\":["
        "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
        "\"spanId\":\"a1a2a3a4a5a6a7a8\",\"flags\":1,\"name\":\"GET /\","
        "\"kind\":2,\"startTimeUnixNano\":\"1700000000000000000\","
        "\"endTimeUnixNano\":\"1700000000001500000\",\"attributes\":["
        "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
        "{\"key\":\"http.response.status_code\","
        "\"value\":{\"intValue\":\"200\"}}]}"
        "]}]}]}");
}

/* Remote parent with tracestate, then a local unsampled parent: both in the
 * same (NULL) resource, so one resourceSpans entry. */
static void test_child_spans(void **state)
{
    ot_span_record a, c;
    const ot_span_record *spans[2] = { &a, &c };

    (void)state;
    span_init(&a);
    memcpy(a.parent_span_id, parent_id, 8);
    a.parent_is_remote = 1;
    a.flags = OT_FLAG_SAMPLED;
    a.kind = OT_SPAN_KIND_SERVER;
    a.trace_state.ptr = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    a.trace_state.len = (uint32_t)strlen(a.trace_state.ptr);
    a.name.ptr = "child";
    a.name.len = 5;
    a.start_ns = 1;
    a.end_ns = 2;

    span_init(&c);
    memcpy(c.parent_span_id, parent_id, 8);
    c.kind = OT_SPAN_KIND_CLIENT;
    c.name.ptr = "local";
    c.name.len = 5;

    check_encode(spans, 2, 0,
        NULL_RES_BEGIN
        SPAN_IDS ",\"traceState\":\"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\","
        "\"parentSpanId\":\"" PARENT_HEX "\",\"flags\":769,\"name\":\"child\","
        "\"kind\":2,\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"},"
        SPAN_IDS ",\"parentSpanId\":\"" PARENT_HEX "\",\"flags\":256,"
        "\"name\":\"local\",\"kind\":3}"
        NULL_RES_END);
}

/* A bare span: only the ids (and the root span's flags stay 0). */
static void test_minimal_span(void **state)
{
    ot_span_record s;

    (void)state;
    span_init(&s);
    s.parent_is_remote = 1;     /* no parent: ignored */
    check_one(&s, 0, NULL_RES_BEGIN SPAN_IDS "}" NULL_RES_END);
}

static void test_value_types(void **state)
{
    ot_attribute at[16];
    ot_span_record s;
    uint32_t n = 0;

    (void)state;
    at[n++] = attr_str("s", "v", 1);
    at[n++] = attr_str("empty", "", 0);
    at[n++] = attr_bool("t", 1);
    at[n++] = attr_bool("f", 0);
    at[n++] = attr_int("zero", 0);
    at[n++] = attr_int("neg", -1);
    at[n++] = attr_int("min", INT64_MIN);
    at[n++] = attr_int("max", INT64_MAX);
    at[n++] = attr_dbl("d", 1.5);
    at[n++] = attr_dbl("tenth", 0.1);
    at[n++] = attr_dbl("third", 1.0 / 3.0);
    at[n++] = attr_dbl("negzero", -0.0);
    at[n++] = attr_dbl("big", 1e300);
    at[n++] = attr_dbl("small", 1e-7);
    at[n++] = attr_dbl("max17", 0.30000000000000004);
    at[n] = attr_int("unknown", 7);
    at[n++].type = 99;

    span_init(&s);
    s.attributes = at;
    s.n_attributes = n;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"attributes\":["
        "{\"key\":\"s\",\"value\":{\"stringValue\":\"v\"}},"
        "{\"key\":\"empty\",\"value\":{\"stringValue\":\"\"}},"
        "{\"key\":\"t\",\"value\":{\"boolValue\":true}},"
        "{\"key\":\"f\",\"value\":{\"boolValue\":false}},"
        "{\"key\":\"zero\",\"value\":{\"intValue\":\"0\"}},"
        "{\"key\":\"neg\",\"value\":{\"intValue\":\"-1\"}},"
        "{\"key\":\"min\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
        "{\"key\":\"max\",\"value\":{\"intValue\":\"9223372036854775807\"}},"
        "{\"key\":\"d\",\"value\":{\"doubleValue\":1.5}},"
        "{\"key\":\"tenth\",\"value\":{\"doubleValue\":0.1}},"
        "{\"key\":\"third\",\"value\":{\"doubleValue\":0.3333333333333333}},"
        "{\"key\":\"negzero\",\"value\":{\"doubleValue\":-0}},"
        "{\"key\":\"big\",\"value\":{\"doubleValue\":1e+300}},"
        "{\"key\":\"small\",\"value\":{\"doubleValue\":1e-07}},"
        "{\"key\":\"max17\",\"value\":{\"doubleValue\":0.30000000000000004}},"
        "{\"key\":\"unknown\",\"value\":{}}"
        "]}" NULL_RES_END);
}

/* OTLP/JSON's ArrayValue: {"arrayValue":{"values":[AnyValue...]}}, the
 * items escaped, repaired and cut as string values are; an empty array
 * leaves its values out. */
static void test_string_arrays(void **state)
{
    static const ot_str items[] = {
        S("a"), S(""), S("\xff"), S("q\"x"), S("abc")
    };
    ot_attribute at[3];
    ot_span_record s;

    (void)state;
    at[0] = attr_of("h", OT_VALUE_STRING_ARRAY);
    at[0].v.sa.items = items;
    at[0].v.sa.n = 4;
    at[1] = attr_of("e", OT_VALUE_STRING_ARRAY);  /* items NULL */
    at[2] = attr_int("n", 1);
    span_init(&s);
    s.attributes = at;
    s.n_attributes = 3;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"attributes\":["
        "{\"key\":\"h\",\"value\":{\"arrayValue\":{\"values\":["
        "{\"stringValue\":\"a\"},{\"stringValue\":\"\"},"
        "{\"stringValue\":\"" FFFD "\"},{\"stringValue\":\"q\\\"x\"}]}}},"
        "{\"key\":\"e\",\"value\":{\"arrayValue\":{}}},"
        "{\"key\":\"n\",\"value\":{\"intValue\":\"1\"}}"
        "]}" NULL_RES_END);
    /* each item cut to max (2): U+FFFD (3 bytes) to "", "abc" to "ab" */
    at[0].v.sa.items = items + 2;
    at[0].v.sa.n = 3;
    s.n_attributes = 1;
    check_one(&s, 2,
        NULL_RES_BEGIN SPAN_IDS ",\"attributes\":["
        "{\"key\":\"h\",\"value\":{\"arrayValue\":{\"values\":["
        "{\"stringValue\":\"\"},{\"stringValue\":\"q\\\"\"},"
        "{\"stringValue\":\"ab\"}]}}}"
        "]}" NULL_RES_END);
}

static void test_double_special(void **state)
{
    ot_attribute at[3];
    ot_span_record s;

    (void)state;
    at[0] = attr_dbl("nan", NAN);
    at[1] = attr_dbl("inf", INFINITY);
    at[2] = attr_dbl("ninf", -INFINITY);
    span_init(&s);
    s.attributes = at;
    s.n_attributes = 3;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"attributes\":["
        "{\"key\":\"nan\",\"value\":{\"doubleValue\":\"NaN\"}},"
        "{\"key\":\"inf\",\"value\":{\"doubleValue\":\"Infinity\"}},"
        "{\"key\":\"ninf\",\"value\":{\"doubleValue\":\"-Infinity\"}}"
        "]}" NULL_RES_END);
}

static void test_int64_min(void **state)
{
    ot_attribute at[1];
    ot_span_record s;

    (void)state;
    at[0] = attr_int("n", INT64_MIN);
    span_init(&s);
    s.attributes = at;
    s.n_attributes = 1;
    s.start_ns = INT64_MAX;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"startTimeUnixNano\":\"9223372036854775807\","
        "\"attributes\":[{\"key\":\"n\","
        "\"value\":{\"intValue\":\"-9223372036854775808\"}}]}" NULL_RES_END);
}

static void test_events_links(void **state)
{
    ot_attribute eattr[1], lattr[1];
    ot_event ev[2];
    ot_link ln[2];
    ot_span_record s;

    (void)state;
    eattr[0] = attr_str("exception.type", "E", 1);
    lattr[0] = attr_int("k", 5);
    memset(ev, 0, sizeof(ev));
    ev[0].time_ns = INT64_C(1700000000000000005);
    ev[0].name.ptr = "exception";
    ev[0].name.len = 9;
    ev[0].attributes = eattr;
    ev[0].n_attributes = 1;
    /* ev[1]: all defaults, an empty object */

    memset(ln, 0, sizeof(ln));
    memcpy(ln[0].trace_id, trace_id, 16);
    memcpy(ln[0].span_id, parent_id, 8);
    ln[0].flags = 1;
    ln[0].trace_state.ptr = "a=b";
    ln[0].trace_state.len = 3;
    ln[0].attributes = lattr;
    ln[0].n_attributes = 1;
    memcpy(ln[1].span_id, span_id, 8);

    span_init(&s);
    s.name.ptr = "n";
    s.name.len = 1;
    s.dropped_attributes = 3;
    s.events = ev;
    s.n_events = 2;
    s.dropped_events = 1;
    s.links = ln;
    s.n_links = 2;
    s.dropped_links = 4294967295u;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"name\":\"n\",\"droppedAttributesCount\":3,"
        "\"events\":[{\"timeUnixNano\":\"1700000000000000005\","
        "\"name\":\"exception\",\"attributes\":[{\"key\":\"exception.type\","
        "\"value\":{\"stringValue\":\"E\"}}]},{}],\"droppedEventsCount\":1,"
        "\"links\":[{\"traceId\":\"" TRACE_HEX "\",\"spanId\":\"" PARENT_HEX
        "\",\"traceState\":\"a=b\",\"attributes\":[{\"key\":\"k\","
        "\"value\":{\"intValue\":\"5\"}}],\"flags\":1},"
        "{\"traceId\":\"00000000000000000000000000000000\","
        "\"spanId\":\"" SPAN_HEX "\"}],"
        "\"droppedLinksCount\":4294967295}" NULL_RES_END);
}

static void test_status(void **state)
{
    ot_span_record a, b, c, d;
    const ot_span_record *spans[4] = { &a, &b, &c, &d };

    (void)state;
    span_init(&a);
    a.status_code = OT_STATUS_ERROR;
    a.status_message.ptr = "boom \"x\"";
    a.status_message.len = 8;
    span_init(&b);
    b.status_code = OT_STATUS_OK;
    span_init(&c);
    c.status_message.ptr = "m";
    c.status_message.len = 1;
    span_init(&d);
    d.status_message.ptr = "ignored";     /* len 0: no message */
    check_encode(spans, 4, 3,              /* max: not for the message */
        NULL_RES_BEGIN
        SPAN_IDS ",\"status\":{\"code\":2,\"message\":\"boom \\\"x\\\"\"}},"
        SPAN_IDS ",\"status\":{\"code\":1}},"
        SPAN_IDS ",\"status\":{\"message\":\"m\"}},"
        SPAN_IDS "}"
        NULL_RES_END);
}

/* Spans are grouped by consecutive resource pointers: A A B A makes three
 * resourceSpans entries. */
static void test_resources(void **state)
{
    ot_attribute ra[1], rb[2];
    ot_resource res_a, res_b;
    ot_span_record s1, s2, s3, s4;
    const ot_span_record *spans[5] = { &s1, &s2, NULL, &s3, &s4 };

    (void)state;
    ra[0] = attr_str("service.name", "a", 1);
    rb[0] = attr_str("service.name", "b", 1);
    rb[1] = attr_bool("x", 1);
    memset(&res_a, 0, sizeof(res_a));
    res_a.attributes = ra;
    res_a.n_attributes = 1;
    res_a.scope_name.ptr = "scope";
    res_a.scope_name.len = 5;
    memset(&res_b, 0, sizeof(res_b));
    res_b.attributes = rb;
    res_b.n_attributes = 2;
    res_b.scope_version.ptr = "9";
    res_b.scope_version.len = 1;

    span_init(&s1);
    s1.resource = &res_a;
    s1.kind = 1;
    span_init(&s2);
    s2.resource = &res_a;
    s2.kind = 2;
    span_init(&s3);
    s3.resource = &res_b;
    s3.kind = 3;
    span_init(&s4);
    s4.resource = &res_a;
    s4.kind = 4;

#define RES_A "{\"resource\":{\"attributes\":[{\"key\":\"service.name\"," \
              "\"value\":{\"stringValue\":\"a\"}}]},\"scopeSpans\":[" \
              "{\"scope\":{\"name\":\"scope\"},\"spans\":["
    check_encode(spans, 5, 0,
        "{\"resourceSpans\":["
        RES_A SPAN_IDS ",\"kind\":1}," SPAN_IDS ",\"kind\":2}]}]},"
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
        "\"value\":{\"stringValue\":\"b\"}},{\"key\":\"x\","
        "\"value\":{\"boolValue\":true}}]},\"scopeSpans\":["
        "{\"scope\":{\"version\":\"9\"},\"spans\":["
        SPAN_IDS ",\"kind\":3}]}]},"
        RES_A SPAN_IDS ",\"kind\":4}]}]}"
        "]}");
#undef RES_A

    /* two spans, two resources: exactly two entries */
    spans[0] = &s3;
    check_encode(spans, 2, 0,
        "{\"resourceSpans\":["
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
        "\"value\":{\"stringValue\":\"b\"}},{\"key\":\"x\","
        "\"value\":{\"boolValue\":true}}]},\"scopeSpans\":["
        "{\"scope\":{\"version\":\"9\"},\"spans\":["
        SPAN_IDS ",\"kind\":3}]}]},"
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
        "\"value\":{\"stringValue\":\"a\"}}]},\"scopeSpans\":["
        "{\"scope\":{\"name\":\"scope\"},\"spans\":["
        SPAN_IDS ",\"kind\":2}]}]}"
        "]}");
}

static void test_escaping(void **state)
{
    (void)state;
    CHECK_STR("", 0, "\"\"");
    CHECK_STR("plain text/path?q=1", 0, "\"plain text/path?q=1\"");
    CHECK_STR("a\"b\\c", 0, "\"a\\\"b\\\\c\"");
    CHECK_STR("\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\"");
    CHECK_STR("\x01\x0b\x1f\x7f", 0, "\"\\u0001\\u000b\\u001f\x7f\"");
    CHECK_STR("a\0b", 0, "\"a\\u0000b\"");
    CHECK_STR("\"\"", 0, "\"\\\"\\\"\"");
    /* NULL with len 0 */
    check_str(NULL, 0, 0, "\"\"", 2);
}

static void test_escaping_in_span(void **state)
{
    ot_attribute at[1];
    ot_span_record s;

    (void)state;
    at[0] = attr_str("k\"\\", "v\n\x01", 3);
    span_init(&s);
    s.name.ptr = "GET /\"x\"";
    s.name.len = 8;
    s.attributes = at;
    s.n_attributes = 1;
    check_one(&s, 0,
        NULL_RES_BEGIN SPAN_IDS ",\"name\":\"GET /\\\"x\\\"\","
        "\"attributes\":[{\"key\":\"k\\\"\\\\\","
        "\"value\":{\"stringValue\":\"v\\n\\u0001\"}}]}" NULL_RES_END);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    CHECK_STR("\xc3\xa9", 0, "\"\xc3\xa9\"");                   /* U+00E9 */
    CHECK_STR("\xc2\x80", 0, "\"\xc2\x80\"");                   /* U+0080 */
    CHECK_STR("\xdf\xbf", 0, "\"\xdf\xbf\"");                   /* U+07FF */
    CHECK_STR("\xe0\xa0\x80", 0, "\"\xe0\xa0\x80\"");           /* U+0800 */
    CHECK_STR("\xe2\x82\xac", 0, "\"\xe2\x82\xac\"");           /* U+20AC */
    CHECK_STR("\xed\x9f\xbf", 0, "\"\xed\x9f\xbf\"");           /* U+D7FF */
    CHECK_STR("\xee\x80\x80", 0, "\"\xee\x80\x80\"");           /* U+E000 */
    CHECK_STR("\xef\xbf\xbf", 0, "\"\xef\xbf\xbf\"");           /* U+FFFF */
    CHECK_STR("\xf0\x90\x80\x80", 0, "\"\xf0\x90\x80\x80\"");   /* U+10000 */
    CHECK_STR("\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\"");   /* U+1F600 */
    CHECK_STR("\xf4\x8f\xbf\xbf", 0, "\"\xf4\x8f\xbf\xbf\"");   /* U+10FFFF */
    CHECK_STR("a\xc3\xa9\"\xe2\x82\xac\n", 0,
              "\"a\xc3\xa9\\\"\xe2\x82\xac\\n\"");
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    /* lone continuation bytes */
    CHECK_STR("\x80", 0, "\"" FFFD "\"");
    CHECK_STR("\xbf", 0, "\"" FFFD "\"");
    CHECK_STR("a\x80\x80z", 0, "\"a" FFFD FFFD "z\"");
    /* bytes that never start a sequence */
    CHECK_STR("\xc0\xaf", 0, "\"" FFFD FFFD "\"");            /* overlong '/' */
    CHECK_STR("\xc1\xbf", 0, "\"" FFFD FFFD "\"");
    CHECK_STR("\xf5\x80\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"");
    CHECK_STR("\xff\xfe", 0, "\"" FFFD FFFD "\"");
    /* overlong three- and four-byte forms */
    CHECK_STR("\xe0\x80\xaf", 0, "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xe0\x9f\xbf", 0, "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xf0\x8f\xbf\xbf", 0, "\"" FFFD FFFD FFFD FFFD "\"");
    /* surrogates U+D800, U+DFFF */
    CHECK_STR("\xed\xa0\x80", 0, "\"" FFFD FFFD FFFD "\"");
    CHECK_STR("\xed\xbf\xbf", 0, "\"" FFFD FFFD FFFD "\"");
    /* beyond U+10FFFF */
    CHECK_STR("\xf4\x90\x80\x80", 0, "\"" FFFD FFFD FFFD FFFD "\"");
    /* truncated sequences: one U+FFFD for the maximal subpart */
    CHECK_STR("\xc3", 0, "\"" FFFD "\"");
    CHECK_STR("\xe2\x82", 0, "\"" FFFD "\"");
    CHECK_STR("\xf0\x9f\x98", 0, "\"" FFFD "\"");
    CHECK_STR("\xe2\x82" "A", 0, "\"" FFFD "A\"");
    CHECK_STR("\xf0\x9f\x98" "x", 0, "\"" FFFD "x\"");
    CHECK_STR("\xc3\x28", 0, "\"" FFFD "(\"");
    CHECK_STR("\xf0\x9f" "\xc3\xa9", 0, "\"" FFFD "\xc3\xa9\"");
    CHECK_STR("\xe2\x82\"", 0, "\"" FFFD "\\\"\"");
    CHECK_STR("\xe2\n", 0, "\"" FFFD "\\n\"");
}

static void test_truncation(void **state)
{
    (void)state;
    CHECK_STR("abcdef", 4, "\"abcd\"");
    CHECK_STR("abcd", 4, "\"abcd\"");
    CHECK_STR("abc", 4, "\"abc\"");
    CHECK_STR("abcdef", 1, "\"a\"");
    /* a character is kept whole or left out */
    CHECK_STR("ab\xe2\x82\xac", 4, "\"ab\"");
    CHECK_STR("ab\xe2\x82\xac", 3, "\"ab\"");
    CHECK_STR("ab\xe2\x82\xac", 5, "\"ab\xe2\x82\xac\"");
    CHECK_STR("ab\xe2\x82\xac" "cd", 6, "\"ab\xe2\x82\xac" "c\"");
    CHECK_STR("\xf0\x9f\x98\x80", 3, "\"\"");
    CHECK_STR("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 7, "\"\xf0\x9f\x98\x80\"");
    CHECK_STR("\xc3\xa9\xc3\xa9", 3, "\"\xc3\xa9\"");
    /* escapes count as the one byte they stand for */
    CHECK_STR("\n\n\n", 2, "\"\\n\\n\"");
    CHECK_STR("a\"b", 2, "\"a\\\"\"");
    CHECK_STR("\x01\x02", 1, "\"\\u0001\"");
    /* a U+FFFD counts as its three bytes */
    CHECK_STR("ab\xff" "cd", 4, "\"ab\"");
    CHECK_STR("ab\xff" "cd", 5, "\"ab" FFFD "\"");
    CHECK_STR("ab\xff" "cd", 6, "\"ab" FFFD "c\"");
    CHECK_STR("\xe2\x82", 3, "\"" FFFD "\"");
}

/* max_value_len cuts string attribute values (span, event, link and
 * resource attributes) but not keys, names, trace state or messages. */
static void test_truncation_in_span(void **state)
{
    ot_attribute at[2], ea[1], ra[1];
    ot_event ev;
    ot_resource res;
    ot_span_record s;

    (void)state;
    at[0] = attr_str("long.key.name", "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
    at[1] = attr_int("n", 123456);
    ea[0] = attr_str("ek", "eventvalue", 10);
    ra[0] = attr_str("service.name", "httpd-server", 12);
    memset(&ev, 0, sizeof(ev));
    ev.name.ptr = "eventname";
    ev.name.len = 9;
    ev.attributes = ea;
    ev.n_attributes = 1;
    memset(&res, 0, sizeof(res));
    res.attributes = ra;
    res.n_attributes = 1;
    span_init(&s);
    s.name.ptr = "span name";
    s.name.len = 9;
    s.trace_state.ptr = "k=vvvvv";
    s.trace_state.len = 7;
    s.attributes = at;
    s.n_attributes = 2;
    s.events = &ev;
    s.n_events = 1;
    s.resource = &res;
    check_one(&s, 3,
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
        "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"htt\"}}]},"
        "\"scopeSpans\":[{\"spans\":["
        SPAN_IDS ",\"traceState\":\"k=vvvvv\",\"name\":\"span name\","
        "\"attributes\":[{\"key\":\"long.key.name\","
        "\"value\":{\"stringValue\":\"\xc3\xa9\"}},"
        "{\"key\":\"n\",\"value\":{\"intValue\":\"123456\"}}],"
        "\"events\":[{\"name\":\"eventname\",\"attributes\":[{\"key\":\"ek\","
        "\"value\":{\"stringValue\":\"eve\"}}]}]}"
        "]}]}]}");
}

/* Growth in the middle of a string: every byte expands six-fold. */
static void test_string_growth(void **state)
{
    enum { N = 10000 };
    char *in = malloc(N);
    ot_buf b;
    size_t i;

    (void)state;
    assert_non_null(in);
    memset(in, 0x01, N);
    in[N / 2] = 'x';
    ot_buf_init(&b, 16, 0);
    ot_json_put_string(&b, in, N, 0);
    assert_false(ot_buf_failed(&b));
    assert_int_equal(b.len, (size_t)(N - 1) * 6 + 1 + 2);
    assert_int_equal(b.data[0], '"');
    assert_int_equal(b.data[b.len - 1], '"');
    for (i = 0; i < N / 2; i++) {
        assert_memory_equal(b.data + 1 + i * 6, "\\u0001", 6);
    }
    assert_int_equal(b.data[1 + (N / 2) * 6], 'x');

    /* invalid bytes: three output bytes for each */
    ot_buf_reset(&b);
    memset(in, 0xff, N);
    ot_json_put_string(&b, in, N, 0);
    assert_false(ot_buf_failed(&b));
    assert_int_equal(b.len, (size_t)N * 3 + 2);

    /* a huge value with a small max reserves little */
    ot_buf_free(&b);
    ot_buf_init(&b, 0, 64);
    ot_json_put_string(&b, in, N, 9);
    assert_false(ot_buf_failed(&b));
    assert_int_equal(b.len, 9 + 2);
    ot_buf_free(&b);
    free(in);
}

/* The encoder appends; a failed buffer makes it return -1. */
static void test_append_and_fail(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf b;

    (void)state;
    span_init(&s);
    ot_buf_init(&b, 0, 0);
    ot_buf_puts(&b, "prefix ");
    assert_int_equal(ot_otlp_json_encode(&b, spans, 1, NULL), 0);
    ot_buf_putc(&b, '\0');
    assert_string_equal(b.data,
                        "prefix " NULL_RES_BEGIN SPAN_IDS "}" NULL_RES_END);
    ot_buf_free(&b);

    ot_buf_init(&b, 0, 100);
    assert_int_equal(ot_otlp_json_encode(&b, spans, 1, NULL), -1);
    assert_true(ot_buf_failed(&b));
    /* already failed: nothing more */
    assert_int_equal(ot_otlp_json_encode(&b, spans, 1, NULL), -1);
    ot_buf_free(&b);
}

/* ---- read back with jansson ------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int has_fffd(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i + 3 <= n; i++) {
        if (memcmp(s + i, FFFD, 3) == 0) {
            return 1;
        }
    }
    return 0;
}

static void test_jansson_roundtrip(void **state)
{
    enum { NSTR = 300, NSPAN = 3, SLEN = 64 };
    static const char *const tricky[] = {
        "", "\"", "\\", "\\\"", "\x7f", "\xc0\x80", "\xed\xa0\x80\xed\xb0\x80",
        "\xf4\x90\x80\x80", "\xe2\x82", "a\0b", "\xef\xbb\xbf\x62om",
        "\xe2\x80\xa8\xe2\x80\xa9", "</script>", "\x1b[0m"
    };
    static char data[NSTR][SLEN];
    ot_attribute at[NSTR];
    size_t lens[NSTR];
    ot_span_record spans_rec[NSPAN];
    const ot_span_record *spans[NSPAN];
    ot_resource res;
    ot_buf b;
    json_t *root, *arr;
    json_error_t err;
    size_t i, k, idx;

    (void)state;
    for (i = 0; i < NSTR; i++) {
        if (i < sizeof(tricky) / sizeof(tricky[0])) {
            lens[i] = i == 9 ? 3 : strlen(tricky[i]);
            memcpy(data[i], tricky[i], lens[i]);
        }
        else if (i < 14 + 256) {
            /* every single byte value */
            data[i][0] = (char)(i - 14);
            lens[i] = 1;
        }
        else {
            lens[i] = rng() % SLEN;
            for (k = 0; k < lens[i]; k++) {
                data[i][k] = (char)rng();
            }
        }
        at[i] = attr_str("k", data[i], lens[i]);
        at[i].key.ptr = data[i];        /* keys get the same treatment */
        at[i].key.len = (uint32_t)lens[i];
    }
    memset(&res, 0, sizeof(res));
    res.scope_name.ptr = "\xff\"scope";
    res.scope_name.len = 7;
    for (i = 0; i < NSPAN; i++) {
        span_init(&spans_rec[i]);
        spans_rec[i].attributes = at + i * (NSTR / NSPAN);
        spans_rec[i].n_attributes = NSTR / NSPAN;
        spans_rec[i].name = at[i].v.s;
        spans_rec[i].status_code = 2;
        spans_rec[i].status_message = at[NSTR - 1 - i].v.s;
        spans_rec[i].resource = i == 1 ? NULL : &res;
        spans[i] = &spans_rec[i];
    }

    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_json_encode(&b, spans, NSPAN, NULL), 0);
    root = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &err);
    if (!root) {
        print_error("jansson: %s at %d\n", err.text, err.position);
        fail();
    }
    arr = json_object_get(root, "resourceSpans");
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 3);

    /* every attribute reads back: valid input unchanged */
    idx = 0;
    for (i = 0; i < NSPAN; i++) {
        json_t *sp = json_array_get(json_object_get(json_array_get(
            json_object_get(json_array_get(arr, i), "scopeSpans"), 0),
            "spans"), 0);
        json_t *attrs = json_object_get(sp, "attributes");

        assert_string_equal(json_string_value(json_object_get(sp, "traceId")),
                            TRACE_HEX);
        assert_int_equal(json_array_size(attrs), NSTR / NSPAN);
        for (k = 0; k < json_array_size(attrs); k++, idx++) {
            json_t *kv = json_array_get(attrs, k);
            json_t *key = json_object_get(kv, "key");
            json_t *v = json_object_get(json_object_get(kv, "value"),
                                        "stringValue");
            /* jansson builds only valid UTF-8: a valid input must read
             * back as the same bytes, key and value alike */
            json_t *orig = json_stringn(data[idx], lens[idx]);

            assert_true(json_is_string(key));
            assert_true(json_is_string(v));
            if (orig) {
                assert_true(json_equal(orig, v));
                assert_true(json_equal(orig, key));
                json_decref(orig);
            }
            else {
                /* invalid input: repaired, so it differs and holds U+FFFD */
                assert_true(has_fffd(json_string_value(v),
                                     json_string_length(v)));
            }
        }
    }
    json_decref(root);

    /* and with truncation */
    {
        ot_json_options opt = { 5 };

        ot_buf_reset(&b);
        assert_int_equal(ot_otlp_json_encode(&b, spans, NSPAN, &opt), 0);
        root = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &err);
        if (!root) {
            print_error("jansson: %s at %d\n", err.text, err.position);
            fail();
        }
        json_decref(root);
    }
    ot_buf_free(&b);
}

/* ---- the fast paths against the plain way ----------------------------- */

/* The length of the well-formed UTF-8 character at s (n > 0 bytes, s[0] >=
 * 0x80), by the table of well-formed byte sequences of the Unicode
 * standard (3.9, table 3-7), or 0 and in *sub the length of its maximal
 * subpart (at least 1), which becomes one U+FFFD. */
static size_t ref_utf8(const unsigned char *s, size_t n, size_t *sub)
{
    static const struct {
        unsigned char first, last, len, lo, hi;  /* lead bytes, 2nd byte */
    } forms[] = {
        { 0xc2, 0xdf, 2, 0x80, 0xbf }, { 0xe0, 0xe0, 3, 0xa0, 0xbf },
        { 0xe1, 0xec, 3, 0x80, 0xbf }, { 0xed, 0xed, 3, 0x80, 0x9f },
        { 0xee, 0xef, 3, 0x80, 0xbf }, { 0xf0, 0xf0, 4, 0x90, 0xbf },
        { 0xf1, 0xf3, 4, 0x80, 0xbf }, { 0xf4, 0xf4, 4, 0x80, 0x8f }
    };
    size_t f, k;

    for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        if (s[0] < forms[f].first || s[0] > forms[f].last) {
            continue;
        }
        for (k = 1; k < forms[f].len; k++) {
            unsigned lo = k == 1 ? forms[f].lo : 0x80;
            unsigned hi = k == 1 ? forms[f].hi : 0xbf;

            if (k >= n || s[k] < lo || s[k] > hi) {
                *sub = k;
                return 0;
            }
        }
        return forms[f].len;
    }
    *sub = 1;
    return 0;
}

/* The JSON string literal of in (len bytes) cut to max bytes of content
 * (0: no cut), written the plain way, one character at a time, into out;
 * returns its length. */
static size_t ref_string(const char *in, size_t len, size_t max, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, content = 0, n, sub = 1;

    out[o++] = '"';
    while (i < len) {
        unsigned c = s[i];

        if (c >= 0x80) {
            n = ref_utf8(s + i, len - i, &sub);
            if (max && content + (n ? n : 3) > max) {
                break;
            }
            if (n) {
                memcpy(out + o, s + i, n);
            }
            else {
                memcpy(out + o, FFFD, 3);
            }
            o += n ? n : 3;
            content += n ? n : 3;
            i += n ? n : sub;
            continue;
        }
        if (max && content + 1 > max) {
            break;
        }
        content++;
        i++;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        }
        else if (c == '\b' || c == '\f' || c == '\n' || c == '\r'
                 || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n'
                       : c == '\r' ? 'r' : 't';
        }
        else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        }
        else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    return o;
}

/* Strings of 0 to 70 bytes (around the 4, 8 and 16-byte blocks the clean
 * strings are copied in) with a byte to escape or repair at each place, or
 * none, whole and cut around it: as a string, as an attribute value in a
 * span, and as a key, each in a heap block of its own size. */
static void test_string_blocks(void **state)
{
    static const char *const specials[] = {
        "", "\"", "\\", "\x01", "\x1f", "\n", "\x7f", "\xc3\xa9",
        "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\x80", "\xc3",
        "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf"
    };
    char want[70 * 6 + 3], doc[2048], expect[2048];
    size_t len, k, pos, m;
    ot_buf b;

    (void)state;
    ot_buf_init(&b, 0, 0);
    for (len = 0; len <= 70; len++) {
        for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
            size_t sl = strlen(specials[k]);

            for (pos = 0; pos + sl <= len && (sl || pos == 0); pos++) {
                size_t maxes[4], i, wlen;
                char *in = malloc(len ? len : 1);

                assert_non_null(in);
                for (i = 0; i < len; i++) {
                    in[i] = (char)('a' + i % 26);
                }
                memcpy(in + pos, specials[k], sl);
                maxes[0] = 0;
                maxes[1] = pos + 1;
                maxes[2] = len > 1 ? len - 1 : 1;
                maxes[3] = 5;
                for (m = 0; m < 4; m++) {
                    wlen = ref_string(in, len, maxes[m], want);
                    ot_buf_reset(&b);
                    ot_json_put_string(&b, in, len, (uint32_t)maxes[m]);
                    assert_false(ot_buf_failed(&b));
                    if (b.len != wlen || memcmp(b.data, want, wlen) != 0) {
                        print_error("len %zu, special %zu at %zu, max %zu\n"
                                    "got  %.*s\nwant %.*s\n", len, k, pos,
                                    maxes[m], (int)b.len, b.data,
                                    (int)wlen, want);
                        fail();
                    }
                }

                /* in a span, the value cut to max, the key not */
                for (m = 0; m < 2; m++) {
                    ot_attribute at[2];
                    ot_span_record s;
                    const ot_span_record *one[1] = { &s };
                    ot_json_options opt = { (uint32_t)maxes[m] };
                    size_t n;

                    at[0] = attr_str("k", in, len);
                    at[1] = attr_int("n", 1);
                    at[1].key.ptr = in;
                    at[1].key.len = (uint32_t)len;
                    span_init(&s);
                    s.attributes = at;
                    s.n_attributes = 2;
                    n = (size_t)snprintf(expect, sizeof(expect), "%s%s",
                                         NULL_RES_BEGIN SPAN_IDS
                                         ",\"attributes\":[{\"key\":\"k\","
                                         "\"value\":{\"stringValue\":", "");
                    n += ref_string(in, len, maxes[m], expect + n);
                    n += (size_t)snprintf(expect + n, sizeof(expect) - n,
                                          "}},{\"key\":");
                    n += ref_string(in, len, 0, expect + n);
                    n += (size_t)snprintf(expect + n, sizeof(expect) - n,
                                          ",\"value\":{\"intValue\":\"1\"}}]}"
                                          NULL_RES_END);
                    ot_buf_reset(&b);
                    assert_int_equal(ot_otlp_json_encode(&b, one, 1, &opt), 0);
                    memcpy(doc, b.data, b.len < sizeof(doc) ? b.len : 0);
                    assert_int_equal(b.len, n);
                    assert_memory_equal(doc, expect, n);
                }
                free(in);
            }
        }
    }
    ot_buf_free(&b);
}

/* Numbers at every number of digits, as snprintf writes them; timestamps
 * of consecutive spans sharing their leading digits or not. */
static void test_number_digits(void **state)
{
    enum { N = 24 };
    ot_attribute at[N * 4];
    ot_span_record s[N];
    const ot_span_record *spans[N];
    int64_t v[N * 4];
    char *want = malloc(65536);
    size_t nv = 0, i, n;
    uint64_t p;

    (void)state;
    assert_non_null(want);
    for (p = 1; nv + 4 <= N * 4; p *= 10) {
        v[nv++] = (int64_t)p;
        v[nv++] = (int64_t)(p - 1);
        v[nv++] = (int64_t)(p + 1);
        v[nv++] = -(int64_t)p;
        if (p > UINT64_MAX / 10) {
            break;
        }
    }
    v[0] = INT64_MAX;
    v[3] = INT64_MIN;
    for (i = 0; i < nv; i++) {
        at[i] = attr_int("n", v[i]);
    }
    n = (size_t)snprintf(want, 65536, "%s", NULL_RES_BEGIN);
    for (i = 0; i < N; i++) {
        size_t a = i * nv / N, z = (i + 1) * nv / N, k;
        /* times: alike for a while, then not, then alike again */
        int64_t t = i < 8 ? INT64_C(1700000000123456789) + (int64_t)i
                    : i < 16 ? (int64_t)(UINT64_C(1) << (i * 4 - 1))
                    : INT64_C(1700000000000000000) + (int64_t)i * 99999999;

        span_init(&s[i]);
        s[i].start_ns = t;
        s[i].end_ns = t + (int64_t)i * 100000000;
        s[i].attributes = at + a;
        s[i].n_attributes = (uint32_t)(z - a);
        spans[i] = &s[i];
        n += (size_t)snprintf(want + n, 65536 - n,
                              "%s" SPAN_IDS ",\"startTimeUnixNano\":\"%"
                              PRIu64 "\",\"endTimeUnixNano\":\"%" PRIu64 "\"",
                              i ? "," : "", (uint64_t)s[i].start_ns,
                              (uint64_t)s[i].end_ns);
        if (z > a) {
            n += (size_t)snprintf(want + n, 65536 - n, ",\"attributes\":[");
            for (k = a; k < z; k++) {
                n += (size_t)snprintf(want + n, 65536 - n,
                                      "%s{\"key\":\"n\",\"value\":{\"intValue\""
                                      ":\"%" PRId64 "\"}}", k > a ? "," : "",
                                      v[k]);
            }
            n += (size_t)snprintf(want + n, 65536 - n, "]");
        }
        n += (size_t)snprintf(want + n, 65536 - n, "}");
    }
    snprintf(want + n, 65536 - n, "%s", NULL_RES_END);
    check_encode(spans, N, 0, want);
    free(want);
}

/* A batch with everything: long keys and values, escapes, more attributes
 * than the encoder remembers keys for, events and links. */
typedef struct big_batch {
    char keys[40][80];
    char vals[40][400];
    ot_str items[40][4];
    ot_attribute at[40];
    ot_attribute ea[3];
    ot_event ev[2];
    ot_link ln[1];
    ot_resource res;
    ot_span_record s[6];
    const ot_span_record *spans[7];
} big_batch;

static void big_batch_init(big_batch *g)
{
    size_t i, k;

    memset(g, 0, sizeof(*g));
    for (i = 0; i < 40; i++) {
        size_t klen = i % 7 == 3 ? 60 : i % 11 == 5 ? 75 : 3 + i % 20;
        size_t vlen = i % 5 == 1 ? 300 + i : i % 3 ? i : 70;

        for (k = 0; k < klen; k++) {
            g->keys[i][k] = (char)('a' + (i + k) % 26);
        }
        for (k = 0; k < vlen; k++) {
            g->vals[i][k] = (char)(' ' + (i * 7 + k) % 95);
        }
        if (i % 4 == 0) {
            g->keys[i][klen / 2] = '"';
            memcpy(g->vals[i] + vlen / 3, "\n\xff\xc3\xa9\x01", 5);
        }
        /* the most output for the input, all escaped or all repaired,
         * some last in their lists (spans, the resource, the link) */
        if (i == 7 || i == 14 || i == 16 || i == 33 || i == 35 || i == 37
            || i == 39) {
            vlen = i == 7 ? 64 : i == 16 ? 65 : i == 33 ? 126 : 200 + i;
            memset(g->vals[i], i == 33 ? 0xff : 0x01, vlen);
        }
        if (i == 13 || i == 27) {
            klen = i == 13 ? 48 : 49;
            memset(g->keys[i], 0x1f, klen);
        }
        g->at[i] = attr_str("", g->vals[i], vlen);
        g->at[i].key.ptr = g->keys[i];
        g->at[i].key.len = (uint32_t)klen;
        if (i % 6 == 2) {
            g->at[i].type = OT_VALUE_INT;
            g->at[i].v.i = (int64_t)i * -123456789;
        }
        /* string arrays: the value, its halves, a NULL item (33: 0xff,
         * repaired; 35: 0x01, escaped; 27: a long key) */
        if (i % 6 == 5 || i == 27 || i == 33) {
            g->items[i][0] = g->at[i].v.s;
            g->items[i][1].ptr = g->vals[i];
            g->items[i][1].len = (uint32_t)(vlen / 2);
            g->items[i][2].ptr = g->vals[i] + vlen / 2;
            g->items[i][2].len = (uint32_t)(vlen - vlen / 2);
            g->at[i].type = OT_VALUE_STRING_ARRAY;
            g->at[i].v.sa.items = g->items[i];
            g->at[i].v.sa.n = 4 - (uint32_t)(i % 3);
        }
    }
    g->ea[0] = attr_str("exception.message", g->vals[1], 301);
    g->ea[1] = attr_dbl("d", 0.5);
    g->ea[2] = attr_bool("b", 1);
    g->ev[0].name = g->at[2].key;
    g->ev[0].time_ns = INT64_C(1700000000123456789);
    g->ev[0].attributes = g->ea;
    g->ev[0].n_attributes = 3;
    g->ev[1].time_ns = 5;
    memcpy(g->ln[0].trace_id, trace_id, 16);
    memcpy(g->ln[0].span_id, span_id, 8);
    g->ln[0].flags = 1;
    g->ln[0].trace_state = g->at[0].key;
    g->ln[0].attributes = g->at + 30;
    g->ln[0].n_attributes = 10;
    g->res.attributes = g->at + 10;
    g->res.n_attributes = 5;
    g->res.scope_name.ptr = g->vals[3];
    g->res.scope_name.len = 3;
    for (i = 0; i < 4; i++) {
        ot_span_record *s = &g->s[i];

        span_init(s);
        s->span_id[0] = (uint8_t)i;
        s->name.ptr = g->vals[i + 4];
        s->name.len = (uint32_t)(i * 30);
        s->kind = (uint8_t)i;
        s->start_ns = INT64_C(1700000000000000000) + (int64_t)i;
        s->end_ns = s->start_ns + 1000;
        s->attributes = g->at + i;
        s->n_attributes = 40 - (uint32_t)i * 3;
        s->resource = i == 2 ? NULL : &g->res;
    }
    g->s[0].events = g->ev;
    g->s[0].n_events = 2;
    g->s[0].links = g->ln;
    g->s[0].n_links = 1;
    g->s[1].status_code = 2;
    g->s[1].status_message.ptr = g->vals[0];
    g->s[1].status_message.len = 70;
    g->s[1].trace_state.ptr = g->vals[6];
    g->s[1].trace_state.len = 33;
    memcpy(g->s[1].parent_span_id, parent_id, 8);
    g->s[3].dropped_attributes = 3;
    g->s[3].dropped_events = 4;
    g->s[3].dropped_links = 100000;
    /* one long attribute: its room checked against little else */
    for (i = 4; i < 6; i++) {
        span_init(&g->s[i]);
        g->s[i].attributes = g->at + (i == 4 ? 39 : 33);
        g->s[i].n_attributes = 1;
        g->s[i].resource = &g->res;
    }
    g->ev[1].attributes = g->at + 37;
    g->ev[1].n_attributes = 1;
    g->spans[0] = &g->s[0];
    g->spans[1] = &g->s[1];
    g->spans[2] = NULL;
    g->spans[3] = &g->s[2];
    g->spans[4] = &g->s[3];
    g->spans[5] = &g->s[4];
    g->spans[6] = &g->s[5];
}

/* A span whose one attribute is a long string array, every byte escaped (\\u0001): its
 * room is its own, not the slack of others.  The same bytes whatever room
 * the buffer has to begin with (every allocation size: 256, doubled). */
static void test_array_room(void **state)
{
    static char val[300];
    ot_str items[40];
    ot_attribute a;
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf ref, b;
    size_t cap, i;

    (void)state;
    memset(val, 0x01, sizeof(val));
    for (i = 0; i < 40; i++) {
        items[i].ptr = val;
        items[i].len = sizeof(val);
    }
    a = attr_of("h", OT_VALUE_STRING_ARRAY);
    a.v.sa.items = items;
    a.v.sa.n = 40;
    span_init(&s);
    s.attributes = &a;
    s.n_attributes = 1;
    ot_buf_init(&ref, 0, 0);
    assert_int_equal(ot_otlp_json_encode(&ref, spans, 1, NULL), 0);
    assert_true(ref.len > 40 * sizeof(val) * 6);
    for (cap = 256; cap < 2 * ref.len; cap *= 2) {
        ot_buf_init(&b, cap, 0);
        assert_int_equal(ot_otlp_json_encode(&b, spans, 1, NULL), 0);
        assert_int_equal(b.len, ref.len);
        assert_memory_equal(b.data, ref.data, ref.len);
        ot_buf_free(&b);
    }
    ot_buf_free(&ref);
}

/* The same bytes whatever room the buffer has to begin with: a span is
 * written where there is room, or again once room is made. */
static void test_any_room(void **state)
{
    big_batch *g = malloc(sizeof(*g));
    ot_json_options opt = { 0 };
    ot_buf ref, b;
    json_error_t err;
    json_t *root;
    size_t cap;
    int round;

    (void)state;
    assert_non_null(g);
    big_batch_init(g);
    for (round = 0; round < 2; round++) {
        opt.max_value_len = round & 1 ? 100 : 0;
        ot_buf_init(&ref, 0, 0);
        assert_int_equal(ot_otlp_json_encode(&ref, g->spans, 7, &opt), 0);
        /* valid JSON (and UTF-8): what every room must give */
        root = json_loadb(ref.data, ref.len, JSON_ALLOW_NUL, &err);
        assert_non_null(root);
        json_decref(root);
        for (cap = 0; cap <= ref.len + 64; cap += cap < 1024 ? 1 : 97) {
            ot_buf_init(&b, cap, 0);
            assert_int_equal(ot_otlp_json_encode(&b, g->spans, 7, &opt), 0);
            assert_int_equal(b.len, ref.len);
            assert_memory_equal(b.data, ref.data, ref.len);
            ot_buf_free(&b);
            /* cap bytes and no more (the limit, 0 being none): it fits
             * or it fails */
            ot_buf_init(&b, cap, cap ? cap : 1);
            if (cap >= ref.len) {
                assert_int_equal(ot_otlp_json_encode(&b, g->spans, 7, &opt),
                                 0);
                assert_int_equal(b.len, ref.len);
                assert_memory_equal(b.data, ref.data, ref.len);
            }
            else {
                assert_int_equal(ot_otlp_json_encode(&b, g->spans, 7, &opt),
                                 -1);
                assert_true(ot_buf_failed(&b));
            }
            ot_buf_free(&b);
        }
        ot_buf_free(&ref);
    }
    free(g);
}

/* Spans with the same keys, or keys at the same address with another
 * length, or other keys, in one batch: each span as if it were alone. */
static void test_keys_remembered(void **state)
{
    static const char text[] = "http.request.method.and.more.to.come.here"
                               ".so.keys.of.any.length.fit.in.this";
    enum { NS = 6, NA = 40 };
    ot_attribute at[NS][NA];
    ot_span_record s[NS];
    ot_event ev[NS];
    const ot_span_record *spans[NS];
    ot_json_options opt = { 0 };
    char *want = malloc(1 << 16);
    size_t i, k, n, pre = strlen(NULL_RES_BEGIN), post = strlen(NULL_RES_END);
    ot_buf b;
    int round;

    (void)state;
    assert_non_null(want);
    for (i = 0; i < NS; i++) {
        for (k = 0; k < NA; k++) {
            /* spans 0, 1: the same keys; 2: other lengths at the same
             * addresses; 3: other addresses; 4: fewer; 5: as 0 again */
            size_t klen = 1 + (k * 7) % 60 + (i == 2 ? 1 : 0);
            const char *kp = text + (i == 3 ? k % 5 + 1 : k % 5);

            at[i][k] = attr_str("", "v", 1);
            at[i][k].key.ptr = kp;
            at[i][k].key.len = (uint32_t)klen;
        }
        span_init(&s[i]);
        s[i].attributes = at[i];
        s[i].n_attributes = i == 4 ? 3 : NA;
        /* kinds take turns (each kind has its memos), one beyond the
         * known kinds; events with the keys of span 0 or their own */
        s[i].kind = i == 4 ? 9 : i % 2 ? OT_SPAN_KIND_INTERNAL
                                       : OT_SPAN_KIND_SERVER;
        memset(&ev[i], 0, sizeof(ev[i]));
        ev[i].name.ptr = "e";
        ev[i].name.len = 1;
        ev[i].attributes = i % 2 ? at[0] : at[i];
        ev[i].n_attributes = 4 + (uint32_t)i;
        s[i].events = &ev[i];
        s[i].n_events = 1;
        spans[i] = &s[i];
    }
    /* the expected batch: each span encoded alone */
    n = (size_t)snprintf(want, 1 << 16, "%s", NULL_RES_BEGIN);
    ot_buf_init(&b, 0, 0);
    for (i = 0; i < NS; i++) {
        ot_buf_reset(&b);
        assert_int_equal(ot_otlp_json_encode(&b, &spans[i], 1, NULL), 0);
        if (i) {
            want[n++] = ',';
        }
        memcpy(want + n, b.data + pre, b.len - pre - post);
        n += b.len - pre - post;
    }
    snprintf(want + n, (1 << 16) - n, "%s", NULL_RES_END);
    for (round = 0; round < 2; round++) {
        ot_buf_reset(&b);
        assert_int_equal(ot_otlp_json_encode(&b, spans, NS, &opt), 0);
        ot_buf_putc(&b, '\0');
        assert_string_equal(b.data, want);
    }
    ot_buf_free(&b);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_not_kept_across_calls),
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_root_span),
        cmocka_unit_test(test_child_spans),
        cmocka_unit_test(test_minimal_span),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_string_arrays),
        cmocka_unit_test(test_double_special),
        cmocka_unit_test(test_int64_min),
        cmocka_unit_test(test_events_links),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_escaping_in_span),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_truncation_in_span),
        cmocka_unit_test(test_string_growth),
        cmocka_unit_test(test_append_and_fail),
        cmocka_unit_test(test_jansson_roundtrip),
        cmocka_unit_test(test_string_blocks),
        cmocka_unit_test(test_number_digits),
        cmocka_unit_test(test_array_room),
        cmocka_unit_test(test_any_room),
        cmocka_unit_test(test_keys_remembered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
