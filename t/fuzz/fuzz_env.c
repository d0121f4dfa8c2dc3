/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the OpenTelemetry environment variables the module
 * reads: the list syntax of OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS (tracer/sdk/ot_env.c) and OTEL_TRACES_SAMPLER
 * with OTEL_TRACES_SAMPLER_ARG (tracer/core/ot_sampler.c).  The input up
 * to its first NUL is the list; split at its first newline, the sampler's
 * name and argument.  Checked:
 *  - a list parses into at most one pair per comma plus one, each key
 *    non-empty, keys without surrounding blanks (values are trimmed
 *    before they are decoded: "%20" stays); or it is
 *    refused with a reason, and nothing is kept;
 *  - the pairs written back (values percent-encoded) parse into the same
 *    pairs;
 *  - a sampler is taken exactly when its name is empty or one of the six,
 *    and its argument, where it is used, a number from 0 to 1; it decides
 *    0 or 1, a parent-based one as the parent says.
 */

#include <stdio.h>

#include "ot_env.h"
#include "ot_sampler.h"

#include "fuzz.h"

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* s percent-encoded but for letters and digits, into out (3 * n + 1). */
static size_t encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}

static void check_list(apr_pool_t *p, const char *in)
{
    ot_kv *kv = NULL, *again = NULL;
    size_t n = 0, n2 = 0, commas = 0, i, room = 1;
    char err[256] = "";
    char *text, *o;
    const char *c;

    for (c = in; *c; c++) {
        commas += *c == ',';
    }
    if (ot_env_parse_list(in, &kv, &n, err, sizeof(err)) != 0) {
        fuzz_check(kv == NULL && n == 0 && err[0] != '\0');
        return;
    }
    fuzz_check(n <= commas + 1);
    for (i = 0; i < n; i++) {
        size_t kl = strlen(kv[i].key), vl = strlen(kv[i].value);
        fuzz_check(kl > 0);
        fuzz_check(!blank(kv[i].key[0]) && !blank(kv[i].key[kl - 1]));
        room += 3 * (kl + vl) + 2;
    }
    text = o = apr_palloc(p, room);
    *o = '\0';
    for (i = 0; i < n; i++) {
        /* keys are taken as they are (no "," nor "=" in them), values
         * percent-decoded */
        strcpy(o, kv[i].key);
        o += strlen(o);
        *o++ = '=';
        o += encode(kv[i].value, o);
        *o++ = i + 1 < n ? ',' : '\0';
    }
    fuzz_check(ot_env_parse_list(text, &again, &n2, err, sizeof(err)) == 0);
    fuzz_check(n2 == n);
    for (i = 0; i < n; i++) {
        fuzz_check(strcmp(again[i].key, kv[i].key) == 0);
        fuzz_check(strcmp(again[i].value, kv[i].value) == 0);
    }
    ot_kv_free(kv, n);
    ot_kv_free(again, n2);
}

static void check_sampler(char *in)
{
    static const char *const names[] = {
        "always_on", "always_off", "traceidratio", "parentbased_always_on",
        "parentbased_always_off", "parentbased_traceidratio", NULL
    };
    static const uint8_t ids[2][16] = {
        { 0 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }
    };
    char *nl = strchr(in, '\n'), *arg = NULL, err[512];
    const char *const *k;
    int known = 0, d, i;
    ot_sampler s;

    if (nl) {
        *nl = '\0';
        arg = nl + 1;
    }
    for (k = names; *k; k++) {
        known |= strcmp(in, *k) == 0;
    }
    if (ot_sampler_from_env(&s, in, arg, err, sizeof(err)) != 0) {
        /* refused: an unknown name, or a ratio sampler's bad argument */
        fuzz_check(*in && (!known || (strstr(in, "ratio") && arg && *arg)));
        return;
    }
    fuzz_check(!*in || known);
    for (i = 0; i < 2; i++) {
        for (d = -1; d <= 1; d++) {
            int r = ot_sampler_decide(&s, d, ids[i]);
            fuzz_check(r == 0 || r == 1);
            if (s.parent_based && d >= 0) {
                fuzz_check(r == d);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *in = fuzz_cstr(p, data, size);

    check_list(p, in);
    check_sampler(in);
    apr_pool_destroy(p);
    return 0;
}
