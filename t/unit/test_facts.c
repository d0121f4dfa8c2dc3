/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_facts.c: a span's HTTP facts (ot_http_facts): the encoders write
 * them exactly as they write the attributes ot_facts_flatten() makes of
 * them (byte for byte, OTLP/protobuf, OTLP/JSON and Zipkin), under each
 * set of names, with facts left out, values to escape, to repair and to
 * cut; the keys and order of that expansion; a tag that replaces a fact;
 * the queue's copy; the status page's summary.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <apr_general.h>

#include "ot_facts.h"
#include "ot_otlp_json.h"
#include "ot_otlp_proto.h"
#include "ot_queue.h"
#include "ot_span.h"
#include "ot_traces.h"
#include "ot_zipkin_json.h"
#include "pool_fixture.h"
#include "records.h"

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

/* Values: plain, empty, to escape in JSON, invalid UTF-8, multi-byte
 * characters where a cut falls, long ones (beyond the encoders' short
 * values and the cuts below). */
static const char *const values[] = {
    "GET", "/index.html", "", "a=1&b=REDACTED", "https", "example.org",
    "q\"uo\\te\nnl\t\x01", "bad\xff\xfe utf8", "trunc\xe2\x82",
    "\xc3\xa9t\xc3\xa9 \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0 Safari/537.36",
    "/a/very/long/path/that/goes/on/and/on/and/on/past/sixty/four/bytes/"
    "\xe2\x82\xac\xe2\x82\xac/and/\"escapes\"/too/\xff/end",
    "1.1", "2", "127.0.0.1", "::1"
};
#define N_VALUES (sizeof(values) / sizeof(values[0]))

static const int64_t ints[] = {
    0, 1, 80, 127, 128, 443, 65535, 200, 404, 1 << 20, INT64_MAX, -1
};
#define N_INTS (sizeof(ints) / sizeof(ints[0]))

static ot_str str_of(const char *s)
{
    ot_str r;

    r.ptr = s;
    r.len = (uint32_t)strlen(s);
    return r;
}

/* Random facts: each present with probability 3/4, any names. */
static void random_facts(ot_http_facts *h)
{
    unsigned i;

    memset(h, 0, sizeof(*h));
    h->struct_size = sizeof(*h);
    h->names = 1 + rnd() % 3;
    for (i = 0; i < OT_FACT_COUNT; i++) {
        if (rnd() % 4) {
            h->present |= OT_FACT_BIT(i);
        }
    }
#define SET(m) h->m = str_of(values[rnd() % N_VALUES]);
    OT_FACT_STR_MEMBERS(SET)
#undef SET
    h->server_port = ints[rnd() % N_INTS];
    h->peer_port = ints[rnd() % N_INTS];
    h->request_body_size = ints[rnd() % N_INTS];
    h->status_code = ints[rnd() % N_INTS];
    h->response_body_size = ints[rnd() % N_INTS];
}

typedef int (*encode_fn)(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, uint32_t max);

static int enc_proto(ot_buf *b, const ot_span_record *const *spans,
                     size_t n, uint32_t max)
{
    ot_proto_options o;

    o.max_value_len = max;
    return ot_otlp_proto_encode(b, spans, n, &o);
}

static int enc_json(ot_buf *b, const ot_span_record *const *spans, size_t n,
                    uint32_t max)
{
    ot_json_options o;

    o.max_value_len = max;
    return ot_otlp_json_encode(b, spans, n, &o);
}

static int enc_zipkin(ot_buf *b, const ot_span_record *const *spans,
                      size_t n, uint32_t max)
{
    ot_zipkin_options o;

    o.max_value_len = max;
    return ot_zipkin_json_encode(b, spans, n, &o);
}

#define BATCH 24

/* Batches of spans with random facts and attributes: each encoder writes
 * the spans with facts as it writes them flattened into attributes. */
