/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing: distributed tracing for Apache httpd.
 *
 * The httpd glue: the module record, the hooks, the request's span life
 * cycle, notes and the optional function; the directives and config records
 * are in mod_opentracing_config.c.  The tracing core (ids, propagation,
 * spans, queue, exporter, plugins) lives in tracer/ and knows nothing of
 * httpd.
 *
 * One request:
 *   post_read_request  the state of the server span, in the request the
 *                      client sent; internal redirects and subrequests find
 *                      it through r->prev / r->main
 *   header_parser      settle TraceRequest (per-dir config is merged now);
 *                      when traced: extract the incoming context, decide
 *                      sampling, start the span (start = r->request_time)
 *   check_authn        when a FastCGI authorizer is defined: the span's
 *                      context into headers_in and the CGI environment
 *                      before mod_authnz_fcgi calls it
 *   fixups             write the span's context into headers_in, the CGI
 *                      environment and notes, before any handler runs (a
 *                      proxied call's CLIENT span writes its own instead)
 *   insert_filter      the CGI environment for a static file whose filters
 *                      start programs (SSI #exec, mod_ext_filter)
 *   log_transaction    the span of a request that ended before
 *                      header_parser too; final attributes and status
 *                      (after redirects),
 *                      finish, copy into the child's queue (O(1), no I/O)
 * A background thread per child exports the queue through the plugin.
 */

/* Before APR's headers: with offsetof defined, APR_OFFSETOF is offsetof,
 * not the null-pointer arithmetic clang refuses in APR_BRIGADE_SENTINEL. */
#include <stddef.h>

#include "apr_lib.h"
#include "apr_optional.h"
#include "apr_strings.h"

#include "ap_mmn.h"
#include "ap_expr.h"
#include "ap_release.h"
#include "http_core.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_cfgtree.h"

#include "mod_opentracing.h"
#include "mod_opentracing_private.h"

#include "ot_exporter.h"
#include "ot_ids.h"
#include "ot_log.h"
#include "ot_propagation.h"
#include "ot_query.h"
#include "ot_sampler.h"
#include "ot_span.h"
#include "ot_w3c.h"
#include "ot_write.h"       /* OT_NOINLINE (sdk) */

#include <unistd.h>

/* State of one traced request, in the request_config of the initial
 * request. */
typedef struct ot_request {
    ot_span *span;                  /* NULL: not sampled (not recorded) */
    int rejected;                   /* refused while its request line or
                                     * headers were read */
    ot_span_context ctx;            /* the server span's own context */
    int decided;                    /* TraceRequest settled */
    int enabled;                    /* settled, and not Off: the span
                                     * is started then */
    const char *trace_id;
    const char *span_id;
    const char *traceparent;
    apr_table_t *noted[2];          /* notes tables already set */
    int started;                    /* start_span() ran */
    void *proxy_call;               /* mod_opentracing_proxy.c's state of
                                     * the call being made */
    request_rec *proxied;           /* the (sub)request whose call to a
                                     * backend has a CLIENT span */
    ot_api_request *api;            /* the span API's state (ot_api.h),
                                     * made by ot_api_state() */
    int end_passed;                 /* HTTP/2: the response's end (EOS)
                                     * was passed to mod_http2 */
    int gone_at_end;                /* and the client was gone then */
} ot_request;

/* This child's exporter, set in child_init. */
static ot_exporter *child_exporter;

/* OT_H2_END: where an HTTP/2 stream's response ends (h2_end_filter). */
static ap_filter_rec_t *h2_end_filter_handle;

/* Whether a directive names one of the notes, and whether traced
 * requests get them (TraceNotes, else that), set in post_config. */
static int notes_named;
static int write_notes;

int ot_notes_wanted(void)
{
    return write_notes;
}

/* Whether a <Location>, <Directory>, <If>... says TraceRequest On, set in
 * post_config: else a server whose own TraceRequest is Off traces
 * nothing, and its requests need no state at all. */
static int traced_in_sections;

/* Whether any request may be traced, set in post_config: a server has a
 * tracer and TraceRequest is not Off everywhere.  When not (the module
 * loaded, tracing switched off), may_trace() and traced_request() say no
 * first thing, and every request hook returns: such a server pays for the
 * hooks' calls and nothing more. */
static int tracing_possible;

/* Whether a request whose configuration is dc (its server's or later)
 * may be traced, a server's tracer aside. */
static int traceable(const ot_dir_conf *dc)
{
    return traced_in_sections || dc->trace_request != 0;
}

/* Whether r, whose configuration is its server's or later, may be
 * traced. */
static int may_trace(request_rec *r)
{
    return tracing_possible && traceable(ot_dir_conf_get(r));
}

/* TracePropagation's default, and the CGI environment's formats: the
 * OpenTelemetry environment carrier is TRACEPARENT, TRACESTATE, BAGGAGE
 * whatever the headers' formats are. */
static const ot_propagator *default_formats[1];
static const ot_propagator *env_formats[2];
/* Every format: what TraceTrustIncoming Off clears of the headers. */
static const ot_propagator *all_formats[OT_MAX_PROPAGATORS];
static size_t n_all_formats;

/* --------------------------------------------------------------- logging */

/* The core's and the plugins' messages.  The core's, and the shipped
 * plugins', begin with their own OTnnnnn tag; a third-party plugin's
 * message without one is tagged OT00008. */
static void log_from_core(void *ctx, ot_log_level level, const char *msg)
{
    int tagged = strncmp(msg, "OT", 2) == 0 && strlen(msg) > 9
                 && apr_isdigit(msg[2]) && apr_isdigit(msg[3])
                 && apr_isdigit(msg[4]) && apr_isdigit(msg[5])
                 && apr_isdigit(msg[6]) && msg[7] == ':';

    ap_log_error(APLOG_MARK, (int)level, 0, (server_rec *)ctx, "%s%s",
                 tagged ? "" : OTLOGNO(00008), msg);
    ot_status_note(level, msg);
}

/* --------------------------------------------------------------- helpers */

/* The request the client sent: subrequests (r->main) and internal
 * redirects (r->prev) lead back to it. */
static inline request_rec *initial_request(request_rec *r)
{
    while (r->main || r->prev) {
        r = r->main ? r->main : r->prev;
    }
    return r;
}

/* The span's state lives with the initial request: initial's. */
static inline ot_request *request_state(request_rec *initial)
{
    return ap_get_module_config(initial->request_config, &opentracing_module);
}

/* The state of r's request. */
static inline ot_request *get_request(request_rec *r)
{
    return request_state(initial_request(r));
}

/* ------------------------------------------------------------ carriers */

/* The CGI environment (subprocess_env): a field's name upper-cased with
 * '-' as '_' (TRACEPARENT, TRACESTATE, BAGGAGE). */
typedef struct env_carrier {
    apr_table_t *env;
    apr_pool_t *pool;
} env_carrier;

static const char *env_name(env_carrier *e, const char *name)
{
    char *up, *q;

    /* the common names without an allocation */
    if (strcmp(name, "traceparent") == 0) {
        return "TRACEPARENT";
    }
    if (strcmp(name, "tracestate") == 0) {
        return "TRACESTATE";
    }
    if (strcmp(name, "baggage") == 0) {
        return "BAGGAGE";
    }
    up = apr_pstrdup(e->pool, name);
    for (q = up; *q; q++) {
        *q = *q == '-' ? '_' : apr_toupper(*q);
    }
    return up;
}

static void env_set(void *data, const char *name, const char *value)
{
    env_carrier *e = data;

    if (value) {
        apr_table_setn(e->env, env_name(e, name), value);
    }
    else {
        apr_table_unset(e->env, env_name(e, name));
    }
}

/* TracePropagation of s: the formats, in order. */
static size_t formats_of(ot_server_conf *sc, const ot_propagator *const **out)
{
    if (sc->n_propagators) {
        *out = sc->propagators;
        return (size_t)sc->n_propagators;
    }
    *out = default_formats;
    return 1;
}

static void settle(ot_request *rq, request_rec *initial)
{
    ot_dir_conf *dc = ot_dir_conf_get(initial);

    if (!rq->decided) {
        rq->decided = 1;
        rq->enabled = dc->trace_request != 0;
    }
}

/* The notes of r, once per notes table: the initial request and an
 * internal redirect have tables of their own, a subrequest too. */
static void set_notes(ot_request *rq, request_rec *r)
{
    apr_table_t *notes = r->notes;

    if (!write_notes || rq->noted[0] == notes || rq->noted[1] == notes) {
        return;
    }
    rq->noted[1] = rq->noted[0];
    rq->noted[0] = notes;
    /* Once per table (above), and the names are ours: add, not set. */
    apr_table_addn(notes, "ot-trace-id", rq->trace_id);
    apr_table_addn(notes, "ot-span-id", rq->span_id);
    apr_table_addn(notes, "ot-traceparent", rq->traceparent);
    apr_table_addn(notes, "ot-sampled",
                   (rq->ctx.flags & OT_FLAG_SAMPLED) ? "1" : "0");
}

/* ----------------------------------------------------------------- hooks */

/* The request headers as extract's carrier, keeping what it reads for
 * logs and other modules (fixups replaces the headers): the note
 * ot-incoming-<field> for each field extract found. */
typedef struct noting_carrier {
    ot_carrier headers;
    request_rec *r;
} noting_carrier;

static const char *noting_get(void *data, const char *name)
{
    noting_carrier *n = data;
    const char *v = n->headers.get(n->headers.data, name);

    if (v) {
        apr_table_setn(n->r->notes,
                       apr_pstrcat(n->r->pool, "ot-incoming-", name, NULL), v);
    }
    return v;
}

static void noting_each(void *data, const char *prefix, ot_carrier_fn fn,
                        void *arg)
{
    noting_carrier *n = data;

    n->headers.each(n->headers.data, prefix, fn, arg);
}

/* Whether the span of the initial request r, child of parent, is
 * recorded: the first TraceSampleExpr rule that matches, else a B3 debug
 * flag, else the sampler (TraceSampleRate's, else OTEL_TRACES_SAMPLER's)
 * with the parent's decision, when one came. */
static int records(request_rec *r, const ot_span_context *parent,
                   const ot_server_conf *sc)
{
    ot_dir_conf *dc = ot_dir_conf_get(r);
    const char *err;
    int i, m;

    for (i = 0; dc->sample_rules && i < dc->sample_rules->nelts; i++) {
        const ot_sample_rule *rule = &APR_ARRAY_IDX(dc->sample_rules, i,
                                                    ot_sample_rule);
        err = NULL;
        m = ap_expr_exec(r, rule->expr, &err);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00010)
                          "TraceSampleExpr: %s", err);
        }
        else if (m) {
            return rule->record;
        }
    }
    if (parent->origin & OT_CTX_DEBUG) {
        return 1;
    }
    return ot_sampler_decide(dc->sample_rate != OT_UNSET ? &dc->sampler
                                                         : &sc->tracer->sampler,
                             (parent->origin & OT_CTX_DEFERRED)
                             ? -1 : (parent->flags & OT_FLAG_SAMPLED) != 0,
                             parent->trace_id);
}

