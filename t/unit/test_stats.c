/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_stats: the counters of every child in one shared block: slots
 * claimed and released, crashed children's counters folded into the
 * totals, the last error, and a sum that counts each child once while
 * children start and exit in other threads. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_thread_proc.h>

#include "ot_stats.h"
#include "pool_fixture.h"

static int64_t dead_pid;        /* the process alive() says is gone */

static int alive(int64_t pid)
{
    return pid != dead_pid;
}

static ot_stats *make(unsigned n)
{
    void *mem = malloc(ot_stats_size(n));

    assert_non_null(mem);
    memset(mem, 0xa5, ot_stats_size(n));   /* init must not rely on zeros */
    return ot_stats_init(mem, n);
}

static void test_claim_count_release(void **state)
{
    ot_stats *st = make(3);
    ot_stats_slot *a, *b;
    ot_counters c;

    assert_ptr_equal(ot_stats_attach(st), st);
    assert_int_equal(ot_stats_n_slots(st), 3);
    dead_pid = 0;
    a = ot_stats_claim(st, 101, 5000, alive);
    b = ot_stats_claim(st, 102, 6000, alive);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    ot_stats_add(a, OT_STAT_QUEUED, 10);
    ot_stats_add(a, OT_STAT_EXPORTED, 7);
    ot_stats_add(b, OT_STAT_QUEUED, 5);
    ot_stats_add(b, OT_STAT_DROPPED_FULL, 2);
    ot_stats_add(b, OT_STAT_RETRIES, 1);

    assert_int_equal(ot_stats_child(st, 0, &c), 1);
    assert_int_equal(c.pid, 101);
    assert_int_equal(c.started_us, 5000);
    assert_int_equal(c.queued, 10);
    assert_int_equal(c.queue_depth, 3);     /* 10 queued, 7 exported */
    assert_int_equal(ot_stats_child(st, 2, &c), 0);
    assert_int_equal(ot_stats_child(st, 7, &c), 0);

    ot_stats_totals(st, &c);
    assert_int_equal(c.queued, 15);
    assert_int_equal(c.exported, 7);
    assert_int_equal(c.dropped_full, 2);
    assert_int_equal(c.retries, 1);
    assert_int_equal(c.queue_depth, 8);     /* 3 and 5 */

    /* an exiting child's counters stay in the totals */
    ot_stats_release(st, a);
    assert_int_equal(ot_stats_child(st, 0, &c), 0);
    ot_stats_totals(st, &c);
    assert_int_equal(c.queued, 15);
    assert_int_equal(c.exported, 7);
    assert_int_equal(c.queue_depth, 5);     /* b's: exited ones have none */

    /* its slot is free for the next child, which starts at zero */
    a = ot_stats_claim(st, 103, 7000, alive);
    ot_stats_read(a, &c);
    assert_int_equal(c.pid, 103);
    assert_int_equal(c.queued, 0);
    free(st);
}

static void test_full_and_crashed(void **state)
{
    ot_stats *st = make(2);
    ot_stats_slot *a, *b;
    ot_counters c;

    dead_pid = 0;
    a = ot_stats_claim(st, 201, 1, alive);
    b = ot_stats_claim(st, 202, 1, alive);
    ot_stats_add(a, OT_STAT_EXPORTED, 40);
    ot_stats_add(b, OT_STAT_EXPORTED, 2);
    ot_stats_note_error(a, 99, "old child's error");
    assert_null(ot_stats_claim(st, 203, 1, alive));

    /* 201 crashed without releasing: 203 takes its slot, its counters
     * move to the totals, its error goes */
    dead_pid = 201;
    assert_ptr_equal(ot_stats_claim(st, 203, 2, alive), a);
    ot_stats_read(a, &c);
    assert_int_equal(c.pid, 203);
    assert_int_equal(c.exported, 0);
    assert_string_equal(c.last_error, "");
    ot_stats_totals(st, &c);
    assert_int_equal(c.exported, 42);
    free(st);
}

static void test_last_error(void **state)
{
    ot_stats *st = make(2);
    ot_stats_slot *a, *b;
    ot_counters c;
    char longer[400];

    dead_pid = 0;
    a = ot_stats_claim(st, 1, 1, alive);
    b = ot_stats_claim(st, 2, 1, alive);
    ot_stats_note_error(a, 1000, "first");
    ot_stats_note_error(b, 3000, "the newest");
    ot_stats_note_error(a, 2000, "second");
    ot_stats_read(a, &c);
    assert_string_equal(c.last_error, "second");
    assert_int_equal(c.last_error_us, 2000);
    ot_stats_totals(st, &c);
    assert_string_equal(c.last_error, "the newest");
    assert_int_equal(c.last_error_us, 3000);

    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    ot_stats_note_error(a, 4000, longer);
    ot_stats_read(a, &c);
    assert_int_equal(strlen(c.last_error), OT_STATS_ERROR_LEN - 1);
    free(st);
}

