/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for Jaeger's uberctx-* baggage (ot_propagation.c's
 * jaeger format over ot_baggage.c).  The input is header lines,
 * "name: value\n", merged like httpd's headers_in:
 *  - what the jaeger format extracts is a normalized W3C list (token
 *    keys, lowercase, no properties, no key twice) within the W3C limits;
 *  - injected over what arrived, every uberctx-* field is one member of
 *    that list (no stale one stays), its value URL-encoded, nothing that
 *    may not be written;
 *  - extracted again, the injected fields give the same list.
 */

#include "apr_lib.h"

#include "fuzz_headers.h"

#define UBERCTX "uberctx-"
#define UBERCTX_LEN (sizeof(UBERCTX) - 1)

typedef struct uberctx_seen {
    size_t fields;
} uberctx_seen;

/* An injected uberctx-* value: RFC 3986 unreserved characters and %XX. */
static int injected_member(void *rec, const char *name, const char *value)
{
    uberctx_seen *seen = rec;
    size_t i;

    if (strncasecmp(name, UBERCTX, UBERCTX_LEN) != 0) {
        return 1;
    }
    seen->fields++;
    for (i = 0; value[i]; i++) {
        char c = value[i];

        if (c == '%') {
            fuzz_check(apr_isxdigit(value[i + 1])
                       && apr_isxdigit(value[i + 2]));
            i += 2;
            continue;
        }
        fuzz_check(apr_isalnum(c) || c == '-' || c == '.' || c == '_'
                   || c == '~');
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    apr_table_t *in = fuzz_header_lines(p, (const char *)data, size), *out;
    ot_span_context ctx, again;
    uberctx_seen seen = { 0 };
    size_t members;

    if (fuzz_extract(p, "jaeger", in, &ctx) != OT_EXTRACT_CONTEXT) {
        /* baggage goes out with any context: give it one */
        memset(&ctx.trace_id, 0x11, 16);
        memset(&ctx.span_id, 0x22, 8);
    }
    members = fuzz_check_baggage(ctx.baggage, 1);

    out = fuzz_inject(p, "jaeger", in, &ctx);
    apr_table_do(injected_member, &seen, out, NULL);
    fuzz_check(seen.fields == members);

    fuzz_extract(p, "jaeger", out, &again);
    fuzz_check((again.baggage == NULL) == (ctx.baggage == NULL));
    fuzz_check(!ctx.baggage || strcmp(again.baggage, ctx.baggage) == 0);
    apr_pool_destroy(p);
    return 0;
}
