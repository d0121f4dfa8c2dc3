/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The ratio sampler: consistent by trace id, and the ratio it promises. */

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
    assert_false(ot_sampler_root(&s, id));      /* 0 is not below 0 */
    ot_sampler_init(&s, 1);
    memset(id, 0xff, 16);
    assert_true(ot_sampler_root(&s, id));
    ot_sampler_init(&s, 0.5);
    memset(id, 0, 16);
    id[8] = 0x7f;
    assert_true(ot_sampler_root(&s, id));       /* 0x7f.. < 0x80.. */
    id[8] = 0x80;
    assert_false(ot_sampler_root(&s, id));
    /* only the last 8 bytes count: the same decision everywhere */
    memset(id, 0xff, 8);
    assert_false(ot_sampler_root(&s, id));
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
            hits += ot_sampler_root(&s, id);
        }
        /* within 5 standard deviations */
        assert_in_range(hits, (int)(n * ratios[k] - 5 * 160),
                        (int)(n * ratios[k] + 5 * 160));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_ratio),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
