/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests for tracer/core/ot_api.c: what other modules record through
 * mod_opentracing.h, copied and bounded; child spans, their limit, and
 * the end of the request. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ot_api.h"
#include "ot_intern.h"
#include "ot_queue.h"       /* OT_QUEUE_COPY_KEY */
#include "pool_fixture.h"

static ot_span_context server_ctx = {
    { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
      0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c },
    { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31 },
    0x01, 0, "k=v", "b=1", NULL
};

static ot_span *server_span(apr_pool_t *p)
{
    return ot_span_start(p, &server_ctx, 1, 0, OT_SPAN_KIND_SERVER, 1000);
}

/* The attribute of rec with key (the queue's mark ignored), or NULL. */
static const ot_attribute *attr(const ot_span_record *rec, const char *key)
{
    uint32_t i;

    for (i = 0; i < rec->n_attributes; i++) {
        const ot_attribute *a = &rec->attributes[i];
        if ((a->key.len & ~OT_QUEUE_COPY_KEY) == strlen(key)
            && memcmp(a->key.ptr, key, strlen(key)) == 0) {
            return a;
        }
    }
    return NULL;
}

static void assert_str_attr(const ot_span_record *rec, const char *key,
                            const char *want)
{
    const ot_attribute *a = attr(rec, key);

    assert_non_null(a);
    assert_int_equal(a->type, OT_VALUE_STRING);
    assert_int_equal(a->v.s.len, strlen(want));
    assert_memory_equal(a->v.s.ptr, want, strlen(want));
}

static char *filled(apr_pool_t *p, char c, size_t n)
{
    char *s = apr_palloc(p, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The caller's strings are copied: its buffers may change or die. */
static void test_copies(void **state)
{
    apr_pool_t *p = *state, *caller;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    char *k, *v;

    apr_pool_create(&caller, p);
    k = apr_pstrdup(caller, "app.key");
    v = apr_pstrdup(caller, "value");
    ot_api_set_str(q, s, 1, k, v);
    ot_api_set_int(q, s, 1, apr_pstrdup(caller, "app.n"), -5);
    memset(k, 'X', 7);
    memset(v, 'X', 5);
    apr_pool_destroy(caller);
    assert_str_attr(rec, "app.key", "value");
    assert_int_equal(attr(rec, "app.n")->v.i, -5);
    /* keys are the process's lasting copies, not marked for the queue */
    assert_ptr_equal(attr(rec, "app.key")->key.ptr, ot_intern("app.key", 7));
    assert_ptr_equal(attr(rec, "app.n")->key.ptr, ot_intern("app.n", 5));
    assert_false(attr(rec, "app.key")->key.len & OT_QUEUE_COPY_KEY);
    assert_false(attr(rec, "app.n")->key.len & OT_QUEUE_COPY_KEY);
    /* a later value replaces */
    ot_api_set_str(q, s, 1, "app.key", "second");
    ot_api_set_int(q, s, 1, "app.n", 6);
    assert_str_attr(rec, "app.key", "second");
    assert_int_equal(attr(rec, "app.n")->v.i, 6);
    assert_int_equal(rec->n_attributes, 2);
    assert_ptr_equal(ot_api_data(q), NULL);
}

/* The short copies share the request state's room, then the pool: each
 * whole and apart from the others, an event's attributes aligned, none
 * tied to the caller's buffers. */
static void test_copies_past_the_room(void **state)
{
    apr_pool_t *p = *state, *caller;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    char key[24], *want;
    apr_table_t *t;
    uint32_t k = 0;
    int i;

    apr_pool_create(&caller, p);
    /* 40 values of 1 to 40 bytes (820 and their NULs), an event after
     * each seventh: well past the room */
    for (i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "app.k%d", i);
        ot_api_set_str(q, s, 1, apr_pstrdup(caller, key),
                       filled(caller, (char)('a' + i % 26), (size_t)i + 1));
        if (i % 7 == 3) {
            t = apr_table_make(caller, 1);
            apr_table_set(t, "app.at", filled(caller, 'e', (size_t)i));
            ot_api_add_event(q, s, filled(caller, 'n', 3), t, 1000 + i);
        }
    }
    apr_pool_destroy(caller);
    assert_int_equal(rec->n_attributes, 40);
    for (i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "app.k%d", i);
        want = filled(p, (char)('a' + i % 26), (size_t)i + 1);
        assert_str_attr(rec, key, want);
    }
    assert_int_equal(rec->n_events, 6);
    for (i = 3; i < 40; i += 7, k++) {
        const ot_event *e = &rec->events[k];

        assert_int_equal(e->time_ns, 1000 + i);
        assert_int_equal(e->name.len, 3);
        assert_memory_equal(e->name.ptr, "nnn", 4);
        assert_int_equal(e->n_attributes, 1);
        assert_int_equal((uintptr_t)e->attributes % 8, 0);
        assert_int_equal(e->attributes[0].v.s.len, i);
        assert_memory_equal(e->attributes[0].v.s.ptr,
                            filled(p, 'e', (size_t)i), (size_t)i + 1);
    }
}

