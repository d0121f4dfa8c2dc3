/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The formats over a carrier, as the module uses them: an apr_table_t of
 * headers (headers_in).  Table-driven: the specs' examples verbatim, then
 * the malformed inputs that must be ignored (the next format is tried).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "ot_propagation.h"
#include "ot_tracer.h"
#include "pool_fixture.h"

/* ------------------------------------------------------------- carrier */

static ot_carrier carrier(apr_table_t *t)
{
    ot_carrier c;

    ot_carrier_table(&c, t);
    return c;
}

/* "name: value\n"... into a new table. */
static apr_table_t *headers(apr_pool_t *p, const char *lines)
{
    apr_table_t *t = apr_table_make(p, 8);
    char *s = apr_pstrdup(p, lines ? lines : ""), *line, *last, *colon;

    for (line = apr_strtok(s, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        colon = strchr(line, ':');
        assert_non_null(colon);
        *colon = '\0';
        /* repeated fields merged with ", ", as httpd does */
        apr_table_mergen(t, line, colon + 2);
    }
    return t;
}

typedef struct dump {
    apr_pool_t *pool;
    char *out;
} dump;

static int dump_one(void *rec, const char *key, const char *value)
{
    dump *d = rec;

    d->out = apr_pstrcat(d->pool, d->out, key, ": ", value, "\n", NULL);
    return 1;
}

/* The table as "name: value\n" lines, in order. */
static const char *lines_of(apr_pool_t *p, apr_table_t *t)
{
    dump d = { p, "" };

    apr_table_do(dump_one, &d, t, NULL);
    return d.out;
}

/* The formats named in a space-separated list. */
static size_t formats(const char *names, const ot_propagator **out)
{
    char buf[128], *name, *last;
    size_t n = 0;

    strcpy(buf, names);
    for (name = apr_strtok(buf, " ", &last); name;
         name = apr_strtok(NULL, " ", &last)) {
        out[n] = ot_propagator_find(name);
        assert_non_null(out[n]);
        n++;
    }
    return n;
}

static void hex(char *o, const uint8_t *id, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        sprintf(o + 2 * i, "%02x", id[i]);
    }
}

static void unhex(uint8_t *id, const char *s, size_t n)
{
    size_t i;
    unsigned v;

    for (i = 0; i < n; i++) {
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        id[i] = (uint8_t)v;
    }
}

/* ------------------------------------------------------------- extract */

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define SID "00f067aa0ba902b7"
#define B3T "80f198ee56343ba864fe8b2a57d3eff7"
#define B3S "e457b5a2e4d86bd1"
#define B3P "05e3ac9a4f6e3b90"
#define PAD "0000000000000000"

typedef struct ex_case {
    const char *formats;
    const char *headers;
    int want;                   /* OT_EXTRACT_* */
    const char *trace_id;       /* 32 hex (a 64-bit id left-padded) */
    const char *span_id;
    unsigned flags, origin;
    const char *trace_state;    /* NULL: none */
    const char *baggage;        /* NULL: none */
    unsigned invalid;
} ex_case;

#define NONE OT_EXTRACT_NONE
#define CTX OT_EXTRACT_CONTEXT
#define DEC OT_EXTRACT_DECISION
#define T64 OT_CTX_TRACE_ID_64
#define DEF OT_CTX_DEFERRED
#define DBG OT_CTX_DEBUG

