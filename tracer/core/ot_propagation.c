/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_propagation.c: the formats over a carrier.  The header values are
 * parsed and written by ot_w3c, ot_b3, ot_jaeger and ot_baggage; this
 * file knows which fields each format has, the order of extraction, and
 * that inject replaces.
 */

#include "ot_propagation.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "ot_b3.h"
#include "ot_baggage.h"
#include "ot_env.h"
#include "ot_jaeger.h"
#include "ot_w3c.h"

/* W3C trace-flags of version 00 a vendor knows: sampled and (level 2)
 * random; the others "MUST be set to zero". */
#define W3C_KNOWN_FLAGS 0x03u
/* Bounds a tracestate we look at: 32 members of at most 512 bytes. */
#define TRACESTATE_CAP (32 * 514)

struct ot_propagator {
    const char *name;
    const char *const *fields;
    /* The ids: OT_EXTRACT_*, or -1 when what arrived is malformed.
     * NULL for a format without ids (baggage). */
    int (*extract)(apr_pool_t *p, const ot_carrier *c, ot_span_context *out,
                   ot_extract_stats *st);
    /* The baggage members into b; NULL for a format without baggage. */
    void (*baggage)(const ot_carrier *c, ot_baggage *b);
    void (*inject)(apr_pool_t *p, const ot_span_context *ctx,
                   const ot_carrier *c);
};

/* ---------------------------------------------------------- the carrier */

static const char *table_get(void *data, const char *name)
{
    return apr_table_get((apr_table_t *)data, name);
}

static void table_set(void *data, const char *name, const char *value)
{
    if (value) {
        apr_table_setn((apr_table_t *)data, name, value);
    }
    else {
        apr_table_unset((apr_table_t *)data, name);
    }
}

typedef struct prefix_walk {
    const char *prefix;
    size_t len;
    ot_carrier_fn fn;
    void *arg;
} prefix_walk;

static int prefix_visit(void *rec, const char *key, const char *value)
{
    prefix_walk *w = rec;

    if (strncasecmp(key, w->prefix, w->len) == 0) {
        w->fn(w->arg, key, value);
    }
    return 1;
}

static void table_each(void *data, const char *prefix, ot_carrier_fn fn,
                       void *arg)
{
    prefix_walk w;

    w.prefix = prefix;
    w.len = strlen(prefix);
    w.fn = fn;
    w.arg = arg;
    apr_table_do(prefix_visit, &w, (apr_table_t *)data, NULL);
}

void ot_carrier_table(ot_carrier *c, apr_table_t *t)
{
    c->data = t;
    c->get = table_get;
    c->set = table_set;
    c->each = table_each;
}

/* The names of the fields of c that begin with prefix. */
static void collect_name(void *arg, const char *name, const char *value)
{
    APR_ARRAY_PUSH((apr_array_header_t *)arg, const char *) = name;
}

/* Remove every field of c whose name begins with prefix (a carrier that
 * cannot list its fields keeps them). */
static void clear_prefix(apr_pool_t *p, const ot_carrier *c,
                         const char *prefix)
{
    apr_array_header_t *found;
    int i;

    if (!c->each) {
        return;
    }
    found = apr_array_make(p, 4, sizeof(const char *));
    c->each(c->data, prefix, collect_name, found);
    for (i = 0; i < found->nelts; i++) {
        c->set(c->data, APR_ARRAY_IDX(found, i, const char *), NULL);
    }
}

/* ------------------------------------------------------------------ w3c */

static int w3c_extract(apr_pool_t *p, const ot_carrier *c,
                       ot_span_context *out, ot_extract_stats *st)
{
    const char *tp = c->get(c->data, "traceparent");
    const char *ts;
    char *norm;
    size_t len;

    if (!tp) {
        return OT_EXTRACT_NONE;
    }
    /* Without a valid traceparent the tracestate is not looked at. */
    if (ot_w3c_traceparent_parse(tp, strlen(tp), out->trace_id,
                                 out->span_id, &out->flags) != 0) {
        return -1;
    }
    out->flags &= W3C_KNOWN_FLAGS;
    ts = c->get(c->data, "tracestate");
    if (!ts || !*ts) {
        return OT_EXTRACT_CONTEXT;
    }
    len = strlen(ts);
    norm = apr_palloc(p, len + 1);
    if (len >= TRACESTATE_CAP
        || ot_w3c_tracestate_normalize(ts, len, norm, len + 1) < 0) {
        st->invalid++;  /* the context stands, the tracestate goes */
    }
    else if (*norm) {
        out->trace_state = norm;
    }
    return OT_EXTRACT_CONTEXT;
}

