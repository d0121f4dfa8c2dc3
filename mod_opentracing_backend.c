/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing_backend.c: the span headers a CGI script, a FastCGI
 * application or a proxied backend returns (TraceBackendHeaders): read
 * into the span of the request that produced them, and removed so that
 * the client never sees them.  The grammar is tracer/core/ot_backend.c's.
 *
 * An output filter reads them from r->headers_out and r->err_headers_out
 * (CGI and FastCGI put theirs in the latter) at the first brigade, before
 * the protocol's header filter (HTTP/1.1's or mod_http2's) writes them.
 * It is a content-set filter, inserted where a response can come from a
 * program or a backend (a proxied call with a CLIENT span reads them in
 * its own response filter, mod_opentracing_proxy.c, at the same moment):
 *   - a handler other than the static file one (cgi-script, proxy-server,
 *     mod_proxy_fcgi's...), and an internal redirect (an ErrorDocument or
 *     a CGI's local Location: the err_headers_out it inherits may hold
 *     the program's headers), from insert_filter; static files pay
 *     nothing;
 *   - every error response httpd makes itself (ap_send_error_response
 *     drops the request's filters and runs insert_error_filter).
 * A HEAD, a 304 or a 204 still sends the EOS through the filters.
 *
 * Response headers only: the request's Trace-* headers are never read.
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "mod_opentracing_private.h"

#include "ot_backend.h"
#include "ot_span.h"

static ap_filter_rec_t *backend_filter;

/* The names the filter removes, one per ot_backend_field. */
static const char *const field_names[] = {
    NULL, "Trace-Tag", "Trace-Operation", "Trace-Error", "Trace-Event",
    "Trace-Span"
};

/* Read the Trace-* fields of t into *b (made on first use) and remove
 * them. */
static void read_table(request_rec *r, apr_table_t *t, ot_backend **b)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    unsigned found = 0;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        ot_backend_field field;

        /* the common case, no header of ours, in one compare each */
        if (!e[i].key || (e[i].key[0] | 0x20) != 't'
            || (field = ot_backend_field_of(e[i].key)) == OT_BACKEND_NONE) {
            continue;
        }
        if (!*b) {
            *b = apr_palloc(r->pool, sizeof(**b));
            ot_backend_init(*b, r->pool);
        }
        ot_backend_add(*b, field, e[i].val);
        found |= 1u << field;
    }
    for (i = OT_BACKEND_TAG; found; i++) {
        if (found & (1u << i)) {
            apr_table_unset(t, field_names[i]);
            found &= ~(1u << i);
        }
    }
}

static int64_t now_ns(void)
{
    return (int64_t)apr_time_now() * 1000;
}

/* Status ERROR with the backend's message, error.type _OTHER (the
 * semantic conventions' value when there is no better one). */
static void set_error(ot_span *s, ot_str msg)
{
    ot_span_record *rec = ot_span_record_get(s);

    rec->status_code = OT_STATUS_ERROR;
    rec->status_message = msg;
    ot_span_set_str(s, "error.type", "_OTHER", 6);
}

/* Trace-Operation op names the server span s.  A route ("/users/{id}")
 * is http.route, and the name is "{method} {route}"; "GET /users/{id}"
 * is the name, and its route http.route; any other name is the name
 * alone (http.route stays what the configuration said, if anything). */
static void name_operation(request_rec *r, ot_span *s, ot_str op)
{
    ot_span_record *rec = ot_span_record_get(s);
    const char *sp = memchr(op.ptr, ' ', op.len);

    if (op.ptr[0] == '/') {
        ot_span_set_str(s, "http.route", op.ptr, (long)op.len);
        rec->name.ptr = apr_pstrcat(r->pool, r->method ? r->method : "HTTP",
                                    " ", apr_pstrmemdup(r->pool, op.ptr,
                                                        op.len), NULL);
        rec->name.len = (uint32_t)strlen(rec->name.ptr);
        return;
    }
    if (sp && sp + 1 < op.ptr + op.len && sp[1] == '/') {
        ot_span_set_str(s, "http.route", sp + 1,
                        (long)(op.ptr + op.len - sp - 1));
    }
    rec->name = op;
}

/* A Trace-Span: its own span record, a child of parent, handed to the
 * exporter now (the queue copies it). */