static const ex_case ex_cases[] = {
    /* W3C Trace Context: the spec's examples */
    { "w3c", "traceparent: 00-" TID "-" SID "-01\n"
             "tracestate: rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\n",
      CTX, TID, SID, 1, 0, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", NULL,
      0 },
    { "w3c", "traceparent: 00-" TID "-" SID "-00\n",
      CTX, TID, SID, 0, 0, NULL, NULL, 0 },
    /* level 2: the random flag is kept, unknown flags of version 00
     * are not */
    { "w3c", "traceparent: 00-" TID "-" SID "-03\n",
      CTX, TID, SID, 3, 0, NULL, NULL, 0 },
    { "w3c", "traceparent: 00-" TID "-" SID "-ff\n",
      CTX, TID, SID, 3, 0, NULL, NULL, 0 },
    { "w3c", "traceparent: 00-" TID "-" SID "-fe\n",
      CTX, TID, SID, 2, 0, NULL, NULL, 0 },
    /* a future version: its version-00 fields */
    { "w3c", "traceparent: cc-" TID "-" SID "-01-what-the-future-holds\n",
      CTX, TID, SID, 1, 0, NULL, NULL, 0 },
    /* repeated tracestate lines, merged by httpd; duplicates keep the
     * first (level 2) */
    { "w3c", "traceparent: 00-" TID "-" SID "-01\n"
             "tracestate: a=1, b=2\ntracestate: a=3,c@x=4\n",
      CTX, TID, SID, 1, 0, "a=1,b=2,c@x=4", NULL, 0 },
    /* an invalid tracestate goes, the context stands */
    { "w3c", "traceparent: 00-" TID "-" SID "-01\ntracestate: Bad Key=1\n",
      CTX, TID, SID, 1, 0, NULL, NULL, 1 },
    /* a tracestate without a valid traceparent is discarded */
    { "w3c", "tracestate: rojo=1\n", NONE, NULL, NULL, 0, 0, NULL, NULL,
      0 },
    { "w3c", "traceparent: 00-" TID "-0000000000000000-01\n"
             "tracestate: rojo=1\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },
    { "w3c", "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-" SID "-01\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },
    { "w3c", "traceparent: 00-" TID "-" SID "-01\n"
             "traceparent: 00-" TID "-" SID "-01\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },

    /* B3 single: the spec's examples */
    { "b3", "b3: " B3T "-" B3S "-1-" B3P "\n",
      CTX, B3T, B3S, 1, 0, NULL, NULL, 0 },
    { "b3", "b3: " B3T "-" B3S "-1\n", CTX, B3T, B3S, 1, 0, NULL, NULL, 0 },
    { "b3", "b3: " B3T "-" B3S "-0\n", CTX, B3T, B3S, 0, 0, NULL, NULL, 0 },
    { "b3", "b3: " B3T "-" B3S "-d\n", CTX, B3T, B3S, 1, DBG, NULL, NULL,
      0 },
    /* deferred: no decision, our sampler decides */
    { "b3", "b3: " B3T "-" B3S "\n", CTX, B3T, B3S, 0, DEF, NULL, NULL, 0 },
    /* 64-bit trace ids */
    { "b3", "b3: a3ce929d0e0e4736-" B3S "-1\n",
      CTX, PAD "a3ce929d0e0e4736", B3S, 1, T64, NULL, NULL, 0 },
    /* a decision alone */
    { "b3", "b3: 0\n", DEC, PAD PAD, PAD, 0, 0, NULL, NULL, 0 },
    { "b3", "b3: 1\n", DEC, PAD PAD, PAD, 1, 0, NULL, NULL, 0 },
    { "b3", "b3: d\n", DEC, PAD PAD, PAD, 1, DBG, NULL, NULL, 0 },
    /* malformed: ignored */
    { "b3", "b3: 2\n", NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },
    { "b3", "b3: " B3T "\n", NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },
    { "b3", "b3: " B3T "-" B3S "-1-" B3P "-x\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "b3", "b3: " B3T "-" B3S "-true\n", NONE, NULL, NULL, 0, 0, NULL,
      NULL, 1 },
    { "b3", "b3: 80F198EE56343BA864FE8B2A57D3EFF7-" B3S "-1\n", NONE, NULL,
      NULL, 0, 0, NULL, NULL, 1 },
    { "b3", "b3: " PAD PAD "-" B3S "-1\n", NONE, NULL, NULL, 0, 0, NULL,
      NULL, 1 },
    { "b3", "b3: " B3T "-" PAD "-1\n", NONE, NULL, NULL, 0, 0, NULL, NULL,
      1 },
    { "b3", "b3: 3ce929d0e0e4736-" B3S "-1\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "b3", "b3: " B3T "-" B3S "-1-" PAD "\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "b3", "b3: \n", NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },

    /* B3 multi: the spec's example */
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-ParentSpanId: " B3P "\n"
                 "X-B3-SpanId: " B3S "\nX-B3-Sampled: 1\n",
      CTX, B3T, B3S, 1, 0, NULL, NULL, 0 },
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-Sampled: 0\n",
      CTX, B3T, B3S, 0, 0, NULL, NULL, 0 },
    /* the older true / false */
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-Sampled: true\n",
      CTX, B3T, B3S, 1, 0, NULL, NULL, 0 },
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-Sampled: false\n",
      CTX, B3T, B3S, 0, 0, NULL, NULL, 0 },
    /* debug implies accept */
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-Flags: 1\n",
      CTX, B3T, B3S, 1, DBG, NULL, NULL, 0 },
    { "b3multi", "X-B3-TraceId: a3ce929d0e0e4736\nX-B3-SpanId: " B3S "\n",
      CTX, PAD "a3ce929d0e0e4736", B3S, 0, T64 | DEF, NULL, NULL, 0 },
    { "b3multi", "X-B3-Sampled: 0\n", DEC, PAD PAD, PAD, 0, 0, NULL, NULL,
      0 },
    { "b3multi", "X-B3-Flags: 1\n", DEC, PAD PAD, PAD, 1, DBG, NULL, NULL,
      0 },
    { "b3multi", "X-B3-TraceId: " B3T "\n", NONE, NULL, NULL, 0, 0, NULL,
      NULL, 1 },
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-Sampled: yes\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },
    { "b3multi", "X-B3-TraceId: " B3T "\nX-B3-SpanId: " B3S "\n"
                 "X-B3-ParentSpanId: 12\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },

    /* Jaeger */
    { "jaeger", "uber-trace-id: " B3T ":" B3S ":0:1\n",
      CTX, B3T, B3S, 1, 0, NULL, NULL, 0 },
    { "jaeger", "uber-trace-id: a3ce929d0e0e4736:" B3S ":" B3P ":0\n",
      CTX, PAD "a3ce929d0e0e4736", B3S, 0, T64, NULL, NULL, 0 },
    /* variable length, left-padded; either case */
    { "jaeger", "uber-trace-id: 1:Af:0:1\n",
      CTX, PAD "0000000000000001", "00000000000000af", 1, T64, NULL, NULL,
      0 },
    /* URL-encoded, and the debug flag */
    { "jaeger", "uber-trace-id: " B3T "%3A" B3S "%3a0%3A3\n",
      CTX, B3T, B3S, 1, DBG, NULL, NULL, 0 },
    { "jaeger", "uber-trace-id: " B3T ":" B3S ":0:8\n",
      CTX, B3T, B3S, 0, 0, NULL, NULL, 0 },
    { "jaeger", "uber-trace-id: 0:" B3S ":0:1\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: " B3T ":0:0:1\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: " B3T ":" B3S ":0\n", NONE, NULL, NULL, 0,
      0, NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: " B3T "0:" B3S ":0:1\n", NONE, NULL, NULL,
      0, 0, NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: " B3T ":" B3S ":0:100\n", NONE, NULL, NULL,
      0, 0, NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: " B3T "%3" "\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },
    { "jaeger", "uber-trace-id: x:" B3S ":0:1\n", NONE, NULL, NULL, 0, 0,
      NULL, NULL, 1 },

    /* W3C Baggage: the spec's examples */
    { "baggage", "baggage: key1=value1;property1;property2, key2 = value2, "
                 "key3=value3; propertyKey=propertyValue\n",
      NONE, NULL, NULL, 0, 0, NULL,
      "key1=value1;property1;property2,key2=value2,"
      "key3=value3;propertyKey=propertyValue", 0 },
    { "baggage", "baggage: userId=alice,serverNode=DF%2028,"
                 "isProduction=false\n",
      NONE, NULL, NULL, 0, 0, NULL,
      "userId=alice,serverNode=DF%2028,isProduction=false", 0 },
    /* a malformed member goes, the others stay */
    { "baggage", "baggage: a=1,b c=2,d=\"x\",e=3;,f=4\n",
      NONE, NULL, NULL, 0, 0, NULL, "a=1,f=4", 3 },
    /* the first of a key wins */
    { "baggage", "baggage: a=1,b=2\nbaggage: a=3\n",
      NONE, NULL, NULL, 0, 0, NULL, "a=1,b=2", 0 },
    /* uberctx-*: URL-decoded, and encoded as W3C baggage values */
    { "jaeger", "uber-trace-id: " B3T ":" B3S ":0:1\n"
                "uberctx-User: alice%20b%2C\n",
      CTX, B3T, B3S, 1, 0, NULL, "user=alice%20b%2C", 0 },
    { "jaeger", "uberctx-k: 100%\n", NONE, NULL, NULL, 0, 0, NULL, NULL, 1 },

    /* The order of the list: the first that yields a context wins */
    { "w3c b3", "traceparent: 00-" TID "-" SID "-01\n"
                "b3: " B3T "-" B3S "-0\n",
      CTX, TID, SID, 1, 0, NULL, NULL, 0 },
    { "b3 w3c", "traceparent: 00-" TID "-" SID "-01\n"
                "tracestate: a=1\nb3: " B3T "-" B3S "-0\n",
      CTX, B3T, B3S, 0, 0, NULL, NULL, 0 },
    /* a malformed one is ignored and the next tried */
    { "w3c b3", "traceparent: garbage\nb3: " B3T "-" B3S "-1\n",
      CTX, B3T, B3S, 1, 0, NULL, NULL, 1 },
    /* a format not in the list is not looked at */
    { "w3c", "b3: " B3T "-" B3S "-1\nbaggage: a=1\n",
      NONE, NULL, NULL, 0, 0, NULL, NULL, 0 },
    /* baggage from every format of the list, the first of a key winning */
    { "w3c jaeger baggage", "traceparent: 00-" TID "-" SID "-01\n"
                            "uberctx-a: 1\nbaggage: a=2,b=3\n",
      CTX, TID, SID, 1, 0, NULL, "a=1,b=3", 0 },
};