static void w3c_inject(apr_pool_t *p, const ot_span_context *ctx,
                       const ot_carrier *c)
{
    char *tp = (char *)ctx->traceparent;

    if (!tp) {
        tp = apr_palloc(p, OT_TRACEPARENT_LEN + 1);
        ot_w3c_traceparent_format(ctx->trace_id, ctx->span_id,
                                  ctx->flags & W3C_KNOWN_FLAGS, tp);
    }
    /* tracestate first: "traceparent" and "tracestate" share the first
     * four characters APR's tables compare by, so removing tracestate
     * with no traceparent in the table yet spares a string compare */
    c->set(c->data, "tracestate",
           ctx->trace_state && *ctx->trace_state ? ctx->trace_state : NULL);
    c->set(c->data, "traceparent", tp);
}

/* ------------------------------------------------------------------- b3 */

static int b3_extract(apr_pool_t *p, const ot_carrier *c,
                      ot_span_context *out, ot_extract_stats *st)
{
    const char *v = c->get(c->data, "b3");

    return v ? ot_b3_parse(v, strlen(v), out) : OT_EXTRACT_NONE;
}

static void b3_inject(apr_pool_t *p, const ot_span_context *ctx,
                      const ot_carrier *c)
{
    char *v = apr_palloc(p, OT_B3_MAX + 1);

    ot_b3_format(ctx, v);
    c->set(c->data, "b3", v);
}

static int b3multi_extract(apr_pool_t *p, const ot_carrier *c,
                           ot_span_context *out, ot_extract_stats *st)
{
    ot_b3multi in;

    in.trace_id = c->get(c->data, "x-b3-traceid");
    in.span_id = c->get(c->data, "x-b3-spanid");
    in.parent_span_id = c->get(c->data, "x-b3-parentspanid");
    in.sampled = c->get(c->data, "x-b3-sampled");
    in.flags = c->get(c->data, "x-b3-flags");
    return ot_b3multi_parse(&in, out);
}

static void b3multi_inject(apr_pool_t *p, const ot_span_context *ctx,
                           const ot_carrier *c)
{
    char *buf = apr_palloc(p, OT_B3_MAX + 1);
    ot_b3multi v;

    ot_b3multi_format(ctx, &v, buf);
    c->set(c->data, "x-b3-traceid", v.trace_id);
    c->set(c->data, "x-b3-spanid", v.span_id);
    c->set(c->data, "x-b3-parentspanid", NULL);
    c->set(c->data, "x-b3-sampled", v.sampled);
    c->set(c->data, "x-b3-flags", v.flags);
}

/* --------------------------------------------------------------- jaeger */

#define UBERCTX "uberctx-"
#define UBERCTX_LEN (sizeof(UBERCTX) - 1)

static int jaeger_extract(apr_pool_t *p, const ot_carrier *c,
                          ot_span_context *out, ot_extract_stats *st)
{
    const char *v = c->get(c->data, "uber-trace-id");

    return v ? ot_jaeger_parse(v, strlen(v), out) : OT_EXTRACT_NONE;
}

/* uberctx-<key>: <URL-encoded value> into a baggage member; the key
 * lowercased, as HTTP/2 and most clients have it. */
static void uberctx_member(void *arg, const char *name, const char *value)
{
    ot_baggage *b = arg;
    size_t klen = strlen(name) - UBERCTX_LEN, vlen = strlen(value), i;
    char *key = apr_pstrmemdup(b->pool, name + UBERCTX_LEN, klen);
    char *raw = apr_palloc(b->pool, vlen + 1);
    long n = ot_url_decode(value, vlen, raw);

    if (n < 0) {
        b->invalid++;
        return;
    }
    for (i = 0; i < klen; i++) {
        key[i] = apr_tolower(key[i]);
    }
    ot_baggage_add_raw(b, key, klen, raw, (size_t)n);
}

static void jaeger_baggage_read(const ot_carrier *c, ot_baggage *b)
{
    if (c->each) {
        c->each(c->data, UBERCTX, uberctx_member, b);
    }
}

typedef struct uberctx_out {
    apr_pool_t *pool;
    const ot_carrier *carrier;
} uberctx_out;

static void uberctx_write(void *arg, const char *key, size_t klen,
                          const char *value, size_t vlen)
{
    uberctx_out *u = arg;
    char *name = apr_palloc(u->pool, UBERCTX_LEN + klen + 1);

    memcpy(name, UBERCTX, UBERCTX_LEN);
    memcpy(name + UBERCTX_LEN, key, klen);
    name[UBERCTX_LEN + klen] = '\0';
    u->carrier->set(u->carrier->data, name,
                    ot_url_encode(u->pool, value, vlen));
}

