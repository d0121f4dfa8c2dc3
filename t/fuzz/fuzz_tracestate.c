/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the W3C Trace Context level 2 tracestate rules
 * (ot_w3c_tracestate_normalize, tracer/core/ot_w3c.c).  The input is one
 * header value (several lines arrive joined by ","):
 *  - refused, the output is empty;
 *  - normalized, it is printable US-ASCII, at most 32 members joined by
 *    "," without OWS or empty members, each a level-2 key (lcalpha or
 *    DIGIT, then up to 255 of lcalpha, DIGIT, "_-*@/") "=" a value (up
 *    to 256 of %x20-2B / %x2D-3C / %x3E-7E, not ending in SP), no key
 *    twice; it normalizes to itself, and it fits exactly its length + 1;
 *  - behind a valid traceparent the w3c format keeps that list and
 *    injects exactly it over what arrived (none: the field is removed).
 */

#include "fuzz_headers.h"
#include "ot_w3c.h"

#define TS_CAP (OT_TRACESTATE_MAX_MEMBERS * 514 + 32)
/* ot_propagation.c looks at no tracestate of this length or more */
#define EXTRACT_CAP (32 * 514)
#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static int key_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
           || (!first && c && strchr("_-*/@", c));
}

/* One normalized member [m, m + n): key "=" value.  Returns the key's
 * length. */
static size_t check_member(const char *m, size_t n)
{
    const char *eq = memchr(m, '=', n);
    size_t klen, i;

    fuzz_check(eq != NULL);
    klen = (size_t)(eq - m);
    fuzz_check(klen >= 1 && klen <= 256);
    for (i = 0; i < klen; i++) {
        fuzz_check(key_char(m[i], i == 0));
    }
    fuzz_check(n - klen - 1 >= 1 && n - klen - 1 <= 256);
    for (i = klen + 1; i < n; i++) {
        fuzz_check(m[i] >= 0x20 && m[i] <= 0x7e && m[i] != ','
                   && m[i] != '=');
    }
    fuzz_check(m[n - 1] != ' ');
    return klen;
}

static void check_list(const char *s, size_t len)
{
    const char *keys[OT_TRACESTATE_MAX_MEMBERS];
    size_t klens[OT_TRACESTATE_MAX_MEMBERS];
    size_t members = 0, b = 0, e, j;

    while (b < len) {
        for (e = b; e < len && s[e] != ','; e++) {
        }
        fuzz_check(e > b && members < OT_TRACESTATE_MAX_MEMBERS);
        keys[members] = s + b;
        klens[members] = check_member(s + b, e - b);
        for (j = 0; j < members; j++) {
            fuzz_check(klens[j] != klens[members]
                       || memcmp(keys[j], keys[members], klens[j]) != 0);
        }
        members++;
        fuzz_check(e == len || e + 1 < len);
        b = e + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char once[TS_CAP], twice[TS_CAP];
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_exact(p, data, size), *value;
    ot_span_context ctx;
    apr_table_t *in, *out;
    int r1, r2, kept;

    r1 = ot_w3c_tracestate_normalize(s, size, once, sizeof(once));
    if (r1 < 0) {
        fuzz_check(r1 == -1 && once[0] == '\0');
    }
    else {
        fuzz_check((size_t)r1 == strlen(once));
        check_list(once, (size_t)r1);
        r2 = ot_w3c_tracestate_normalize(once, (size_t)r1, twice,
                                         sizeof(twice));
        fuzz_check(r2 == r1 && memcmp(once, twice, (size_t)r1 + 1) == 0);
        /* the fit check is exact: length + 1 fits, length does not */
        fuzz_check(ot_w3c_tracestate_normalize(s, size, twice,
                                               (size_t)r1 + 1) == r1);
        fuzz_check(ot_w3c_tracestate_normalize(s, size, twice, (size_t)r1)
                   == -1 && twice[0] == '\0');
    }

    if ((value = fuzz_value(p, data, size)) != NULL) {
        in = apr_table_make(p, 2);
        apr_table_setn(in, "traceparent", TRACEPARENT);
        apr_table_setn(in, "tracestate", value);
        kept = r1 > 0 && size < EXTRACT_CAP;
        fuzz_check(fuzz_extract(p, "w3c", in, &ctx) == OT_EXTRACT_CONTEXT);
        fuzz_check((ctx.trace_state != NULL) == kept);
        fuzz_check(!ctx.trace_state || strcmp(ctx.trace_state, once) == 0);
        out = fuzz_inject(p, "w3c", in, &ctx);
        value = apr_table_get(out, "tracestate");
        fuzz_check((value != NULL) == kept);
        fuzz_check(!value || strcmp(value, once) == 0);
    }
    apr_pool_destroy(p);
    return 0;
}