static void check_equal(encode_fn enc, const char *what)
{
    static const uint32_t maxes[] = { 0, 3, 5, 10, 70, 100 };
    ot_http_facts facts[BATCH];
    ot_span_record recs[BATCH], flat[BATCH];
    ot_attribute attrs[BATCH][4];
    ot_attribute flat_attrs[BATCH][OT_FACTS_MAX_ATTRS + 4];
    const ot_span_record *with[BATCH], *without[BATCH];
    ot_resource res;
    ot_attribute res_attr = attr_str("service.name", "svc", 3);
    unsigned round, i, m;

    memset(&res, 0, sizeof(res));
    res.attributes = &res_attr;
    res.n_attributes = 1;
    for (round = 0; round < 200; round++) {
        for (i = 0; i < BATCH; i++) {
            unsigned na = rnd() % 4, k;

            span_init(&recs[i]);
            recs[i].kind = OT_SPAN_KIND_SERVER;
            recs[i].start_ns = 1700000000000000000LL + i;
            recs[i].end_ns = recs[i].start_ns + 1000;
            recs[i].name = str_of("GET");
            recs[i].resource = &res;
            recs[i].struct_size = sizeof(recs[i]);
            random_facts(&facts[i]);
            recs[i].http = &facts[i];
            for (k = 0; k < na; k++) {
                attrs[i][k] = attr_str("http.route", values[rnd() % N_VALUES],
                                       strlen(values[rnd() % N_VALUES]));
                attrs[i][k].v.s = str_of(values[rnd() % N_VALUES]);
            }
            if (na) {
                attrs[i][0] = attr_int("app.count", ints[rnd() % N_INTS]);
            }
            recs[i].attributes = na ? attrs[i] : NULL;
            recs[i].n_attributes = na;
            with[i] = &recs[i];
            without[i] = ot_facts_flatten(&recs[i], &flat[i], flat_attrs[i],
                                          OT_FACTS_MAX_ATTRS + 4);
            assert_null(without[i]->http);
            assert_int_equal(without[i]->n_attributes,
                             ot_facts_count(&facts[i]) + na);
        }
        for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
            ot_buf a, b;

            ot_buf_init(&a, 0, 0);
            ot_buf_init(&b, 0, 0);
            assert_int_equal(enc(&a, with, BATCH, maxes[m]), 0);
            assert_int_equal(enc(&b, without, BATCH, maxes[m]), 0);
            if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
                print_error("%s: round %u, max %u: %zu bytes against %zu\n",
                            what, round, maxes[m], a.len, b.len);
                fail();
            }
            ot_buf_free(&a);
            ot_buf_free(&b);
        }
    }
}

static void test_proto_equal(void **state)
{
    (void)state;
    check_equal(enc_proto, "protobuf");
}

static void test_json_equal(void **state)
{
    (void)state;
    check_equal(enc_json, "json");
}

static void test_zipkin_equal(void **state)
{
    (void)state;
    check_equal(enc_zipkin, "zipkin");
}

/* A record whose facts have no key under the names asked for: no
 * "attributes" field at all, as with no attributes. */
