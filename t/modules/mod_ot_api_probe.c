/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_ot_api_probe: a test module for t/53-span-api.t.  Its handler,
 * ot-api-probe, calls mod_opentracing's span API (mod_opentracing.h) as
 * the query's "case" says, and answers with what the calls returned, one
 * "name: value" line each:
 *
 *   calls     every call once: child spans (ended, failed, left open),
 *             server span attributes, event, error, name; the outgoing
 *             headers of the child span ("inject <header>:" lines) and of
 *             the server span ("inject-server <header>:" lines)
 *   null      every call with NULL arguments: nothing happens
 *   limits    34 child spans (2 beyond the limit), over-long and reserved
 *             keys, long values, names and messages, 20 event attributes
 *   subreq    the strings come from a subrequest's pool, destroyed (and
 *             its memory scribbled over) before the request is logged
 *
 * In every case, "version:" is opentracing_api_version(), "span:" whether
 * opentracing_start_span() gave a span, "injected:" what inject returned.
 * A log_transaction hook that runs after mod_opentracing's calls the API
 * again (it must be a no-op then) and notes inject's result as
 * probe-after-log for the access log.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "mod_opentracing.h"

module AP_MODULE_DECLARE_DATA ot_api_probe_module;

#define FN(name) static APR_OPTIONAL_FN_TYPE(name) *name##_fn
FN(opentracing_api_version);
FN(opentracing_set_attribute);
FN(opentracing_set_attribute_int);
FN(opentracing_add_event);
FN(opentracing_set_error);
FN(opentracing_set_name);
FN(opentracing_start_span);
FN(opentracing_span_set_attribute);
FN(opentracing_span_set_attribute_int);
FN(opentracing_end_span);
FN(opentracing_inject);

static void probe_retrieve(void)
{
#define GET(name) name##_fn = APR_RETRIEVE_OPTIONAL_FN(name)
    GET(opentracing_api_version);
    GET(opentracing_set_attribute);
    GET(opentracing_set_attribute_int);
    GET(opentracing_add_event);
    GET(opentracing_set_error);
    GET(opentracing_set_name);
    GET(opentracing_start_span);
    GET(opentracing_span_set_attribute);
    GET(opentracing_span_set_attribute_int);
    GET(opentracing_end_span);
    GET(opentracing_inject);
#undef GET
}

static int print_header(void *rec, const char *key, const char *value)
{
    request_rec *r = rec;

    ap_rprintf(r, "%s %s: %s\n", (const char *)apr_table_get(r->notes,
                                                              "probe-prefix"),
               key, value);
    return 1;
}

/* inject's result, and what it wrote, under prefix. */
static void inject(request_rec *r, opentracing_span *span, const char *prefix)
{
    apr_table_t *h = apr_table_make(r->pool, 4);
    int rv = opentracing_inject_fn(r, span, h);

    ap_rprintf(r, "%s-result: %d\n", prefix, rv);
    apr_table_setn(r->notes, "probe-prefix", prefix);
    apr_table_do(print_header, r, h, NULL);
}