static void test_key_rules(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = server_span(p);
    ot_span *child_rec;
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    ot_api_span *c;

    ot_api_set_str(q, s, 1, filled(p, 'k', OT_API_MAX_KEY), "ok");
    ot_api_set_str(q, s, 1, filled(p, 'k', OT_API_MAX_KEY + 1), "long");
    ot_api_set_str(q, s, 1, "", "empty");
    ot_api_set_str(q, s, 1, "http.route", "reserved");
    ot_api_set_int(q, s, 1, "error.type", 1);
    ot_api_set_str(q, s, 1, "app.null", NULL);      /* no-op, not counted */
    ot_api_set_str(q, s, 1, NULL, "x");
    assert_int_equal(rec->n_attributes, 1);
    assert_int_equal(rec->dropped_attributes, 4);
    /* a child span is the caller's own: no reserved keys */
    c = ot_api_span_start(q, "child", OT_SPAN_KIND_CLIENT, 2000);
    child_rec = ot_api_span_open(c);
    ot_api_set_str(q, child_rec, 0, "http.request.method", "GET");
    assert_str_attr(ot_span_record_get(child_rec), "http.request.method",
                    "GET");
}

static void test_value_cut(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 10, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    apr_table_t *t = apr_table_make(p, 1);
    const ot_attribute *a;

    /* 9 bytes, then a 2-byte character that would straddle the cut */
    ot_api_set_str(q, s, 1, "a", "123456789\xc3\xa9xyz");
    assert_str_attr(rec, "a", "123456789");
    ot_api_set_str(q, s, 1, "b", "12345678\xc3\xa9xyz");
    assert_str_attr(rec, "b", "12345678\xc3\xa9");
    ot_api_set_str(q, s, 1, "c", "short");
    assert_str_attr(rec, "c", "short");

    /* an event's values are cut the same way, their keys are not */
    apr_table_setn(t, "event.key.longer.than.ten", "123456789\xc3\xa9xyz");
    ot_api_add_event(q, s, "cut", t, 1000);
    assert_int_equal(rec->n_events, 1);
    a = &rec->events[0].attributes[0];
    assert_int_equal(a->key.len & ~OT_QUEUE_COPY_KEY, 25);
    assert_memory_equal(a->key.ptr, "event.key.longer.than.ten", 25);
    assert_int_equal(a->v.s.len, 9);
    assert_memory_equal(a->v.s.ptr, "123456789", 9);
}

static void test_events(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    apr_table_t *t = apr_table_make(p, 20);
    const ot_event *e;
    int i;

    for (i = 0; i < 20; i++) {
        apr_table_setn(t, apr_psprintf(p, "e%02d", i), "v");
    }
    apr_table_setn(t, filled(p, 'k', OT_API_MAX_KEY + 1), "skipped");
    ot_api_add_event(q, s, filled(p, 'n', OT_API_MAX_NAME + 10), t, 5000);
    ot_api_add_event(q, s, "bare", NULL, 6000);
    ot_api_add_event(q, s, NULL, t, 7000);
    assert_int_equal(rec->n_events, 2);
    e = &rec->events[0];
    assert_int_equal(e->name.len, OT_API_MAX_NAME);
    assert_int_equal(e->time_ns, 5000);
    assert_int_equal(e->n_attributes, OT_API_MAX_EVENT_ATTRS);
    assert_int_equal(e->attributes[0].key.len, 3);
    assert_ptr_equal(e->attributes[0].key.ptr, ot_intern("e00", 3));
    assert_int_equal(rec->events[1].n_attributes, 0);
}

