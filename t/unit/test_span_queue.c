/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The span model and the queue: what the request thread records, what the
 * queue copies, and how the ring behaves when full, wrapped and drained. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ot_ids.h"
#include "ot_write.h"
#include "ot_queue.h"
#include "ot_span.h"
#include "pool_fixture.h"

static void test_root_span(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, OT_FLAG_SAMPLED,
                               OT_SPAN_KIND_SERVER, 1000);
    ot_span_record *r = ot_span_record_get(s);

    assert_false(ot_id_is_zero(r->trace_id, 16));
    assert_false(ot_id_is_zero(r->span_id, 8));
    assert_true(ot_id_is_zero(r->parent_span_id, 8));
    assert_int_equal(r->flags, OT_FLAG_SAMPLED);
    assert_int_equal(r->kind, OT_SPAN_KIND_SERVER);
    assert_int_equal(r->start_ns, 1000);
    assert_int_equal(r->trace_state.len, 0);
    /* the end never precedes the start */
    ot_span_end(s, 500);
    assert_int_equal(r->end_ns, 1000);
    ot_span_end(s, 2500);
    assert_int_equal(r->end_ns, 2500);
}

static void test_child_span(void **state)
{
    apr_pool_t *p = *state;
    ot_span_context parent;
    ot_span *s;
    ot_span_record *r;

    memset(&parent, 0, sizeof(parent));
    memset(parent.trace_id, 0xab, 16);
    memset(parent.span_id, 0xcd, 8);
    parent.flags = 1;
    parent.trace_state = "rojo=1,congo=2";
    s = ot_span_start(p, &parent, 1, 0, OT_SPAN_KIND_SERVER, 1);
    r = ot_span_record_get(s);
    assert_memory_equal(r->trace_id, parent.trace_id, 16);
    assert_memory_equal(r->parent_span_id, parent.span_id, 8);
    assert_memory_not_equal(r->span_id, parent.span_id, 8);
    assert_int_equal(r->flags, 1);
    assert_int_equal(r->parent_is_remote, 1);
    assert_int_equal(r->trace_state.len, strlen("rojo=1,congo=2"));
}

static void test_attribute_limits(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    ot_span_record *r = ot_span_record_get(s);
    int i;

    ot_span_add_str(s, "a", "xyz", 2);
    ot_span_add_intn(s, "b", 1, -7);
    ot_span_add_strn(s, "c", 1, "v", 1);
    assert_int_equal(r->n_attributes, 3);
    assert_int_equal(r->attributes[0].v.s.len, 2);
    assert_int_equal(r->attributes[1].type, OT_VALUE_INT);
    assert_int_equal(r->attributes[1].v.i, -7);
    ot_span_set_str(s, "a", "replaced", -1);
    assert_int_equal(r->n_attributes, 3);
    assert_memory_equal(r->attributes[0].v.s.ptr, "replaced", 8);
    ot_span_set_str(s, "e", "new", -1);
    assert_int_equal(r->n_attributes, 4);
    ot_span_add_booln(s, "f", 1, 42);
    assert_int_equal(r->attributes[4].type, OT_VALUE_BOOL);
    assert_int_equal(r->attributes[4].v.b, 1);
    for (i = 0; i < OT_SPAN_MAX_ATTRIBUTES; i++) {
        ot_span_add_intn(s, "k", 1, i);
    }
    assert_int_equal(r->n_attributes, OT_SPAN_MAX_ATTRIBUTES);
    assert_int_equal(r->dropped_attributes, 5);
    for (i = 0; i < OT_SPAN_MAX_EVENTS + 2; i++) {
        ot_span_add_event(s, "ev", i);
    }
    assert_int_equal(r->n_events, OT_SPAN_MAX_EVENTS);
    assert_int_equal(r->dropped_events, 2);
}

/* A span made with room for a few attributes in itself (the span API's)
 * takes as many as any other: past the few, they move to an array of
 * their own, all kept, in order, then the same limit.  Its own allocation
 * is the smaller, and what follows it in that allocation is left alone. */