static int known_method(const char *m);

/* A string fact's value. */
static APR_INLINE ot_str fact_str(const char *v, size_t n)
{
    ot_str r;

    r.ptr = v;
    r.len = (uint32_t)n;
    return r;
}

/* The facts' names are TraceSemanticConventions' bits as they are. */
_Static_assert(OT_NAMES_CURRENT == OT_FACT_NAMES_CURRENT
               && OT_NAMES_OLD == OT_FACT_NAMES_OLD, "names bits differ");

/* The server span's method as facts (ot_record_method()'s attributes:
 * http.request.method and _original, http.method), the facts' names
 * set; returns the span's name as ot_record_method() does. */
static const char *record_method_facts(ot_span *s, int names,
                                       const char *method)
{
    ot_http_facts *h = ot_span_facts(s);
    int known = method && known_method(method);

    h->names = (uint32_t)names;
    h->present |= OT_FACT_BIT(OT_FACT_METHOD);
    h->method = known ? fact_str(method, strlen(method))
                      : fact_str("_OTHER", 6);
    if (method) {
        h->method_original = known ? h->method
                                   : fact_str(method, strlen(method));
        h->present |= OT_FACT_BIT(OT_FACT_METHOD_OLD)
                      | (known ? 0 : OT_FACT_BIT(OT_FACT_METHOD_ORIGINAL));
    }
    /* no method: a request line httpd could not parse */
    return known ? method : "HTTP";
}

/* The server span's name, http.request.method and http.route, from the
 * configuration of the URL the client asked for: TraceOperationName, else
 * "{method} {route}" where a <Location> set TraceRequest or
 * TraceOperationName, else the method; never the raw URI (names stay few).
 * Set when the span starts, so that what a backend or another module says
 * later (Trace-Operation, the span API) wins. */
static void name_span(ot_span *s, request_rec *r)
{
    ot_dir_conf *dc = ot_dir_conf_get(r);
    const char *method = record_method_facts(s, ot_names(r), r->method);
    const char *name = NULL, *err = NULL;

    if (dc->operation_name) {
        name = ap_expr_str_exec(r, dc->operation_name, &err);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00011)
                          "TraceOperationName: %s", err);
            name = NULL;
        }
    }
    if (dc->route) {
        ot_span_add_strn(s, KEY("http.route"), dc->route,
                         strlen(dc->route));
        if (!name || !*name) {
            name = apr_pstrcat(r->pool, method, " ", dc->route, NULL);
        }
    }
    ot_span_set_name(s, name && *name ? name : method);
}

/* Start the server span of the initial request r, once: extract the
 * incoming context (TracePropagation, in order), decide sampling
 * (parent-based, else by ratio), make the ids and the strings other
 * modules read.  Deferred until the request is known to be traced
 * (header_parser, or log_transaction for requests that end before), so
 * that a request under TraceRequest Off costs next to nothing; the span
 * still starts at r->request_time.  Through start_span(). */
