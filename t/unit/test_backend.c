/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests for tracer/core/ot_backend.c: the Trace-* headers a backend
 * returns, by the grammar in the README ("For backend developers"). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"

#include "ot_backend.h"
#include "ot_span.h"
#include "pool_fixture.h"

/* The attributes as "k=v|k=v", for comparing. */
static const char *attrs_str(apr_pool_t *p, const ot_attribute *a,
                             uint32_t n)
{
    const char *s = "";
    uint32_t i;

    for (i = 0; i < n; i++) {
        s = apr_psprintf(p, "%s%s%.*s=%.*s", s, i ? "|" : "",
                         (int)a[i].key.len, a[i].key.ptr,
                         (int)a[i].v.s.len, a[i].v.s.ptr);
    }
    return s;
}

static void test_field_names(void **state)
{
    static const struct {
        const char *name;
        ot_backend_field field;
    } cases[] = {
        { "Trace-Tag", OT_BACKEND_TAG },
        { "trace-tag", OT_BACKEND_TAG },
        { "TRACE-OPERATION", OT_BACKEND_OPERATION },
        { "Trace-Error", OT_BACKEND_ERROR },
        { "Trace-Event", OT_BACKEND_EVENT },
        { "Trace-Span", OT_BACKEND_SPAN },
        { "Trace-Tags", OT_BACKEND_NONE },
        { "Trace-", OT_BACKEND_NONE },
        { "Traceparent", OT_BACKEND_NONE },
        { "traceresponse", OT_BACKEND_NONE },
        { "X-Trace-Tag", OT_BACKEND_NONE },
        { "Content-Type", OT_BACKEND_NONE },
        { "T", OT_BACKEND_NONE },
        { "", OT_BACKEND_NONE },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ot_backend_field_of(cases[i].name), cases[i].field);
    }
}

typedef struct tag_case {
    const char *in;
    const char *tags;           /* expected, as attrs_str() */
    unsigned malformed;
} tag_case;

/* The attributes the module sets itself, by their prefixes; a key is
 * given by its length, so one that only begins a prefix is not
 * reserved. */
static void test_reserved_keys(void **state)
{
    static const char *const reserved[] = {
        "http.route", "url.path", "server.address", "client.address",
        "network.protocol.version", "user_agent.original", "error.type",
        "otel.status_code", "http.", "user_agent.",
        "mod_opentracing.client_aborted", NULL
    };
    static const char *const free_keys[] = {
        "http", "https.x", "url", "urls.x", "user.id", "user_agent",
        "mod_opentracing", "mod.x",
        "servers.x", "clients", "network", "errors.x", "otel", "other.x",
        "example.items", "Http.route", "u", "x", NULL
    };
    const char *const *k;

    (void)state;
    for (k = reserved; *k; k++) {
        assert_true(ot_span_module_key(*k, strlen(*k)));
    }
    for (k = free_keys; *k; k++) {
        assert_false(ot_span_module_key(*k, strlen(*k)));
    }
    /* the length counts, not a NUL */
    assert_false(ot_span_module_key("http.route", 4));
    assert_true(ot_span_module_key("url.path", 4));
    assert_false(ot_span_module_key("", 0));
}

static void test_tags(void **state)
{
    static const tag_case cases[] = {
        { "a=1", "a=1", 0 },
        { "a=1,b=2", "a=1|b=2", 0 },
        { " a = 1 ,\tb=2 ", "a=1|b=2", 0 },
        { "a=1,,b=2,", "a=1|b=2", 0 },          /* empty members */
        { "app.user=alice%20b%2C%3B%25", "app.user=alice b,;%", 0 },
        { "k=a%0Ab", "k=a\nb", 0 },             /* decoded LF: a value */
        { "a=", "a=", 0 },
        { "a=1,a=2", "a=2", 0 },                /* the later one wins */
        { "a=1,b", "a=1", 1 },
        { "a=x y", "", 1 },                     /* SP: not a value octet */
        { "a=\"q\"", "", 1 },
        { "a=x\\y", "", 1 },
        { "=1", "", 1 },
        { "a b=1", "", 1 },                     /* the key is a token */
        { "a(=1", "", 1 },
        { "a=%zz,b=2", "b=2", 1 },
        { "a=%4", "", 1 },
        { "a=%00", "", 1 },                     /* NUL, even decoded */
        { "http.route=/x,url.path=/y,error.type=x,ok=1", "ok=1", 3 },
        { "http=1", "http=1", 0 },              /* only "http." */
        /* a control character anywhere: the whole value */
        { "a=1\r\nb=2", "", 1 },
        { "a=1,b=\x01", "", 1 },
        { "a=1\x7f", "", 1 },
        { "a=1\tb", "", 1 },                    /* HTAB only as OWS */
    };
    apr_pool_t *p = *state;
    ot_backend b;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ot_backend_init(&b, p);
        ot_backend_add(&b, OT_BACKEND_TAG, cases[i].in);
        assert_string_equal(attrs_str(p, b.tags, b.n_tags), cases[i].tags);
        assert_int_equal(b.malformed, cases[i].malformed);
        assert_int_equal(b.over_limit, 0);
    }
}

