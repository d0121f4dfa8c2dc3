/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the propagation formats (tracer/core/ot_propagation.c
 * over ot_w3c, ot_b3, ot_jaeger, ot_baggage).  The input is header lines,
 * "name: value\n" (name and value up to their first NUL), merged like
 * httpd's headers_in.  They are extracted with every format, in an order
 * the first byte picks, and the context injected into a fresh carrier:
 *  - the baggage is normalized and within the W3C limits, and nothing
 *    injected may not be written (fuzz_headers.h);
 *  - each format alone extracts from what was injected the same ids,
 *    flags and origin (as far as the format carries them);
 *  - the baggage header extracted again is the same list (it is
 *    normalized).
 */

#include "fuzz_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const orders[4][5] = {
        { "w3c", "b3", "b3multi", "jaeger", "baggage" },
        { "b3", "b3multi", "jaeger", "w3c", "baggage" },
        { "jaeger", "baggage", "w3c", "b3", "b3multi" },
        { "b3multi", "w3c", "jaeger", "b3", "baggage" },
    };
    const ot_propagator *list[5];
    ot_span_context ctx, again;
    ot_extract_result got, got2;
    apr_table_t *in, *out;
    ot_carrier c;
    apr_pool_t *p;
    size_t i;

    if (size == 0) {
        return 0;
    }
    p = fuzz_pool();
    for (i = 0; i < 5; i++) {
        list[i] = ot_propagator_find(orders[data[0] & 3][i]);
    }
    in = fuzz_header_lines(p, (const char *)data + 1, size - 1);
    ot_carrier_table(&c, in);
    got = ot_propagation_extract(p, list, 5, &c, &ctx, NULL);
    fuzz_check(got == OT_EXTRACT_NONE || got == OT_EXTRACT_CONTEXT
               || got == OT_EXTRACT_DECISION);
    fuzz_check_baggage(ctx.baggage, 0);
    if (got != OT_EXTRACT_CONTEXT) {
        apr_pool_destroy(p);
        return 0;
    }

    out = apr_table_make(p, 8);
    c.data = out;
    ot_propagation_inject(p, list, 5, &ctx, &c);
    for (i = 0; i < 5; i++) {
        fuzz_check_fields(out, list[i]);
    }
    /* each format alone reads back what it wrote */
    for (i = 0; i < 5; i++) {
        const char *name = ot_propagator_name(list[i]);
        int w3c = strcmp(name, "w3c") == 0;

        if (strcmp(name, "baggage") == 0) {
            /* the W3C header carries the list as it is */
            ot_propagation_extract(p, &list[i], 1, &c, &again, NULL);
            fuzz_check((again.baggage == NULL) == (ctx.baggage == NULL));
            fuzz_check(!ctx.baggage || strcmp(again.baggage, ctx.baggage) == 0);
            continue;
        }
        got2 = ot_propagation_extract(p, &list[i], 1, &c, &again, NULL);
        fuzz_check(got2 == OT_EXTRACT_CONTEXT);
        fuzz_check(memcmp(again.trace_id, ctx.trace_id, 16) == 0);
        fuzz_check(memcmp(again.span_id, ctx.span_id, 8) == 0);
        /* W3C keeps the random flag and has no debug or width */
        fuzz_check(again.flags == (w3c ? ctx.flags : ctx.flags & 0x01));
        fuzz_check(again.origin == (w3c ? 0 : ctx.origin & (OT_CTX_TRACE_ID_64
                                                       | OT_CTX_DEBUG)));
    }
    apr_pool_destroy(p);
    return 0;
}