static void begin_span(ot_request *rq, request_rec *r)
{
    ot_server_conf *sc = ot_server_conf_get(r->server);
    const ot_propagator *const *fmts;
    size_t n = formats_of(sc, &fmts);
    ot_span_context in, parent;
    ot_extract_stats bad;
    ot_extract_result got;
    noting_carrier noting;
    ot_carrier c;
    char *buf;
    int link = 0;

    rq->started = 1;
    ot_carrier_table(&noting.headers, r->headers_in);
    c = noting.headers;
    if (write_notes) {
        /* the same headers, noting what extract reads */
        noting.r = r;
        c.data = &noting;
        c.get = noting_get;
        c.each = noting_each;
    }
    c.set = NULL;               /* extract only reads */
    got = ot_propagation_extract(r->pool, fmts, n, &c, &in, &bad);
    if (bad.invalid || bad.baggage_truncated) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00009)
                      "incoming trace context: %u malformed field(s) or "
                      "member(s) ignored%s", bad.invalid,
                      bad.baggage_truncated
                      ? ", baggage cut to the W3C limits" : "");
    }
    if (ot_dir_conf_get(r)->trust_incoming == 0) {
        /* An edge facing the internet: what arrived is only a link, and
         * its baggage and tracestate go no further. */
        link = got == OT_EXTRACT_CONTEXT;
        got = OT_EXTRACT_NONE;
        in.baggage = NULL;
    }
    if (got == OT_EXTRACT_CONTEXT) {
        parent = in;
    }
    else {
        /* A new trace of random ids, with the decision that came alone
         * (B3 "0", "1", "d"), else the ratio sampler's; the baggage that
         * came stays. */
        memset(&parent, 0, sizeof(parent));
        ot_ids_trace_id(parent.trace_id);
        parent.flags = OT_FLAG_RANDOM;
        parent.baggage = in.baggage;
        if (got == OT_EXTRACT_DECISION) {
            parent.flags |= in.flags & OT_FLAG_SAMPLED;
            parent.origin = in.origin & OT_CTX_DEBUG;
        }
        else {
            parent.origin = OT_CTX_DEFERRED;
        }
    }
    if (records(r, &parent, sc)) {
        parent.flags |= OT_FLAG_SAMPLED;
    }
    else {
        parent.flags &= (uint8_t)~OT_FLAG_SAMPLED;
    }
    parent.origin &= (uint8_t)~OT_CTX_DEFERRED;

    /* The server span's context: the parent's, with a span id of ours.
     * Not sampled: nothing is recorded, but the trace goes on with an id
     * of our own so that the decision travels on. */
    rq->ctx = parent;
    if (parent.flags & OT_FLAG_SAMPLED) {
        rq->span = ot_span_start(r->pool, &parent, got == OT_EXTRACT_CONTEXT,
                                 parent.flags, OT_SPAN_KIND_SERVER,
                                 (int64_t)r->request_time * 1000);
        if (link) {
            ot_span_add_link(rq->span, &in);
        }
        name_span(rq->span, r);
        memcpy(rq->ctx.span_id, ot_span_record_get(rq->span)->span_id, 8);
        if (r->connection->master) {
            /* mod_http2's connection of one stream (a protocol filter:
             * internal redirects keep it) */
            ap_add_output_filter_handle(h2_end_filter_handle, rq, r,
                                        r->connection);
        }
    }
    else {
        ot_ids_span_id(rq->ctx.span_id);
    }

    /* The strings other modules read, formatted once: the traceparent,
     * and copies of the ids in it. */
    buf = apr_palloc(r->pool, OT_TRACEPARENT_LEN + 1 + 33 + 17);
    ot_w3c_traceparent_format(rq->ctx.trace_id, rq->ctx.span_id,
                              rq->ctx.flags, buf);
    memcpy(buf + OT_TRACEPARENT_LEN + 1, buf + 3, 32);
    buf[OT_TRACEPARENT_LEN + 1 + 32] = '\0';
    memcpy(buf + OT_TRACEPARENT_LEN + 1 + 33, buf + 36, 16);
    buf[OT_TRACEPARENT_LEN + 1 + 33 + 16] = '\0';
    rq->traceparent = buf;
    rq->trace_id = buf + OT_TRACEPARENT_LEN + 1;
    rq->span_id = buf + OT_TRACEPARENT_LEN + 1 + 33;
    rq->ctx.traceparent = rq->traceparent;
}

/* Over HTTP/2, r->connection is mod_http2's connection of one stream.
 * mod_http2 sets its aborted flag when the client's connection closes or
 * the stream is reset, also when that happens after the whole response
 * went out: a client that has its response may close the connection
 * while the stream's thread is still passing the response's end (EOS) on,
 * or logging (a quarter of t/49's h2c requests were marked so).  The
 * client left before its response when the flag was set before the end
 * came (a write failed), or passing the end failed with it set. */
static apr_status_t h2_end_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ot_request *rq = f->ctx;
    int gone = f->c->aborted;
    apr_status_t rv;
    apr_bucket *b;
    int end = 0;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_EOS(b)) {
            end = 1;
            break;
        }
    }
    rv = ap_pass_brigade(f->next, bb);
    if (end) {
        rq->end_passed = 1;
        rq->gone_at_end = gone || (rv != APR_SUCCESS && f->c->aborted);
        ap_remove_output_filter(f);
    }
    return rv;
}

/* Whether the client went away before the response was sent: over
 * HTTP/1.x, a write failed (c->aborted); over HTTP/2, see
 * h2_end_filter(). */
static int client_aborted(const ot_request *rq, const request_rec *r)
{
    return rq->end_passed ? rq->gone_at_end : (int)r->connection->aborted;
}

/* begin_span() unless it ran: the check inline, as every hook after the
 * start makes it. */
static inline void start_span(ot_request *rq, request_rec *r)
{
    if (!rq->started) {
        begin_span(rq, r);
    }
}

/* rq, the state of r's span, when r is traced (TraceRequest settled, the
 * span started), else NULL; *initial: the request the client sent. */
static ot_request *settled_request(ot_request *rq, request_rec *r,
                                   request_rec **initial)
{
    *initial = initial_request(r);
    settle(rq, *initial);
    if (!rq->enabled) {
        return NULL;
    }
    start_span(rq, *initial);
    return rq;
}

/* The state of r's span when r is traced, else NULL (see
 * settled_request()).  Inline: every hook asks, and the requests of a
 * server that traces nothing have no state at all. */
static inline ot_request *traced_request(request_rec *r,
                                         request_rec **initial)
{
    ot_request *rq;

    if (!tracing_possible) {
        return NULL;
    }
    rq = get_request(r);
    return rq ? settled_request(rq, r, initial) : NULL;
}

/* The request the client sent gets the state of its span; internal
 * redirects and subrequests find it from there. */
static int ot_post_read_request(request_rec *r)
{
    ot_server_conf *sc = ot_server_conf_get(r->server);

    if (!sc->tracer || r->main || r->prev || !may_trace(r)) {
        return DECLINED;
    }
    ap_set_module_config(r->request_config, &opentracing_module,
                         apr_pcalloc(r->pool, sizeof(ot_request)));
    return DECLINED;
}

/* Right after the location walk (header_parser runs for the request the
 * client sent and for internal redirects, not for subrequests): settle
 * TraceRequest as early as it can be, so that from here on, other modules'
 * auth, access and fixups hooks see through opentracing_request_context()
 * whether the request is traced, and start a traced request's span:
 * extract reads the headers as the client sent them, before other
 * modules' fixups (mod_headers' RequestHeader) edit them.  A request
 * under TraceRequest Off costs no more than the settling. */
static int ot_header_parser(request_rec *r)
{
    request_rec *initial;

    traced_request(r, &initial);
    return DECLINED;
}

/* TraceResponseHeader On: the W3C level 2 traceresponse header, the
 * server span's context, on every response of the request the client
 * sent (errors too: err_headers_out). */
static void set_traceresponse(const ot_request *rq, request_rec *r)
{
    if (!r->main && ot_dir_conf_get(r)->response_header == 1) {
        apr_table_setn(r->err_headers_out, "traceresponse", rq->traceparent);
    }
}

void ot_inject_headers(request_rec *r, const ot_span_context *ctx,
                       apr_table_t *headers)
{
    const ot_propagator *const *fmts;
    size_t n = formats_of(ot_server_conf_get(r->server), &fmts);
    ot_carrier c;

    ot_carrier_table(&c, headers);
    ot_propagation_inject(apr_table_elts(headers)->pool, fmts, n, ctx, &c);
}