static void test_extract_table(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *list[8];
    ot_extract_stats st;
    ot_span_context ctx;
    char t[33], s[17];
    size_t i, n;
    int got;

    for (i = 0; i < sizeof(ex_cases) / sizeof(ex_cases[0]); i++) {
        const ex_case *e = &ex_cases[i];
        apr_table_t *h = headers(pool, e->headers);
        ot_carrier c = carrier(h);

        n = formats(e->formats, list);
        got = ot_propagation_extract(pool, list, n, &c, &ctx, &st);
        hex(t, ctx.trace_id, 16);
        hex(s, ctx.span_id, 8);
        if (got != e->want || (e->trace_id && strcmp(t, e->trace_id))
            || (e->span_id && strcmp(s, e->span_id))
            || (got != NONE && (ctx.flags != e->flags
                                || ctx.origin != e->origin))
            || st.invalid != e->invalid
            || (e->trace_state == NULL) != (ctx.trace_state == NULL)
            || (e->trace_state && strcmp(e->trace_state, ctx.trace_state))
            || (e->baggage == NULL) != (ctx.baggage == NULL)
            || (e->baggage && strcmp(e->baggage, ctx.baggage))) {
            print_error("extract case %zu (%s): got %d %s-%s flags %u "
                        "origin %u invalid %u ts %s baggage %s\n", i,
                        e->formats, got, t, s, ctx.flags, ctx.origin,
                        st.invalid, ctx.trace_state ? ctx.trace_state : "-",
                        ctx.baggage ? ctx.baggage : "-");
            fail();
        }
    }
}

