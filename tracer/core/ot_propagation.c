/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_propagation.h"

#include <string.h>

#include <apr_strings.h>

#include "ot_w3c.h"

/* Bounds a tracestate we keep: 32 members of at most 512 bytes. */
#define TRACESTATE_CAP (32 * 514)

static int w3c_extract(apr_pool_t *p, ot_carrier_get get, void *carrier,
                       ot_span_context *out)
{
    const char *tp = get(carrier, "traceparent");
    const char *ts;
    char *norm;
    size_t len;
    int n;

    if (!tp || ot_w3c_traceparent_parse(tp, strlen(tp), out->trace_id,
                                        out->span_id, &out->flags) != 0) {
        /* Per the spec, without a valid traceparent the tracestate is not
         * looked at either. */
        return -1;
    }
    /* Level 1 defines only the sampled bit; others are not passed on. */
    out->flags &= 0x01;
    out->trace_state = NULL;
    out->traceparent = NULL;
    ts = get(carrier, "tracestate");
    if (ts && *ts) {
        len = strlen(ts);
        if (len < TRACESTATE_CAP) {
            norm = apr_palloc(p, len + 1);
            n = ot_w3c_tracestate_normalize(ts, len, norm, len + 1);
            if (n > 0) {
                out->trace_state = norm;
            }
        }
    }
    return 0;
}

static void w3c_inject(apr_pool_t *p, const ot_span_context *ctx,
                       ot_carrier_set set, void *carrier)
{
    char *tp;

    if (ctx->traceparent) {
        set(carrier, "traceparent", ctx->traceparent);
    }
    else {
        tp = apr_palloc(p, OT_TRACEPARENT_LEN + 1);
        ot_w3c_traceparent_format(ctx->trace_id, ctx->span_id, ctx->flags,
                                  tp);
        set(carrier, "traceparent", tp);
    }
    /* An incoming tracestate we found invalid is not passed on either. */
    set(carrier, "tracestate",
        ctx->trace_state && *ctx->trace_state ? ctx->trace_state : NULL);
}

static const ot_propagator propagators[] = {
    { "w3c", w3c_extract, w3c_inject },
};

static const char *const propagator_names[] = { "w3c", NULL };

const ot_propagator *ot_propagator_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(propagators) / sizeof(propagators[0]); i++) {
        if (strcasecmp(propagators[i].name, name) == 0) {
            return &propagators[i];
        }
    }
    return NULL;
}

const char *const *ot_propagator_names(void)
{
    return propagator_names;
}
