/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the W3C traceparent (tracer/core/ot_w3c.c).  The
 * input is one header value:
 *  - refused, the outputs are left alone, and the w3c format extracts
 *    nothing;
 *  - a parsed traceparent formats to a 55-character version-00 value of
 *    lowercase hex and "-" that parses back to the same fields (a future
 *    version's tail, whatever it holds, is never passed on);
 *  - the w3c format extracts the same ids with the flags it knows
 *    (sampled, random), and injects exactly their formatted value.
 */

#include "fuzz_headers.h"
#include "ot_w3c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_exact(p, data, size), *value;
    uint8_t tid[16], sid[8], fl, tid2[16], sid2[8], fl2;
    char out[OT_TRACEPARENT_LEN + 1];
    ot_span_context ctx;
    apr_table_t *in, *injected;
    size_t i;
    int r;

    memset(tid, 0xa5, 16);
    memset(sid, 0xa5, 8);
    fl = 0xa5;
    r = ot_w3c_traceparent_parse(s, size, tid, sid, &fl);
    fuzz_check(r == 0 || r == -1);
    if (r == -1) {
        memset(tid2, 0xa5, 16);
        memset(sid2, 0xa5, 8);
        fuzz_check(memcmp(tid, tid2, 16) == 0 && memcmp(sid, sid2, 8) == 0
                   && fl == 0xa5);
    }
    else {
        ot_w3c_traceparent_format(tid, sid, fl, out);
        fuzz_check(strlen(out) == OT_TRACEPARENT_LEN);
        fuzz_check(out[0] == '0' && out[1] == '0');
        for (i = 0; i < OT_TRACEPARENT_LEN; i++) {
            fuzz_check((out[i] >= '0' && out[i] <= '9')
                       || (out[i] >= 'a' && out[i] <= 'f') || out[i] == '-');
        }
        fuzz_check(ot_w3c_traceparent_parse(out, OT_TRACEPARENT_LEN, tid2,
                                            sid2, &fl2) == 0);
        fuzz_check(memcmp(tid, tid2, 16) == 0);
        fuzz_check(memcmp(sid, sid2, 8) == 0);
        fuzz_check(fl == fl2);
    }

    if ((value = fuzz_value(p, data, size)) != NULL) {
        in = apr_table_make(p, 2);
        apr_table_setn(in, "traceparent", value);
        fuzz_check(fuzz_extract(p, "w3c", in, &ctx)
                   == (r == 0 ? OT_EXTRACT_CONTEXT : OT_EXTRACT_NONE));
        if (r == 0) {
            fuzz_check(memcmp(ctx.trace_id, tid, 16) == 0
                       && memcmp(ctx.span_id, sid, 8) == 0
                       && ctx.flags == (fl & 0x03) && ctx.origin == 0);
            injected = fuzz_inject(p, "w3c", in, &ctx);
            ot_w3c_traceparent_format(tid, sid, fl & 0x03, out);
            fuzz_check(strcmp(apr_table_get(injected, "traceparent"), out)
                       == 0);
            fuzz_check(apr_table_get(injected, "tracestate") == NULL);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
