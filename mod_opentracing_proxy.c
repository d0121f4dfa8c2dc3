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
 * request_status finishes the span.  An upgrade (WebSocket) is answered
 * past the request's filters: mod_proxy_http sends the backend's 101 as
 * an interim response, mod_proxy_wstunnel copies the backend's bytes, both
 * to the connection's filters, and the tunnel then lasts until a side
 * closes; a connection filter notes that 101.  The request headers keep
 * the last attempt's context (what the backend got): any later handler
 * (an ErrorDocument, a subrequest) has them rewritten in its own fixups.
 */

#include <dlfcn.h>

#include "apr_date.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"
#include "mod_proxy.h"

#include "mod_opentracing_private.h"

#include "ot_url.h"
#include "ot_w3c.h"

typedef struct ot_call {
    ot_span *span;              /* the attempt being made; NULL: none */
    ap_filter_t *filter;        /* response_filter, while it waits */
    ap_filter_t *upgrade;       /* upgrade_filter, while it waits */
    int64_t response_ns;        /* when the response headers were read */
    int status;                 /* the backend's status then */
    int attempts;               /* of this call, so far */
} ot_call;

static ap_filter_rec_t *response_filter, *upgrade_filter;

static int64_t now_ns(void)
{
    return (int64_t)apr_time_now() * 1000;
}

/* A proxy scheme: its semconv network.protocol.name, default port (the
 * one mod_proxy connects to when the URL has none; 0: none, as for uwsgi,
 * whose worker then has port 0 in httpd 2.4.71), and whether its
 * handler sends the CGI environment (FastCGI, SCGI and uwsgi build their
 * requests from it; HTTP and AJP send the headers, AJP only the variables
 * named AJP_* besides). */
typedef struct scheme_info {
    const char *scheme, *protocol;
    int port;
    int env;
} scheme_info;

static const scheme_info *scheme_of(const char *scheme, size_t len)
{
    static const scheme_info schemes[] = {
        { "http", "http", 80, 0 }, { "https", "http", 443, 0 },
        { "h2c", "http", 80, 0 }, { "h2", "http", 443, 0 },
        { "ws", "http", 80, 0 }, { "wss", "http", 443, 0 },
        { "fcgi", "fastcgi", 8000, 1 }, { "scgi", "scgi", 4000, 1 },
        { "uwsgi", "uwsgi", 0, 1 }, { "ajp", "ajp", 8009, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].scheme) == len
            && strncasecmp(scheme, schemes[i].scheme, len) == 0) {
            return &schemes[i];
        }
    }
    return NULL;
}

/* What is known when the attempt starts: the method, the backend's URL
 * (without credentials, its query redacted), address, port, protocol.
 * Returns whether the scheme's handler sends the CGI environment (an
 * unknown scheme is taken to). */