/* An event's attributes are the first OT_API_MAX_EVENT_ATTRS entries
 * whose key is accepted, in the table's order, refused ones skipped
 * wherever they are; values and name are copies, whole (one allocation
 * holds them: each must still be itself). */
static void test_event_entries(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    apr_table_t *t = apr_table_make(p, 24);
    const ot_event *e;
    char name[] = "event name";
    char key[16], val[16];
    int i;

    apr_table_setn(t, "", "empty key");
    for (i = 0; i < OT_API_MAX_EVENT_ATTRS + 2; i++) {
        if (i == 5) {
            apr_table_setn(t, filled(p, 'k', OT_API_MAX_KEY + 1), "long");
        }
        apr_table_set(t, apr_psprintf(p, "e%02d", i),
                      apr_psprintf(p, "v%d", i * 100));
    }
    ot_api_add_event(q, s, name, t, 5000);
    memset(name, 'x', sizeof(name) - 1);
    e = &rec->events[0];
    assert_int_equal(e->name.len, 10);
    assert_memory_equal(e->name.ptr, "event name", 11);
    assert_int_equal(e->n_attributes, OT_API_MAX_EVENT_ATTRS);
    for (i = 0; i < OT_API_MAX_EVENT_ATTRS; i++) {
        snprintf(key, sizeof(key), "e%02d", i);
        snprintf(val, sizeof(val), "v%d", i * 100);
        assert_ptr_equal(e->attributes[i].key.ptr, ot_intern(key, 3));
        assert_int_equal(e->attributes[i].type, OT_VALUE_STRING);
        assert_int_equal(e->attributes[i].v.s.len, strlen(val));
        assert_memory_equal(e->attributes[i].v.s.ptr, val, strlen(val) + 1);
    }

    /* none accepted: no attributes */
    t = apr_table_make(p, 2);
    apr_table_setn(t, "", "v");
    ot_api_add_event(q, s, "none", t, 6000);
    assert_int_equal(rec->events[1].n_attributes, 0);
    assert_null(rec->events[1].attributes);
    assert_memory_equal(rec->events[1].name.ptr, "none", 5);
}

static void test_child_spans(void **state)
{
    apr_pool_t *p = *state;
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    ot_api_span *c = ot_api_span_start(q, "lookup", 42, 2000);
    const ot_span_record *rec;
    ot_span_context ctx;
    ot_span *ended;

    assert_non_null(c);
    assert_ptr_equal(ot_api_span_request(c), q);
    rec = ot_span_record_get(ot_api_span_open(c));
    assert_int_equal(rec->kind, OT_SPAN_KIND_INTERNAL);   /* 42: unknown */
    assert_memory_equal(rec->trace_id, server_ctx.trace_id, 16);
    assert_memory_equal(rec->parent_span_id, server_ctx.span_id, 8);
    assert_int_equal(rec->parent_is_remote, 0);
    assert_int_equal(rec->flags, server_ctx.flags);
    assert_int_equal(rec->start_ns, 2000);
    assert_int_equal(rec->name.len, 6);
    assert_memory_equal(rec->name.ptr, "lookup", 6);

    ot_api_span_context(c, &ctx);
    assert_memory_equal(ctx.trace_id, server_ctx.trace_id, 16);
    assert_memory_equal(ctx.span_id, rec->span_id, 8);
    assert_string_equal(ctx.baggage, "b=1");
    assert_null(ctx.traceparent);

    /* on the child, the module's namespaces are free; empty keys not */
    ot_api_span_set_str(c, "http.source", "cache");
    ot_api_span_set_int(c, "items", 3);
    ot_api_span_set_int(c, "", 4);
    ot_api_span_set_str(c, "items", "three");
    assert_int_equal(rec->n_attributes, 2);
    assert_int_equal(rec->dropped_attributes, 1);
    assert_memory_equal(attr(rec, "http.source")->v.s.ptr, "cache", 6);
    assert_int_equal(attr(rec, "items")->type, OT_VALUE_STRING);
    assert_memory_equal(attr(rec, "items")->v.s.ptr, "three", 6);

    ended = ot_api_span_end(c, "failed", 3000);
    assert_ptr_equal(ot_span_record_get(ended), rec);
    assert_int_equal(rec->end_ns, 3000);
    assert_int_equal(rec->status_code, OT_STATUS_ERROR);
    assert_int_equal(rec->status_message.len, 6);
    /* once only */
    assert_null(ot_api_span_end(c, NULL, 4000));
    assert_null(ot_api_span_open(c));
    assert_int_equal(rec->end_ns, 3000);
    /* nothing set once ended */
    ot_api_span_set_str(c, "late", "x");
    ot_api_span_set_int(c, "late_n", 1);
    assert_int_equal(rec->n_attributes, 2);
    assert_int_equal(rec->dropped_attributes, 1);
    /* its context stays valid after its end */
    ot_api_span_context(c, &ctx);
    assert_memory_equal(ctx.span_id, rec->span_id, 8);
    assert_null(ot_api_span_start(q, NULL, 1, 0));
}

