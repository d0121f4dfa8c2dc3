/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The samplers: the ratio, consistent by trace id, and the ratio it
 * promises; parent-based or not; OTEL_TRACES_SAMPLER and its argument. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <apr_general.h>

#include "ot_ids.h"
#include "ot_sampler.h"

static void test_edges(void **state)
{
    ot_sampler s;
    uint8_t id[16];

    memset(id, 0, 16);
    ot_sampler_init(&s, 0);
    assert_false(ot_sampler_decide(&s, -1, id));      /* 0 is not below 0 */
    ot_sampler_init(&s, 1);
    memset(id, 0xff, 16);
    assert_true(ot_sampler_decide(&s, -1, id));
    ot_sampler_init(&s, 0.5);
    memset(id, 0, 16);
    id[8] = 0x7f;
    assert_true(ot_sampler_decide(&s, -1, id));       /* 0x7f.. < 0x80.. */
    id[8] = 0x80;
    assert_false(ot_sampler_decide(&s, -1, id));
    /* only the last 8 bytes count: the same decision everywhere */
    memset(id, 0xff, 8);
    assert_false(ot_sampler_decide(&s, -1, id));
}

static void test_ratio(void **state)
{
    static const double ratios[] = { 0.01, 0.1, 0.25, 0.5, 0.9 };
    ot_sampler s;
    uint8_t id[16];
    int i, k, n = 100000, hits;

    for (k = 0; k < 5; k++) {
        ot_sampler_init(&s, ratios[k]);
        hits = 0;
        for (i = 0; i < n; i++) {
            ot_ids_trace_id(id);
            hits += ot_sampler_decide(&s, -1, id);
        }
        /* within 5 standard deviations */
        assert_in_range(hits, (int)(n * ratios[k] - 5 * 160),
                        (int)(n * ratios[k] + 5 * 160));
    }
}

/* A parent's decision wins in a parent-based sampler only. */
static void test_parent(void **state)
{
    ot_sampler s;
    uint8_t id[16];

    memset(id, 0xff, 16);               /* above every ratio below 1 */
    ot_sampler_init(&s, 0);
    assert_true(ot_sampler_decide(&s, 1, id));
    assert_false(ot_sampler_decide(&s, 0, id));
    assert_false(ot_sampler_decide(&s, -1, id));
    ot_sampler_init(&s, 1);
    assert_false(ot_sampler_decide(&s, 0, id));
    assert_true(ot_sampler_decide(&s, -1, id));
}

/* OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG: each sampler's
 * decision for a sampled parent, an unsampled one and none, on a trace id
 * whose value is half of 2^64 (a ratio above 0.5 records it, below not). */
static void test_env(void **state)
{
    static const struct {
        const char *name, *arg;
        int with_sampled, with_unsampled, without;
    } rows[] = {
        { NULL, NULL, 1, 0, 1 },
        { "", "0", 1, 0, 1 },
        { "always_on", NULL, 1, 1, 1 },
        { "always_off", NULL, 0, 0, 0 },
        { "traceidratio", NULL, 1, 1, 1 },          /* default 1 */
        { "traceidratio", "", 1, 1, 1 },
        { "traceidratio", "0.75", 1, 1, 1 },
        { "traceidratio", "0.25", 0, 0, 0 },
        { "parentbased_always_on", NULL, 1, 0, 1 },
        { "parentbased_always_off", NULL, 1, 0, 0 },
        { "parentbased_traceidratio", "0.75", 1, 0, 1 },
        { "parentbased_traceidratio", "0.25", 1, 0, 0 },
        { "parentbased_traceidratio", "1", 1, 0, 1 },
        { "parentbased_traceidratio", "0", 1, 0, 0 },
    };
    ot_sampler s;
    uint8_t id[16];
    char err[256];
    size_t i;

    memset(id, 0, 16);
    id[8] = 0x80;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(ot_sampler_from_env(&s, rows[i].name, rows[i].arg,
                                             err, sizeof(err)), 0);
        assert_int_equal(ot_sampler_decide(&s, 1, id), rows[i].with_sampled);
        assert_int_equal(ot_sampler_decide(&s, 0, id),
                         rows[i].with_unsampled);
        assert_int_equal(ot_sampler_decide(&s, -1, id), rows[i].without);
    }
}

static void test_env_errors(void **state)
{
    static const struct {
        const char *name, *arg, *message;
    } rows[] = {
        { "jaeger_remote", NULL, "environment variable OTEL_TRACES_SAMPLER="
          "\"jaeger_remote\" is not supported here (supported: always_on, "
          "always_off, traceidratio, parentbased_always_on, "
          "parentbased_always_off, parentbased_traceidratio)" },
        { "ALWAYS_ON", NULL, NULL },             /* names are lowercase */
        { "traceidratio", "1.5", "environment variable "
          "OTEL_TRACES_SAMPLER_ARG=\"1.5\" is not a number between 0 and 1" },
        { "parentbased_traceidratio", "half", "environment variable "
          "OTEL_TRACES_SAMPLER_ARG=\"half\" is not a number between 0 and "
          "1" },
        { "traceidratio", "-0.1", NULL },
        { "traceidratio", "0.5x", NULL },
        { "traceidratio", "nan", NULL },
    };
    ot_sampler s;
    char err[512];
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        err[0] = '\0';
        assert_int_not_equal(ot_sampler_from_env(&s, rows[i].name,
                                                 rows[i].arg, err,
                                                 sizeof(err)), 0);
        if (rows[i].message) {
            assert_string_equal(err, rows[i].message);
        }
        else {
            assert_true(strncmp(err, "environment variable OTEL_TRACES_SAMPLER",
                                40) == 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_parent),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_errors),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
