/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing.h: the public C API of mod_opentracing for other httpd
 * modules, as optional functions (they resolve to NULL when the module is
 * not loaded, so a caller works with or without it):
 *
 *   APR_OPTIONAL_FN_TYPE(opentracing_request_context) *ctx_fn =
 *       APR_RETRIEVE_OPTIONAL_FN(opentracing_request_context);
 *   opentracing_context c;
 *   if (ctx_fn && ctx_fn(r, &c)) { ... c.traceparent ... }
 *
 * Retrieve them in an optional_fn_retrieve hook, or later.
 *
 * Versions: OPENTRACING_API_VERSION is the version of this header; a
 * function is only ever added, never changed (a changed one gets a new
 * name), so a module built against an older header keeps working.  At
 * run time, a function the loaded mod_opentracing lacks is NULL, and
 * opentracing_api_version() (itself NULL before version 2) tells which
 * version it implements.
 *   1  opentracing_request_context
 *   2  the span API: opentracing_api_version, opentracing_set_attribute,
 *      _set_attribute_int, _add_event, _set_error, _set_name,
 *      _start_span, _span_set_attribute, _span_set_attribute_int,
 *      _end_span, _inject
 *
 * The span API's rules (README, "C API for other modules"):
 * - Every call is a safe no-op when r's request is not traced
 *   (TraceRequest Off, no tracer) or not sampled, before mod_opentracing's
 *   header_parser hook, once the request has been logged (the server span
 *   is exported then), and when given NULL (r, span, key, value, name).
 *   opentracing_inject() is the exception: it writes the context whenever
 *   the request is traced, sampled or not, so that the decision travels on.
 * - Strings are copied (bounded: keys up to 128 bytes, names 256, error
 *   messages 512, values the tracer's max_attribute_length), so they may
 *   come from any pool, a subrequest's too.
 * - r may be the request the client sent, an internal redirect or a
 *   subrequest: they share the one server span.
 * - At most 32 child spans per request: opentracing_start_span() returns
 *   NULL beyond, and the server span counts them.  A child span not ended
 *   when the request is logged is ended then, with status ERROR and the
 *   attribute mod_opentracing.api.ended_at_log.
 * - Not thread-safe beyond httpd's own rule: one request, one thread at a
 *   time.
 */

#ifndef MOD_OPENTRACING_H
#define MOD_OPENTRACING_H

#include "httpd.h"
#include "apr_optional.h"

typedef struct opentracing_context {
    char trace_id[33];      /* 32 lowercase hex digits */
    char span_id[17];       /* the server span of the request */
    char traceparent[56];   /* W3C traceparent of the server span */
    int sampled;            /* 1: the span is recorded and exported */
} opentracing_context;

/* The context of the request's server span (from a subrequest or an
 * internal redirect too).  Returns 1 and fills *out when the request is
 * traced, 0 when it is not (TraceRequest Off, no tracer configured).
 * TraceRequest is settled after the location walk, in mod_opentracing's
 * header_parser hook (APR_HOOK_REALLY_FIRST): before it (post_read_request,
 * translate_name, map_to_storage) the function returns 0; from
 * header_parser on (other modules' header_parser, auth, access, fixups and
 * handler hooks, log_transaction) it returns 1 for a traced request, and
 * *out names the span that is exported and passed on.  A request that
 * ends before header_parser (an error in translate_name) gets 1 only from
 * log_transaction on. */
APR_DECLARE_OPTIONAL_FN(int, opentracing_request_context,
                        (request_rec *r, opentracing_context *out));

/* ------------------------------------------------------ the span API (2) */

#define OPENTRACING_API_VERSION 2

/* Span kinds, in OTLP's numbering. */
#define OPENTRACING_SPAN_KIND_INTERNAL 1
#define OPENTRACING_SPAN_KIND_SERVER   2
#define OPENTRACING_SPAN_KIND_CLIENT   3
#define OPENTRACING_SPAN_KIND_PRODUCER 4
#define OPENTRACING_SPAN_KIND_CONSUMER 5

/* A child span of the request's server span (opaque; it lives as long as
 * the request the client sent). */
typedef struct opentracing_span opentracing_span;

/* The version of the API the loaded module implements
 * (OPENTRACING_API_VERSION of the header it was built with). */
APR_DECLARE_OPTIONAL_FN(int, opentracing_api_version, (void));

/* An attribute of the server span, replacing an earlier one with the same
 * key.  The attributes mod_opentracing sets itself (http.*, url.*,
 * server.*, client.*, network.*, user_agent.*, error.*, otel.*) cannot be
 * set: such a key is dropped (and counted). */
APR_DECLARE_OPTIONAL_FN(void, opentracing_set_attribute,
                        (request_rec *r, const char *key, const char *value));
APR_DECLARE_OPTIONAL_FN(void, opentracing_set_attribute_int,
                        (request_rec *r, const char *key, apr_int64_t value));
/* An event on the server span, now, with the string attributes of attrs
 * (NULL: none; the first 16). */
APR_DECLARE_OPTIONAL_FN(void, opentracing_add_event,
                        (request_rec *r, const char *name,
                         const apr_table_t *attrs));
/* Mark the server span as failed (status ERROR) with message (NULL: none),
 * whatever the response's status. */
APR_DECLARE_OPTIONAL_FN(void, opentracing_set_error,
                        (request_rec *r, const char *message));
/* The server span's name, over TraceOperationName and the default. */
APR_DECLARE_OPTIONAL_FN(void, opentracing_set_name,
                        (request_rec *r, const char *name));

/* Start a child span of the server span, now; kind: an
 * OPENTRACING_SPAN_KIND_* (another number is INTERNAL).  NULL when the
 * request is not recorded, beyond 32 child spans, or when name is NULL:
 * every function below takes NULL as a no-op. */
APR_DECLARE_OPTIONAL_FN(opentracing_span *, opentracing_start_span,
                        (request_rec *r, const char *name, int kind));
APR_DECLARE_OPTIONAL_FN(void, opentracing_span_set_attribute,
                        (opentracing_span *span, const char *key,
                         const char *value));
APR_DECLARE_OPTIONAL_FN(void, opentracing_span_set_attribute_int,
                        (opentracing_span *span, const char *key,
                         apr_int64_t value));
/* End the span now (later calls on it do nothing) and hand it to the
 * exporter; error_message not NULL: status ERROR with that message. */
APR_DECLARE_OPTIONAL_FN(void, opentracing_end_span,
                        (opentracing_span *span, const char *error_message));

/* Write the context of span (NULL: the server span) into headers, the
 * headers of an outgoing request, in every format TracePropagation
 * configures (replacing what they held of those formats).  The values are
 * allocated from the table's pool.  Returns 1 when written, 0 when not
 * (the request is not traced, span belongs to another request...). */
APR_DECLARE_OPTIONAL_FN(int, opentracing_inject,
                        (request_rec *r, opentracing_span *span,
                         apr_table_t *headers));

#endif /* MOD_OPENTRACING_H */