static void test_attribute_room(void **state)
{
    apr_pool_t *p = *state;
    size_t size = ot_span_size(2);
    char *mem = apr_palloc(p, size + 8);
    ot_span *s;
    ot_span_record *r;
    int i;

    assert_true(size < ot_span_size(OT_SPAN_MAX_ATTRIBUTES));
    assert_int_equal(ot_span_size(OT_SPAN_MAX_ATTRIBUTES + 5),
                     ot_span_size(OT_SPAN_MAX_ATTRIBUTES));
    memcpy(mem + size, "after!!", 8);
    s = ot_span_init(mem, 2, p, NULL, 0, 1, OT_SPAN_KIND_INTERNAL, 1);
    r = ot_span_record_get(s);
    assert_ptr_equal(s, mem);
    ot_span_add_intn(s, "k0", 2, 0);
    ot_span_add_intn(s, "k1", 2, 1);
    assert_ptr_equal(r->attributes, mem + size - 2 * sizeof(ot_attribute));
    ot_span_set_str(s, "k1", "one", -1);
    ot_span_add_intn(s, "k2", 2, 2);
    assert_ptr_not_equal(r->attributes, mem + size - 2 * sizeof(ot_attribute));
    assert_int_equal(r->n_attributes, 3);
    assert_int_equal(r->attributes[0].v.i, 0);
    assert_memory_equal(r->attributes[1].v.s.ptr, "one", 3);
    assert_int_equal(r->attributes[2].v.i, 2);
    ot_span_set_str(s, "k0", "zero", -1);
    assert_int_equal(r->n_attributes, 3);
    assert_memory_equal(r->attributes[0].v.s.ptr, "zero", 4);
    for (i = 3; i < OT_SPAN_MAX_ATTRIBUTES + 4; i++) {
        ot_span_add_intn(s, "k", 1, i);
    }
    assert_int_equal(r->n_attributes, OT_SPAN_MAX_ATTRIBUTES);
    assert_int_equal(r->dropped_attributes, 4);
    assert_int_equal(r->attributes[OT_SPAN_MAX_ATTRIBUTES - 1].v.i,
                     OT_SPAN_MAX_ATTRIBUTES - 1);
    assert_memory_equal(mem + size, "after!!", 8);

    /* the same through ot_span_set_key_*, as the span API sets them */
    s = ot_span_init(apr_palloc(p, ot_span_size(1)), 1, p, NULL, 0, 1,
                     OT_SPAN_KIND_INTERNAL, 1);
    r = ot_span_record_get(s);
    {
        ot_str k0 = { "k0", 2 }, k1 = { "k1", 2 };

        ot_span_set_key_int(s, k0, 10);
        ot_span_set_key_str(s, k1, "eleven", 6);
        ot_span_set_key_int(s, k0, 12);
        assert_int_equal(r->n_attributes, 2);
        assert_int_equal(r->attributes[0].v.i, 12);
        assert_memory_equal(r->attributes[1].v.s.ptr, "eleven", 6);
    }

    /* none at all in the span: the first goes to the array */
    s = ot_span_init(apr_palloc(p, ot_span_size(0)), 0, p, NULL, 0, 1,
                     OT_SPAN_KIND_INTERNAL, 1);
    r = ot_span_record_get(s);
    ot_span_add_strn(s, "a", 1, "v", 1);
    assert_int_equal(r->n_attributes, 1);
    assert_memory_equal(r->attributes[0].key.ptr, "a", 1);
}

/* Tags: typed values; a tag replaces an attribute with its key when told
 * the key may be a fixed one, or once a set_* call added any key; else it
 * is appended without a search (tags' keys are unique among tags). */