static void test_no_key_under_names(void **state)
{
    ot_http_facts h;
    ot_span_record rec, bare;
    const ot_span_record *one = &rec, *none = &bare;
    ot_buf a, b;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.struct_size = sizeof(h);
    h.names = OT_FACT_NAMES_OLD;
    h.present = OT_FACT_BIT(OT_FACT_URL_PATH);
    h.url_path = str_of("/x");
    span_init(&rec);
    rec.struct_size = sizeof(rec);
    rec.http = &h;
    span_init(&bare);
    bare.struct_size = sizeof(bare);
    ot_buf_init(&a, 0, 0);
    ot_buf_init(&b, 0, 0);
    assert_int_equal(enc_json(&a, &one, 1, 0), 0);
    assert_int_equal(enc_json(&b, &none, 1, 0), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_null(memmem(a.data, a.len, "attributes", 10));
    ot_buf_free(&a);
    ot_buf_free(&b);
}

/* A record of a module older than the facts (shorter struct_size): its
 * http member is not read. */
static void test_old_record(void **state)
{
    ot_http_facts h;
    ot_span_record rec;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.present = OT_FACT_BIT(OT_FACT_URL_PATH);
    h.names = OT_FACT_NAMES_CURRENT;
    span_init(&rec);
    rec.http = &h;
    rec.struct_size = offsetof(ot_span_record, http);
    assert_null(ot_record_facts(&rec));
    rec.struct_size = sizeof(rec);
    assert_ptr_equal(ot_record_facts(&rec), &h);
}

/* The keys and order of the expansion: what record_attributes() in the
 * module wrote as attributes before the facts. */
static void test_expand_keys(void **state)
{
    static const char *const both[] = {
        "http.request.method", "http.request.method_original",
        "http.method", "url.path", "url.query", "http.target", "url.scheme",
        "http.scheme", "server.address", "net.host.name", "server.port",
        "net.host.port", "client.address", "http.client_ip",
        "network.peer.address", "net.sock.peer.addr", "network.peer.port",
        "net.sock.peer.port", "network.protocol.version",
        "net.protocol.version", "user_agent.original", "http.user_agent",
        "http.request.body.size", "http.request_content_length",
        "http.response.status_code", "http.status_code",
        "http.response.body.size", "http.response_content_length"
    };
    ot_http_facts h;
    ot_attribute out[OT_FACTS_MAX_ATTRS];
    uint32_t n, dropped = 0, i;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.present = (1u << OT_FACT_COUNT) - 1;
    h.names = OT_FACT_NAMES_CURRENT | OT_FACT_NAMES_OLD;
    h.method = str_of("_OTHER");
    h.method_original = str_of("BREW");
    h.status_code = 418;
    n = ot_facts_expand(&h, out, OT_FACTS_MAX_ATTRS, &dropped);
    assert_int_equal(n, sizeof(both) / sizeof(both[0]));
    assert_int_equal(n, ot_facts_count(&h));
    assert_int_equal(dropped, 0);
    for (i = 0; i < n; i++) {
        assert_int_equal(out[i].key.len, strlen(both[i]));
        assert_memory_equal(out[i].key.ptr, both[i], out[i].key.len);
    }
    assert_int_equal(out[0].type, OT_VALUE_STRING);
    assert_memory_equal(out[0].v.s.ptr, "_OTHER", 6);
    assert_memory_equal(out[1].v.s.ptr, "BREW", 4);
    assert_memory_equal(out[2].v.s.ptr, "BREW", 4);
    assert_int_equal(out[24].type, OT_VALUE_INT);
    assert_int_equal(out[24].v.i, 418);

    /* current names only: 15 attributes; old only: 13 */
    h.names = OT_FACT_NAMES_CURRENT;
    assert_int_equal(ot_facts_count(&h), 15);
    h.names = OT_FACT_NAMES_OLD;
    assert_int_equal(ot_facts_count(&h), 13);
    n = ot_facts_expand(&h, out, 4, &dropped);
    assert_int_equal(n, 4);
    assert_int_equal(dropped, 9);
    assert_memory_equal(out[0].key.ptr, "http.method", 11);
}

/* Flattening for a plugin without OT_PLUGIN_READS_FACTS: the facts, then
 * the attributes, what does not fit counted as dropped. */
static void test_flatten_limit(void **state)
{
    ot_http_facts h;
    ot_span_record rec, flat;
    ot_attribute attrs[3], out[16];
    const ot_span_record *r;

    (void)state;
    memset(&h, 0, sizeof(h));
    h.struct_size = sizeof(h);
    h.names = OT_FACT_NAMES_CURRENT;
    h.present = OT_FACT_BIT(OT_FACT_URL_PATH)
                | OT_FACT_BIT(OT_FACT_STATUS_CODE);
    h.url_path = str_of("/p");
    h.status_code = 200;
    attrs[0] = attr_int("a", 1);
    attrs[1] = attr_int("b", 2);
    attrs[2] = attr_int("c", 3);
    span_init(&rec);
    rec.struct_size = sizeof(rec);
    rec.attributes = attrs;
    rec.n_attributes = 3;
    rec.dropped_attributes = 1;
    assert_ptr_equal(ot_facts_flatten(&rec, &flat, out, 16), &rec);
    rec.http = &h;
    r = ot_facts_flatten(&rec, &flat, out, 4);
    assert_ptr_equal(r, &flat);
    assert_int_equal(r->n_attributes, 4);
    assert_int_equal(r->dropped_attributes, 2);
    assert_memory_equal(r->attributes[0].key.ptr, "url.path", 8);
    assert_memory_equal(r->attributes[1].key.ptr,
                        "http.response.status_code", 25);
    assert_memory_equal(r->attributes[2].key.ptr, "a", 1);
    assert_memory_equal(r->attributes[3].key.ptr, "b", 1);
    /* the original is left as it was */
    assert_int_equal(rec.n_attributes, 3);
    assert_ptr_equal(rec.http, &h);
}

static const ot_attribute *find(const ot_span_record *r, const char *k)
{
    uint32_t i;

    for (i = 0; i < r->n_attributes; i++) {
        if (r->attributes[i].key.len == strlen(k)
            && memcmp(r->attributes[i].key.ptr, k, strlen(k)) == 0) {
            return &r->attributes[i];
        }
    }
    return NULL;
}

/* A tag with a fact's key replaces the fact; under both names its other
 * key stays, as an attribute; a tag with another key leaves facts be. */
static void test_tag_replaces_fact(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, OT_FLAG_SAMPLED,
                               OT_SPAN_KIND_SERVER, 1);
    ot_span_record *r = ot_span_record_get(s);
    ot_http_facts *h = ot_span_facts(s);
    const ot_attribute *a;

    assert_ptr_equal(r->http, h);
    assert_int_equal(h->present, 0);
    h->names = OT_FACT_NAMES_CURRENT | OT_FACT_NAMES_OLD;
    h->server_address = str_of("example.org");
    h->url_path = str_of("/p");
    h->status_code = 200;
    h->present = OT_FACT_BIT(OT_FACT_SERVER_ADDRESS)
                 | OT_FACT_BIT(OT_FACT_URL_PATH)
                 | OT_FACT_BIT(OT_FACT_STATUS_CODE);

    ot_span_tag_strn(s, "server.address", 14, 1, "tagged", 6);
    assert_int_equal(h->present, OT_FACT_BIT(OT_FACT_URL_PATH)
                                 | OT_FACT_BIT(OT_FACT_STATUS_CODE));
    assert_int_equal(r->n_attributes, 2);
    a = find(r, "net.host.name");
    assert_non_null(a);
    assert_memory_equal(a->v.s.ptr, "example.org", 11);
    a = find(r, "server.address");
    assert_non_null(a);
    assert_memory_equal(a->v.s.ptr, "tagged", 6);

    /* the old key of a fact: the current one stays */
    ot_span_tag_intn(s, "http.status_code", 16, 1, 299);
    assert_int_equal(h->present, OT_FACT_BIT(OT_FACT_URL_PATH));
    assert_int_equal(find(r, "http.response.status_code")->v.i, 200);
    assert_int_equal(find(r, "http.status_code")->v.i, 299);

    /* a fact with no other key; and a key no fact has */
    ot_span_tag_strn(s, "url.path", 8, 1, "/q", 2);
    assert_int_equal(h->present, 0);
    assert_int_equal(r->n_attributes, 5);
    ot_span_tag_strn(s, "url.full", 8, 1, "x", 1);
    assert_int_equal(r->n_attributes, 6);
}

