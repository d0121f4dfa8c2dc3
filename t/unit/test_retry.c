/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The retry schedule: exponential backoff with jitter, Retry-After. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ot_retry.h"

static void test_schedule_without_jitter(void **state)
{
    /* rnd % 1024 == 512: the middle of the jitter range, i.e. the base */
    static const uint32_t want[] = { 1000, 1500, 2250, 3375, 5000, 5000 };
    uint32_t i;

    for (i = 0; i < 6; i++) {
        assert_int_equal(ot_retry_delay_ms(i + 1, 0, 512), want[i]);
    }
}

static void test_jitter_bounds(void **state)
{
    uint32_t attempt, r, d;

    for (attempt = 1; attempt < 10; attempt++) {
        uint32_t base = ot_retry_delay_ms(attempt, 0, 512);
        for (r = 0; r < 4096; r += 7) {
            d = ot_retry_delay_ms(attempt, 0, r);
            assert_in_range(d, base * 4 / 5, base * 6 / 5);
        }
        /* both ends of the range are reached */
        assert_int_equal(ot_retry_delay_ms(attempt, 0, 0), base * 4 / 5);
        assert_true(ot_retry_delay_ms(attempt, 0, 1023) > base * 6 / 5 - 10);
    }
}

static void test_retry_after_wins_when_longer(void **state)
{
    assert_int_equal(ot_retry_delay_ms(1, 7000, 512), 7000);
    assert_int_equal(ot_retry_delay_ms(1, 10, 512), 1000);
    assert_int_equal(ot_retry_delay_ms(100, 0, 512), 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_without_jitter),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_retry_after_wins_when_longer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
