/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The table of propagation formats, over an apr_table_t carrier as the
 * module uses it (headers_in). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <apr_general.h>
#include <apr_tables.h>

#include "ot_propagation.h"
#include "pool_fixture.h"

static const char *get(void *c, const char *name)
{
    return apr_table_get(c, name);
}

static void set(void *c, const char *name, const char *value)
{
    if (value) {
        apr_table_setn(c, name, value);
    }
    else {
        apr_table_unset(c, name);
    }
}

static void test_lookup(void **state)
{
    assert_non_null(ot_propagator_find("w3c"));
    assert_non_null(ot_propagator_find("W3C"));
    assert_null(ot_propagator_find("b4"));
    assert_string_equal(ot_propagator_names()[0], "w3c");
}

static void test_w3c_extract(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *w3c = ot_propagator_find("w3c");
    apr_table_t *h = apr_table_make(pool, 4);
    ot_span_context ctx;
    static const uint8_t tid[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3,
        0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
    static const uint8_t sid[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9,
        0x02, 0xb7 };

    assert_int_equal(w3c->extract(pool, get, h, &ctx), -1);
    apr_table_setn(h, "traceparent",
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /* httpd merges repeated headers with ", " */
    apr_table_setn(h, "tracestate", "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE");
    assert_int_equal(w3c->extract(pool, get, h, &ctx), 0);
    assert_memory_equal(ctx.trace_id, tid, 16);
    assert_memory_equal(ctx.span_id, sid, 8);
    assert_int_equal(ctx.flags, 1);
    assert_string_equal(ctx.trace_state,
                        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");

    /* an invalid tracestate is dropped, the traceparent still counts */
    apr_table_setn(h, "tracestate", "Bad Key=1");
    assert_int_equal(w3c->extract(pool, get, h, &ctx), 0);
    assert_null(ctx.trace_state);

    /* flags other than sampled are not carried on (level 1) */
    apr_table_setn(h, "traceparent",
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
    assert_int_equal(w3c->extract(pool, get, h, &ctx), 0);
    assert_int_equal(ctx.flags, 1);

    /* an invalid traceparent: nothing, whatever the tracestate */
    apr_table_setn(h, "tracestate", "rojo=1");
    apr_table_setn(h, "traceparent",
                   "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
    assert_int_equal(w3c->extract(pool, get, h, &ctx), -1);
}

static void test_w3c_inject(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *w3c = ot_propagator_find("w3c");
    apr_table_t *h = apr_table_make(pool, 4);
    ot_span_context ctx;

    memset(&ctx, 0, sizeof(ctx));
    memset(ctx.trace_id, 0x11, 16);
    memset(ctx.span_id, 0x22, 8);
    ctx.flags = 1;
    ctx.trace_state = "a=b";
    apr_table_setn(h, "traceparent", "old");
    w3c->inject(pool, &ctx, set, h);
    assert_string_equal(apr_table_get(h, "traceparent"),
                        "00-11111111111111111111111111111111-2222222222222222-01");
    assert_string_equal(apr_table_get(h, "tracestate"), "a=b");
    /* no tracestate of ours: a stale incoming one is removed */
    ctx.trace_state = NULL;
    ctx.flags = 0;
    w3c->inject(pool, &ctx, set, h);
    assert_null(apr_table_get(h, "tracestate"));
    assert_string_equal(apr_table_get(h, "traceparent"),
                        "00-11111111111111111111111111111111-2222222222222222-00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        POOL_TEST(test_w3c_extract),
        POOL_TEST(test_w3c_inject),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
