/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A fresh APR pool per test, in *state: POOL_TEST(test_x) in the table. */

#ifndef OT_TEST_POOL_FIXTURE_H
#define OT_TEST_POOL_FIXTURE_H

#include <apr_pools.h>

static int pool_setup(void **state)
{
    apr_pool_t *p;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return -1;
    }
    *state = p;
    return 0;
}

static int pool_teardown(void **state)
{
    apr_pool_destroy(*state);
    return 0;
}

#define POOL_TEST(f) \
    cmocka_unit_test_setup_teardown(f, pool_setup, pool_teardown)

#endif /* OT_TEST_POOL_FIXTURE_H */