void ot_inject(request_rec *r, const ot_span_context *ctx, int with_env)
{
    env_carrier env;
    ot_carrier c;

    ot_inject_headers(r, ctx, r->headers_in);
    if (with_env) {
        env.env = r->subprocess_env;
        env.pool = r->pool;
        c.data = &env;
        c.get = NULL;
        c.set = env_set;
        c.each = NULL;
        ot_propagation_inject(r->pool, env_formats, 2, ctx, &c);
    }
}

/* Under TraceTrustIncoming Off nothing of an untrusted context goes on,
 * in any format: before the request's own context is written. */
static void clear_untrusted(request_rec *r, request_rec *initial)
{
    ot_carrier c;

    if (ot_dir_conf_get(initial)->trust_incoming == 0) {
        ot_carrier_table(&c, r->headers_in);
        ot_propagation_clear(r->pool, all_formats, n_all_formats, &c);
    }
}

/* Before any handler: this request's context into headers_in (proxies,
 * mod_proxy_fcgi, CGI's HTTP_* variables, scripting modules read it
 * there), and into the CGI environment as TRACEPARENT, TRACESTATE,
 * BAGGAGE; the notes. */
static int ot_fixups(request_rec *r)
{
    request_rec *initial;
    ot_request *rq = traced_request(r, &initial);

    if (!rq) {
        /* Not traced here: whatever arrived passes through untouched. */
        return DECLINED;
    }
    /* The environment matters to handlers that start or call programs
     * (CGI, FastCGI, proxies, scripting modules), not to static files:
     * spare those the work.  A call to a backend with a CLIENT span gets
     * that span's context instead, written when the call is made. */
    clear_untrusted(r, initial);
    if (ot_proxy_injects(r, &rq->ctx)) {
        rq->proxied = r;
    }
    else {
        ot_inject(r, &rq->ctx, r->handler
                               && strcmp(r->handler, "default-handler") != 0);
    }
    set_notes(rq, r);
    set_traceresponse(rq, r);
    return DECLINED;
}

/* Whether a FastCGI authorizer is defined (AuthnzFcgiDefineProvider,
 * found in post_config). */
static int authorizers;

/* First in the authentication phase, which runs only for requests that
 * need a user: mod_authnz_fcgi calls its authorizers (from its own
 * check_authn hook, mod_auth_basic's, mod_authz_core's check_authz)
 * before fixups, and sends them headers_in and the environment as they
 * are then.  They get the server span's context, as CGI does. */
static int ot_check_authn(request_rec *r)
{
    request_rec *initial;
    ot_request *rq;

    if (authorizers && (rq = traced_request(r, &initial))) {
        clear_untrusted(r, initial);
        ot_inject(r, &rq->ctx, 1);
    }
    return DECLINED;
}

/* The filters that start programs from a static file's request, which
 * fixups spared the CGI environment: mod_include's (SSI #exec) and
 * mod_ext_filter's (ExtFilterDefine, filters of names of the user's
 * choosing, all sharing one output and one input function), known by
 * their filter functions (post_config).  The request path compares
 * pointers; with neither module configured the lists are empty and a
 * static file costs nothing more. */
static apr_array_header_t *program_out_funcs;  /* of ap_filter_func */
static apr_array_header_t *program_in_funcs;    /* of ap_filter_func */

/* Whether fn is one of funcs; out: compare output filter functions, else
 * input ones. */
static int has_func(const apr_array_header_t *funcs, ap_filter_func fn,
                    int out)
{
    int i;

    for (i = 0; i < funcs->nelts; i++) {
        const ap_filter_func *f = &APR_ARRAY_IDX(funcs, i, ap_filter_func);
        if (out ? f->out_func == fn.out_func : f->in_func == fn.in_func) {
            return 1;
        }
    }
    return 0;
}

/* The output and input filters registered under name, if any. */
static void note_program_filter(const char *name)
{
    ap_filter_rec_t *out = ap_get_output_filter_handle(name);
    ap_filter_rec_t *in = ap_get_input_filter_handle(name);

    if (out && !has_func(program_out_funcs, out->filter_func, 1)) {
        APR_ARRAY_PUSH(program_out_funcs, ap_filter_func) = out->filter_func;
    }
    if (in && !has_func(program_in_funcs, in->filter_func, 0)) {
        APR_ARRAY_PUSH(program_in_funcs, ap_filter_func) = in->filter_func;
    }
}

void ot_config_each(const ap_directive_t *d,
                    void (*visit)(const ap_directive_t *d, void *data),
                    void *data)
{
    for (; d; d = d->next) {
        visit(d, data);
        ot_config_each(d->first_child, visit, data);
    }
}

/* Whether the arguments of a directive name one of the notes (a
 * LogFormat's %{ot-trace-id}n, an expression's note('ot-sampled')...);
 * note names are not case-sensitive. */