static void test_tag_limits(void **state)
{
    apr_pool_t *p = *state;
    char *key = apr_pcalloc(p, OT_BACKEND_MAX_KEY + 4);
    char *big = apr_pcalloc(p, OT_BACKEND_MAX_VALUE + 4);
    const char *many = "";
    ot_backend b;
    int i;

    /* a key of the largest size, and one byte more */
    memset(key, 'k', OT_BACKEND_MAX_KEY);
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_TAG, apr_pstrcat(p, key, "=1", NULL));
    assert_int_equal(b.n_tags, 1);
    key[OT_BACKEND_MAX_KEY] = 'k';
    ot_backend_add(&b, OT_BACKEND_TAG, apr_pstrcat(p, key, "=1", NULL));
    assert_int_equal(b.n_tags, 1);
    assert_int_equal(b.malformed, 1);

    /* a value of the largest size, and one byte more */
    memset(big, 'v', OT_BACKEND_MAX_VALUE);
    big[0] = 'a';
    big[1] = '=';
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_TAG, big);
    assert_int_equal(b.n_tags, 1);
    assert_int_equal(b.tags[0].v.s.len, OT_BACKEND_MAX_VALUE - 2);
    big[OT_BACKEND_MAX_VALUE] = 'v';
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_TAG, big);
    assert_int_equal(b.n_tags, 0);
    assert_int_equal(b.malformed, 1);

    /* one tag more than the limit: the first ones stay */
    for (i = 0; i <= OT_BACKEND_MAX_TAGS; i++) {
        many = apr_psprintf(p, "%s%st%d=%d", many, i ? "," : "", i, i);
    }
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_TAG, many);
    assert_int_equal(b.n_tags, OT_BACKEND_MAX_TAGS);
    assert_int_equal(b.over_limit, 1);
    assert_int_equal(b.malformed, 0);
    assert_memory_equal(b.tags[0].key.ptr, "t0", 2);
    /* a key already there is replaced even when the list is full */
    ot_backend_add(&b, OT_BACKEND_TAG, "t0=new");
    assert_memory_equal(b.tags[0].v.s.ptr, "new", 3);

    /* field values per response */
    ot_backend_init(&b, p);
    for (i = 0; i <= OT_BACKEND_MAX_FIELDS; i++) {
        ot_backend_add(&b, OT_BACKEND_TAG, apr_psprintf(p, "f%d=1", i));
    }
    assert_int_equal(b.n_tags, OT_BACKEND_MAX_TAGS);
    assert_int_equal(b.over_limit, 1);
}