/* A tag replaces a fact only under the names the span has. */
static void test_tag_other_names(void **state)
{
    apr_pool_t *p = *state;
    ot_span *s = ot_span_start(p, NULL, 0, OT_FLAG_SAMPLED,
                               OT_SPAN_KIND_SERVER, 1);
    ot_http_facts *h = ot_span_facts(s);

    h->names = OT_FACT_NAMES_CURRENT;
    h->server_address = str_of("example.org");
    h->present = OT_FACT_BIT(OT_FACT_SERVER_ADDRESS);
    ot_span_tag_strn(s, "net.host.name", 13, 1, "x", 1);
    assert_int_equal(h->present, OT_FACT_BIT(OT_FACT_SERVER_ADDRESS));
    ot_span_tag_strn(s, "server.address", 14, 1, "y", 1);
    assert_int_equal(h->present, 0);
    assert_int_equal(ot_span_record_get(s)->n_attributes, 2);
}

/* The queue copies the facts and their strings, each cut as an attribute
 * value is; the copy is what an encoder writes as the original. */
static void test_queue_copies_facts(void **state)
{
    apr_pool_t *p = *state;
    ot_queue *q;
    ot_span *s = ot_span_start(p, NULL, 0, OT_FLAG_SAMPLED,
                               OT_SPAN_KIND_SERVER, 1);
    ot_http_facts *h = ot_span_facts(s);
    char path[] = "/\xe2\x82\xac\xe2\x82\xac/long";
    char agent[] = "curl/8";
    const ot_span_record *out[1];
    const ot_http_facts *c;

    h->names = OT_FACT_NAMES_CURRENT;
    h->url_path = str_of(path);
    h->user_agent = str_of(agent);
    h->status_code = 404;
    h->present = OT_FACT_BIT(OT_FACT_URL_PATH)
                 | OT_FACT_BIT(OT_FACT_USER_AGENT)
                 | OT_FACT_BIT(OT_FACT_STATUS_CODE);
    ot_span_add_intn(s, "a", 1, 7);
    ot_span_end(s, 2);
    assert_int_equal(ot_queue_create(&q, p, 4, 1 << 16, 6, 1), APR_SUCCESS);
    assert_int_equal(ot_queue_push(q, s), OT_PUSH_OK);
    /* the request's strings go away */
    memset(path, 'x', sizeof(path) - 1);
    memset(agent, 'x', sizeof(agent) - 1);
    assert_int_equal(ot_queue_peek(q, out, 1), 1);
    c = ot_record_facts(out[0]);
    assert_non_null(c);
    assert_ptr_not_equal(c, h);
    assert_int_equal(c->present, h->present);
    assert_int_equal(c->status_code, 404);
    /* cut at 6 bytes, not inside the second euro sign */
    assert_int_equal(c->url_path.len, 4);
    assert_memory_equal(c->url_path.ptr, "/\xe2\x82\xac", 4);
    assert_int_equal(c->user_agent.len, 6);
    assert_memory_equal(c->user_agent.ptr, "curl/8", 6);
    assert_int_equal(out[0]->n_attributes, 1);
    assert_true(ot_queue_record_size(out[0], 6)
                <= ot_queue_record_size(ot_span_record_get(s), 6));
    ot_queue_release(q, 1);
}

