/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_traces: span summaries, traces gathered at their server span, the
 * recent, slowest and errored lists, and the exporter feeding them. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ot_traces.h"
#include "pool_fixture.h"

static ot_span_record span(uint8_t trace, uint8_t id, uint8_t parent,
                           uint8_t kind, const char *name, int64_t start_ms,
                           int64_t dur_ms)
{
    ot_span_record r;

    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.trace_id[15] = trace;
    r.span_id[7] = id;
    r.parent_span_id[7] = parent;
    r.kind = kind;
    r.name.ptr = name;
    r.name.len = (uint32_t)strlen(name);
    r.start_ns = start_ms * 1000000;
    r.end_ns = (start_ms + dur_ms) * 1000000;
    return r;
}

static ot_traces *store_make(void)
{
    void *mem = malloc(ot_traces_size());

    assert_non_null(mem);
    memset(mem, 0x5a, ot_traces_size());
    return ot_traces_init(mem);
}

static void test_summary(void **state)
{
    ot_span_record r = span(1, 2, 3, OT_SPAN_KIND_CLIENT, "GET", 10, 5);
    ot_attribute attrs[2], res_attrs[1];
    ot_resource res;
    ot_span_summary s;
    char name[200];

    memset(name, 'n', sizeof(name));
    /* a 2-byte character across the cut */
    name[OT_SPAN_NAME_LEN - 2] = (char)0xc3;
    name[OT_SPAN_NAME_LEN - 1] = (char)0xa9;
    r.name.ptr = name;
    r.name.len = sizeof(name);
    memset(attrs, 0, sizeof(attrs));
    attrs[0].key.ptr = "http.response.status_code";
    attrs[0].key.len = (uint32_t)strlen(attrs[0].key.ptr);
    attrs[0].type = OT_VALUE_INT;
    attrs[0].v.i = 503;
    attrs[1].key.ptr = "http.response.status";   /* a prefix only */
    attrs[1].key.len = (uint32_t)strlen(attrs[1].key.ptr);
    attrs[1].type = OT_VALUE_INT;
    attrs[1].v.i = 200;
    r.attributes = attrs;
    r.n_attributes = 2;
    memset(res_attrs, 0, sizeof(res_attrs));
    res_attrs[0].key.ptr = "service.name";
    res_attrs[0].key.len = (uint32_t)strlen("service.name");
    res_attrs[0].type = OT_VALUE_STRING;
    res_attrs[0].v.s.ptr = "shop";
    res_attrs[0].v.s.len = 4;
    memset(&res, 0, sizeof(res));
    res.attributes = res_attrs;
    res.n_attributes = 1;
    r.resource = &res;
    r.status_code = OT_STATUS_ERROR;
    r.status_message.ptr = "upstream timed out";
    r.status_message.len = (uint32_t)strlen(r.status_message.ptr);

    ot_span_summarize(&r, &s);
    assert_int_equal(s.kind, OT_SPAN_KIND_CLIENT);
    assert_int_equal(s.span_id[7], 2);
    assert_int_equal(s.parent_span_id[7], 3);
    assert_int_equal(s.trace_id[15], 1);
    assert_int_equal(s.start_ns, 10000000);
    assert_int_equal(s.duration_ns, 5000000);
    assert_int_equal(s.http_status, 503);
    assert_string_equal(s.service, "shop");
    assert_string_equal(s.status_message, "upstream timed out");
    /* cut before the character that did not fit whole */
    assert_int_equal(strlen(s.name), OT_SPAN_NAME_LEN - 2);

    /* an end before the start is no negative duration */
    r.end_ns = r.start_ns - 1;
    ot_span_summarize(&r, &s);
    assert_int_equal(s.duration_ns, 0);
}

static void test_trace_gathered_at_server_span(void **state)
{
    ot_traces *store = store_make();
    ot_traces_builder *b = ot_traces_builder_create(*state, store, 42);
    ot_span_record client = span(7, 2, 1, OT_SPAN_KIND_CLIENT, "GET backend",
                                 101, 20);
    ot_span_record other = span(8, 9, 0, OT_SPAN_KIND_INTERNAL, "other", 0,
                                1);
    ot_span_record child = span(7, 3, 2, OT_SPAN_KIND_INTERNAL, "db query",
                                105, 10);
    ot_span_record server = span(7, 1, 0, OT_SPAN_KIND_SERVER, "GET /shop",
                                 100, 30);
    ot_trace_summary out[OT_TRACES_RECENT];

    ot_traces_add(b, &client, 1000);
    ot_traces_add(b, &other, 1000);
    ot_traces_add(b, &child, 1000);
    /* nothing published before the server span */
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 1000, out,
                                    OT_TRACES_RECENT), 0);
    ot_traces_add(b, &server, 1000);
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 1000, out,
                                    OT_TRACES_RECENT), 1);
    assert_int_equal(out[0].pid, 42);
    assert_int_equal(out[0].n_spans, 3);
    assert_int_equal(out[0].error, 0);
    assert_string_equal(out[0].spans[0].name, "GET /shop");
    assert_string_equal(out[0].spans[1].name, "GET backend");
    assert_string_equal(out[0].spans[2].name, "db query");
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_ERRORS, 1000, out,
                                    OT_TRACES_ERRORS), 0);

    /* the spans a trace took are not taken again */
    server.span_id[7] = 4;
    ot_traces_add(b, &server, 1000);
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 1000, out,
                                    OT_TRACES_RECENT), 2);
    assert_int_equal(out[0].spans[0].span_id[7], 4);
    assert_int_equal(out[0].n_spans, 1);
    free(store);
}

