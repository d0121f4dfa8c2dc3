/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests for tracer/core/ot_query.c (url.query redaction, per the
 * OpenTelemetry semantic conventions). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"

#include "ot_query.h"
#include "pool_fixture.h"

typedef struct query_case {
    const char *in;
    const char *out;        /* NULL: unchanged, the same pointer */
} query_case;

/* With the default keys only. */
static const query_case defaults[] = {
    /* the semantic conventions' example */
    { "AWSAccessKeyId=AKIA&Signature=x&a=1",
      "AWSAccessKeyId=REDACTED&Signature=REDACTED&a=1" },
    { "sig=abc", "sig=REDACTED" },
    { "X-Goog-Signature=0123456789abcdef&X-Goog-Date=20240101",
      "X-Goog-Signature=REDACTED&X-Goog-Date=20240101" },
    { "a=1&sig=s", "a=1&sig=REDACTED" },
    { "a=1&sig=s&b=2", "a=1&sig=REDACTED&b=2" },
    { "sig=1&sig=2&sig=3", "sig=REDACTED&sig=REDACTED&sig=REDACTED" },
    { "sig=a=b&c", "sig=REDACTED&c" },          /* value up to the '&' */
    { "sig=REDACTED-no", "sig=REDACTED" },
    { "&&sig=x&&", "&&sig=REDACTED&&" },
    { "a=1&Signature=very-long-signature-value-0123456789&z",
      "a=1&Signature=REDACTED&z" },
    /* unchanged */
    { "", NULL },
    { "a=1&b=2", NULL },
    { "sig", NULL },                            /* no '=': kept */
    { "sig&Signature", NULL },
    { "sig=", NULL },                           /* empty value: kept */
    { "a=1&sig=&b=2", NULL },
    { "=x", NULL },                             /* empty key */
    { "SIG=x&signature=y&awsaccesskeyid=z", NULL },   /* case-sensitive */
    { "sigx=1&xsig=2&si=3", NULL },             /* exact keys only */
    { "%73ig=x", NULL },                        /* keys are not decoded */
    { "a=sig=x", NULL },                        /* key is before the first = */
    { "&", NULL },
};

/* With the keys "token" and "k" added. */
static const query_case added[] = {
    { "token=t0k3n&a=1", "token=REDACTED&a=1" },
    { "k=v", "k=REDACTED" },
    { "k=1&k=2&k=3&k=4", "k=REDACTED&k=REDACTED&k=REDACTED&k=REDACTED" },
    { "sig=x&token=y", "sig=REDACTED&token=REDACTED" },   /* defaults stay */
    { "tokens=1&Token=2&kk=3", NULL },
    { "token=", NULL },
};

static void run_cases(apr_pool_t *p, const query_case *c, size_t n,
                      const char *const *keys, size_t n_keys)
{
    size_t i, len;
    const char *r;

    for (i = 0; i < n; i++) {
        len = (size_t)-1;
        r = ot_query_redact(p, c[i].in, keys, n_keys, &len);
        if (!c[i].out) {
            if (r != c[i].in) {
                fail_msg("case %zu '%s': changed into '%s'", i, c[i].in, r);
            }
            assert_int_equal(len, strlen(c[i].in));
        }
        else {
            assert_non_null(r);
            if (strcmp(r, c[i].out) != 0) {
                fail_msg("case %zu '%s': '%s', want '%s'", i, c[i].in, r,
                         c[i].out);
            }
            assert_int_equal(len, strlen(c[i].out));
        }
        /* The result is redacted already. */
        assert_string_equal(ot_query_redact(p, r, keys, n_keys, NULL), r);
    }
}

static void test_default_keys(void **state)
{
    run_cases(*state, defaults, sizeof(defaults) / sizeof(defaults[0]),
              NULL, 0);
}

static void test_added_keys(void **state)
{
    static const char *const keys[] = { "token", "k" };

    run_cases(*state, added, sizeof(added) / sizeof(added[0]), keys, 2);
    /* none of the default cases has an added key: the same results */
    run_cases(*state, defaults, sizeof(defaults) / sizeof(defaults[0]),
              keys, 2);
}

/* Nothing to redact: no allocation from the pool. */
static void test_unchanged_allocates_nothing(void **state)
{
    apr_pool_t *p;
    const char *q = "a=1&b=2&sig&sig=";
    char *before, *after;

    apr_pool_create(&p, *state);
    before = apr_palloc(p, 1);
    assert_ptr_equal(ot_query_redact(p, q, NULL, 0, NULL), q);
    after = apr_palloc(p, 1);
    /* APR's pools hand out memory in order, in steps of 8 bytes: the
     * next allocation follows the previous one directly */
    assert_ptr_equal(after, before + 8);
    apr_pool_destroy(p);
}

/* The worst growth: every parameter a one-character key and value. */
static void test_growth(void **state)
{
    static const char *const keys[] = { "k" };
    char in[4 * 200], want[11 * 200];
    char *i = in, *w = want;
    int n;

    for (n = 0; n < 200; n++) {
        memcpy(i, "k=v&", 4);
        i += 4;
        memcpy(w, "k=REDACTED&", 11);
        w += 11;
    }
    i[-1] = '\0';
    w[-1] = '\0';
    assert_string_equal(ot_query_redact(*state, in, keys, 1, NULL), want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        POOL_TEST(test_default_keys),
        POOL_TEST(test_added_keys),
        POOL_TEST(test_unchanged_allocates_nothing),
        POOL_TEST(test_growth),
    };
    int rc;

    apr_initialize();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
