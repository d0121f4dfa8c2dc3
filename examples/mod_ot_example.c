/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_ot_example: a module that uses mod_opentracing's span API
 * (mod_opentracing.h).  Its handler, ot-example, does a slow lookup (a
 * short sleep standing for a call to a backend), timed as an INTERNAL
 * child span of the request's server span, with the headers of the
 * lookup's outgoing call carrying that span's context; it tags the server
 * span, adds an event to it, and answers with the outgoing headers (a
 * client can see which span the callee would continue).
 *
 * It works with or without mod_opentracing: the functions are optional,
 * and every one is a no-op on a request that is not traced.
 *
 * Built with -DOT_EXAMPLE_NO_TRACING it makes none of the calls, even with
 * mod_opentracing loaded: bench/api-cost's control, the same handler and
 * the same answer without the calls, so that the difference is what the
 * calls cost.
 *
 * Build and load (README, "C API for other modules"):
 *   apxs -c -i -I$(apxs -q INCLUDEDIR) mod_ot_example.c
 *   LoadModule ot_example_module modules/mod_ot_example.so
 *   <Location /example>
 *       SetHandler ot-example
 *   </Location>
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "mod_opentracing.h"

module AP_MODULE_DECLARE_DATA ot_example_module;

/* The API, when a mod_opentracing of API version 2 or later is loaded:
 * then every function of version 2 is there, and one check will do. */
static struct {
    int on;
    APR_OPTIONAL_FN_TYPE(opentracing_start_span) *start_span;
    APR_OPTIONAL_FN_TYPE(opentracing_span_set_attribute) *span_set_attribute;
    APR_OPTIONAL_FN_TYPE(opentracing_span_set_attribute_int)
        *span_set_attribute_int;
    APR_OPTIONAL_FN_TYPE(opentracing_end_span) *end_span;
    APR_OPTIONAL_FN_TYPE(opentracing_inject) *inject;
    APR_OPTIONAL_FN_TYPE(opentracing_set_attribute) *set_attribute;
    APR_OPTIONAL_FN_TYPE(opentracing_add_event) *add_event;
} ot;

static void example_retrieve(void)
{
    APR_OPTIONAL_FN_TYPE(opentracing_api_version) *version =
        APR_RETRIEVE_OPTIONAL_FN(opentracing_api_version);

    ot.on = version && version() >= 2;
#ifdef OT_EXAMPLE_NO_TRACING
    ot.on = 0;
#endif
    if (ot.on) {
        ot.start_span = APR_RETRIEVE_OPTIONAL_FN(opentracing_start_span);
        ot.span_set_attribute =
            APR_RETRIEVE_OPTIONAL_FN(opentracing_span_set_attribute);
        ot.span_set_attribute_int =
            APR_RETRIEVE_OPTIONAL_FN(opentracing_span_set_attribute_int);
        ot.end_span = APR_RETRIEVE_OPTIONAL_FN(opentracing_end_span);
        ot.inject = APR_RETRIEVE_OPTIONAL_FN(opentracing_inject);
        ot.set_attribute = APR_RETRIEVE_OPTIONAL_FN(opentracing_set_attribute);
        ot.add_event = APR_RETRIEVE_OPTIONAL_FN(opentracing_add_event);
    }
}

/* The slow work: a lookup that takes a few milliseconds. */
static int lookup(void)
{
    apr_sleep(apr_time_from_msec(5));
    return 3;
}

/* What the outgoing headers say when nothing was injected: the all-zero
 * context, which W3C Trace Context defines as invalid, as long as a real
 * one, so that the answer has the same size either way. */
#define EXAMPLE_NO_CONTEXT \
    "00-00000000000000000000000000000000-0000000000000000-00"

static int print_header(void *r, const char *key, const char *value)
{
    ap_rprintf(r, "%s: %s\n", key, value);
    return 1;
}

static int example_handler(request_rec *r)
{
    opentracing_span *span = NULL;
    apr_table_t *outgoing, *found;
    int items;

    if (!r->handler || strcmp(r->handler, "ot-example") != 0) {
        return DECLINED;
    }

    /* The lookup's outgoing call: its headers (made here, not sent: a
     * real module would hand them to its client library). */
    outgoing = apr_table_make(r->pool, 4);

    /* The slow part, as a child span (NULL when the request is not
     * recorded: the calls below then do nothing; inject still passes on
     * the server span's context when the request is traced). */
    if (ot.on) {
        span = ot.start_span(r, "example lookup",
                             OPENTRACING_SPAN_KIND_INTERNAL);
        ot.span_set_attribute(span, "example.source", "memory");
        ot.inject(r, span, outgoing);
    }
    items = lookup();
    if (ot.on) {
        ot.span_set_attribute_int(span, "example.items", items);
        ot.end_span(span, NULL);

        ot.set_attribute(r, "example.handler", "ot-example");
        found = apr_table_make(r->pool, 1);
        apr_table_setn(found, "example.items", apr_itoa(r->pool, items));
        ot.add_event(r, "example done", found);
    }

    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "items: %d\n", items);
    if (apr_is_empty_table(outgoing)) {
        print_header(r, "traceparent", EXAMPLE_NO_CONTEXT);
    }
    else {
        apr_table_do(print_header, r, outgoing, NULL);
    }
    return OK;
}

static void example_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(example_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    ap_hook_handler(example_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ot_example_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    example_register_hooks,
    0
};
