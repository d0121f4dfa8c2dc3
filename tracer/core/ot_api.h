/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_api.h: what other modules record on one request through the span API
 * of mod_opentracing.h, as pure code (APR and libc only; the glue in
 * mod_opentracing_api.c finds the request and hands the spans to the
 * exporter).
 *
 * Everything given is copied into the request's pool once, bounded: keys
 * of more than OT_API_MAX_KEY bytes (or empty) are refused and counted as
 * dropped attributes, names cut to OT_API_MAX_NAME bytes, error messages
 * to OT_API_MAX_MESSAGE, string values to the tracer's
 * max_attribute_length (the cut the queue would make, done before the
 * copy), always at a UTF-8 boundary.  Keys are the exception: each has
 * one lasting copy for the process (ot_intern.h), so the spans carry it
 * as they carry the module's own keys; only when that table has no room
 * for it is a key copied into the pool, and then by the queue too
 * (OT_QUEUE_COPY_KEY).
 *
 * At most OT_API_MAX_SPANS child spans per request; start beyond it
 * returns NULL, counted, and the server span carries the count as
 * mod_opentracing.api.dropped_spans.  When the request is logged,
 * ot_api_finish() ends every child still open (status ERROR and the
 * attribute mod_opentracing.api.ended_at_log), applies the name and error
 * given for the server span (over the module's defaults), and from then
 * on every call is a no-op.
 */

#ifndef OT_API_H
#define OT_API_H

#include <stdint.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "ot_propagation.h"
#include "ot_span.h"

#define OT_API_MAX_SPANS       32   /* child spans per request */
#define OT_API_MAX_KEY         128  /* bytes of an attribute key */
#define OT_API_MAX_NAME        256  /* bytes of a span or event name */
#define OT_API_MAX_MESSAGE     512  /* bytes of an error message */
#define OT_API_MAX_EVENT_ATTRS 16   /* attributes of one event; more are
                                     * ignored */

/* The API's state of one request. */
typedef struct ot_api_request ot_api_request;
/* A child span: the public header's opaque opentracing_span. */
typedef struct opentracing_span ot_api_span;

/* The state of a request whose server span (context server_ctx, which
 * lives as long as p) is recorded; max_value: string values are cut to it
 * (0: no cut); data: the caller's, for ot_api_data(). */
ot_api_request *ot_api_request_make(apr_pool_t *p,
                                    const ot_span_context *server_ctx,
                                    uint32_t max_value, void *data);
void *ot_api_data(const ot_api_request *q);

/* key=value on s, replacing an earlier value of key.  On the server span
 * (is_server), the keys the module sets itself (ot_span_module_key)
 * are refused and counted as dropped, as over-long keys are. */
void ot_api_set_str(ot_api_request *q, ot_span *s, int is_server,
                    const char *key, const char *value);
void ot_api_set_int(ot_api_request *q, ot_span *s, int is_server,
                    const char *key, int64_t value);
/* An event named name at now_ns with the string attributes of attrs (may
 * be NULL), the first OT_API_MAX_EVENT_ATTRS of them. */
void ot_api_add_event(ot_api_request *q, ot_span *s, const char *name,
                      const apr_table_t *attrs, int64_t now_ns);
/* The server span's name, and its error (message NULL: an error without
 * one), applied by ot_api_finish(). */
void ot_api_set_name(ot_api_request *q, const char *name);
void ot_api_set_error(ot_api_request *q, const char *message);

/* A child span of the server span, started at now_ns (kind: an
 * ot_span_kind; another number is INTERNAL).  NULL beyond
 * OT_API_MAX_SPANS (counted), after ot_api_finish() or when name is
 * NULL. */
ot_api_span *ot_api_span_start(ot_api_request *q, const char *name,
                               int kind, int64_t now_ns);
/* The request s belongs to. */
ot_api_request *ot_api_span_request(const ot_api_span *s);
/* s's span while it is open, else NULL. */
ot_span *ot_api_span_open(const ot_api_span *s);
/* ot_api_set_str() and ot_api_set_int() on s while it is open (else
 * nothing). */
void ot_api_span_set_str(ot_api_span *s, const char *key, const char *value);
void ot_api_span_set_int(ot_api_span *s, const char *key, int64_t value);
/* s's context, for its outgoing calls: the server span's with s's id. */
void ot_api_span_context(const ot_api_span *s, ot_span_context *out);
/* End s at now_ns, as an error when message is not NULL: the span, to be
 * submitted, or NULL when s was ended already. */
ot_span *ot_api_span_end(ot_api_span *s, const char *message,
                         int64_t now_ns);

/* Whether ot_api_finish() has run. */
int ot_api_finished(const ot_api_request *q);
/* The request is logged: end the children still open (marked) at now()
 * (asked once, and only when there is one), calling submit for each, and
 * apply the name, error and dropped-span count to server.  Later calls do
 * nothing. */
void ot_api_finish(ot_api_request *q, ot_span *server, int64_t (*now)(void),
                   void (*submit)(void *arg, ot_span *s), void *arg);

#endif /* OT_API_H */
