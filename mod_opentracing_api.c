/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing_api.c: the span API of mod_opentracing.h for other
 * modules, as optional functions.
 *
 * Each function finds the request's server span through ot_api_state()
 * or ot_api_context() (the request the client sent holds it: subrequests
 * and internal redirects lead there), and does nothing unless the span is
 * recorded and not yet submitted.  What other modules set is kept in the
 * core's ot_api_request (tracer/core/ot_api.c: the copies, the limits),
 * made on the first call, with the request's state in mod_opentracing.c;
 * its copies are in the pool of the request the client sent: the
 * caller's strings are copied there, so a subrequest's pool may die
 * first.  A child span is handed to the exporter when it ends; those left
 * open are ended by ot_api_request_done() at log_transaction, before the
 * server span is submitted.
 */

#include "httpd.h"
#include "http_log.h"

#include "mod_opentracing.h"
#include "mod_opentracing_private.h"

static int64_t now_ns(void)
{
    return (int64_t)apr_time_now() * 1000;
}

/* The API's state of r's request while its server span is recorded and
 * not submitted yet, else NULL (also once the request is logged, when
 * the state is finished too: the core's calls would do nothing); *server:
 * the server span. */
static inline ot_api_request *api_of(request_rec *r, ot_span **server)
{
    return r ? ot_api_state(r, server) : NULL;
}

static int opentracing_api_version(void)
{
    return OPENTRACING_API_VERSION;
}

static void opentracing_set_attribute(request_rec *r, const char *key,
                                      const char *value)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);

    if (q) {
        ot_api_set_str(q, server, 1, key, value);
    }
}

static void opentracing_set_attribute_int(request_rec *r, const char *key,
                                          apr_int64_t value)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);

    if (q) {
        ot_api_set_int(q, server, 1, key, value);
    }
}

static void opentracing_add_event(request_rec *r, const char *name,
                                  const apr_table_t *attrs)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);

    if (q) {
        ot_api_add_event(q, server, name, attrs, now_ns());
    }
}

static void opentracing_set_error(request_rec *r, const char *message)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);

    if (q) {
        ot_api_set_error(q, message);
    }
}

static void opentracing_set_name(request_rec *r, const char *name)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);

    if (q) {
        ot_api_set_name(q, name);
    }
}

static opentracing_span *opentracing_start_span(request_rec *r,
                                                const char *name, int kind)
{
    ot_span *server;
    ot_api_request *q = api_of(r, &server);
    opentracing_span *s;

    if (!q || !name) {
        return NULL;
    }
    if (!(s = ot_api_span_start(q, name, kind, now_ns()))
        && !ot_api_finished(q)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00040)
                      "opentracing_start_span(\"%s\"): more than %d child "
                      "spans on this request, not recorded", name,
                      OT_API_MAX_SPANS);
    }
    return s;
}

static void opentracing_span_set_attribute(opentracing_span *span,
                                           const char *key, const char *value)
{
    if (span) {
        ot_api_span_set_str(span, key, value);
    }
}

static void opentracing_span_set_attribute_int(opentracing_span *span,
                                               const char *key,
                                               apr_int64_t value)
{
    if (span) {
        ot_api_span_set_int(span, key, value);
    }
}

/* The exporter's side of a child span: the server span's resource. */
static void submit(void *r, ot_span *s)
{
    ot_submit(r, s);
}

static void opentracing_end_span(opentracing_span *span,
                                 const char *error_message)
{
    ot_span *s = span ? ot_api_span_end(span, error_message, now_ns())
                      : NULL;

    if (s) {
        submit(ot_api_data(ot_api_span_request(span)), s);
    }
}

static int opentracing_inject(request_rec *r, opentracing_span *span,
                              apr_table_t *headers)
{
    const ot_span_context *ctx;
    const ot_api_request *api;
    ot_span_context child;
    ot_span *server;

    if (!r || !headers || !(ctx = ot_api_context(r, &server, &api))
        /* sampled, and submitted: the request has been logged */
        || ((ctx->flags & OT_FLAG_SAMPLED) && !server)) {
        return 0;
    }
    if (span) {
        if (ot_api_span_request(span) != api) {
            return 0;
        }
        ot_api_span_context(span, &child);
        ctx = &child;
    }
    ot_inject_headers(r, ctx, headers);
    return 1;
}

void ot_api_request_done(request_rec *initial, ot_api_request *api,
                         ot_span *server)
{
    ot_api_finish(api, server, now_ns, submit, initial);
}

void ot_api_register_hooks(apr_pool_t *p)
{
    APR_REGISTER_OPTIONAL_FN(opentracing_api_version);
    APR_REGISTER_OPTIONAL_FN(opentracing_set_attribute);
    APR_REGISTER_OPTIONAL_FN(opentracing_set_attribute_int);
    APR_REGISTER_OPTIONAL_FN(opentracing_add_event);
    APR_REGISTER_OPTIONAL_FN(opentracing_set_error);
    APR_REGISTER_OPTIONAL_FN(opentracing_set_name);
    APR_REGISTER_OPTIONAL_FN(opentracing_start_span);
    APR_REGISTER_OPTIONAL_FN(opentracing_span_set_attribute);
    APR_REGISTER_OPTIONAL_FN(opentracing_span_set_attribute_int);
    APR_REGISTER_OPTIONAL_FN(opentracing_end_span);
    APR_REGISTER_OPTIONAL_FN(opentracing_inject);
}