static int names_a_note(const char *args)
{
    static const char *const names[] = {
        "trace-id", "span-id", "traceparent", "sampled", "incoming-",
        "client-traceparent"
    };
    const char *at;
    size_t i;

    for (at = args; (at = ap_strcasestr(at, "ot-")); at += 3) {
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (ap_cstr_casecmpn(at + 3, names[i], strlen(names[i])) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* What the configuration uses that costs a request something when it is
 * looked for: the filters ExtFilterDefine defines, whether a FastCGI
 * authorizer is defined, whether anything reads the notes. */
static void survey(const ap_directive_t *d, void *ptemp)
{
    const char *args;

    if (ap_cstr_casecmp(d->directive, "ExtFilterDefine") == 0) {
        args = d->args;
        note_program_filter(ap_getword_white(ptemp, &args));
    }
    else if (ap_cstr_casecmp(d->directive, "AuthnzFcgiDefineProvider") == 0) {
        authorizers = 1;
    }
    else if (ap_cstr_casecmp(d->directive, "TraceRequest") == 0
             && d->args && ap_cstr_casecmp(d->args, "on") == 0) {
        /* in a section other than <VirtualHost> (whose own setting is
         * its server's, which post_read_request reads) */
        const ap_directive_t *p = d->parent;

        while (p && ap_cstr_casecmp(p->directive, "<VirtualHost") == 0) {
            p = p->parent;
        }
        traced_in_sections |= p != NULL;
    }
    notes_named |= d->args && names_a_note(d->args);
}

static int starts_programs(request_rec *r)
{
    ap_filter_t *f;

    for (f = r->output_filters; f && program_out_funcs->nelts; f = f->next) {
        if (has_func(program_out_funcs, f->frec->filter_func, 1)) {
            return 1;
        }
    }
    for (f = r->input_filters; f && program_in_funcs->nelts; f = f->next) {
        if (has_func(program_in_funcs, f->frec->filter_func, 0)) {
            return 1;
        }
    }
    return 0;
}

/* Once the filters are known: the CGI environment for a static file
 * whose filter starts programs. */
static void ot_insert_filter(request_rec *r)
{
    request_rec *initial;
    ot_request *rq;

    if ((!program_out_funcs->nelts && !program_in_funcs->nelts)
        || (r->handler && strcmp(r->handler, "default-handler") != 0)
        || !starts_programs(r)
        || !(rq = traced_request(r, &initial))) {
        return;
    }
    ot_inject(r, &rq->ctx, 1);
}

/* Error responses made before fixups (auth, access) get traceresponse
 * too. */
static void ot_insert_error_filter(request_rec *r)
{
    request_rec *initial;
    ot_request *rq = traced_request(r, &initial);

    if (rq) {
        set_traceresponse(rq, r);
    }
}

static const char *protocol_version(int proto_num)
{
    switch (proto_num) {
    case HTTP_VERSION(1, 1): return "1.1";
    case HTTP_VERSION(1, 0): return "1.0";
    case HTTP_VERSION(2, 0): return "2";
    case HTTP_VERSION(0, 9): return "0.9";
    default: return NULL;
    }
}

/* Whether m is one of OpenTelemetry's known HTTP methods (case-sensitive;
 * anything else is "_OTHER"): by its first letter, then one compare. */
static int known_method(const char *m)
{
    switch (m[0]) {
    case 'G':
        return strcmp(m, "GET") == 0;
    case 'H':
        return strcmp(m, "HEAD") == 0;
    case 'P':
        return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0
               || strcmp(m, "PATCH") == 0;
    case 'D':
        return strcmp(m, "DELETE") == 0;
    case 'C':
        return strcmp(m, "CONNECT") == 0;
    case 'O':
        return strcmp(m, "OPTIONS") == 0;
    case 'T':
        return strcmp(m, "TRACE") == 0;
    case 'Q':
        return strcmp(m, "QUERY") == 0;
    default:
        return 0;
    }
}

int ot_names(request_rec *r)
{
    int names = ot_server_conf_get(r->server)->names;

    return names ? names : OT_NAMES_CURRENT;
}

void ot_attr_str(ot_span *s, int names, const char *cur, size_t clen,
                 const char *old, size_t olen, const char *v, size_t vlen)
{
    if (names & OT_NAMES_CURRENT) {
        ot_span_add_strn(s, cur, clen, v, vlen);
    }
    if (names & OT_NAMES_OLD) {
        ot_span_add_strn(s, old, olen, v, vlen);
    }
}

void ot_attr_int(ot_span *s, int names, const char *cur, size_t clen,
                 const char *old, size_t olen, int64_t v)
{
    if (names & OT_NAMES_CURRENT) {
        ot_span_add_intn(s, cur, clen, v);
    }
    if (names & OT_NAMES_OLD) {
        ot_span_add_intn(s, old, olen, v);
    }
}

const char *ot_record_method(ot_span *s, int names, const char *method)
{
    int known = method && known_method(method);

    if (names & OT_NAMES_CURRENT) {
        ot_span_add_strn(s, KEY("http.request.method"),
                         known ? method : "_OTHER",
                         known ? strlen(method) : 6);
        if (method && !known) {
            ot_span_add_str(s, "http.request.method_original", method, -1);
        }
    }
    if ((names & OT_NAMES_OLD) && method) {
        /* v1.20.0 had the method as it came */
        ot_span_add_strn(s, KEY("http.method"), method, strlen(method));
    }
    /* no method: a request line httpd could not parse */
    return known ? method : "HTTP";
}

const char *ot_redacted_query(request_rec *r, const char *query, size_t *len)
{
    apr_array_header_t *keys = ot_dir_conf_get(r)->redact_query;

    return ot_query_redact(r->pool, query,
                           keys ? (const char *const *)keys->elts : NULL,
                           keys ? (size_t)keys->nelts : 0, len);
}

/* The request's HTTP facts (see ot_tracer.h): what the semantic
 * conventions' attributes of a server span say, in the span's fixed
 * layout; the tracer's encoder writes them out. */
static void record_attributes(ot_span *s, const ot_request *rq, request_rec *r,
                              request_rec *last)
{
    conn_rec *c = r->connection;
    ot_http_facts *h = ot_span_facts(s);
    uint32_t present = h->present;
    const char *v, *query = NULL;
    size_t qlen = 0;
    int status = last->status;
    char *end;
    apr_int64_t cl;

    if (!h->names) {
        h->names = (uint32_t)ot_names(r);
    }
    if (r->parsed_uri.query) {
        /* Signed URLs carry credentials: redacted per the semantic
         * conventions, and TraceRedactQuery. */
        query = ot_redacted_query(r, r->parsed_uri.query, &qlen);
        h->url_query = fact_str(query, qlen);
        present |= OT_FACT_BIT(OT_FACT_URL_QUERY);
    }
    if (r->parsed_uri.path) {
        h->url_path = fact_str(r->parsed_uri.path,
                               strlen(r->parsed_uri.path));
        present |= OT_FACT_BIT(OT_FACT_URL_PATH);
        if (h->names & OT_NAMES_OLD) {
            v = query ? apr_pstrcat(r->pool, r->parsed_uri.path, "?",
                                    apr_pstrmemdup(r->pool, query, qlen),
                                    NULL)
                      : r->parsed_uri.path;
            h->target = fact_str(v, strlen(v));
            present |= OT_FACT_BIT(OT_FACT_TARGET);
        }
    }
    v = ap_run_http_scheme(r);
    h->url_scheme = fact_str(v, strlen(v));
    v = r->hostname ? r->hostname : r->server->server_hostname;
    if (v) {
        h->server_address = fact_str(v, strlen(v));
        present |= OT_FACT_BIT(OT_FACT_SERVER_ADDRESS);
    }
    h->server_port = ap_get_server_port(r);
    present |= OT_FACT_BIT(OT_FACT_URL_SCHEME)
               | OT_FACT_BIT(OT_FACT_SERVER_PORT)
               | OT_FACT_BIT(OT_FACT_RESPONSE_BODY_SIZE);
    if (r->useragent_ip) {
        h->client_address = fact_str(r->useragent_ip,
                                     strlen(r->useragent_ip));
        present |= OT_FACT_BIT(OT_FACT_CLIENT_ADDRESS);
    }
    if (c->client_ip) {
        h->peer_address = fact_str(c->client_ip, strlen(c->client_ip));
        present |= OT_FACT_BIT(OT_FACT_PEER_ADDRESS);
    }
    if (c->client_addr) {
        h->peer_port = c->client_addr->port;
        present |= OT_FACT_BIT(OT_FACT_PEER_PORT);
    }
    if ((v = protocol_version(r->proto_num))) {
        h->protocol_version = fact_str(v, strlen(v));
        present |= OT_FACT_BIT(OT_FACT_PROTOCOL_VERSION);
    }
    if ((v = apr_table_get(r->headers_in, "User-Agent"))) {
        h->user_agent = fact_str(v, strlen(v));
        present |= OT_FACT_BIT(OT_FACT_USER_AGENT);
    }
    if ((v = apr_table_get(r->headers_in, "Content-Length"))
        && apr_strtoff(&cl, v, &end, 10) == APR_SUCCESS && !*end && cl >= 0) {
        h->request_body_size = cl;
        present |= OT_FACT_BIT(OT_FACT_REQUEST_BODY_SIZE);
    }
    if (status > 0) {
        h->status_code = status;
        present |= OT_FACT_BIT(OT_FACT_STATUS_CODE);
    }
    /* bytes_sent counts a HEAD response's body although none is sent;
     * sent_bodyct alone does not say so: HTTP/1.1's header filter leaves
     * it 0 for a HEAD, mod_http2 sets it for every response */
    h->response_body_size = last->sent_bodyct && !last->header_only
                                ? (int64_t)last->bytes_sent : 0;
    h->present = present;
    if (client_aborted(rq, r)) {
        /* the client went away before the response was sent */
        ot_span_add_event(s, "client aborted", (int64_t)apr_time_now() * 1000);
        ot_span_add_booln(s, KEY("mod_opentracing.client_aborted"), 1);
    }
    if (status >= 500
        && ot_span_record_get(s)->status_code != OT_STATUS_ERROR) {
        /* Server spans: 5xx is an error, 4xx is the client's; a
         * backend's Trace-Error said so already, with its reason. */
        v = apr_itoa(r->pool, status);
        ot_span_add_strn(s, KEY("error.type"), v, strlen(v));
        ot_span_set_status(s, OT_STATUS_ERROR, NULL);
    }
}

/* The values of header h in t, into an array of ot_str. */
static int gather(void *arr, const char *h, const char *value)
{
    ot_str *v = apr_array_push(arr);

    v->ptr = value;
    v->len = (uint32_t)strlen(value);
    return 1;
}

/* One list of TraceCapture*Headers: each header's values (every field of
 * that name, in the tables given) as a string array. */
static void record_headers(ot_span *s, int names, apr_pool_t *p,
                           const apr_array_header_t *capture,
                           apr_table_t *t1, apr_table_t *t2)
{
    apr_array_header_t *values;
    int i;

    for (i = 0; capture && i < capture->nelts; i++) {
        const ot_capture *c = &APR_ARRAY_IDX(capture, i, ot_capture);

        values = apr_array_make(p, 1, sizeof(ot_str));
        apr_table_do(gather, values, t1, c->header, NULL);
        if (t2) {
            apr_table_do(gather, values, t2, c->header, NULL);
        }
        if (!values->nelts) {
            continue;
        }
        if (names & OT_NAMES_CURRENT) {
            ot_span_add_str_array(s, c->key, (const ot_str *)values->elts,
                                  (uint32_t)values->nelts);
        }
        if (names & OT_NAMES_OLD) {
            ot_span_add_str_array(s, c->old_key, (const ot_str *)values->elts,
                                  (uint32_t)values->nelts);
        }
    }
}

/* TraceCaptureRequestHeaders and TraceCaptureResponseHeaders, as
 * configured for the URL the client asked for: the request's headers as
 * they were when it was logged, the final response's. */
static void record_captured(ot_span *s, request_rec *initial,
                            request_rec *last)
{
    ot_dir_conf *dc = ot_dir_conf_get(initial);
    int names;

    if (!dc->capture[0] && !dc->capture[1]) {
        return;
    }
    names = ot_names(initial);
    record_headers(s, names, initial->pool, dc->capture[0],
                   initial->headers_in, NULL);
    record_headers(s, names, initial->pool, dc->capture[1],
                   last->headers_out, last->err_headers_out);
}

/* TraceTag: evaluated on the final request (after redirects: its status
 * and response headers), as configured for the URL the client asked
 * for. */
/* The value of t's form (one that is a string) for r, as ap_expr would
 * give it, or NULL. */
static const char *tag_string(request_rec *r, const ot_tag *t)
{
    const char *v;

    switch (t->form) {
    case OT_TAGEXPR_REQ_HEADER:
        return apr_table_get(r->headers_in, t->arg);
    case OT_TAGEXPR_RESP_HEADER:
        v = apr_table_get(r->headers_out, t->arg);
        return v ? v : apr_table_get(r->err_headers_out, t->arg);
    case OT_TAGEXPR_NOTE:
        return apr_table_get(r->notes, t->arg);
    case OT_TAGEXPR_ENV:
        /* ap_expr's order */
        if ((v = apr_table_get(r->notes, t->arg))
            || (v = apr_table_get(r->subprocess_env, t->arg))) {
            return v;
        }
        return getenv(t->arg);
    case OT_TAGEXPR_REQENV:
        return apr_table_get(r->subprocess_env, t->arg);
    case OT_TAGEXPR_REQUEST_METHOD:
        return r->method;
    case OT_TAGEXPR_REQUEST_SCHEME:
        return ap_http_scheme(r);
    case OT_TAGEXPR_REQUEST_URI:
        return r->uri;
    case OT_TAGEXPR_REQUEST_FILENAME:
        return r->filename;
    case OT_TAGEXPR_REMOTE_USER:
        return r->user;
    case OT_TAGEXPR_SERVER_NAME:
        return ap_get_server_name_for_url(r);
    case OT_TAGEXPR_SERVER_PROTOCOL:
        return r->protocol;
    case OT_TAGEXPR_PATH_INFO:
        return r->path_info;
    case OT_TAGEXPR_QUERY_STRING:
        return r->args;
    case OT_TAGEXPR_THE_REQUEST:
        return r->the_request;
    case OT_TAGEXPR_CONTENT_TYPE:
        return r->content_type;
    case OT_TAGEXPR_HANDLER:
        return r->handler;
    case OT_TAGEXPR_REQUEST_LOG_ID:
        return r->log_id;
    case OT_TAGEXPR_REMOTE_ADDR:
        return r->useragent_ip;
    default:
        return NULL;
    }
}

/* The value of t's form (one that is a number) for r into *n; 0: none. */
static int tag_number(request_rec *r, const ot_tag *t, int64_t *n)
{
    switch (t->form) {
    case OT_TAGEXPR_SERVER_PORT:
        *n = ap_get_server_port(r);
        return 1;
    case OT_TAGEXPR_REMOTE_PORT:
        *n = r->connection->client_addr->port;
        return 1;
    case OT_TAGEXPR_REQUEST_STATUS:
        *n = r->status;
        return r->status != 0;
    default:
        return 0;
    }
}

/* Set t, an -int or -bool tag, on s from the string v (not empty). */
static void set_typed_tag(ot_span *s, request_rec *r, const ot_tag *t,
                          const char *v, size_t len)
{
    int64_t n;
    int b;

    if (t->type == OT_VALUE_INT) {
        if (ot_tagexpr_int(v, len, &n) == 0) {
            ot_span_tag_intn(s, t->key, t->klen, t->may_be_fixed, n);
            return;
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00050)
                      "TraceTag -int %s: '%s' is not a decimal integer: "
                      "not set", t->key, v);
    }
    else if (ot_tagexpr_bool(v, len, &b) == 0) {
        ot_span_tag_booln(s, t->key, t->klen, t->may_be_fixed, b);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, OTLOGNO(00051)
                      "TraceTag -bool %s: '%s' is not true, false, on, off, "
                      "1 or 0: not set", t->key, v);
    }
}

/* Set t on s from the string v (len bytes, not empty); strings, the
 * common case, straight on. */
static void set_string_tag(ot_span *s, request_rec *r, const ot_tag *t,
                           const char *v, size_t len)
{
    if (t->type == OT_VALUE_STRING) {
        ot_span_tag_strn(s, t->key, t->klen, t->may_be_fixed, v, len);
    }
    else {
        set_typed_tag(s, r, t, v, len);
    }
}

/* Set t on s from the number n: as ap_expr prints it (a string tag), or
 * as it is. */
static void set_number_tag(ot_span *s, request_rec *r, const ot_tag *t,
                           int64_t n)
{
    const char *v;

    if (t->type == OT_VALUE_INT) {
        ot_span_tag_intn(s, t->key, t->klen, t->may_be_fixed, n);
    }
    else if (t->type == OT_VALUE_STRING || n > 1) {
        v = apr_ltoa(r->pool, (long)n);
        set_string_tag(s, r, t, v, strlen(v));
    }
    else {
        ot_span_tag_booln(s, t->key, t->klen, t->may_be_fixed, (int)n);
    }
}

/* t's constant, from the configuration. */
static void set_constant_tag(ot_span *s, const ot_tag *t)
{
    if (t->arg_len == 0) {
        return;
    }
    if (t->type == OT_VALUE_STRING) {
        ot_span_tag_strn(s, t->key, t->klen, t->may_be_fixed, t->arg,
                         t->arg_len);
    }
    else if (t->type == OT_VALUE_INT) {
        ot_span_tag_intn(s, t->key, t->klen, t->may_be_fixed, t->constant);
    }
    else {
        ot_span_tag_booln(s, t->key, t->klen, t->may_be_fixed,
                          (int)t->constant);
    }
}

/* The tags of the request's section, evaluated on its final request.
 * Tags that look up the same name share its pointer (cmd_tag): the last
 * lookup's value and length serve the next tag with that pointer. */
static void record_tags(ot_span *s, request_rec *initial, request_rec *last)
{
    ot_dir_conf *dc = ot_dir_conf_get(initial);
    const ot_tag *t, *end;
    const char *v = NULL, *looked_up = NULL, *err;
    size_t len = 0;
    int64_t n;

    if (!dc->tags) {
        return;
    }
    t = (const ot_tag *)dc->tags->elts;
    for (end = t + dc->tags->nelts; t < end; t++) {
        if (t->form == OT_TAGEXPR_CONSTANT) {
            set_constant_tag(s, t);
            continue;
        }
        if (t->form >= OT_TAGEXPR_FIRST_NUMBER) {
            if (tag_number(last, t, &n)) {
                set_number_tag(s, last, t, n);
            }
            continue;
        }
        if (t->form != OT_TAGEXPR_GENERAL) {
            if (t->arg != looked_up) {
                looked_up = t->arg;
                v = tag_string(last, t);
                len = v ? strlen(v) : 0;
            }
        }
        else {
            looked_up = NULL;
            err = NULL;
            v = ap_expr_str_exec(last, t->expr, &err);
            if (err) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, last,
                              OTLOGNO(00007) "TraceTag %s: %s", t->key, err);
                continue;
            }
            len = v ? strlen(v) : 0;
        }
        if (len) {
            set_string_tag(s, last, t, v, len);
        }
    }
}

