/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_propagation.h: span contexts and the table of propagation formats.
 *
 * A format is a pair of functions over an abstract carrier (httpd's
 * headers_in, a CGI environment, a test's array): extract reads a context
 * from it, inject writes one into it.  New formats (B3, Jaeger, baggage)
 * are new rows in the table; the glue only ever walks the table.
 */

#ifndef OT_PROPAGATION_H
#define OT_PROPAGATION_H

#include <stdint.h>

#include <apr_pools.h>

typedef struct ot_span_context {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;              /* W3C trace-flags */
    const char *trace_state;    /* normalized, or NULL */
    const char *traceparent;    /* this context as a W3C traceparent when
                                 * already formatted, or NULL */
} ot_span_context;

/* Look up a field (header) by name; NULL when absent.  Repeated headers
 * arrive merged with "," as HTTP allows. */
typedef const char *(*ot_carrier_get)(void *carrier, const char *name);
/* Set (replace) a field, or remove it when value is NULL.  name and value
 * stay valid for the carrier's life. */
typedef void (*ot_carrier_set)(void *carrier, const char *name,
                               const char *value);

typedef struct ot_propagator {
    const char *name;
    /* 0 and *out filled when a valid context was found, -1 otherwise
     * (absent or invalid: the caller starts a new trace). */
    int (*extract)(apr_pool_t *p, ot_carrier_get get, void *carrier,
                   ot_span_context *out);
    void (*inject)(apr_pool_t *p, const ot_span_context *ctx,
                   ot_carrier_set set, void *carrier);
} ot_propagator;

/* NULL when there is no such format. */
const ot_propagator *ot_propagator_find(const char *name);
/* The names of all formats, NULL-terminated (for error messages). */
const char *const *ot_propagator_names(void);

#endif /* OT_PROPAGATION_H */