typedef struct submitted {
    int n;
    ot_span *last;
} submitted;

static void count_submit(void *arg, ot_span *s)
{
    submitted *sub = arg;

    sub->n++;
    sub->last = s;
}

/* The clock of ot_api_finish(): a time that moves on at each call,
 * which are counted. */
static int clock_calls;

static int64_t test_clock(void)
{
    return 9000 + 1000 * (int64_t)clock_calls++;
}

static void test_limit_and_finish(void **state)
{
    apr_pool_t *p = *state;
    ot_span *server = server_span(p);
    const ot_span_record *srec = ot_span_record_get(server);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    ot_api_span *c[OT_API_MAX_SPANS];
    const ot_span_record *open;
    const ot_attribute *a;
    submitted sub = { 0, NULL };
    int i;

    for (i = 0; i < OT_API_MAX_SPANS; i++) {
        c[i] = ot_api_span_start(q, "s", OT_SPAN_KIND_INTERNAL, 2000);
        assert_non_null(c[i]);
    }
    assert_null(ot_api_span_start(q, "s", OT_SPAN_KIND_INTERNAL, 2000));
    assert_null(ot_api_span_start(q, "s", OT_SPAN_KIND_INTERNAL, 2000));
    for (i = 1; i < OT_API_MAX_SPANS; i++) {
        assert_non_null(ot_api_span_end(c[i], NULL, 3000));
    }
    ot_api_set_name(q, "op");
    ot_api_set_name(q, NULL);
    ot_api_set_error(q, NULL);
    ot_api_set_error(q, filled(p, 'm', OT_API_MAX_MESSAGE + 1));
    /* the module's defaults, set at log time before the API's are
     * applied */
    ot_span_set_name(server, "GET");
    ot_span_set_status(server, OT_STATUS_ERROR, NULL);

    open = ot_span_record_get(ot_api_span_open(c[0]));
    assert_false(ot_api_finished(q));
    clock_calls = 0;
    ot_api_finish(q, server, test_clock, count_submit, &sub);
    assert_true(ot_api_finished(q));
    assert_int_equal(clock_calls, 1);
    /* only the open one, ended now and marked */
    assert_int_equal(sub.n, 1);
    assert_ptr_equal(ot_span_record_get(sub.last), open);
    assert_int_equal(open->end_ns, 9000);
    assert_int_equal(open->status_code, OT_STATUS_ERROR);
    a = attr(open, "mod_opentracing.api.ended_at_log");
    assert_non_null(a);
    assert_int_equal(a->type, OT_VALUE_BOOL);
    assert_int_equal(a->v.b, 1);
    /* the server span: name, error, count */
    assert_int_equal(srec->name.len, 2);
    assert_memory_equal(srec->name.ptr, "op", 2);
    assert_int_equal(srec->status_code, OT_STATUS_ERROR);
    assert_int_equal(srec->status_message.len, OT_API_MAX_MESSAGE);
    a = attr(srec, "mod_opentracing.api.dropped_spans");
    assert_non_null(a);
    assert_int_equal(a->v.i, 2);

    /* from now on, nothing */
    ot_api_set_str(q, server, 1, "late", "x");
    ot_api_set_int(q, server, 1, "late_n", 1);
    ot_api_add_event(q, server, "late", NULL, 10000);
    ot_api_set_name(q, "late");
    assert_null(attr(srec, "late"));
    assert_null(attr(srec, "late_n"));
    assert_int_equal(srec->n_events, 0);
    assert_null(ot_api_span_start(q, "late", 1, 10000));
    assert_null(ot_api_span_open(c[0]));
    assert_null(ot_api_span_end(c[0], NULL, 10000));
    ot_api_span_set_str(c[0], "late", "x");
    ot_api_span_set_int(c[0], "late_n", 1);
    assert_null(attr(open, "late"));
    assert_null(attr(open, "late_n"));
    ot_api_finish(q, server, test_clock, count_submit, &sub);
    assert_int_equal(sub.n, 1);
    assert_int_equal(clock_calls, 1);
    assert_memory_equal(srec->name.ptr, "op", 2);
}