static void submit_child(request_rec *r, ot_span *parent,
                         const ot_backend_span *bs)
{
    const ot_span_record *p = ot_span_record_get(parent);
    ot_span_context ctx;
    ot_span_record *rec;
    ot_span *s;
    uint32_t i;

    memset(&ctx, 0, sizeof(ctx));
    memcpy(ctx.trace_id, p->trace_id, 16);
    memcpy(ctx.span_id, p->span_id, 8);
    ctx.flags = p->flags;
    ctx.trace_state = p->trace_state.len ? p->trace_state.ptr : NULL;
    s = ot_span_start(r->pool, &ctx, 0, p->flags, bs->kind, bs->start_ns);
    rec = ot_span_record_get(s);
    if (bs->has_span_id) {
        memcpy(rec->span_id, bs->span_id, 8);
    }
    rec->name = bs->name;
    for (i = 0; i < bs->n_attrs; i++) {
        ot_span_set_strn_copied(s, bs->attrs[i].key.ptr, bs->attrs[i].key.len,
                                bs->attrs[i].v.s.ptr, bs->attrs[i].v.s.len);
    }
    if (bs->error.ptr) {
        set_error(s, bs->error);
    }
    ot_span_end(s, bs->start_ns + bs->duration_ns);
    ot_submit(r, s);
}

/* What the backend said, onto the span of the call (the CLIENT span of a
 * proxied one, else the server span), its operation onto the server
 * span. */
static void apply(request_rec *r, ot_backend *b)
{
    ot_span *server = ot_server_span(r), *s;
    unsigned ignored = b->malformed + b->over_limit;
    int64_t now = now_ns();
    uint32_t i;

    if (ignored) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00030)
                      "backend span headers: %u malformed, %u beyond the "
                      "limits: ignored", b->malformed, b->over_limit);
    }
    if (!server) {
        /* not recorded (not traced, or not sampled): only removed */
        return;
    }
    s = ot_proxy_client_span(r);
    if (!s) {
        s = server;
    }
    if (b->operation.ptr) {
        name_operation(r, server, b->operation);
    }
    for (i = 0; i < b->n_tags; i++) {
        ot_span_set_strn_copied(s, b->tags[i].key.ptr, b->tags[i].key.len,
                                b->tags[i].v.s.ptr, b->tags[i].v.s.len);
    }
    if (b->error.ptr) {
        set_error(s, b->error);
    }
    for (i = 0; i < b->n_events; i++) {
        ot_backend_event *e = &b->events[i];
        ot_span_add_event_copied(s, e->name, e->time_ns ? e->time_ns : now,
                                 e->attrs, e->n_attrs);
    }
    for (i = 0; i < b->n_spans; i++) {
        submit_child(r, s, &b->spans[i]);
    }
    if (ignored) {
        ot_span_add_intn(s, KEY("mod_opentracing.backend_headers.ignored"),
                         ignored);
    }
}

static int wanted(request_rec *r)
{
    return ot_server_conf_get(r->server)->tracer
           && ot_dir_conf_get(r)->backend_headers != 0;
}

void ot_backend_read(request_rec *r)
{
    ot_backend *b = NULL;

    if (wanted(r)) {
        read_table(r, r->headers_out, &b);
        read_table(r, r->err_headers_out, &b);
        if (b) {
            apply(r, b);
        }
    }
}

/* The first brigade of the response: its headers are final. */
static apr_status_t backend_filter_fn(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_remove_output_filter(f);
    ot_backend_read(f->r);
    return ap_pass_brigade(f->next, bb);
}

/* A call to a backend with a CLIENT span has a filter of its own at the
 * same moment (mod_opentracing_proxy.c), which reads them: one filter
 * less on the proxied path. */
static void ot_backend_insert_filter(request_rec *r)
{
    if ((r->prev || (r->handler && strcmp(r->handler, "default-handler")))
        && wanted(r) && !ot_proxy_reads_response(r)) {
        ap_add_output_filter_handle(backend_filter, NULL, r, r->connection);
    }
}

static void ot_backend_insert_error_filter(request_rec *r)
{
    if (wanted(r)) {
        ap_add_output_filter_handle(backend_filter, NULL, r, r->connection);
    }
}

void ot_backend_register_hooks(apr_pool_t *p)
{
    backend_filter = ap_register_output_filter("OT_BACKEND_HEADERS",
                                               backend_filter_fn, NULL,
                                               AP_FTYPE_CONTENT_SET);
    ap_hook_insert_filter(ot_backend_insert_filter, NULL, NULL,
                          APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(ot_backend_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}