static void test_tags(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    ot_span_record *r = ot_span_record_get(s);

    ot_span_add_strn(s, "http.route", 10, "/a", 2);
    ot_span_tag_strn(s, "http.route", 10, 1, "/tagged", 7);
    assert_int_equal(r->n_attributes, 1);
    assert_memory_equal(r->attributes[0].v.s.ptr, "/tagged", 7);
    ot_span_tag_intn(s, "app.n", 5, 0, -42);
    ot_span_tag_booln(s, "app.b", 5, 0, 7);
    assert_int_equal(r->n_attributes, 3);
    assert_int_equal(r->attributes[1].type, OT_VALUE_INT);
    assert_int_equal(r->attributes[1].v.i, -42);
    assert_int_equal(r->attributes[2].type, OT_VALUE_BOOL);
    assert_int_equal(r->attributes[2].v.b, 1);
    /* Not told the key may be fixed, and no set_* yet: appended, even
     * over a fixed key of the same name (the caller vouched). */
    ot_span_tag_booln(s, "http.route", 10, 0, 0);
    assert_int_equal(r->n_attributes, 4);
    /* Once a set_* call added a key, tags look for theirs. */
    ot_span_set_str(s, "app.backend", "x", -1);
    assert_int_equal(r->n_attributes, 5);
    ot_span_tag_strn(s, "app.backend", 11, 0, "tag", 3);
    assert_int_equal(r->n_attributes, 5);
    assert_int_equal(r->attributes[4].type, OT_VALUE_STRING);
    assert_memory_equal(r->attributes[4].v.s.ptr, "tag", 3);
    ot_span_tag_intn(s, "app.n", 5, 0, 3);
    assert_int_equal(r->n_attributes, 5);
    assert_int_equal(r->attributes[1].v.i, 3);
    /* A tag on a new span starts without searching again. */
    s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    r = ot_span_record_get(s);
    ot_span_tag_strn(s, "k", 1, 0, "1", 1);
    ot_span_tag_strn(s, "k", 1, 0, "2", 1);
    assert_int_equal(r->n_attributes, 2);
}

/* n items "<i>:<k>", every other one with "/o", made in p. */
static ot_str *make_items(apr_pool_t *p, int i, uint32_t n)
{
    ot_str *items = apr_palloc(p, n * sizeof(*items));
    uint32_t k;

    for (k = 0; k < n; k++) {
        items[k].ptr = apr_psprintf(p, "%d:%u%s", i, k, k % 2 ? "" : "/o");
        items[k].len = (uint32_t)strlen(items[k].ptr);
    }
    return items;
}

static void check_items(const ot_attribute *a, int i, uint32_t n)
{
    char want[32];
    uint32_t k;

    assert_int_equal(a->type, OT_VALUE_STRING_ARRAY);
    assert_int_equal(a->v.sa.n, n);
    for (k = 0; k < n; k++) {
        snprintf(want, sizeof(want), "%d:%u%s", i, k, k % 2 ? "" : "/o");
        assert_int_equal(a->v.sa.items[k].len, strlen(want));
        assert_memory_equal(a->v.sa.items[k].ptr, want, strlen(want));
    }
}

static void test_string_arrays(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    ot_span_record *r = ot_span_record_get(s);
    ot_str *items = make_items(p, 1, 3);
    int i;

    ot_span_add_str_array(s, "h", items, 3);
    ot_span_add_str(s, "x", "v", -1);
    assert_int_equal(r->n_attributes, 2);
    check_items(&r->attributes[0], 1, 3);
    /* set replaces by key, whatever the type was */
    ot_span_set_str_array(s, "x", items, 2);
    ot_span_set_str_array(s, "h", NULL, 0);
    assert_int_equal(r->n_attributes, 2);
    check_items(&r->attributes[1], 1, 2);
    assert_int_equal(r->attributes[0].type, OT_VALUE_STRING_ARRAY);
    assert_null(r->attributes[0].v.sa.items);
    assert_int_equal(r->attributes[0].v.sa.n, 0);
    ot_span_set_str(s, "h", "back", -1);
    assert_int_equal(r->attributes[0].type, OT_VALUE_STRING);
    /* no items: an empty array, whatever n says */
    ot_span_set_str_array(s, "z", NULL, 5);
    assert_int_equal(r->n_attributes, 3);
    assert_int_equal(r->attributes[2].v.sa.n, 0);
    /* counted as dropped when the span is full, as other attributes */
    for (i = 3; i < OT_SPAN_MAX_ATTRIBUTES; i++) {
        ot_span_add_intn(s, "k", 1, i);
    }
    ot_span_add_str_array(s, "h2", items, 3);
    ot_span_set_str_array(s, "h3", items, 3);
    assert_int_equal(r->n_attributes, OT_SPAN_MAX_ATTRIBUTES);
    assert_int_equal(r->dropped_attributes, 2);
}

/* Whether [ptr, ptr + len) lies in [lo, hi). */
static int within(const void *ptr, size_t len, const void *lo, const void *hi)
{
    const char *c = ptr;

    return c >= (const char *)lo && c + len <= (const char *)hi;
}

/* The items (and their bytes) of arrays are copied into the queue: the
 * request pool may die; each item is cut as string values are; the entry
 * holds them all, before the next one. */