static void jaeger_inject(apr_pool_t *p, const ot_span_context *ctx,
                          const ot_carrier *c)
{
    char *v = apr_palloc(p, OT_JAEGER_MAX + 1);
    uberctx_out u;

    ot_jaeger_format(ctx, v);
    c->set(c->data, "uber-trace-id", v);
    clear_prefix(p, c, UBERCTX);
    if (ctx->baggage) {
        u.pool = p;
        u.carrier = c;
        ot_baggage_each(ctx->baggage, uberctx_write, &u);
    }
}

/* -------------------------------------------------------------- baggage */

static void baggage_read(const ot_carrier *c, ot_baggage *b)
{
    const char *v = c->get(c->data, "baggage");

    if (v) {
        ot_baggage_add_header(b, v, strlen(v));
    }
}

static void baggage_inject(apr_pool_t *p, const ot_span_context *ctx,
                           const ot_carrier *c)
{
    c->set(c->data, "baggage", ctx->baggage);
}

/* ---------------------------------------------------------------- table */

static const char *const w3c_fields[] = { "traceparent", "tracestate", NULL };
static const char *const b3_fields[] = { "b3", NULL };
static const char *const b3multi_fields[] = {
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled",
    "x-b3-flags", NULL
};
static const char *const jaeger_fields[] = { "uber-trace-id", UBERCTX "*",
                                             NULL };
static const char *const baggage_fields[] = { "baggage", NULL };

static const ot_propagator propagators[] = {
    { "w3c", w3c_fields, w3c_extract, NULL, w3c_inject },
    { "b3", b3_fields, b3_extract, NULL, b3_inject },
    { "b3multi", b3multi_fields, b3multi_extract, NULL, b3multi_inject },
    { "jaeger", jaeger_fields, jaeger_extract, jaeger_baggage_read,
      jaeger_inject },
    { "baggage", baggage_fields, NULL, baggage_read, baggage_inject },
};
#define N_PROPAGATORS (sizeof(propagators) / sizeof(propagators[0]))

static const char *const propagator_names[] = {
    "w3c", "b3", "b3multi", "jaeger", "baggage", NULL
};

const ot_propagator *ot_propagator_find(const char *name)
{
    size_t i;

    for (i = 0; i < N_PROPAGATORS; i++) {
        if (strcasecmp(propagators[i].name, name) == 0) {
            return &propagators[i];
        }
    }
    return NULL;
}

const char *ot_propagator_name(const ot_propagator *f)
{
    return f->name;
}

const char *const *ot_propagator_names(void)
{
    return propagator_names;
}

const char *const *ot_propagator_fields(const ot_propagator *f)
{
    return f->fields;
}

ot_extract_result ot_propagation_extract(apr_pool_t *p,
                                         const ot_propagator *const *list,
                                         size_t n, const ot_carrier *c,
                                         ot_span_context *out,
                                         ot_extract_stats *stats)
{
    ot_extract_stats none;
    ot_extract_result got = OT_EXTRACT_NONE;
    ot_baggage b;
    size_t i;
    int r;

    if (!stats) {
        stats = &none;
    }
    stats->invalid = stats->baggage_truncated = 0;
    memset(out, 0, sizeof(*out));
    if (!c->get) {
        return OT_EXTRACT_NONE;
    }
    ot_baggage_init(&b, p);
    for (i = 0; i < n; i++) {
        if (got == OT_EXTRACT_NONE && list[i]->extract) {
            r = list[i]->extract(p, c, out, stats);
            if (r < 0) {
                /* malformed: ignored, the next format is tried */
                stats->invalid++;
                memset(out, 0, sizeof(*out));
            }
            else {
                got = (ot_extract_result)r;
            }
        }
        if (list[i]->baggage) {
            list[i]->baggage(c, &b);
        }
    }
    out->baggage = ot_baggage_get(&b);
    stats->invalid += b.invalid;
    stats->baggage_truncated = (unsigned)b.truncated;
    return got;
}

static void clear_format(const ot_propagator *f, const ot_carrier *c,
                         apr_pool_t *p)
{
    const char *const *field;
    size_t len;

    for (field = f->fields; *field; field++) {
        len = strlen(*field);
        if ((*field)[len - 1] != '*') {
            c->set(c->data, *field, NULL);
        }
        else {
            clear_prefix(p, c, apr_pstrmemdup(p, *field, len - 1));
        }
    }
}

void ot_propagation_clear(apr_pool_t *p, const ot_propagator *const *list,
                          size_t n, const ot_carrier *c)
{
    size_t i;

    for (i = 0; i < n; i++) {
        clear_format(list[i], c, p);
    }
}

/* Each format's inject sets its fields and removes those it does not
 * write this time: a set replaces, so nothing is looked up twice. */
void ot_propagation_inject(apr_pool_t *p, const ot_propagator *const *list,
                           size_t n, const ot_span_context *ctx,
                           const ot_carrier *c)
{
    size_t i;

    for (i = 0; i < n; i++) {
        list[i]->inject(p, ctx, c);
    }
}