void ot_submit(request_rec *r, ot_span *s)
{
    ot_span_record *rec = ot_span_record_get(s);

    if (child_exporter) {
        rec->resource = ot_server_conf_get(r->server)->resource;
        ot_exporter_submit(child_exporter, s);
    }
}

ot_span *ot_server_span(request_rec *r)
{
    request_rec *initial;
    ot_request *rq = traced_request(r, &initial);

    return rq ? rq->span : NULL;
}

int ot_proxy_reads_response(request_rec *r)
{
    ot_request *rq = get_request(r);

    return rq && rq->proxied == r;
}

const ot_span_context *ot_traced_context(request_rec *r, void ***call)
{
    request_rec *initial;
    ot_request *rq = traced_request(r, &initial);

    if (!rq) {
        return NULL;
    }
    *call = &rq->proxy_call;
    return &rq->ctx;
}

/* rq of r's request when r is traced (TraceRequest settled and not Off:
 * its span started then), else NULL; *initial: the request the client
 * sent.  For the span API. */
static inline ot_request *api_traced(request_rec *r, request_rec **initial)
{
    ot_request *rq = request_state(*initial = initial_request(r));

    return rq && rq->enabled ? rq : NULL;
}

/* rq's API state made on the first call that wants it: out of line, so
 * that the common case saves no register. */