/* -------------------------------------------------------------- inject */

typedef struct in_case {
    const char *formats;
    const char *before;         /* the carrier's headers before */
    const char *trace_id;       /* 32 hex */
    const char *span_id;
    unsigned flags, origin;
    const char *trace_state, *baggage;
    const char *after;          /* the headers after, in order */
} in_case;

static const in_case in_cases[] = {
    { "w3c", "Host: x\ntraceparent: old\ntracestate: old=1\n",
      TID, SID, 1, 0, "a=b", NULL,
      "Host: x\ntraceparent: 00-" TID "-" SID "-01\ntracestate: a=b\n" },
    /* the random flag goes on; a stale tracestate is removed */
    { "w3c", "tracestate: old=1\n", TID, SID, 3, 0, NULL, NULL,
      "traceparent: 00-" TID "-" SID "-03\n" },
    /* a 64-bit id, left-padded, in W3C; 64 bits wide in b3 and jaeger */
    { "w3c b3 b3multi jaeger", "", PAD "a3ce929d0e0e4736", B3S, 1, T64,
      NULL, NULL,
      "traceparent: 00-" PAD "a3ce929d0e0e4736-" B3S "-01\n"
      "b3: a3ce929d0e0e4736-" B3S "-1\n"
      "x-b3-traceid: a3ce929d0e0e4736\nx-b3-spanid: " B3S "\n"
      "x-b3-sampled: 1\n"
      "uber-trace-id: a3ce929d0e0e4736:" B3S ":0:1\n" },
    /* debug: b3 "d", X-B3-Flags without X-B3-Sampled, jaeger 3 */
    { "b3 b3multi jaeger", "", B3T, B3S, 1, DBG, NULL, NULL,
      "b3: " B3T "-" B3S "-d\n"
      "x-b3-traceid: " B3T "\nx-b3-spanid: " B3S "\nx-b3-flags: 1\n"
      "uber-trace-id: " B3T ":" B3S ":0:3\n" },
    { "b3 b3multi jaeger", "", B3T, B3S, 0, 0, NULL, NULL,
      "b3: " B3T "-" B3S "-0\n"
      "x-b3-traceid: " B3T "\nx-b3-spanid: " B3S "\nx-b3-sampled: 0\n"
      "uber-trace-id: " B3T ":" B3S ":0:0\n" },
    /* what came in the format's fields is replaced, never merged (the
     * old parent span id, a stale X-B3-Flags, old uberctx-*); other
     * headers stay */
    { "b3multi jaeger",
      "X-B3-TraceId: 1\nX-B3-ParentSpanId: 2\nX-B3-Flags: 1\n"
      "uberctx-old: 1\nUberctx-Old2: 2\nX-Other: 1\n",
      B3T, B3S, 1, 0, NULL, "k=v%2C1;p,j=x",
      /* a set replaces a field where it stood, under its name */
      "X-B3-TraceId: " B3T "\nX-Other: 1\n"
      "x-b3-spanid: " B3S "\nx-b3-sampled: 1\n"
      "uber-trace-id: " B3T ":" B3S ":0:1\n"
      "uberctx-k: v%2C1\nuberctx-j: x\n" },
    { "baggage", "baggage: old=1\n", TID, SID, 1, 0, NULL, "a=1,b=2",
      "baggage: a=1,b=2\n" },
    { "baggage", "baggage: old=1\n", TID, SID, 1, 0, NULL, NULL, "" },
    /* formats not in the list are left alone */
    { "w3c", "b3: 1\nbaggage: x=1\n", TID, SID, 1, 0, NULL, NULL,
      "b3: 1\nbaggage: x=1\ntraceparent: 00-" TID "-" SID "-01\n" },
};

