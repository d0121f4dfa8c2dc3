/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing_proxy.c: a CLIENT span for every call mod_proxy makes to
 * a backend (TraceProxySpans), whose context the backend receives.
 *
 * mod_proxy's scheme_handler hook is not an optional hook: the function
 * that registers it is a symbol of mod_proxy.so, which may be loaded after this module
 * (Debian loads modules in the order of their names) or not at all.  It is
 * looked up once every LoadModule has run, in pre_config, and called then:
 * httpd sorts the hooks again after pre_config.
 *
 * mod_proxy's handler runs the scheme handlers once per attempt (a
 * balancer fails over to its next member after a 503) and the optional
 * request_status hook once at the end.  Our scheme_handler runs first and declines: it ends the
 * previous attempt's span as failed, starts one for this attempt (the
 * member and the URL are known here: the balancer has chosen), and writes
 * its context into the request headers and the CGI environment the scheme
 * handler sends from.  An output filter notes when the backend's response
 * headers have been read (the first brigade the handler passes on), and
 * request_status finishes the span and puts the server span's context
 * back.
 */

#include <dlfcn.h>

#include "apr_strings.h"
#include "apr_uri.h"

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"
#include "mod_proxy.h"

#include "mod_opentracing_private.h"

#include "ot_w3c.h"

#define KEY(k) k, sizeof(k) - 1

/* The call a request is making, in r->pool's userdata. */
#define CALL_KEY "opentracing-proxy-call"

typedef struct ot_call {
    ot_span *span;              /* the attempt being made; NULL: none */
    ot_span_context server;     /* the server span's context */
    ap_filter_t *filter;        /* response_filter, while it waits */
    int64_t response_ns;        /* when the response headers were read */
    int status;                 /* the backend's status then */
    int attempts;
} ot_call;

static ap_filter_rec_t *response_filter;

static int64_t now_ns(void)
{
    return (int64_t)apr_time_now() * 1000;
}

/* semconv network.protocol.name for a proxy scheme. */
static const char *protocol_name(const char *scheme)
{
    static const char *const names[][2] = {
        { "http", "http" }, { "https", "http" }, { "h2", "http" },
        { "h2c", "http" }, { "ws", "http" }, { "wss", "http" },
        { "fcgi", "fastcgi" }, { "scgi", "scgi" }, { "uwsgi", "uwsgi" },
        { "ajp", "ajp" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(scheme, names[i][0]) == 0) {
            return names[i][1];
        }
    }
    return scheme;
}

/* What is known when the attempt starts: the method, the backend's URL
 * (without credentials, its query redacted), address, port, protocol. */
static void record_call(ot_span *s, request_rec *r, const char *url,
                        int attempt)
{
    apr_uri_t u;
    const char *v;
    size_t len;

    ot_record_method(s, r->method ? r->method : "GET");
    if (apr_uri_parse(r->pool, url, &u) == APR_SUCCESS) {
        if (u.query) {
            u.query = (char *)ot_redacted_query(r, u.query, &len);
        }
        v = apr_uri_unparse(r->pool, &u, APR_URI_UNP_OMITUSERINFO);
        ot_span_add_strn(s, KEY("url.full"), v, strlen(v));
        if (u.hostname) {
            ot_span_add_strn(s, KEY("server.address"), u.hostname,
                             strlen(u.hostname));
        }
        if (u.scheme) {
            ot_span_add_intn(s, KEY("server.port"),
                             u.port_str ? u.port
                                        : apr_uri_port_of_scheme(u.scheme));
            v = protocol_name(u.scheme);
            ot_span_add_strn(s, KEY("network.protocol.name"), v, strlen(v));
        }
    }
    if (attempt > 0) {
        ot_span_add_intn(s, KEY("http.request.resend_count"), attempt);
    }
}

/* error.type of a call that got no response: what mod_proxy made of it. */
static const char *failure_type(request_rec *r, int status)
{
    switch (status) {
    case HTTP_GATEWAY_TIME_OUT:
        return "timeout";
    case HTTP_SERVICE_UNAVAILABLE:
        return "unavailable";
    case HTTP_BAD_GATEWAY:
        return "bad_gateway";
    }
    return apr_itoa(r->pool, status);
}

/* End the open attempt and hand it to the exporter: at the time its
 * response headers were read, or now with status no_response when there
 * were none. */