static int record_call(ot_span *s, request_rec *r, const char *url,
                       int attempt)
{
    const scheme_info *si = NULL;
    const char *q = NULL;
    size_t qlen = 0;
    char *full, *o;
    ot_url u;
    int names = ot_names(r);

    ot_span_set_name(s, ot_record_method(s, names, r->method));
    if (attempt > 0) {
        ot_attr_int(s, names,
                    NAMES("http.request.resend_count", "http.resend_count"),
                    attempt);
    }
    if (ot_url_parse(url, &u) != 0) {
        return 1;
    }
    si = scheme_of(u.scheme, u.scheme_len);
    if (u.query) {
        q = ot_redacted_query(r, apr_pstrmemdup(r->pool, u.query,
                                                u.query_len), &qlen);
    }
    else if (r->args && (!si || si->env)) {
        /* mod_proxy_fcgi & co. send the query as QUERY_STRING, not in
         * the URL */
        q = ot_redacted_query(r, r->args, &qlen);
    }
    o = full = apr_palloc(r->pool, u.scheme_len + 3 + u.hostport_len
                                   + u.path_len + 1 + qlen);
    memcpy(o, u.scheme, u.scheme_len);
    o += u.scheme_len;
    memcpy(o, "://", 3);
    o += 3;
    memcpy(o, u.hostport, u.hostport_len);
    o += u.hostport_len;
    memcpy(o, u.path, u.path_len);
    o += u.path_len;
    if (q) {
        *o++ = '?';
        memcpy(o, q, qlen);
        o += qlen;
    }
    ot_attr_str(s, names, NAMES("url.full", "http.url"), full,
                (size_t)(o - full));
    ot_attr_str(s, names, NAMES("server.address", "net.peer.name"), u.host,
                u.host_len);
    if (u.port || (si && si->port)) {
        ot_attr_int(s, names, NAMES("server.port", "net.peer.port"),
                    u.port ? u.port : si->port);
    }
    if (si) {
        ot_attr_str(s, names,
                    NAMES("network.protocol.name", "net.protocol.name"),
                    si->protocol, strlen(si->protocol));
    }
    return !si || si->env;
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
        ot_attr_int(s, ot_names(r),
                    NAMES("http.response.status_code", "http.status_code"),
                    call->status);
        /* CLIENT spans: 4xx are errors too (unless the backend's
         * Trace-Error said so, with its reason) */
        if (call->status >= 400
            && ot_span_record_get(s)->status_code != OT_STATUS_ERROR) {
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

/* Whether mod_proxy's scheme_handler hook carries ours (pre_config). */
static int scheme_hooked;

/* Whether a call mod_proxy makes for r gets a CLIENT span: a sampled
 * request under TraceProxySpans On. */
static int makes_client_span(request_rec *r, const ot_span_context *server)
{
    return (server->flags & OT_FLAG_SAMPLED)
           && ot_dir_conf_get(r)->proxy_spans != 0;
}

/* Whether mod_proxy will handle r, through our scheme handler. */
static int proxied(request_rec *r)
{
    return scheme_hooked && r->handler
           && strcmp(r->handler, "proxy-server") == 0;
}

int ot_proxy_injects(request_rec *r, const ot_span_context *server)
{
    return proxied(r) && makes_client_span(r, server);
}

static apr_status_t remove_upgrade_filter(void *data)
{
    ot_call *call = data;

    if (call->upgrade) {
        ap_remove_output_filter(call->upgrade);
        call->upgrade = NULL;
    }
    return APR_SUCCESS;
}

/* Whether the call may become a tunnel (WebSocket): the client asks for
 * an upgrade, and mod_proxy can make one to this backend (a ws:// or
 * wss:// URL, or a worker with upgrade=, mod_proxy_http's). */
static int tunnels(request_rec *r, const proxy_worker *worker,
                   const char *url)
{
    return (((url[0] | 0x20) == 'w' && (url[1] | 0x20) == 's')
            || worker->s->upgrade[0])
           && apr_table_get(r->headers_in, "Upgrade");
}

static int ot_proxy_scheme_handler(request_rec *r, proxy_worker *worker,
                                   proxy_server_conf *conf, char *url,
                                   const char *proxyhost,
                                   apr_port_t proxyport)
{
    void **slot;
    const ot_span_context *server = ot_traced_context(r, &slot);
    ot_span_context ctx;
    ot_call *call;
    char *tp;
    int with_env;

    if (!server || !makes_client_span(r, server)) {
        return DECLINED;
    }
    if (!(call = *slot)) {
        /* in the pool of the request the client sent: a proxied
         * subrequest ends before it */
        request_rec *top = r;

        while (top->main) {
            top = top->main;
        }
        call = *slot = apr_pcalloc(top->pool, sizeof(*call));
    }
    if (call->span) {
        /* The attempt before failed, and mod_proxy tries again: only a
         * 503 is retried. */
        finish(call, r, HTTP_SERVICE_UNAVAILABLE);
    }
    call->span = ot_span_start(r->pool, server, 0, server->flags,
                               OT_SPAN_KIND_CLIENT, now_ns());
    with_env = record_call(call->span, r, url, call->attempts++);

    /* The backend's parent is this span. */
    ctx = *server;
    memcpy(ctx.span_id, ot_span_record_get(call->span)->span_id, 8);
    tp = apr_palloc(r->pool, OT_TRACEPARENT_LEN + 1);
    ot_w3c_traceparent_format(ctx.trace_id, ctx.span_id, ctx.flags, tp);
    ctx.traceparent = tp;
    ot_inject(r, &ctx, with_env);
    if (ot_notes_wanted()) {
        apr_table_setn(r->notes, "ot-client-traceparent", tp);
    }
    if (!call->filter) {
        call->filter = ap_add_output_filter_handle(response_filter, call, r,
                                                   r->connection);
    }
    if (!call->upgrade && tunnels(r, worker, url)) {
        call->upgrade = ap_add_output_filter_handle(upgrade_filter, call,
                                                    NULL, r->connection);
        /* A connection's filter outlives the request: never with a call
         * that is gone, whatever path the proxy handler took. */
        apr_pool_cleanup_register(r->pool, call, remove_upgrade_filter,
                                  apr_pool_cleanup_null);
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
        ot_backend_read(f->r);
    }
    call->filter = NULL;
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* The first bytes on the connection after an upgrade request was sent:
 * the final response's status line ("HTTP/1.1 101 ..."; interim ones
 * wait), unless response_filter saw the response first. */
static apr_status_t upgrade_filter_fn(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ot_call *call = f->ctx;
    char line[13];              /* "HTTP/1.1 101", and the NUL checkmask reads */
    apr_size_t len = sizeof(line) - 1;
    int status;

    if (apr_brigade_flatten(bb, line, &len) != APR_SUCCESS || len == 0) {
        return ap_pass_brigade(f->next, bb);    /* no data yet */
    }
    line[len] = '\0';
    if (call->span && !call->response_ns
        && apr_date_checkmask(line, "HTTP/#.# ###*")) {
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10
                 + (line[11] - '0');
        if (status < 200 && status != HTTP_SWITCHING_PROTOCOLS) {
            return ap_pass_brigade(f->next, bb);
        }
        call->response_ns = now_ns();
        call->status = status;
    }
    call->upgrade = NULL;
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

ot_span *ot_proxy_client_span(request_rec *r)
{
    void **slot;
    ot_call *call;

    return ot_traced_context(r, &slot) && (call = *slot) ? call->span : NULL;
}

/* Once the handler is done with every attempt: access_status is its
 * result (a 503 when no backend answered). */
static int ot_proxy_request_status(int *access_status, request_rec *r)
{
    void **slot;
    ot_call *call;

    if (!ot_traced_context(r, &slot) || !(call = *slot) || !call->span) {
        return DECLINED;
    }
    finish(call, r, *access_status);
    if (call->filter) {
        ap_remove_output_filter(call->filter);
        call->filter = NULL;
    }
    remove_upgrade_filter(call);
    call->attempts = 0;
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
        scheme_hooked = 1;
    }
    return OK;
}

void ot_proxy_register_hooks(apr_pool_t *p)
{
    response_filter = ap_register_output_filter("OT_PROXY_RESPONSE",
                                                response_filter_fn, NULL,
                                                AP_FTYPE_RESOURCE);
    upgrade_filter = ap_register_output_filter("OT_PROXY_UPGRADE",
                                               upgrade_filter_fn, NULL,
                                               AP_FTYPE_CONNECTION);
    ap_hook_pre_config(ot_proxy_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* An optional hook, unlike the others: registered by name, whatever
     * the order of LoadModule.  mod_proxy runs it once per request it
     * handles, after the last attempt (post_request runs for balancers
     * only). */
    APR_OPTIONAL_HOOK(proxy, request_status, ot_proxy_request_status, NULL,
                      NULL, APR_HOOK_MIDDLE);
}