static void test_inject_table(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *list[8];
    ot_span_context ctx;
    const char *got;
    size_t i, n;

    for (i = 0; i < sizeof(in_cases) / sizeof(in_cases[0]); i++) {
        const in_case *e = &in_cases[i];
        apr_table_t *h = headers(pool, e->before);
        ot_carrier c = carrier(h);

        memset(&ctx, 0, sizeof(ctx));
        unhex(ctx.trace_id, e->trace_id, 16);
        unhex(ctx.span_id, e->span_id, 8);
        ctx.flags = (uint8_t)e->flags;
        ctx.origin = (uint8_t)e->origin;
        ctx.trace_state = e->trace_state;
        ctx.baggage = e->baggage;
        n = formats(e->formats, list);
        ot_propagation_inject(pool, list, n, &ctx, &c);
        got = lines_of(pool, h);
        if (strcmp(got, e->after) != 0) {
            print_error("inject case %zu (%s):\n%s\nwanted:\n%s\n", i,
                        e->formats, got, e->after);
            fail();
        }
    }
}

/* Whatever we inject, we extract again: the same context. */
static void test_round_trip(void **state)
{
    apr_pool_t *pool = *state;
    static const char *const names[] = { "w3c", "b3", "b3multi", "jaeger" };
    static const unsigned origins[] = { 0, T64, DBG, T64 | DBG };
    const ot_propagator *list[1];
    ot_span_context in, out;
    size_t i, j, f;

    for (f = 0; f < 4; f++) {
        list[0] = ot_propagator_find(names[f]);
        for (i = 0; i < 4; i++) {
            for (j = 0; j < 2; j++) {
                apr_table_t *h = apr_table_make(pool, 4);
                ot_carrier c = carrier(h);

                memset(&in, 0, sizeof(in));
                unhex(in.trace_id, origins[i] & T64 ? PAD "a3ce929d0e0e4736"
                                                    : B3T, 16);
                unhex(in.span_id, B3S, 8);
                in.origin = (uint8_t)origins[i];
                in.flags = (in.origin & DBG) || j ? OT_FLAG_SAMPLED : 0;
                ot_propagation_inject(pool, list, 1, &in, &c);
                assert_int_equal(ot_propagation_extract(pool, list, 1, &c,
                                                        &out, NULL),
                                 CTX);
                assert_memory_equal(out.trace_id, in.trace_id, 16);
                assert_memory_equal(out.span_id, in.span_id, 8);
                assert_int_equal(out.flags, in.flags);
                if (f == 0) {
                    /* W3C has no debug, and no width */
                    assert_int_equal(out.origin, 0);
                }
                else {
                    assert_int_equal(out.origin, in.origin);
                }
            }
        }
    }
}

