/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_ot_probe: a test module for t/41-api.t.  It calls mod_opentracing's
 * optional function opentracing_request_context() in several phases of
 * the request and stores what it returned in r->notes, for the access
 * log: "0", or "1:<traceparent>".
 *
 *   probe-prr        post_read_request (APR_HOOK_LAST)
 *   probe-translate  translate_name (APR_HOOK_FIRST)
 *   probe-access     access_checker (APR_HOOK_MIDDLE)
 *   probe-fixups     fixups (APR_HOOK_MIDDLE)
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_optional.h"
#include "apr_strings.h"

#include "mod_opentracing.h"

module AP_MODULE_DECLARE_DATA ot_probe_module;

static APR_OPTIONAL_FN_TYPE(opentracing_request_context) *ctx_fn;

static void probe(request_rec *r, const char *key)
{
    opentracing_context c;

    if (r->main || r->prev) {
        return;
    }
    if (ctx_fn && ctx_fn(r, &c)) {
        apr_table_setn(r->notes, key,
                       apr_pstrcat(r->pool, "1:", c.traceparent, NULL));
    }
    else {
        apr_table_setn(r->notes, key, ctx_fn ? "0" : "nofn");
    }
}

static int probe_prr(request_rec *r)
{
    probe(r, "probe-prr");
    return DECLINED;
}

static int probe_translate(request_rec *r)
{
    probe(r, "probe-translate");
    return DECLINED;
}

static int probe_access(request_rec *r)
{
    probe(r, "probe-access");
    return DECLINED;
}

static int probe_fixups(request_rec *r)
{
    probe(r, "probe-fixups");
    return DECLINED;
}

static void probe_retrieve(void)
{
    ctx_fn = APR_RETRIEVE_OPTIONAL_FN(opentracing_request_context);
}

static void probe_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(probe_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_post_read_request(probe_prr, NULL, NULL, APR_HOOK_LAST);
    ap_hook_translate_name(probe_translate, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_access_checker(probe_access, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(probe_fixups, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ot_probe_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    probe_register_hooks,
    0
};
