/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the single b3 header (tracer/core/ot_b3.c).  The
 * input is one header value:
 *  - refused, ot_b3_parse leaves its output alone, and the b3 format
 *    extracts nothing;
 *  - accepted, the value was short and printable; it formats within
 *    OT_B3_MAX to lowercase hex, "-" and a decision, which parses back to
 *    the same ids, flags and origin (a deferred decision is written as
 *    "0") and formats to itself;
 *  - the b3 format extracts what ot_b3_parse does, and injects exactly
 *    the formatted value.
 */

#include "fuzz_headers.h"
#include "ot_b3.h"
#include "ot_fields.h"

/* The longest value accepted: 32 + 16 + 1 + 16 and three "-". */
#define B3_VALUE_MAX (32 + 1 + 16 + 1 + 1 + 1 + 16)

static void check_formatted(const ot_span_context *ctx,
                            char out[OT_B3_MAX + 1])
{
    ot_span_context again;
    char twice[OT_B3_MAX + 1];
    size_t n = ot_b3_format(ctx, out), i;

    fuzz_check(n == strlen(out) && n <= OT_B3_MAX);
    for (i = 0; i < n; i++) {
        fuzz_check((out[i] >= '0' && out[i] <= '9')
                   || (out[i] >= 'a' && out[i] <= 'f') || out[i] == '-');
    }
    fuzz_check(ot_b3_parse(out, n, &again) == OT_EXTRACT_CONTEXT);
    fuzz_check(memcmp(again.trace_id, ctx->trace_id, 16) == 0);
    fuzz_check(memcmp(again.span_id, ctx->span_id, 8) == 0);
    fuzz_check(again.flags == ctx->flags);
    fuzz_check(again.origin == (ctx->origin & ~OT_CTX_DEFERRED));
    ot_b3_format(&again, twice);
    fuzz_check(strcmp(out, twice) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_exact(p, data, size), *v = s, *value;
    ot_span_context ctx, sentinel, got;
    char out[OT_B3_MAX + 1];
    apr_table_t *in, *injected;
    size_t n = size, i;
    int r;

    memset(&ctx, 0xa5, sizeof(ctx));
    sentinel = ctx;
    r = ot_b3_parse(s, size, &ctx);
    fuzz_check(r == -1 || r == OT_EXTRACT_CONTEXT
               || r == OT_EXTRACT_DECISION);
    if (r == -1) {
        fuzz_check(memcmp(&ctx, &sentinel, sizeof(ctx)) == 0);
    }
    else {
        /* only short printable values are accepted */
        ot_ows_trim(&v, &n);
        fuzz_check(n <= B3_VALUE_MAX);
        for (i = 0; i < n; i++) {
            fuzz_check(v[i] > 0x20 && v[i] < 0x7f);
        }
        fuzz_check(ctx.trace_state == NULL && ctx.baggage == NULL);
    }
    if (r == OT_EXTRACT_DECISION) {
        fuzz_check(n == 1);
        fuzz_check((ctx.origin & ~OT_CTX_DEBUG) == 0);
    }
    if (r == OT_EXTRACT_CONTEXT) {
        check_formatted(&ctx, out);
    }

    /* the b3 format over a carrier agrees with the parser */
    if ((value = fuzz_value(p, data, size)) != NULL) {
        in = apr_table_make(p, 2);
        apr_table_setn(in, "b3", value);
        fuzz_check(fuzz_extract(p, "b3", in, &got)
                   == (r == -1 ? OT_EXTRACT_NONE : (ot_extract_result)r));
        if (r != -1) {
            fuzz_check(memcmp(got.trace_id, ctx.trace_id, 16) == 0
                       && memcmp(got.span_id, ctx.span_id, 8) == 0
                       && got.flags == ctx.flags
                       && got.origin == ctx.origin);
        }
        if (r == OT_EXTRACT_CONTEXT) {
            injected = fuzz_inject(p, "b3", in, &got);
            fuzz_check(strcmp(apr_table_get(injected, "b3"), out) == 0);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