/* Clear removes every field of the formats, prefixed ones too; a carrier
 * without each (the CGI environment) keeps what it cannot list. */
static void test_clear(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *list[8];
    apr_table_t *h = headers(pool, "traceparent: 1\ntracestate: 2\nb3: 3\n"
                                   "X-B3-Sampled: 1\nuber-trace-id: 4\n"
                                   "UBERCTX-a: 5\nbaggage: 6\nHost: 7\n");
    ot_carrier c = carrier(h);
    size_t n = formats("w3c b3 b3multi jaeger baggage", list);

    ot_propagation_clear(pool, list, n, &c);
    assert_string_equal(lines_of(pool, h), "Host: 7\n");
    h = headers(pool, "uberctx-a: 5\nuber-trace-id: 4\n");
    c = carrier(h);
    c.each = NULL;
    ot_propagation_clear(pool, list, n, &c);
    assert_string_equal(lines_of(pool, h), "uberctx-a: 5\n");
}

/* No control character is ever written, whatever the input. */
static void test_nothing_unsafe_passes(void **state)
{
    apr_pool_t *pool = *state;
    const ot_propagator *list[8];
    apr_table_t *h = headers(pool, "traceparent: 00-" TID "-" SID "-01\n"
                                   "uberctx-a: x%0D%0Ay%00z\n"
                                   "baggage: b=1\r\n");
    ot_carrier c = carrier(h);
    ot_span_context ctx;
    size_t n = formats("w3c jaeger baggage", list), i;
    const char *out;

    assert_int_equal(ot_propagation_extract(pool, list, n, &c, &ctx, NULL),
                     CTX);
    assert_string_equal(ctx.baggage, "a=x%0D%0Ay%00z");
    ot_propagation_inject(pool, list, n, &ctx, &c);
    out = lines_of(pool, h);
    for (i = 0; out[i]; i++) {
        assert_true(out[i] == '\n' || !apr_iscntrl(out[i]));
    }
    assert_non_null(strstr(out, "uberctx-a: x%0D%0Ay%00z\n"));
}

static void test_lookup(void **state)
{
    const char *const *name;
    size_t n = 0;

    for (name = ot_propagator_names(); *name; name++, n++) {
        assert_non_null(ot_propagator_find(*name));
        assert_string_equal(ot_propagator_name(ot_propagator_find(*name)),
                            *name);
    }
    assert_int_equal(n, 5);
    assert_ptr_equal(ot_propagator_find("B3Multi"),
                     ot_propagator_find("b3multi"));
    assert_null(ot_propagator_find("b4"));
    assert_string_equal(ot_propagator_fields(ot_propagator_find("jaeger"))[1],
                        "uberctx-*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        POOL_TEST(test_extract_table),
        POOL_TEST(test_inject_table),
        POOL_TEST(test_round_trip),
        POOL_TEST(test_clear),
        POOL_TEST(test_nothing_unsafe_passes),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
