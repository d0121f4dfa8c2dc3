/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for tracer/core/ot_query.c.  The input (up to its first
 * NUL) is a query; the invariants of redaction are checked, with the
 * default keys and an added key "k":
 *  - the result has as many parameters ('&') as the input, each with the
 *    same key; a value is either the same or REDACTED, and REDACTED only
 *    for a redacted key with a non-empty value;
 *  - the input itself is returned exactly when nothing was replaced;
 *  - the reported length is the result's; redacting again changes nothing.
 */

#include "ot_query.h"

#include "fuzz.h"

static const char *const added[] = { "k" };

static int is_redacted_key(const char *k, size_t n)
{
    const char *const *d;

    for (d = ot_query_default_keys; *d; d++) {
        if (strlen(*d) == n && memcmp(*d, k, n) == 0) {
            return 1;
        }
    }
    return n == 1 && k[0] == 'k';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = fuzz_cstr(p, data, size);
    const char *out, *a, *b;
    size_t len, len2;
    int changed = 0;

    out = ot_query_redact(p, in, added, 1, &len);
    fuzz_check(out != NULL);
    fuzz_check(strlen(out) == len);

    /* parameter by parameter */
    a = in;
    b = out;
    for (;;) {
        size_t na = strcspn(a, "&"), nb = strcspn(b, "&");
        const char *eqa = memchr(a, '=', na), *eqb = memchr(b, '=', nb);
        size_t ka = eqa ? (size_t)(eqa - a) : na;

        fuzz_check((eqa == NULL) == (eqb == NULL));
        fuzz_check(!eqa || (size_t)(eqb - b) == ka);
        fuzz_check(memcmp(a, b, ka) == 0);
        if (eqa && ka > 0 && eqa + 1 < a + na && is_redacted_key(a, ka)) {
            fuzz_check(nb - ka - 1 == strlen(OT_QUERY_REDACTED));
            fuzz_check(memcmp(eqb + 1, OT_QUERY_REDACTED, nb - ka - 1) == 0);
            changed = 1;
        }
        else {
            fuzz_check(na == nb && memcmp(a, b, na) == 0);
        }
        fuzz_check((a[na] == '&') == (b[nb] == '&'));
        if (a[na] != '&') {
            break;
        }
        a += na + 1;
        b += nb + 1;
    }
    fuzz_check(changed == (out != in));

    fuzz_check(strcmp(ot_query_redact(p, out, added, 1, &len2), out) == 0);
    fuzz_check(len2 == len);

    apr_pool_destroy(p);
    return 0;
}