static char *filled(apr_pool_t *p, char c, size_t n)
{
    char *s = apr_palloc(p, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void case_calls(request_rec *r)
{
    opentracing_span *ok, *failed, *open;
    apr_table_t *attrs = apr_table_make(r->pool, 2);

    ok = opentracing_start_span_fn(r, "probe ok",
                                   OPENTRACING_SPAN_KIND_CLIENT);
    ap_rprintf(r, "span: %d\n", ok != NULL);
    opentracing_span_set_attribute_fn(ok, "probe.key", "value");
    opentracing_span_set_attribute_fn(ok, "probe.key", "replaced");
    opentracing_span_set_attribute_int_fn(ok, "probe.int", -42);
    /* the semantic conventions' keys are the caller's on its own span */
    opentracing_span_set_attribute_fn(ok, "http.request.method", "GET");
    inject(r, ok, "inject");
    opentracing_end_span_fn(ok, NULL);
    /* ended: no effect, nor a second export */
    opentracing_span_set_attribute_fn(ok, "probe.late", "x");
    opentracing_end_span_fn(ok, "too late");

    failed = opentracing_start_span_fn(r, "probe failed", 99);
    opentracing_end_span_fn(failed, "it failed");

    open = opentracing_start_span_fn(r, "probe open",
                                     OPENTRACING_SPAN_KIND_PRODUCER);
    opentracing_span_set_attribute_fn(open, "probe.open", "yes");

    opentracing_set_attribute_fn(r, "probe.server", "first");
    opentracing_set_attribute_fn(r, "probe.server", "second");
    opentracing_set_attribute_int_fn(r, "probe.server_int", 7);
    apr_table_setn(attrs, "probe.a", "1");
    apr_table_setn(attrs, "probe.b", "two");
    opentracing_add_event_fn(r, "probe event", attrs);
    opentracing_add_event_fn(r, "probe bare event", NULL);
    opentracing_set_error_fn(r, "probe error");
    opentracing_set_name_fn(r, "probe operation");
    inject(r, NULL, "inject-server");
}

static void case_null(request_rec *r)
{
    apr_table_t *h = apr_table_make(r->pool, 1);

    opentracing_set_attribute_fn(NULL, "k", "v");
    opentracing_set_attribute_fn(r, NULL, "v");
    opentracing_set_attribute_fn(r, "probe.null_value", NULL);
    opentracing_set_attribute_fn(r, "", "empty key");
    opentracing_set_attribute_int_fn(NULL, "k", 1);
    opentracing_set_attribute_int_fn(r, NULL, 1);
    opentracing_add_event_fn(NULL, "e", NULL);
    opentracing_add_event_fn(r, NULL, NULL);
    opentracing_set_error_fn(NULL, "e");
    opentracing_set_name_fn(NULL, "n");
    opentracing_set_name_fn(r, NULL);
    ap_rprintf(r, "span-null-request: %d\n",
               opentracing_start_span_fn(NULL, "s", 1) != NULL);
    ap_rprintf(r, "span-null-name: %d\n",
               opentracing_start_span_fn(r, NULL, 1) != NULL);
    opentracing_span_set_attribute_fn(NULL, "k", "v");
    opentracing_span_set_attribute_int_fn(NULL, "k", 1);
    opentracing_end_span_fn(NULL, NULL);
    opentracing_end_span_fn(NULL, "e");
    ap_rprintf(r, "inject-null-request: %d\n",
               opentracing_inject_fn(NULL, NULL, h));
    ap_rprintf(r, "inject-null-headers: %d\n",
               opentracing_inject_fn(r, NULL, NULL));
    ap_rprintf(r, "headers: %d\n", apr_table_elts(h)->nelts);
}

static void case_limits(request_rec *r)
{
    apr_table_t *attrs = apr_table_make(r->pool, 20);
    opentracing_span *s = NULL;
    int i, got = 0;

    for (i = 0; i < 34; i++) {
        s = opentracing_start_span_fn(r, apr_psprintf(r->pool, "probe %d", i),
                                      OPENTRACING_SPAN_KIND_INTERNAL);
        got += s != NULL;
        opentracing_end_span_fn(s, NULL);
    }
    ap_rprintf(r, "spans: %d\n", got);
    ap_rprintf(r, "last: %d\n", s != NULL);
    /* keys: 128 bytes are taken, 129 and reserved ones dropped */
    opentracing_set_attribute_fn(r, filled(r->pool, 'k', 128), "128");
    opentracing_set_attribute_fn(r, filled(r->pool, 'k', 129), "129");
    opentracing_set_attribute_fn(r, "http.route", "/reserved");
    opentracing_set_attribute_int_fn(r, "url.port", 1);
    /* values cut to max_attribute_length (the test's tracer: 100), at a
     * UTF-8 boundary: 99 "v" then a 2-byte character */
    opentracing_set_attribute_fn(r, "probe.long",
                                 apr_pstrcat(r->pool, filled(r->pool, 'v', 99),
                                             "\xc3\xa9", "tail", NULL));
    opentracing_set_name_fn(r, filled(r->pool, 'n', 300));
    opentracing_set_error_fn(r, filled(r->pool, 'm', 600));
    for (i = 0; i < 20; i++) {
        apr_table_setn(attrs, apr_psprintf(r->pool, "probe.e%02d", i), "x");
    }
    opentracing_add_event_fn(r, filled(r->pool, 'e', 300), attrs);
}

/* The strings of the calls come from a subrequest's pool, which is
 * destroyed, and its memory reused and overwritten, before the request is
 * logged: what was recorded must be copies.  r for the calls is the
 * subrequest, as a filter or handler of one would have it. */
static void case_subreq(request_rec *r)
{
    request_rec *sub = ap_sub_req_lookup_uri("/static.txt", r, NULL);
    apr_table_t *attrs = apr_table_make(sub->pool, 1);
    opentracing_span *s;
    int i;

    apr_table_setn(attrs, apr_pstrdup(sub->pool, "probe.sub_event_key"),
                   apr_pstrdup(sub->pool, "sub event value"));
    s = opentracing_start_span_fn(sub, apr_pstrdup(sub->pool, "probe sub span"),
                                  OPENTRACING_SPAN_KIND_INTERNAL);
    opentracing_span_set_attribute_fn(s, apr_pstrdup(sub->pool, "probe.sub"),
                                      apr_pstrdup(sub->pool, "sub value"));
    opentracing_set_attribute_fn(sub, apr_pstrdup(sub->pool, "probe.sub_key"),
                                 apr_pstrdup(sub->pool, "sub server value"));
    opentracing_add_event_fn(sub, apr_pstrdup(sub->pool, "probe sub event"),
                             attrs);
    opentracing_set_name_fn(sub, apr_pstrdup(sub->pool, "probe sub name"));
    opentracing_set_error_fn(sub, apr_pstrdup(sub->pool, "probe sub error"));
    ap_destroy_sub_req(sub);
    /* The freed blocks go to the allocator and come back to the next
     * pools made: overwrite them. */
    for (i = 0; i < 4; i++) {
        apr_pool_t *p;

        apr_pool_create(&p, r->pool);
        memset(apr_palloc(p, 8000), '#', 8000);
        apr_pool_destroy(p);
    }
    /* The span, ended long after its strings' pool died. */
    opentracing_end_span_fn(s, NULL);
    ap_rprintf(r, "span: %d\n", s != NULL);
}

static int probe_handler(request_rec *r)
{
    const char *c = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "ot-api-probe") != 0) {
        return DECLINED;
    }
    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "version: %d\n", opentracing_api_version_fn
                                   ? opentracing_api_version_fn() : -1);
    if (!opentracing_start_span_fn) {
        return OK;
    }
    if (strstr(c, "case=calls")) {
        case_calls(r);
    }
    else if (strstr(c, "case=null")) {
        case_null(r);
    }
    else if (strstr(c, "case=limits")) {
        case_limits(r);
    }
    else if (strstr(c, "case=subreq")) {
        case_subreq(r);
    }
    return OK;
}

/* After mod_opentracing's log_transaction (the server span is exported):
 * every call is a no-op. */
static int probe_log(request_rec *r)
{
    apr_table_t *h = apr_table_make(r->pool, 1);
    opentracing_span *s;

    if (!opentracing_start_span_fn || !r->handler
        || strcmp(r->handler, "ot-api-probe") != 0) {
        return DECLINED;
    }
    opentracing_set_attribute_fn(r, "probe.after_log", "x");
    opentracing_set_name_fn(r, "after log");
    s = opentracing_start_span_fn(r, "probe after log", 1);
    apr_table_setn(r->notes, "probe-after-log",
                   apr_psprintf(r->pool, "span=%d,inject=%d", s != NULL,
                                opentracing_inject_fn(r, NULL, h)));
    return DECLINED;
}

static void probe_register_hooks(apr_pool_t *p)
{
    static const char *const ot[] = { "mod_opentracing.c", NULL };
    static const char *const log_config[] = { "mod_log_config.c", NULL };

    (void)p;
    ap_hook_optional_fn_retrieve(probe_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_handler(probe_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(probe_log, ot, log_config, APR_HOOK_FIRST);
}

module AP_MODULE_DECLARE_DATA ot_api_probe_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    probe_register_hooks,
    0
};