static void test_operation_and_error(void **state)
{
    static const struct {
        ot_backend_field field;
        const char *in;
        const char *out;        /* NULL: malformed */
    } cases[] = {
        { OT_BACKEND_OPERATION, "GET /users/{id}", "GET /users/{id}" },
        { OT_BACKEND_OPERATION, "  POST /a\t", "POST /a" },
        { OT_BACKEND_OPERATION, "caf\xc3\xa9", "caf\xc3\xa9" },
        { OT_BACKEND_OPERATION, "", NULL },
        { OT_BACKEND_OPERATION, "  ", NULL },
        /* two lines joined by CGI's header merge */
        { OT_BACKEND_OPERATION, "GET /a, GET /b", NULL },
        { OT_BACKEND_OPERATION, "GET\r\n/a", NULL },
        { OT_BACKEND_ERROR, "db timeout, retrying", "db timeout, retrying" },
        { OT_BACKEND_ERROR, " x ", "x" },
        { OT_BACKEND_ERROR, "", NULL },
        { OT_BACKEND_ERROR, "bad\x00", "bad" },  /* C string: ends at NUL */
        { OT_BACKEND_ERROR, "a\nb", NULL },
    };
    apr_pool_t *p = *state;
    ot_backend b;
    size_t i;
    char *long_op;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ot_str *got;

        ot_backend_init(&b, p);
        ot_backend_add(&b, cases[i].field, cases[i].in);
        got = cases[i].field == OT_BACKEND_OPERATION ? &b.operation
                                                     : &b.error;
        if (cases[i].out) {
            assert_non_null(got->ptr);
            assert_int_equal(got->len, strlen(cases[i].out));
            assert_memory_equal(got->ptr, cases[i].out, got->len);
            assert_int_equal(b.malformed, 0);
        }
        else {
            assert_null(got->ptr);
            assert_int_equal(b.malformed, 1);
        }
    }
    /* a later one replaces an earlier one; a bad one leaves it */
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_OPERATION, "first");
    ot_backend_add(&b, OT_BACKEND_OPERATION, "second");
    ot_backend_add(&b, OT_BACKEND_OPERATION, "bad, one");
    assert_int_equal(b.operation.len, 6);
    assert_memory_equal(b.operation.ptr, "second", 6);
    /* the size limits */
    long_op = apr_pcalloc(p, OT_BACKEND_MAX_ERROR + 2);
    memset(long_op, 'o', OT_BACKEND_MAX_NAME);
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_OPERATION, long_op);
    assert_int_equal(b.operation.len, OT_BACKEND_MAX_NAME);
    long_op[OT_BACKEND_MAX_NAME] = 'o';
    ot_backend_add(&b, OT_BACKEND_OPERATION, long_op);
    assert_int_equal(b.malformed, 1);
    memset(long_op, 'e', OT_BACKEND_MAX_ERROR);
    ot_backend_add(&b, OT_BACKEND_ERROR, long_op);
    assert_int_equal(b.error.len, OT_BACKEND_MAX_ERROR);
    long_op[OT_BACKEND_MAX_ERROR] = 'e';
    ot_backend_add(&b, OT_BACKEND_ERROR, long_op);
    assert_int_equal(b.malformed, 2);
}

typedef struct event_case {
    const char *in;
    unsigned n;                 /* events taken */
    const char *name;           /* of the first */
    int64_t time_ns;
    const char *attrs;
    unsigned malformed;
} event_case;

static void test_events(void **state)
{
    static const event_case cases[] = {
        { "cache.miss", 1, "cache.miss", 0, "", 0 },
        { "cache%20miss; key=users%2F1; ts=1700000000123456789", 1,
          "cache miss", 1700000000123456789LL, "key=users/1", 0 },
        { " e ;ts = 1700000000123ms ; a=1 ;b=2", 1, "e",
          1700000000123000000LL, "a=1|b=2", 0 },
        { "e; ts=1700000000s", 1, "e", 1700000000000000000LL, "", 0 },
        { "e; ts=1700000000000000us", 1, "e", 1700000000000000000LL, "", 0 },
        { "e; ts=5ns", 1, "e", 5, "", 0 },
        { "a, b ,c", 3, "a", 0, "", 0 },
        { "a, b c", 1, "a", 0, "", 1 },
        { "e; ts=0", 0, NULL, 0, NULL, 1 },
        { "e; ts=12x", 0, NULL, 0, NULL, 1 },
        { "e; ts=", 0, NULL, 0, NULL, 1 },
        { "e; ts=1; ts=2", 0, NULL, 0, NULL, 1 },
        { "e; ts=99999999999999999999", 0, NULL, 0, NULL, 1 },
        { "e; ts=9223372036854775807s", 0, NULL, 0, NULL, 1 },
        { "e; a=1; a=2", 0, NULL, 0, NULL, 1 },
        { "e;", 0, NULL, 0, NULL, 1 },
        { "e;; a=1", 0, NULL, 0, NULL, 1 },
        { "; a=1", 0, NULL, 0, NULL, 1 },
        { "e; a", 0, NULL, 0, NULL, 1 },
        { "e%0Aname", 0, NULL, 0, NULL, 1 },    /* a name: no CTL */
        { "%20", 1, " ", 0, "", 0 },
        { "e; k=%zz", 0, NULL, 0, NULL, 1 },
    };
    apr_pool_t *p = *state;
    ot_backend b;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ot_backend_event *e = &b.events[0];

        ot_backend_init(&b, p);
        ot_backend_add(&b, OT_BACKEND_EVENT, cases[i].in);
        assert_int_equal(b.n_events, cases[i].n);
        assert_int_equal(b.malformed, cases[i].malformed);
        if (!cases[i].n) {
            continue;
        }
        assert_int_equal(e->name.len, strlen(cases[i].name));
        assert_memory_equal(e->name.ptr, cases[i].name, e->name.len);
        assert_int_equal(e->time_ns, cases[i].time_ns);
        assert_string_equal(attrs_str(p, e->attrs, e->n_attrs),
                            cases[i].attrs);
    }
}