static void test_queue_copies_arrays(void **state)
{
    apr_pool_t *p = *state, *req;
    const ot_span_record *out[3];
    size_t sizes[2];
    ot_queue *q;
    ot_span *s;
    ot_str *cut;
    uint32_t k;
    int i;

    assert_int_equal(ot_queue_create(&q, p, 8, 65536, 6, 4), APR_SUCCESS);
    apr_pool_create(&req, p);
    for (i = 0; i < 2; i++) {
        s = ot_span_start(req, NULL, 0, 1, OT_SPAN_KIND_SERVER, i);
        ot_span_add_str_array(s, "h", make_items(req, i, 5), 5);
        ot_span_add_str_array(s, "empty", NULL, 0);
        /* "é" is 2 bytes: a cut at 6 bytes backs off to 5 */
        cut = make_items(req, i, 2);
        cut[1].ptr = apr_pstrdup(req, "abcde\xc3\xa9");
        cut[1].len = 7;
        ot_span_add_str_array(s, "cut", cut, 2);
        ot_span_add_event(s, "ev", i);
        ot_span_end(s, i + 10);
        sizes[i] = ot_queue_record_size(ot_span_record_get(s), 6);
        assert_int_equal(ot_queue_push(q, s), OT_PUSH_OK);
    }
    apr_pool_destroy(req);
    assert_int_equal(ot_queue_peek(q, out, 3), 2);
    for (i = 0; i < 2; i++) {
        const ot_attribute *a = out[i]->attributes;
        /* the end of the entry: the next one's header, or its size */
        const char *hi = i ? (const char *)out[1] + sizes[1]
                           : (const char *)out[1] - sizeof(size_t);

        assert_int_equal(out[i]->n_attributes, 3);
        check_items(&a[0], i, 5);
        assert_int_equal(a[1].type, OT_VALUE_STRING_ARRAY);
        assert_int_equal(a[1].v.sa.n, 0);
        assert_int_equal(a[2].v.sa.n, 2);
        assert_int_equal(a[2].v.sa.items[1].len, 5);
        assert_memory_equal(a[2].v.sa.items[1].ptr, "abcde", 5);
        /* everything of the first entry lies before the second */
        for (k = 0; k < a[0].v.sa.n; k++) {
            assert_true(within(a[0].v.sa.items[k].ptr,
                               a[0].v.sa.items[k].len, out[i], hi));
        }
        assert_true(within(a[2].v.sa.items, 2 * sizeof(ot_str), out[i], hi));
        assert_true(within(a[2].v.sa.items[1].ptr, 5, out[i], hi));
        assert_true(within(out[i]->events, sizeof(ot_event), out[i], hi));
    }
    ot_queue_release(q, 2);
}

/* Items count in the record's size: cut, many long items fit; uncut, they
 * are too big. */
static void test_queue_array_size(void **state)
{
    apr_pool_t *p = *state;
    ot_str *items = apr_palloc(p, 100 * sizeof(*items));
    char *big = apr_palloc(p, 1000);
    ot_span_record *r;
    ot_queue *q, *q0;
    ot_span *s;
    size_t bare;
    int k;

    memset(big, 'b', 1000);
    for (k = 0; k < 100; k++) {
        items[k].ptr = big;
        items[k].len = 1000;
    }
    s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    r = ot_span_record_get(s);
    bare = ot_queue_record_size(r, 5);
    ot_span_add_str_array(s, "h", items, 100);
    /* the attribute, the items, their bytes cut to 5, a pad */
    assert_true(ot_queue_record_size(r, 5)
                >= bare + sizeof(ot_attribute) + 100 * (sizeof(ot_str) + 5));
    assert_true(ot_queue_record_size(r, 0) >= 100 * 1000);
    assert_int_equal(ot_queue_create(&q, p, 8, 65536, 5, 4), APR_SUCCESS);
    assert_int_equal(ot_queue_create(&q0, p, 8, 65536, 0, 4), APR_SUCCESS);
    assert_int_equal(ot_queue_push(q, s), OT_PUSH_OK);
    assert_int_equal(ot_queue_push(q0, s), OT_PUSH_TOO_BIG);
}