static OT_NOINLINE ot_api_request *api_state_make(ot_request *rq,
                                                  request_rec *initial)
{
    ot_server_conf *sc = ot_server_conf_get(initial->server);

    rq->api = ot_api_request_make(initial->pool, &rq->ctx,
                                  sc->tracer->batch.max_attribute_length,
                                  initial);
    return rq->api;
}

ot_api_request *ot_api_state(request_rec *r, ot_span **server)
{
    request_rec *initial;
    ot_request *rq = api_traced(r, &initial);

    /* the server span: recorded until it is submitted */
    if (!rq || !(*server = rq->span)) {
        return NULL;
    }
    return rq->api ? rq->api : api_state_make(rq, initial);
}

const ot_span_context *ot_api_context(request_rec *r, ot_span **server,
                                      const ot_api_request **api)
{
    request_rec *initial;
    ot_request *rq = api_traced(r, &initial);

    if (!rq) {
        return NULL;
    }
    *server = rq->span;
    *api = rq->api;
    return &rq->ctx;
}

/* A request httpd refused while it read its request line or headers
 * (400, 408, 414, 501...: ap_read_request logs it without running
 * post_read_request) gets the state of its span now. */
static void adopt_rejected(request_rec *r)
{
    ot_request *rq;

    if (!r->main && !r->prev && ot_server_conf_get(r->server)->tracer
        && !request_state(r) && may_trace(r)) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        rq->rejected = 1;
        ap_set_module_config(r->request_config, &opentracing_module, rq);
    }
}

static int ot_log_transaction(request_rec *r)
{
    request_rec *initial, *last;
    ot_request *rq;

    adopt_rejected(r);
    if (!(rq = traced_request(r, &initial))) {
        return DECLINED;
    }
    for (last = r; last->next; last = last->next) {
        continue;
    }
    set_notes(rq, last);
    if (last != r) {
        set_notes(rq, r);
    }
    if (!rq->span || !child_exporter || r != initial) {
        return DECLINED;
    }
    record_attributes(rq->span, rq, initial, last);
    if (rq->rejected && last->status < 500) {
        /* A 4xx is the client's error and leaves the status unset, but
         * this request never got as far as being served: say why. */
        const char *v = apr_itoa(r->pool, last->status);
        ot_span_add_strn(rq->span, KEY("error.type"), v, strlen(v));
    }
    record_captured(rq->span, initial, last);
    record_tags(rq->span, initial, last);
    if (rq->api) {
        ot_api_request_done(initial, rq->api, rq->span);
    }
    ot_span_end(rq->span, (int64_t)apr_time_now() * 1000);
    ot_submit(initial, rq->span);
    /* Once only, whatever runs log_transaction again. */
    rq->span = NULL;
    return DECLINED;
}

/* ---------------------------------------------------- process life cycle */

static int ot_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    ot_server_conf *sc = ot_server_conf_get(s);
    server_rec *v;
    char msg[512];

    ot_log_set(log_from_core, s);
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    program_out_funcs = apr_array_make(pconf, 2, sizeof(ap_filter_func));
    program_in_funcs = apr_array_make(pconf, 1, sizeof(ap_filter_func));
    authorizers = 0;
    traced_in_sections = 0;
    notes_named = 0;
    note_program_filter("includes");
    ot_config_each(ap_conftree, survey, ptemp);
    tracing_possible = 0;
    for (v = s; v; v = v->next) {
        ot_dir_conf *dc = ap_get_module_config(v->lookup_defaults,
                                               &opentracing_module);

        tracing_possible |= ot_server_conf_get(v)->tracer && traceable(dc);
    }
    write_notes = sc->notes != OT_UNSET ? sc->notes : notes_named;
    if (!sc->tracer) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, OTLOGNO(00002)
                     "mod_opentracing " OT_VERSION " loaded, no TraceTracer "
                     "configured: requests are not traced");
        return OK;
    }
    if (sc->tracer->plugin->open
        && sc->tracer->plugin->open(sc->tracer->handle, msg, sizeof(msg))) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OTLOGNO(00003)
                     "TraceTracer %s: %s", sc->tracer->plugin_path, msg);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, OTLOGNO(00004)
                 "mod_opentracing " OT_VERSION ": %s tracer (%s) configured "
                 "by %s", sc->tracer->plugin->name, sc->tracer->plugin_path,
                 sc->tracer->config_source);
    return OK;
}