static void test_event_limits(void **state)
{
    apr_pool_t *p = *state;
    const char *v = "e";
    ot_backend b;
    int i;

    for (i = 0; i < OT_BACKEND_MAX_ATTRS; i++) {
        v = apr_psprintf(p, "%s;a%d=%d", v, i, i);
    }
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_EVENT, v);
    assert_int_equal(b.n_events, 1);
    assert_int_equal(b.events[0].n_attrs, OT_BACKEND_MAX_ATTRS);
    /* one attribute more: the event is malformed, not cut */
    ot_backend_add(&b, OT_BACKEND_EVENT, apr_pstrcat(p, v, ";z=1", NULL));
    assert_int_equal(b.n_events, 1);
    assert_int_equal(b.malformed, 1);

    v = "e0";
    for (i = 1; i <= OT_BACKEND_MAX_EVENTS; i++) {
        v = apr_psprintf(p, "%s,e%d", v, i);
    }
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_EVENT, v);
    assert_int_equal(b.n_events, OT_BACKEND_MAX_EVENTS);
    assert_int_equal(b.over_limit, 1);
    assert_memory_equal(b.events[OT_BACKEND_MAX_EVENTS - 1].name.ptr, "e7", 2);
}

typedef struct span_case {
    const char *in;
    unsigned n;
    const char *name;
    int64_t start_ns, duration_ns;
    const char *span_id;        /* hex, NULL: none */
    ot_span_kind kind;
    const char *error;          /* NULL: none */
    const char *attrs;
    unsigned malformed;
} span_case;