static ot_span *make_record(apr_pool_t *p, int i, size_t value_len)
{
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, i);
    char *v = apr_palloc(p, value_len + 1);
    ot_span_context link;

    memset(v, 'v', value_len);
    v[value_len] = '\0';
    ot_span_set_name(s, apr_psprintf(p, "span-%d", i));
    ot_span_add_str(s, "url.path", v, -1);
    ot_span_add_intn(s, "n", 1, i);
    ot_span_add_event(s, "event", i);
    memset(&link, 0, sizeof(link));
    link.trace_id[0] = 1;
    link.span_id[0] = 2;
    link.trace_state = "k=v";
    ot_span_add_link(s, &link);
    ot_span_set_status(s, OT_STATUS_ERROR, "boom");
    return s;
}

static void check_copy(const ot_span_record *c, int i, size_t value_len)
{
    char name[32];
    size_t k;

    snprintf(name, sizeof(name), "span-%d", i);
    assert_int_equal(c->name.len, strlen(name));
    assert_memory_equal(c->name.ptr, name, c->name.len);
    assert_int_equal(c->start_ns, i);
    assert_int_equal(c->n_attributes, 2);
    assert_int_equal(c->attributes[0].key.len, 8);
    assert_memory_equal(c->attributes[0].key.ptr, "url.path", 8);
    assert_int_equal(c->attributes[0].v.s.len, value_len);
    for (k = 0; k < value_len; k++) {
        assert_int_equal(c->attributes[0].v.s.ptr[k], 'v');
    }
    assert_int_equal(c->attributes[1].v.i, i);
    assert_int_equal(c->n_events, 1);
    assert_memory_equal(c->events[0].name.ptr, "event", 5);
    assert_int_equal(c->n_links, 1);
    assert_int_equal(c->links[0].trace_id[0], 1);
    assert_memory_equal(c->links[0].trace_state.ptr, "k=v", 3);
    assert_int_equal(c->status_code, OT_STATUS_ERROR);
    assert_memory_equal(c->status_message.ptr, "boom", 4);
}

static void test_queue_copies(void **state)
{
    apr_pool_t *p = *state, *req;
    const ot_span_record *out[8];
    ot_queue *q;
    int i;

    assert_int_equal(ot_queue_create(&q, p, 8, 65536, 0, 4), APR_SUCCESS);
    apr_pool_create(&req, p);
    for (i = 0; i < 3; i++) {
        assert_int_equal(ot_queue_push(q, make_record(req, i, 10)), OT_PUSH_OK);
    }
    /* The request pool dies: the queued copies must not care. */
    apr_pool_destroy(req);
    assert_int_equal(ot_queue_count(q), 3);
    assert_int_equal(ot_queue_peek(q, out, 8), 3);
    for (i = 0; i < 3; i++) {
        check_copy(out[i], i, 10);
    }
    /* peek does not remove */
    assert_int_equal(ot_queue_peek(q, out, 2), 2);
    ot_queue_release(q, 2);
    assert_int_equal(ot_queue_count(q), 1);
    assert_int_equal(ot_queue_peek(q, out, 8), 1);
    check_copy(out[0], 2, 10);
    ot_queue_release(q, 1);
    assert_int_equal(ot_queue_count(q), 0);
    assert_int_equal(ot_queue_peek(q, out, 8), 0);
}

/* ot_span_set_key_*: a key replaces the attribute with the same bytes,
 * at the same address or not, marked or not; another key of that length
 * is another attribute. */
static void test_set_key_replaces(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_INTERNAL, 1);
    const ot_span_record *r = ot_span_record_get(s);
    ot_str k = { "app.user", 8 };
    ot_str copied = { NULL, 8 | OT_QUEUE_COPY_KEY };
    ot_str other = { "app.used", 8 };

    ot_span_add_str(s, "const.key", "c", -1);
    ot_span_set_key_str(s, k, "1", 1);
    ot_span_set_key_int(s, k, 2);
    assert_int_equal(r->n_attributes, 2);
    assert_int_equal(r->attributes[1].type, OT_VALUE_INT);
    copied.ptr = apr_pstrdup(p, "app.user");
    ot_span_set_key_str(s, copied, "3", 1);
    assert_int_equal(r->n_attributes, 2);
    assert_ptr_equal(r->attributes[1].key.ptr, copied.ptr);
    assert_memory_equal(r->attributes[1].v.s.ptr, "3", 1);
    copied.ptr = apr_pstrdup(p, "const.key");
    copied.len = 9 | OT_QUEUE_COPY_KEY;
    ot_span_set_key_int(s, copied, 4);
    assert_int_equal(r->n_attributes, 2);
    assert_int_equal(r->attributes[0].v.i, 4);
    ot_span_set_key_str(s, other, "5", 1);
    assert_int_equal(r->n_attributes, 3);
    assert_memory_equal(r->attributes[1].v.s.ptr, "3", 1);
}