static void add_str_attr(ot_attribute *a, const char *key, const char *val)
{
    a->key.ptr = key;
    a->key.len = (uint32_t)strlen(key);
    a->type = OT_VALUE_STRING;
    a->v.s.ptr = val;
    a->v.s.len = (uint32_t)strlen(val);
}

/* service.name: TraceServiceName, else OTEL_SERVICE_NAME, else a
 * service.name in the resource attributes, else the ServerName. */
static ot_resource *make_resource(apr_pool_t *p, server_rec *s,
                                  const char *host, const ot_tracer_conf *t)
{
    ot_server_conf *sc = ot_server_conf_get(s);
    ot_resource *res = apr_pcalloc(p, sizeof(*res));
    ot_attribute *a = apr_pcalloc(p, (9 + t->resource_attrs.n) * sizeof(*a));
    const char *service = sc->service_name;
    const char *env = getenv("OTEL_SERVICE_NAME");
    uint32_t n = 0;
    size_t i;

    if (!service && env && *env) {
        service = env;
    }
    for (i = 0; !service && i < t->resource_attrs.n; i++) {
        if (strcmp(t->resource_attrs.items[i].key, "service.name") == 0) {
            service = t->resource_attrs.items[i].value;
        }
    }
    add_str_attr(&a[n++], "service.name",
                 service ? service
                 : s->server_hostname ? s->server_hostname : "httpd");
    add_str_attr(&a[n++], "host.name", host);
    a[n].key.ptr = "process.pid";
    a[n].key.len = (uint32_t)strlen("process.pid");
    a[n].type = OT_VALUE_INT;
    a[n++].v.i = (int64_t)getpid();
    add_str_attr(&a[n++], "telemetry.sdk.name", "mod_opentracing");
    add_str_attr(&a[n++], "telemetry.sdk.language", "c");
    add_str_attr(&a[n++], "telemetry.sdk.version", OT_VERSION);
    add_str_attr(&a[n++], "webengine.name", "Apache httpd");
    add_str_attr(&a[n++], "webengine.version", AP_SERVER_BASEREVISION);
    /* the user's own attributes, later ones winning over earlier ones */
    for (i = 0; i < t->resource_attrs.n; i++) {
        const char *key = t->resource_attrs.items[i].key;
        uint32_t j;

        if (strcmp(key, "service.name") == 0) {
            continue;
        }
        for (j = 0; j < n && strcmp(a[j].key.ptr, key) != 0; j++) {
            continue;
        }
        add_str_attr(&a[j], key, t->resource_attrs.items[i].value);
        if (j == n) {
            n++;
        }
    }
    res->attributes = a;
    res->n_attributes = n;
    res->scope_name.ptr = "mod_opentracing";
    res->scope_name.len = (uint32_t)strlen("mod_opentracing");
    res->scope_version.ptr = OT_VERSION;
    res->scope_version.len = (uint32_t)strlen(OT_VERSION);
    return res;
}

static void ot_child_init(apr_pool_t *pchild, server_rec *s)
{
    ot_server_conf *sc = ot_server_conf_get(s);
    ot_tracer_conf *t = sc->tracer;
    char host[APRMAXHOSTLEN + 1];
    char msg[512];
    server_rec *vs;
    apr_status_t rv;

    if (!t) {
        return;
    }
    ot_ids_reseed();
    ot_status_child_init(pchild, s);
    if (apr_gethostname(host, sizeof(host), pchild) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    for (vs = s; vs; vs = vs->next) {
        ot_server_conf_get(vs)->resource = make_resource(pchild, vs,
                                                  apr_pstrdup(pchild, host),
                                                  t);
    }
    if (t->plugin->child_init
        && t->plugin->child_init(t->handle, msg, sizeof(msg))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, OTLOGNO(00005)
                     "%s tracer: cannot start in this process, spans will "
                     "not be exported: %s", t->plugin->name, msg);
        return;
    }
    if ((rv = ot_exporter_create(&child_exporter, pchild, &t->batch,
                                 t->plugin, t->handle)) != APR_SUCCESS
        || (ot_status_share(child_exporter),
            (rv = ot_exporter_start(child_exporter)) != APR_SUCCESS)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OTLOGNO(00006)
                     "%s tracer: cannot start the exporter thread, spans "
                     "will not be exported", t->plugin->name);
        child_exporter = NULL;
    }
}

/* ------------------------------------------------------------ public API */

static int opentracing_request_context(request_rec *r, opentracing_context *out)
{
    ot_request *rq = get_request(r);

    /* Before header_parser TraceRequest is not known: a context given
     * out then might never be exported nor passed on. */
    if (!rq || !rq->enabled) {
        return 0;
    }
    apr_cpystrn(out->trace_id, rq->trace_id, sizeof(out->trace_id));
    apr_cpystrn(out->span_id, rq->span_id, sizeof(out->span_id));
    apr_cpystrn(out->traceparent, rq->traceparent, sizeof(out->traceparent));
    out->sampled = (rq->ctx.flags & OT_FLAG_SAMPLED) != 0;
    return 1;
}

static void ot_register_hooks(apr_pool_t *p)
{
    static const char *const mod_headers[] = { "mod_headers.c", NULL };
    const char *const *name;

    default_formats[0] = ot_propagator_find("w3c");
    env_formats[0] = default_formats[0];
    env_formats[1] = ot_propagator_find("baggage");
    for (name = ot_propagator_names(); *name; name++) {
        all_formats[n_all_formats++] = ot_propagator_find(*name);
    }
    /* Early, so that modules after us (mod_setenvif, mod_unique_id...)
     * and every later phase can see the span. */
    ap_hook_post_read_request(ot_post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    /* First, so that every other module's header_parser sees it. */
    ap_hook_header_parser(ot_header_parser, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    /* Late, after mod_headers: our values win over RequestHeader's for
     * our fields; before any handler. */
    ap_hook_fixups(ot_fixups, mod_headers, NULL, APR_HOOK_LAST);
    /* Last: after the filters are in place. */
    ap_hook_insert_filter(ot_insert_filter, NULL, NULL, APR_HOOK_REALLY_LAST);
    /* Before mod_authnz_fcgi's and mod_auth_basic's; per configuration,
     * as theirs, so that subrequests keep httpd's shortcut. */
    ap_hook_check_authn(ot_check_authn, NULL, NULL, APR_HOOK_REALLY_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_insert_error_filter(ot_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    /* Before mod_log_config (APR_HOOK_MIDDLE), so that %{ot-...}n work on
     * every request, including those that failed before fixups. */
    ap_hook_log_transaction(ot_log_transaction, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_post_config(ot_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ot_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    h2_end_filter_handle = ap_register_output_filter("OT_H2_END", h2_end_filter,
                                                     NULL, AP_FTYPE_PROTOCOL);
    APR_REGISTER_OPTIONAL_FN(opentracing_request_context);
    ot_proxy_register_hooks(p);
    ot_backend_register_hooks(p);
    ot_api_register_hooks(p);
    ot_status_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA opentracing_module = {
    STANDARD20_MODULE_STUFF,
    ot_create_dir_conf,
    ot_merge_dir_conf,
    ot_create_server_conf,
    ot_merge_server_conf,
    ot_cmds,
    ot_register_hooks,
    /* Every virtual host gets a server config of its own (merged even
     * when it has none of our directives): each holds its own resource. */
    AP_MODULE_FLAG_ALWAYS_MERGE
};