/* Nothing set, nothing applied. */
static void test_finish_untouched(void **state)
{
    apr_pool_t *p = *state;
    ot_span *server = server_span(p);
    const ot_span_record *srec = ot_span_record_get(server);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    submitted sub = { 0, NULL };

    ot_span_set_name(server, "GET");
    clock_calls = 0;
    ot_api_finish(q, server, test_clock, count_submit, &sub);
    assert_int_equal(sub.n, 0);
    /* no child open: no time asked */
    assert_int_equal(clock_calls, 0);
    assert_int_equal(srec->n_attributes, 0);
    assert_int_equal(srec->status_code, OT_STATUS_UNSET);
    assert_memory_equal(srec->name.ptr, "GET", 3);
}

/* When the process's table of keys has no room, a key is copied into the
 * pool and marked for the queue to copy: the caller's buffer may die.
 * Last: it fills the table. */
static void test_keys_beyond_the_table(void **state)
{
    apr_pool_t *p = *state, *caller;
    ot_span *s = server_span(p);
    ot_api_request *q = ot_api_request_make(p, &server_ctx, 0, NULL);
    const ot_span_record *rec = ot_span_record_get(s);
    const ot_attribute *a;
    char *k;
    int i;

    for (i = 0; i < 4 * OT_INTERN_SLOTS; i++) {
        k = apr_psprintf(p, "fill.%d", i);
        ot_intern(k, strlen(k));
    }
    apr_pool_create(&caller, p);
    k = apr_pstrdup(caller, "late.key.no.room");
    assert_null(ot_intern(k, strlen(k)));
    ot_api_set_str(q, s, 1, k, "v");
    ot_api_set_int(q, s, 1, "late.int.no.room", 7);
    memset(k, 'X', strlen(k));
    apr_pool_destroy(caller);
    a = attr(rec, "late.key.no.room");
    assert_non_null(a);
    assert_true(a->key.len & OT_QUEUE_COPY_KEY);
    assert_int_equal(a->key.len & ~OT_QUEUE_COPY_KEY, 16);
    a = attr(rec, "late.int.no.room");
    assert_true(a->key.len & OT_QUEUE_COPY_KEY);
    assert_int_equal(a->v.i, 7);
    /* kept keys stay as they were */
    ot_api_set_str(q, s, 1, "app.key", "again");
    assert_ptr_equal(attr(rec, "app.key")->key.ptr, ot_intern("app.key", 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        POOL_TEST(test_copies),
        POOL_TEST(test_copies_past_the_room),
        POOL_TEST(test_key_rules),
        POOL_TEST(test_value_cut),
        POOL_TEST(test_events),
        POOL_TEST(test_event_entries),
        POOL_TEST(test_child_spans),
        POOL_TEST(test_limit_and_finish),
        POOL_TEST(test_finish_untouched),
        POOL_TEST(test_keys_beyond_the_table),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
