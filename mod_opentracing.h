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

#endif /* MOD_OPENTRACING_H */
