/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the W3C baggage header (tracer/core/ot_baggage.c).
 * The input is one header value (several lines arrive joined by ","):
 *  - the list kept is normalized W3C baggage (token keys, baggage-octet
 *    values, properties, no OWS, no key twice) within the W3C limits, and
 *    has no more members than the input had; nothing kept, no list;
 *  - the list read again is itself, with nothing invalid or cut;
 *  - the baggage format extracts the same list, and injects exactly it
 *    over what arrived (a refused header is removed, not passed on);
 *  - the list as Jaeger's uberctx-* fields (percent-decoded, then
 *    URL-encoded) is nothing that may not be written.
 */

#include "fuzz_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_exact(p, data, size), *list, *value;
    ot_baggage b, again;
    ot_span_context ctx;
    apr_table_t *in, *out;
    size_t members, commas = 0, i;

    ot_baggage_init(&b, p);
    ot_baggage_add_header(&b, s, size);
    list = ot_baggage_get(&b);
    members = fuzz_check_baggage(list, 0);
    fuzz_check(members == b.members);
    for (i = 0; i < size; i++) {
        commas += s[i] == ',';
    }
    fuzz_check(members <= commas + 1);

    if (list) {
        ot_baggage_init(&again, p);
        ot_baggage_add_header(&again, list, strlen(list));
        fuzz_check(again.invalid == 0 && again.truncated == 0);
        fuzz_check(strcmp(ot_baggage_get(&again), list) == 0);
    }

    if ((value = fuzz_value(p, data, size)) != NULL) {
        in = apr_table_make(p, 2);
        apr_table_setn(in, "baggage", value);
        fuzz_check(fuzz_extract(p, "baggage", in, &ctx) == OT_EXTRACT_NONE);
        fuzz_check((ctx.baggage == NULL) == (list == NULL));
        fuzz_check(!list || strcmp(ctx.baggage, list) == 0);
        out = fuzz_inject(p, "baggage", in, &ctx);
        value = apr_table_get(out, "baggage");
        fuzz_check((value == NULL) == (list == NULL));
        fuzz_check(!list || strcmp(value, list) == 0);
        fuzz_inject(p, "jaeger", in, &ctx);
    }
    apr_pool_destroy(p);
    return 0;
}
