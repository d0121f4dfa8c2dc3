/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for Jaeger's uber-trace-id (tracer/core/ot_jaeger.c).
 * The input is one header value:
 *  - refused, ot_jaeger_parse leaves its output alone, and the jaeger
 *    format extracts nothing;
 *  - accepted, the value was short (URL-encoded at most three times the
 *    longest plain one);
 *  - a context formats within OT_JAEGER_MAX to lowercase hex and ":",
 *    which parses back to the same ids, flags and origin, and formats to
 *    itself;
 *  - the jaeger format extracts what ot_jaeger_parse does, and injects
 *    exactly the formatted value.
 */

#include "fuzz_headers.h"
#include "ot_fields.h"
#include "ot_jaeger.h"

/* 32 + 16 + 16 + 2 hex digits and three ":", each byte "%XX" at most. */
#define JAEGER_VALUE_MAX (3 * (32 + 16 + 16 + 2 + 3))

static void check_formatted(const ot_span_context *ctx,
                            char out[OT_JAEGER_MAX + 1])
{
    ot_span_context again;
    char twice[OT_JAEGER_MAX + 1];
    size_t n = ot_jaeger_format(ctx, out), i;

    fuzz_check(n == strlen(out) && n <= OT_JAEGER_MAX);
    for (i = 0; i < n; i++) {
        fuzz_check((out[i] >= '0' && out[i] <= '9')
                   || (out[i] >= 'a' && out[i] <= 'f') || out[i] == ':');
    }
    memset(&again, 0, sizeof(again));
    fuzz_check(ot_jaeger_parse(out, n, &again) == OT_EXTRACT_CONTEXT);
    fuzz_check(memcmp(again.trace_id, ctx->trace_id, 16) == 0);
    fuzz_check(memcmp(again.span_id, ctx->span_id, 8) == 0);
    fuzz_check(again.flags == ctx->flags && again.origin == ctx->origin);
    ot_jaeger_format(&again, twice);
    fuzz_check(strcmp(out, twice) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_exact(p, data, size), *v = s, *value;
    ot_span_context ctx, sentinel, got;
    char out[OT_JAEGER_MAX + 1];
    apr_table_t *in, *injected;
    size_t n = size;
    int r;

    memset(&ctx, 0xa5, sizeof(ctx));
    sentinel = ctx;
    r = ot_jaeger_parse(s, size, &ctx);
    fuzz_check(r == -1 || r == OT_EXTRACT_CONTEXT);
    if (r == -1) {
        fuzz_check(memcmp(&ctx, &sentinel, sizeof(ctx)) == 0);
    }
    else {
        ot_ows_trim(&v, &n);
        fuzz_check(n <= JAEGER_VALUE_MAX);
        fuzz_check(ctx.trace_state == NULL && ctx.baggage == NULL);
        fuzz_check((ctx.origin & ~(OT_CTX_TRACE_ID_64 | OT_CTX_DEBUG)) == 0);
        check_formatted(&ctx, out);
    }

    if ((value = fuzz_value(p, data, size)) != NULL) {
        in = apr_table_make(p, 2);
        apr_table_setn(in, "uber-trace-id", value);
        fuzz_check(fuzz_extract(p, "jaeger", in, &got)
                   == (r == -1 ? OT_EXTRACT_NONE : OT_EXTRACT_CONTEXT));
        if (r != -1) {
            fuzz_check(memcmp(got.trace_id, ctx.trace_id, 16) == 0
                       && memcmp(got.span_id, ctx.span_id, 8) == 0
                       && got.flags == ctx.flags
                       && got.origin == ctx.origin);
            injected = fuzz_inject(p, "jaeger", in, &got);
            fuzz_check(strcmp(apr_table_get(injected, "uber-trace-id"), out)
                       == 0);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