/* Keys a backend sent live in the request pool: the *_copied functions
 * mark them, the queue copies them and clears the mark. */
static void test_queue_copies_marked_keys(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    char *key = apr_pstrdup(p, "app.user");
    char *ekey = apr_pstrdup(p, "hit");
    ot_attribute *ea = apr_pcalloc(p, sizeof(*ea));
    const ot_span_record *out[1];
    ot_str ename = { "cache", 5 };
    ot_queue *q;

    ot_span_add_str(s, "const.key", "c", -1);
    ot_span_set_strn_copied(s, key, 8, "42", 2);
    ot_span_set_strn_copied(s, key, 8, "43", 2);   /* replaces */
    ea->key.ptr = ekey;
    ea->key.len = 3;
    ea->type = OT_VALUE_STRING;
    ea->v.s.ptr = "yes";
    ea->v.s.len = 3;
    ot_span_add_event_copied(s, ename, 7, ea, 1);
    assert_int_equal(ot_span_record_get(s)->n_attributes, 2);
    /* ot_span_set_str finds a marked key too */
    ot_span_set_str(s, "app.user", "44", -1);
    assert_int_equal(ot_span_record_get(s)->n_attributes, 2);

    assert_int_equal(ot_queue_create(&q, p, 8, 65536, 0, 4), APR_SUCCESS);
    assert_int_equal(ot_queue_push(q, s), OT_PUSH_OK);
    memset(key, 'X', 8);
    memset(ekey, 'X', 3);
    assert_int_equal(ot_queue_peek(q, out, 1), 1);
    assert_int_equal(out[0]->n_attributes, 2);
    assert_int_equal(out[0]->attributes[1].key.len, 8);
    assert_memory_equal(out[0]->attributes[1].key.ptr, "app.user", 8);
    assert_memory_equal(out[0]->attributes[1].v.s.ptr, "44", 2);
    /* an unmarked key is not copied: the same pointer */
    assert_ptr_equal(out[0]->attributes[0].key.ptr,
                     ot_span_record_get(s)->attributes[0].key.ptr);
    assert_int_equal(out[0]->n_events, 1);
    assert_int_equal(out[0]->events[0].time_ns, 7);
    assert_int_equal(out[0]->events[0].n_attributes, 1);
    assert_int_equal(out[0]->events[0].attributes[0].key.len, 3);
    assert_memory_equal(out[0]->events[0].attributes[0].key.ptr, "hit", 3);
    assert_memory_equal(out[0]->events[0].attributes[0].v.s.ptr, "yes", 3);
    ot_queue_release(q, 1);
}

static void test_queue_full_by_count(void **state)
{
    apr_pool_t *p = *state;
    ot_queue *q;
    int i;

    assert_int_equal(ot_queue_create(&q, p, 4, 1 << 20, 0, 4), APR_SUCCESS);
    for (i = 0; i < 4; i++) {
        assert_int_equal(ot_queue_push(q, make_record(p, i, 1)), OT_PUSH_OK);
    }
    assert_int_equal(ot_queue_push(q, make_record(p, 9, 1)), OT_PUSH_FULL);
    ot_queue_release(q, 1);
    assert_int_equal(ot_queue_push(q, make_record(p, 9, 1)), OT_PUSH_OK);
}

static void test_queue_too_big_and_truncation(void **state)
{
    apr_pool_t *p = *state;
    const ot_span_record *out[1];
    ot_queue *q;
    ot_span *s;
    /* "é" is 2 bytes: a cut at 5 bytes must back off to 4. */
    const char *utf8 = "\xc3\xa9\xc3\xa9\xc3\xa9";

    assert_int_equal(ot_queue_create(&q, p, 16, 65536, 5, 4), APR_SUCCESS);
    /* a value over the limit is cut, at a character boundary */
    s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    ot_span_add_str(s, "k", utf8, -1);
    assert_int_equal(ot_queue_push(q, s), OT_PUSH_OK);
    assert_int_equal(ot_queue_peek(q, out, 1), 1);
    assert_int_equal(out[0]->attributes[0].v.s.len, 4);
    ot_queue_release(q, 1);
    /* a name larger than a quarter of the buffer cannot be cut: dropped */
    s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    {
        char *big = apr_palloc(p, 20000);
        memset(big, 'n', 19999);
        big[19999] = 0;
        ot_span_set_name(s, big);
    }
    assert_int_equal(ot_queue_push(q, s), OT_PUSH_TOO_BIG);
    assert_int_equal(ot_queue_count(q), 0);
}