/* A child killed inside a fold leaves the sequence odd: the others go on
 * (readers and the next fold) rather than hang. */
static void test_fold_left_odd(void **state)
{
    ot_stats *st = make(2);
    ot_stats_slot *a;
    ot_counters c;
    /* the block begins with magic, n_slots and fold_seq */
    uint32_t *seq = (uint32_t *)((char *)st + 2 * sizeof(uint32_t));

    dead_pid = 0;
    a = ot_stats_claim(st, 1, 1, alive);
    ot_stats_add(a, OT_STAT_EXPORTED, 4);
    *seq = 7;       /* as a process killed inside a fold leaves it */
    ot_stats_totals(st, &c);
    assert_int_equal(c.exported, 4);
    ot_stats_release(st, a);
    ot_stats_totals(st, &c);
    assert_int_equal(c.exported, 4);
    assert_int_equal(*seq & 1, 0);
    free(st);
}

static void test_private_slot(void **state)
{
    void *mem = malloc(ot_stats_slot_size());
    ot_stats_slot *s = ot_stats_slot_init(mem);
    ot_counters c;

    ot_stats_add(s, OT_STAT_FAILED, 3);
    ot_stats_read(s, &c);
    assert_int_equal(c.failed, 3);
    assert_int_equal(c.pid, 0);
    free(mem);
}

static void test_attach_other_layout(void **state)
{
    uint64_t other[64];

    memset(other, 0, sizeof(other));
    assert_null(ot_stats_attach(other));
}

/* Children start, count and exit in threads while a reader sums: each
 * sum lies between what had been counted before it began and what was
 * counted by its end, and it never goes down. */
#define CHURN_THREADS 4
#define CHURN_ROUNDS 2000

typedef struct churn {
    ot_stats *st;
    int64_t pid;
    volatile apr_uint32_t *counted;
} churn;

static void *APR_THREAD_FUNC churn_main(apr_thread_t *t, void *data)
{
    churn *c = data;
    int i;

    for (i = 0; i < CHURN_ROUNDS; i++) {
        ot_stats_slot *s = ot_stats_claim(c->st, c->pid, 1, alive);

        if (s) {
            ot_stats_add(s, OT_STAT_EXPORTED, 1);
            apr_atomic_inc32(c->counted);
            ot_stats_release(c->st, s);
        }
    }
    return NULL;
}

static void test_sum_while_children_churn(void **state)
{
    apr_pool_t *p = *state;
    ot_stats *st = make(CHURN_THREADS);
    apr_thread_t *threads[CHURN_THREADS];
    churn args[CHURN_THREADS];
    volatile apr_uint32_t counted = 0;
    uint64_t last = 0;
    ot_counters c;
    apr_status_t rv;
    int i, done;

    dead_pid = 0;
    for (i = 0; i < CHURN_THREADS; i++) {
        args[i].st = st;
        args[i].pid = 1000 + i;
        args[i].counted = &counted;
        assert_int_equal(apr_thread_create(&threads[i], NULL, churn_main,
                                           &args[i], p), APR_SUCCESS);
    }
    do {
        uint32_t before = apr_atomic_read32(&counted), after;

        ot_stats_totals(st, &c);
        after = apr_atomic_read32(&counted);
        /* counted is bumped after the add: a sum may be ahead by the
         * threads between the two */
        assert_true(c.exported + CHURN_THREADS >= before);
        assert_true(c.exported <= after + CHURN_THREADS);
        assert_true(c.exported >= last);
        last = c.exported;
        done = after == CHURN_THREADS * CHURN_ROUNDS;
    } while (!done);
    for (i = 0; i < CHURN_THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    ot_stats_totals(st, &c);
    assert_int_equal(c.exported, CHURN_THREADS * CHURN_ROUNDS);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_count_release),
        cmocka_unit_test(test_full_and_crashed),
        cmocka_unit_test(test_last_error),
        cmocka_unit_test(test_fold_left_odd),
        cmocka_unit_test(test_private_slot),
        cmocka_unit_test(test_attach_other_layout),
        POOL_TEST(test_sum_while_children_churn),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
