/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_propagation.h: span contexts and the propagation formats.
 *
 * A format (w3c, b3, b3multi, jaeger, baggage) reads a context from, and
 * writes one into, an abstract carrier: httpd's headers_in, a CGI
 * environment, a test's array.  The glue never looks at a format's
 * headers: it calls ot_propagation_extract() with the configured list, in
 * order, and ot_propagation_inject() with the same list.  Pure code: APR
 * pools and libc only, no httpd.
 */

#ifndef OT_PROPAGATION_H
#define OT_PROPAGATION_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <apr_tables.h>

/* ot_span_context.origin bits: how the context arrived. */
#define OT_CTX_TRACE_ID_64 0x01 /* a 64-bit trace id (B3, Jaeger): kept
                                 * left-padded with zeros in trace_id and
                                 * written back 64 bits wide */
#define OT_CTX_DEFERRED    0x02 /* no sampling decision came with the ids
                                 * (B3 without a sampled flag): our
                                 * sampler decides */
#define OT_CTX_DEBUG       0x04 /* the B3 / Jaeger debug flag: sampled, and
                                 * passed on as debug */

typedef struct ot_span_context {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;              /* W3C trace-flags: sampled 0x01, random
                                 * 0x02 (level 2) */
    uint8_t origin;             /* OT_CTX_* */
    const char *trace_state;    /* normalized W3C tracestate, or NULL */
    const char *baggage;        /* normalized W3C baggage list, or NULL */
    const char *traceparent;    /* this context as a W3C traceparent when
                                 * already formatted, or NULL */
} ot_span_context;

/*
 * A carrier.  get looks a field (header) up by name, case-insensitively;
 * NULL when absent.  Repeated fields arrive merged with "," as HTTP allows.
 * set replaces a field, or removes it when value is NULL; name and value
 * stay valid for the carrier's life.  each calls fn for every field whose
 * name begins with prefix (case-insensitively), for Jaeger's uberctx-*
 * baggage; fn must not change the carrier.  A carrier that is only
 * written to (the CGI environment) has no get, one only extracted from
 * needs no set; one that never holds prefixed fields may have no each.
 */
typedef void (*ot_carrier_fn)(void *arg, const char *name, const char *value);
typedef struct ot_carrier {
    void *data;
    const char *(*get)(void *data, const char *name);
    void (*set)(void *data, const char *name, const char *value);
    void (*each)(void *data, const char *prefix, ot_carrier_fn fn, void *arg);
} ot_carrier;

/* An APR table of headers (httpd's headers_in) as a carrier, with get,
 * set (apr_table_setn: the value must live as long as the table) and
 * each. */
void ot_carrier_table(ot_carrier *c, apr_table_t *t);

typedef struct ot_propagator ot_propagator;

/* NULL when there is no such format (names compare case-insensitively). */
const ot_propagator *ot_propagator_find(const char *name);
/* The format's name as configured ("w3c", "b3", ...). */
const char *ot_propagator_name(const ot_propagator *f);
/* The names of all formats, NULL-terminated (for error messages). */
const char *const *ot_propagator_names(void);
/* The fields (header names, lowercase) a format reads and writes,
 * NULL-terminated; a name ending in '*' is a prefix (uberctx-*). */
const char *const *ot_propagator_fields(const ot_propagator *f);

/* What ot_propagation_extract found. */
typedef enum {
    OT_EXTRACT_NONE = 0,        /* nothing valid: a new trace */
    OT_EXTRACT_CONTEXT,         /* a parent: ids, flags, origin, trace_state */
    OT_EXTRACT_DECISION         /* only a sampling decision (B3 "0", "1",
                                 * "d"): a new trace with that decision in
                                 * flags / origin */
} ot_extract_result;

/* Counts of what extract refused or cut, for the status page and logs. */
typedef struct ot_extract_stats {
    unsigned invalid;           /* fields present but malformed, ignored */
    unsigned baggage_truncated; /* baggage cut to the W3C limits */
} ot_extract_stats;

/*
 * Extract by the n formats of list in order: the first that yields a valid
 * context (or a decision only) wins, the rest are not tried for ids.
 * Baggage is gathered from every format of the list that carries it (W3C
 * baggage, Jaeger uberctx-*), the first occurrence of a key winning, within
 * the W3C Baggage limits (8192 bytes, 180 members; cut at a member
 * boundary).  A tracestate is kept only with a W3C context.  Everything
 * *out points to is allocated in p.  stats may be NULL.
 */
ot_extract_result ot_propagation_extract(apr_pool_t *p,
                                         const ot_propagator *const *list,
                                         size_t n, const ot_carrier *c,
                                         ot_span_context *out,
                                         ot_extract_stats *stats);

/* Remove every field of the n formats of list from c (scratch from p). */
void ot_propagation_clear(apr_pool_t *p, const ot_propagator *const *list,
                          size_t n, const ot_carrier *c);

/*
 * Write ctx into c in every one of the n formats of list, replacing every
 * field of the format (what arrived is replaced, never merged: a field
 * ctx has no value for, a stale X-B3-ParentSpanId or uberctx-*, is
 * removed).  Fields of formats not in the list are left alone.  Nothing
 * written carries CR, LF or other control characters.
 */
void ot_propagation_inject(apr_pool_t *p, const ot_propagator *const *list,
                           size_t n, const ot_span_context *ctx,
                           const ot_carrier *c);

#endif /* OT_PROPAGATION_H */