static size_t len_for(int i)
{
    return 50 + (size_t)(i * 37) % 700;
}

/* Fill, drain partly, refill: the ring wraps around many times and every
 * record comes out intact and in order. */
static void test_queue_wraps(void **state)
{
    apr_pool_t *p = *state, *req;
    const ot_span_record *out[64];
    ot_queue *q;
    int pushed = 0, popped = 0, round, n, i, ok;

    assert_int_equal(ot_queue_create(&q, p, 1000, 65536, 0, 4), APR_SUCCESS);
    for (round = 0; round < 200; round++) {
        apr_pool_create(&req, p);
        /* push until full (by bytes: entries are ~1 KiB, the buffer 64 KiB) */
        ok = 0;
        while (ot_queue_push(q, make_record(req, pushed, len_for(pushed)))
               == OT_PUSH_OK) {
            pushed++;
            ok++;
        }
        assert_true(ok > 0 || round > 0);
        apr_pool_destroy(req);
        /* drain a varying part of it */
        n = (int)ot_queue_peek(q, out, (size_t)(1 + round % 37));
        for (i = 0; i < n; i++) {
            check_copy(out[i], popped + i, len_for(popped + i));
        }
        ot_queue_release(q, (size_t)n);
        popped += n;
    }
    /* everything still queued comes out in order */
    while ((n = (int)ot_queue_peek(q, out, 64)) > 0) {
        for (i = 0; i < n; i++) {
            assert_int_equal(out[i]->start_ns, popped + i);
        }
        ot_queue_release(q, (size_t)n);
        popped += n;
    }
    assert_int_equal(popped, pushed);
    assert_true(pushed > 1000);
}

/* A push sizes a record from what the span counted as it was recorded:
 * values before their cut, replaced ones too.  The entry takes only what
 * the copy took, and where that bound does not fit, the exact size
 * decides: as many cut records fit as their exact size allows. */
static void test_queue_sizes_from_counts(void **state)
{
    apr_pool_t *p = *state;
    char *big = apr_palloc(p, 400);
    size_t exact, pushed = 0;
    ot_queue *q;
    ot_span *s;

    memset(big, 'b', 400);
    assert_int_equal(ot_queue_create(&q, p, 100, 4096, 8, 100),
                     APR_SUCCESS);
    for (;;) {
        s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
        ot_span_add_strn(s, "k", 1, big, 400);
        ot_span_set_str(s, "k", big, 200);      /* replaces */
        /* both values counted: a bound of what the copy takes */
        assert_int_equal(ot_span_attr_bytes(s), 600);
        exact = ot_queue_record_size(ot_span_record_get(s), 8);
        if (ot_queue_push(q, s) != OT_PUSH_OK) {
            break;
        }
        pushed++;
    }
    /* the bound (over 600 bytes a record) would let no more than 6 in */
    assert_true(pushed >= 4096 / exact);
    assert_true(pushed > 6);
    assert_int_equal(ot_queue_count(q), pushed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        POOL_TEST(test_root_span),
        POOL_TEST(test_child_span),
        POOL_TEST(test_attribute_room),
        POOL_TEST(test_set_key_replaces),
        POOL_TEST(test_attribute_limits),
        POOL_TEST(test_tags),
        POOL_TEST(test_string_arrays),
        POOL_TEST(test_queue_copies_arrays),
        POOL_TEST(test_queue_array_size),
        POOL_TEST(test_queue_copies),
        POOL_TEST(test_queue_copies_marked_keys),
        POOL_TEST(test_queue_full_by_count),
        POOL_TEST(test_queue_too_big_and_truncation),
        POOL_TEST(test_queue_wraps),
        POOL_TEST(test_queue_sizes_from_counts),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