static void test_too_many_spans(void **state)
{
    ot_traces *store = store_make();
    ot_traces_builder *b = ot_traces_builder_create(*state, store, 1);
    ot_span_record r;
    ot_trace_summary out[1];
    int i;

    for (i = 0; i < OT_TRACE_MAX_SPANS + 4; i++) {
        r = span(3, (uint8_t)(10 + i), 1, OT_SPAN_KIND_CLIENT, "call", 0, 1);
        ot_traces_add(b, &r, 0);
    }
    r = span(3, 1, 0, OT_SPAN_KIND_SERVER, "GET /", 0, 5);
    ot_traces_add(b, &r, 0);
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 0, out, 1),
                     1);
    assert_int_equal(out[0].n_spans, OT_TRACE_MAX_SPANS);
    assert_int_equal(out[0].more_spans, 5);
    /* the first ones to end are kept */
    assert_int_equal(out[0].spans[1].span_id[7], 10);
    free(store);
}

static void test_recent_ring_and_errors(void **state)
{
    ot_traces *store = store_make();
    ot_traces_builder *b = ot_traces_builder_create(*state, store, 1);
    ot_trace_summary out[OT_TRACES_RECENT];
    ot_span_record r;
    size_t n;
    int i;

    for (i = 1; i <= 40; i++) {
        ot_span_record c = span((uint8_t)i, 2, 1, OT_SPAN_KIND_CLIENT,
                                "backend", i, 1);

        /* every fifth trace's backend call fails */
        c.status_code = i % 5 == 0 ? OT_STATUS_ERROR : OT_STATUS_UNSET;
        ot_traces_add(b, &c, 0);
        r = span((uint8_t)i, 1, 0, OT_SPAN_KIND_SERVER, "GET /", i, 2);
        ot_traces_add(b, &r, 0);
    }
    n = ot_traces_read(store, OT_TRACES_LIST_RECENT, 0, out,
                       OT_TRACES_RECENT);
    assert_int_equal(n, OT_TRACES_RECENT);
    for (i = 0; i < (int)n; i++) {
        /* newest first: traces 40, 39, ... */
        assert_int_equal(out[i].spans[0].trace_id[15], 40 - i);
    }
    n = ot_traces_read(store, OT_TRACES_LIST_ERRORS, 0, out,
                       OT_TRACES_ERRORS);
    assert_int_equal(n, OT_TRACES_ERRORS);
    for (i = 0; i < (int)n; i++) {
        assert_int_equal(out[i].error, 1);
        assert_int_equal(out[i].spans[0].trace_id[15], 40 - 5 * i);
    }
    /* a smaller max */
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 0, out, 3),
                     3);
    free(store);
}

static void test_slowest_in_window(void **state)
{
    ot_traces *store = store_make();
    ot_traces_builder *b = ot_traces_builder_create(*state, store, 1);
    ot_trace_summary out[OT_TRACES_SLOWEST];
    /* durations in ms, at t = 1000 s */
    static const int ms[] = { 5, 50, 1, 7, 300, 2, 90, 4, 60, 3, 8, 200 };
    static const int slowest[] = { 300, 200, 90, 60, 50, 8, 7, 5 };
    ot_span_record r;
    size_t n, i;

    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        r = span((uint8_t)(i + 1), 1, 0, OT_SPAN_KIND_SERVER, "GET /", 0,
                 ms[i]);
        ot_traces_add(b, &r, 1000);
    }
    n = ot_traces_read(store, OT_TRACES_LIST_SLOWEST, 1000, out,
                       OT_TRACES_SLOWEST);
    assert_int_equal(n, OT_TRACES_SLOWEST);
    for (i = 0; i < n; i++) {
        assert_int_equal(out[i].spans[0].duration_ns,
                         (int64_t)slowest[i] * 1000000);
    }
    /* past the window the old ones leave the list, and make room for
     * faster ones */
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_SLOWEST,
                                    1001 + OT_TRACES_WINDOW_S, out,
                                    OT_TRACES_SLOWEST), 0);
    r = span(99, 1, 0, OT_SPAN_KIND_SERVER, "GET /fast", 0, 1);
    ot_traces_add(b, &r, 1001 + OT_TRACES_WINDOW_S);
    n = ot_traces_read(store, OT_TRACES_LIST_SLOWEST,
                       1001 + OT_TRACES_WINDOW_S, out, OT_TRACES_SLOWEST);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].spans[0].name, "GET /fast");
    free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
        POOL_TEST(test_trace_gathered_at_server_span),
        POOL_TEST(test_too_many_spans),
        POOL_TEST(test_recent_ring_and_errors),
        POOL_TEST(test_slowest_in_window),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
