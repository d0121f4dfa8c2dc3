/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_thread_proc.h>

#include "ot_intern.h"

/* One address per key, whatever buffer it comes from; a copy with its
 * NUL; keys of every length up to the limit, those that differ only in
 * the bytes neither of the first nor of the last eight, and prefixes of
 * one another, kept apart. */
static void test_one_copy_per_key(void **state)
{
    char a[OT_INTERN_KEY_MAX + 1], b[OT_INTERN_KEY_MAX + 1];
    const char *first[OT_INTERN_KEY_MAX + 1];
    size_t len;

    (void)state;
    memset(a, 'k', sizeof(a));
    for (len = 0; len <= OT_INTERN_KEY_MAX; len += 7) {
        memcpy(b, a, len);
        first[len] = ot_intern(a, len);
        assert_non_null(first[len]);
        assert_ptr_not_equal(first[len], a);
        assert_int_equal(strlen(first[len]), len);
        assert_memory_equal(first[len], a, len);
        assert_ptr_equal(ot_intern(b, len), first[len]);
    }
    /* "kkkk...": a middle byte changed is another key */
    memcpy(b, a, 40);
    b[20] = 'x';
    assert_ptr_not_equal(ot_intern(b, 40), ot_intern(a, 40));
    assert_ptr_equal(ot_intern(a, 40), ot_intern(a, 40));
    assert_int_equal(ot_intern(b, 40)[20], 'x');
    assert_ptr_equal(ot_intern("app.user", 8), ot_intern("app.user.id", 8));
    assert_ptr_not_equal(ot_intern("app.user", 8), ot_intern("app.use", 7));
    assert_string_equal(ot_intern("app.use", 7), "app.use");
}

/* Keys of up to 16 bytes are compared by two words made of their bytes
 * (first and last eight, first and last four, or first, middle and last
 * byte): a key with its first, middle or last byte changed, at any of
 * these lengths, is another key, and a copy holds the key's own bytes.
 * (A key the table has no room for is NULL: the caller copies it.) */
static void test_short_keys_apart(void **state)
{
    char a[20], b[20];
    const char *ka, *kb;
    size_t len, i, at[3];
    int j;

    (void)state;
    for (len = 1; len <= 17; len++) {
        at[0] = 0;
        at[1] = len / 2;
        at[2] = len - 1;
        memcpy(a, "abcdefghijklmnopq", len);
        ka = ot_intern(a, len);
        assert_non_null(ka);
        assert_memory_equal(ka, a, len);
        assert_int_equal(ka[len], '\0');
        for (j = 0; j < 3; j++) {
            i = at[j];
            memcpy(b, a, len);
            b[i] = 'Z';
            kb = ot_intern(b, len);
            assert_ptr_not_equal(kb, ka);
            if (kb) {
                assert_memory_equal(kb, b, len);
                assert_ptr_equal(ot_intern(b, len), kb);
            }
        }
        /* and a prefix of it is another key */
        assert_ptr_not_equal(ot_intern(a, len - 1), ka);
    }
}

/* Longer than any key the span API accepts: not kept. */
static void test_too_long(void **state)
{
    char k[OT_INTERN_KEY_MAX + 2];

    (void)state;
    memset(k, 'z', sizeof(k));
    assert_null(ot_intern(k, OT_INTERN_KEY_MAX + 1));
}

/* Threads asking for the same keys at once get one address each key, or
 * NULL (the slot was being written): never a second copy, never a torn
 * one. */
#define RACE_THREADS 8
#define RACE_KEYS 64

static const char *race_seen[RACE_THREADS][RACE_KEYS];
static int race_wrong[RACE_THREADS];

static void *APR_THREAD_FUNC race(apr_thread_t *t, void *arg)
{
    int id = (int)(intptr_t)arg, round, k;
    char key[32];

    for (round = 0; round < 200; round++) {
        for (k = 0; k < RACE_KEYS; k++) {
            const char *got;
            int n = snprintf(key, sizeof(key), "race.key.%d", k);

            /* no cmocka assertion off the main thread: counted */
            got = ot_intern(key, (size_t)n);
            if (got) {
                if (strcmp(got, key) != 0
                    || (race_seen[id][k] && got != race_seen[id][k])) {
                    race_wrong[id]++;
                }
                race_seen[id][k] = got;
            }
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    apr_thread_t *th[RACE_THREADS];
    apr_status_t rv;
    apr_pool_t *p;
    int i, k;

    (void)state;
    apr_pool_create(&p, NULL);
    for (i = 0; i < RACE_THREADS; i++) {
        assert_int_equal(apr_thread_create(&th[i], NULL, race,
                                           (void *)(intptr_t)i, p),
                         APR_SUCCESS);
    }
    for (i = 0; i < RACE_THREADS; i++) {
        apr_thread_join(&rv, th[i]);
    }
    for (i = 0; i < RACE_THREADS; i++) {
        assert_int_equal(race_wrong[i], 0);
    }
    for (k = 0; k < RACE_KEYS; k++) {
        const char *one = NULL;

        for (i = 0; i < RACE_THREADS; i++) {
            assert_non_null(race_seen[i][k]);
            if (one) {
                assert_ptr_equal(race_seen[i][k], one);
            }
            one = race_seen[i][k];
        }
    }
    apr_pool_destroy(p);
}

/* A full table: new keys are refused (the caller copies them), those kept
 * stay found.  Last: it fills the process's table. */
static void test_full(void **state)
{
    const char *kept = ot_intern("kept.before.full", 16);
    char key[32];
    int i, refused = 0, n;

    (void)state;
    assert_non_null(kept);
    for (i = 0; i < 4 * OT_INTERN_SLOTS; i++) {
        n = snprintf(key, sizeof(key), "fill.%d", i);
        if (!ot_intern(key, (size_t)n)) {
            refused++;
        }
    }
    assert_true(refused >= 3 * OT_INTERN_SLOTS);
    assert_ptr_equal(ot_intern("kept.before.full", 16), kept);
    assert_null(ot_intern("one.more.key.after.full", 23));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_copy_per_key),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_short_keys_apart),
        cmocka_unit_test(test_full),
    };
    int rc;

    apr_initialize();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