static void finish(ot_call *call, request_rec *r, int no_response)
{
    ot_span *s = call->span;
    const char *v;

    if (call->response_ns) {
        ot_span_add_intn(s, KEY("http.response.status_code"), call->status);
        /* CLIENT spans: 4xx are errors too */
        if (call->status >= 400) {
            v = apr_itoa(r->pool, call->status);
            ot_span_add_strn(s, KEY("error.type"), v, strlen(v));
            ot_span_set_status(s, OT_STATUS_ERROR, NULL);
        }
        ot_span_end(s, call->response_ns);
    }
    else {
        v = failure_type(r, no_response);
        ot_span_add_strn(s, KEY("error.type"), v, strlen(v));
        ot_span_set_status(s, OT_STATUS_ERROR,
                           apr_psprintf(r->pool, "no response from the "
                                        "backend (mod_proxy: %d)",
                                        no_response));
        ot_span_end(s, now_ns());
    }
    ot_submit(r, s);
    call->span = NULL;
    call->response_ns = 0;
}

static int ot_proxy_scheme_handler(request_rec *r, proxy_worker *worker,
                                   proxy_server_conf *conf, char *url,
                                   const char *proxyhost,
                                   apr_port_t proxyport)
{
    const ot_span_context *server = ot_traced_context(r);
    ot_span_context ctx;
    ot_call *call = NULL;
    char *tp;

    if (!server || !(server->flags & OT_FLAG_SAMPLED)
        || ot_dir_conf_get(r)->proxy_spans == 0) {
        return DECLINED;
    }
    apr_pool_userdata_get((void **)&call, CALL_KEY, r->pool);
    if (!call) {
        call = apr_pcalloc(r->pool, sizeof(*call));
        apr_pool_userdata_setn(call, CALL_KEY, NULL, r->pool);
    }
    if (call->span) {
        /* The attempt before failed, and mod_proxy tries again: only a
         * 503 is retried. */
        finish(call, r, HTTP_SERVICE_UNAVAILABLE);
    }
    call->server = *server;
    call->span = ot_span_start(r->pool, server, 0, server->flags,
                               OT_SPAN_KIND_CLIENT, now_ns());
    record_call(call->span, r, url, call->attempts++);

    /* The backend's parent is this span. */
    ctx = *server;
    memcpy(ctx.span_id, ot_span_record_get(call->span)->span_id, 8);
    tp = apr_palloc(r->pool, OT_TRACEPARENT_LEN + 1);
    ot_w3c_traceparent_format(ctx.trace_id, ctx.span_id, ctx.flags, tp);
    ctx.traceparent = tp;
    ot_inject(r, &ctx, 1);
    apr_table_setn(r->notes, "ot-client-traceparent", tp);
    if (!call->filter) {
        call->filter = ap_add_output_filter_handle(response_filter, call, r,
                                                   r->connection);
    }
    return DECLINED;
}

/* The first brigade the proxy handler passes on: the backend's response
 * headers have been read. */
static apr_status_t response_filter_fn(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ot_call *call = f->ctx;

    if (call->span && !call->response_ns) {
        call->response_ns = now_ns();
        call->status = f->r->status;
    }
    call->filter = NULL;
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Once the handler is done with every attempt: access_status is its
 * result (a 503 when no backend answered). */
static int ot_proxy_request_status(int *access_status, request_rec *r)
{
    ot_call *call = NULL;

    apr_pool_userdata_get((void **)&call, CALL_KEY, r->pool);
    if (!call || !call->span) {
        return DECLINED;
    }
    finish(call, r, *access_status);
    if (call->filter) {
        ap_remove_output_filter(call->filter);
        call->filter = NULL;
    }
    ot_inject(r, &call->server, 1);
    return DECLINED;
}

typedef void (*scheme_handler_hook)(proxy_HOOK_scheme_handler_t *pf,
                                    const char *const *pre,
                                    const char *const *succ, int order);

static int ot_proxy_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp)
{
    scheme_handler_hook hook_scheme;

    if (!ap_find_linked_module("mod_proxy.c")) {
        return OK;
    }
    /* POSIX's way to a function from dlsym (ISO C has no cast for it) */
    *(void **)&hook_scheme = dlsym(RTLD_DEFAULT, "proxy_hook_scheme_handler");
    if (hook_scheme) {
        /* First, and declining: every scheme handler after ours sees the
         * CLIENT span's context. */
        hook_scheme(ot_proxy_scheme_handler, NULL, NULL,
                    APR_HOOK_REALLY_FIRST);
    }
    return OK;
}

void ot_proxy_register_hooks(apr_pool_t *p)
{
    response_filter = ap_register_output_filter("OT_PROXY_RESPONSE",
                                                response_filter_fn, NULL,
                                                AP_FTYPE_RESOURCE);
    ap_hook_pre_config(ot_proxy_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* An optional hook, unlike the others: registered by name, whatever
     * the order of LoadModule.  mod_proxy runs it once per request it
     * handles, after the last attempt (post_request runs for balancers
     * only). */
    APR_OPTIONAL_HOOK(proxy, request_status, ot_proxy_request_status, NULL,
                      NULL, APR_HOOK_MIDDLE);
}
