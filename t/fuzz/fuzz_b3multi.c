/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the X-B3-* headers (tracer/core/ot_b3.c).  The
 * input is header lines, "name: value\n", merged like httpd's headers_in:
 *  - refused, ot_b3multi_parse leaves its output alone, and the b3multi
 *    format extracts nothing;
 *  - the format extracts what ot_b3multi_parse does;
 *  - a context is injected over what arrived as exactly TraceId, SpanId
 *    and Flags "1" (debug) or Sampled: no ParentSpanId, no stale field,
 *    nothing that may not be written; that extracts again to the same
 *    ids, flags and origin (a deferred decision is written as "0").
 */

#include "fuzz_headers.h"
#include "ot_b3.h"

static const char *const names[] = {
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled",
    "x-b3-flags"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    apr_table_t *in = fuzz_header_lines(p, (const char *)data, size), *out;
    ot_span_context ctx, sentinel, got, again;
    ot_b3multi fields, written;
    char buf[OT_B3_MAX + 1];
    const char *want[5];
    size_t i;
    int r;

    fields.trace_id = apr_table_get(in, names[0]);
    fields.span_id = apr_table_get(in, names[1]);
    fields.parent_span_id = apr_table_get(in, names[2]);
    fields.sampled = apr_table_get(in, names[3]);
    fields.flags = apr_table_get(in, names[4]);
    memset(&ctx, 0xa5, sizeof(ctx));
    sentinel = ctx;
    r = ot_b3multi_parse(&fields, &ctx);
    fuzz_check(r == -1 || r == OT_EXTRACT_NONE || r == OT_EXTRACT_CONTEXT
               || r == OT_EXTRACT_DECISION);
    if (r == -1 || r == OT_EXTRACT_NONE) {
        fuzz_check(memcmp(&ctx, &sentinel, sizeof(ctx)) == 0);
    }

    fuzz_check(fuzz_extract(p, "b3multi", in, &got)
               == (r == -1 ? OT_EXTRACT_NONE : (ot_extract_result)r));
    if (r == OT_EXTRACT_CONTEXT || r == OT_EXTRACT_DECISION) {
        fuzz_check(memcmp(got.trace_id, ctx.trace_id, 16) == 0
                   && memcmp(got.span_id, ctx.span_id, 8) == 0
                   && got.flags == ctx.flags && got.origin == ctx.origin);
    }
    if (r == OT_EXTRACT_CONTEXT) {
        out = fuzz_inject(p, "b3multi", in, &got);
        ot_b3multi_format(&got, &written, buf);
        want[0] = written.trace_id;
        want[1] = written.span_id;
        want[2] = written.parent_span_id;
        want[3] = written.sampled;
        want[4] = written.flags;
        for (i = 0; i < 5; i++) {
            const char *v = apr_table_get(out, names[i]);

            fuzz_check((v == NULL) == (want[i] == NULL));
            fuzz_check(!v || strcmp(v, want[i]) == 0);
        }
        fuzz_check(strlen(written.trace_id) <= 32
                   && strlen(written.span_id) == 16);
        fuzz_check(fuzz_extract(p, "b3multi", out, &again)
                   == OT_EXTRACT_CONTEXT);
        fuzz_check(memcmp(again.trace_id, got.trace_id, 16) == 0
                   && memcmp(again.span_id, got.span_id, 8) == 0
                   && again.flags == got.flags
                   && again.origin == (got.origin & ~OT_CTX_DEFERRED));
    }
    apr_pool_destroy(p);
    return 0;
}
