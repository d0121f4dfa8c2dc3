/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_thread_proc.h>

#include "ot_ids.h"
#include "ot_write.h"

static void test_never_zero_and_distinct(void **state)
{
    apr_pool_t *p;
    apr_hash_t *seen;
    uint8_t *id;
    int i;

    apr_pool_create(&p, NULL);
    seen = apr_hash_make(p);
    for (i = 0; i < 100000; i++) {
        id = apr_palloc(p, 8);
        ot_ids_span_id(id);
        assert_false(ot_id_is_zero(id, 8));
        assert_null(apr_hash_get(seen, id, 8));
        apr_hash_set(seen, id, 8, id);
    }
    for (i = 0; i < 10000; i++) {
        id = apr_palloc(p, 16);
        ot_ids_trace_id(id);
        assert_false(ot_id_is_zero(id, 16));
        assert_null(apr_hash_get(seen, id, 16));
        apr_hash_set(seen, id, 16, id);
    }
    apr_pool_destroy(p);
}

static void test_bits_look_random(void **state)
{
    /* Each of the 64 bit positions is set in about half of the ids. */
    int counts[64] = { 0 };
    uint8_t id[8];
    uint64_t v;
    int i, b;

    for (i = 0; i < 20000; i++) {
        ot_ids_span_id(id);
        memcpy(&v, id, 8);
        for (b = 0; b < 64; b++) {
            counts[b] += (int)((v >> b) & 1);
        }
    }
    for (b = 0; b < 64; b++) {
        assert_in_range(counts[b], 9000, 11000);
    }
}

/* After fork, a reseeded child must not repeat the parent's stream. */
static void test_fork_reseed(void **state)
{
    int fds[2];
    uint8_t parent_id[8], child_id[8];
    pid_t pid;
    int st;

    ot_ids_span_id(parent_id);  /* the parent's state exists */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
        ot_ids_reseed();
        ot_ids_span_id(child_id);
        if (write(fds[1], child_id, 8) != 8) {
            _exit(1);
        }
        _exit(0);
    }
    assert_true(pid > 0);
    assert_int_equal(read(fds[0], child_id, 8), 8);
    waitpid(pid, &st, 0);
    ot_ids_span_id(parent_id);
    assert_memory_not_equal(parent_id, child_id, 8);
    close(fds[0]);
    close(fds[1]);
}

/* Retry jitter (ot_ids_random32) differs between children: two children
 * forked from one parent, as httpd's are, draw different sequences, so
 * that children that fail together do not retry in lock-step. */
static void child_jitter(int fd)
{
    uint32_t v[4];
    int i;

    ot_ids_reseed();            /* as child_init does */
    for (i = 0; i < 4; i++) {
        v[i] = ot_ids_random32();
    }
    _exit(write(fd, v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
}

static void test_jitter_differs_per_child(void **state)
{
    uint32_t a[4], b[4];
    int fds[2], st, i, same = 0;
    pid_t p1, p2;

    (void)ot_ids_random32();    /* the parent's state exists */
    assert_int_equal(pipe(fds), 0);
    if ((p1 = fork()) == 0) {
        child_jitter(fds[1]);
    }
    assert_int_equal(read(fds[0], a, sizeof(a)), sizeof(a));
    if ((p2 = fork()) == 0) {
        child_jitter(fds[1]);
    }
    assert_int_equal(read(fds[0], b, sizeof(b)), sizeof(b));
    waitpid(p1, &st, 0);
    waitpid(p2, &st, 0);
    for (i = 0; i < 4; i++) {
        same += a[i] == b[i];
    }
    assert_true(same < 4);
    assert_memory_not_equal(a, b, sizeof(a));
    close(fds[0]);
    close(fds[1]);
}

static void *APR_THREAD_FUNC thread_ids(apr_thread_t *t, void *data)
{
    ot_ids_span_id(data);
    return NULL;
}

static void test_threads_differ(void **state)
{
    apr_pool_t *p;
    apr_thread_t *t[4];
    apr_status_t rv;
    uint8_t ids[4][8];
    int i, j;

    apr_pool_create(&p, NULL);
    for (i = 0; i < 4; i++) {
        assert_int_equal(apr_thread_create(&t[i], NULL, thread_ids, ids[i], p),
                         APR_SUCCESS);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&rv, t[i]);
    }
    for (i = 0; i < 4; i++) {
        for (j = i + 1; j < 4; j++) {
            assert_memory_not_equal(ids[i], ids[j], 8);
        }
    }
    apr_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_zero_and_distinct),
        cmocka_unit_test(test_bits_look_random),
        cmocka_unit_test(test_fork_reseed),
        cmocka_unit_test(test_jitter_differs_per_child),
        cmocka_unit_test(test_threads_differ),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