static void test_spans(void **state)
{
    static const span_case cases[] = {
        { "db.query; start=1700000000000000000; dur=5ms", 1, "db.query",
          1700000000000000000LL, 5000000, NULL, OT_SPAN_KIND_INTERNAL,
          NULL, "", 0 },
        { "SELECT%20users; start=1700000000123ms; dur=250us; "
          "id=00f067aa0ba902b7; kind=client; db.system=postgresql; "
          "error=connection%20reset", 1, "SELECT users",
          1700000000123000000LL, 250000, "00f067aa0ba902b7",
          OT_SPAN_KIND_CLIENT, "connection reset", "db.system=postgresql",
          0 },
        { "a; dur=1s; start=2", 1, "a", 2, 1000000000, NULL,
          OT_SPAN_KIND_INTERNAL, NULL, "", 0 },
        { "a; start=2; dur=0ns", 1, "a", 2, 0, NULL, OT_SPAN_KIND_INTERNAL,
          NULL, "", 0 },
        { "a; start=1; dur=1s; kind=consumer", 1, "a", 1, 1000000000, NULL,
          OT_SPAN_KIND_CONSUMER, NULL, "", 0 },
        { "a; start=1; dur=1s, b; start=2; dur=2ms", 2, "a", 1, 1000000000,
          NULL, OT_SPAN_KIND_INTERNAL, NULL, "", 0 },
        { "a; start=1; dur=1s, b; start=2", 1, "a", 1, 1000000000, NULL,
          OT_SPAN_KIND_INTERNAL, NULL, "", 1 },
        { "a", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
        { "a; start=1", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
        { "a; dur=1s", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
        { "a; start=1; dur=5", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
        { "a; start=0; dur=5ms", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
        { "a; start=1; start=2; dur=5ms", 0, NULL, 0, 0, NULL, 0, NULL,
          NULL, 1 },
        { "a; start=1; dur=5ms; id=00F067AA0BA902B7", 0, NULL, 0, 0, NULL,
          0, NULL, NULL, 1 },
        { "a; start=1; dur=5ms; id=0000000000000000", 0, NULL, 0, 0, NULL,
          0, NULL, NULL, 1 },
        { "a; start=1; dur=5ms; id=00f067aa0ba902b", 0, NULL, 0, 0, NULL,
          0, NULL, NULL, 1 },
        { "a; start=1; dur=5ms; kind=bogus", 0, NULL, 0, 0, NULL, 0, NULL,
          NULL, 1 },
        { "a; start=1; dur=5ms; kind=client; kind=server", 0, NULL, 0, 0,
          NULL, 0, NULL, NULL, 1 },
        { "a; start=1; dur=5ms; error=x; error=y", 0, NULL, 0, 0, NULL, 0,
          NULL, NULL, 1 },
        { "a; start=9223372036854775807; dur=1ns", 0, NULL, 0, 0, NULL, 0,
          NULL, NULL, 1 },
        { "a; start=1; dur=5ms; k=1; k=2", 0, NULL, 0, 0, NULL, 0, NULL,
          NULL, 1 },
        { "a b; start=1; dur=5ms", 0, NULL, 0, 0, NULL, 0, NULL, NULL, 1 },
    };
    apr_pool_t *p = *state;
    ot_backend b;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const span_case *c = &cases[i];
        const ot_backend_span *s = &b.spans[0];

        ot_backend_init(&b, p);
        ot_backend_add(&b, OT_BACKEND_SPAN, c->in);
        assert_int_equal(b.n_spans, c->n);
        assert_int_equal(b.malformed, c->malformed);
        if (!c->n) {
            continue;
        }
        assert_int_equal(s->name.len, strlen(c->name));
        assert_memory_equal(s->name.ptr, c->name, s->name.len);
        assert_int_equal(s->start_ns, c->start_ns);
        assert_int_equal(s->duration_ns, c->duration_ns);
        assert_int_equal(s->kind, c->kind);
        assert_int_equal(s->has_span_id, c->span_id != NULL);
        if (c->span_id) {
            char hex[17];
            int j;
            for (j = 0; j < 8; j++) {
                snprintf(hex + 2 * j, 3, "%02x", s->span_id[j]);
            }
            assert_string_equal(hex, c->span_id);
        }
        if (c->error) {
            assert_int_equal(s->error.len, strlen(c->error));
            assert_memory_equal(s->error.ptr, c->error, s->error.len);
        }
        else {
            assert_null(s->error.ptr);
        }
        assert_string_equal(attrs_str(p, s->attrs, s->n_attrs), c->attrs);
    }
}

static void test_span_limits(void **state)
{
    apr_pool_t *p = *state;
    const char *v = "s0; start=1; dur=1ms";
    ot_backend b;
    int i;

    for (i = 1; i <= OT_BACKEND_MAX_SPANS; i++) {
        v = apr_psprintf(p, "%s, s%d; start=%d; dur=1ms", v, i, i + 1);
    }
    ot_backend_init(&b, p);
    ot_backend_add(&b, OT_BACKEND_SPAN, v);
    assert_int_equal(b.n_spans, OT_BACKEND_MAX_SPANS);
    assert_int_equal(b.over_limit, 1);
    assert_int_equal(b.spans[OT_BACKEND_MAX_SPANS - 1].start_ns,
                     OT_BACKEND_MAX_SPANS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_reserved_keys),
        POOL_TEST(test_tags),
        POOL_TEST(test_tag_limits),
        POOL_TEST(test_operation_and_error),
        POOL_TEST(test_events),
        POOL_TEST(test_event_limits),
        POOL_TEST(test_spans),
        POOL_TEST(test_span_limits),
    };
    int rc;

    apr_initialize();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