/* The status page's summary reads the status code from the facts. */
static void test_summary_status(void **state)
{
    ot_http_facts h;
    ot_span_record rec;
    ot_span_summary sum;
    ot_attribute tag = attr_int("http.response.status_code", 201);

    (void)state;
    memset(&h, 0, sizeof(h));
    h.struct_size = sizeof(h);
    h.names = OT_FACT_NAMES_OLD;
    h.status_code = 503;
    h.present = OT_FACT_BIT(OT_FACT_STATUS_CODE);
    span_init(&rec);
    rec.struct_size = sizeof(rec);
    rec.http = &h;
    ot_span_summarize(&rec, &sum);
    assert_int_equal(sum.http_status, 503);
    /* a tag in its place */
    h.present = 0;
    rec.attributes = &tag;
    rec.n_attributes = 1;
    ot_span_summarize(&rec, &sum);
    assert_int_equal(sum.http_status, 201);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_equal),
        cmocka_unit_test(test_json_equal),
        cmocka_unit_test(test_zipkin_equal),
        cmocka_unit_test(test_no_key_under_names),
        cmocka_unit_test(test_old_record),
        cmocka_unit_test(test_expand_keys),
        cmocka_unit_test(test_flatten_limit),
        POOL_TEST(test_tag_replaces_fact),
        POOL_TEST(test_tag_other_names),
        POOL_TEST(test_queue_copies_facts),
        cmocka_unit_test(test_summary_status),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
