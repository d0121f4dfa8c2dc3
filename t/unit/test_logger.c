/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The one rate limiter of the exporters' log messages: tag, prefix,
 * warnings and errors once per interval with the count of those held
 * back, debug never held back, thread safety.  The clock is the test's. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ot_logger.h"

static int64_t clock_ms;

static int64_t test_clock(void)
{
    return clock_ms;
}

#define MAX_LINES 8
static char lines[MAX_LINES][1300];
static ot_log_level levels[MAX_LINES];
static int n_lines;
static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;

static void capture(void *ctx, ot_log_level level, const char *msg)
{
    pthread_mutex_lock(&lines_lock);
    if (n_lines < MAX_LINES) {
        snprintf(lines[n_lines], sizeof(lines[0]), "%s", msg);
        levels[n_lines] = level;
    }
    n_lines++;
    pthread_mutex_unlock(&lines_lock);
}

static ot_logger *make(const char *prefix, uint32_t interval_ms)
{
    ot_logger *l = ot_logger_create(capture, NULL, prefix, interval_ms);

    assert_non_null(l);
    ot_logger_set_clock(l, test_clock);
    clock_ms = 1000000;
    n_lines = 0;
    return l;
}

static void test_tag_then_prefix(void **state)
{
    ot_logger *l = make("otlp tracer: ", 60000);

    assert_int_equal(ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(02002) "POST %s: "
                                   "%s", "http://x/", "refused"), 1);
    assert_int_equal(n_lines, 1);
    assert_string_equal(lines[0], "OT02002: otlp tracer: POST http://x/: "
                        "refused");
    assert_int_equal(levels[0], OT_LOG_ERR);
    /* no tag: the prefix comes first (the module adds its own tag) */
    ot_logger_log(l, OT_LOG_DEBUG, "no tag");
    assert_string_equal(lines[1], "otlp tracer: no tag");
    /* something that only looks like a tag */
    ot_logger_log(l, OT_LOG_DEBUG, "OT12: short");
    assert_string_equal(lines[2], "otlp tracer: OT12: short");
    ot_logger_destroy(l);

    l = make(NULL, 60000);
    ot_logger_log(l, OT_LOG_NOTICE, OT_LOGNO(03003) "plain");
    assert_string_equal(lines[0], "OT03003: plain");
    ot_logger_destroy(l);
}

static void test_once_per_interval(void **state)
{
    ot_logger *l = make("file tracer: ", 60000);

    assert_int_equal(ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(03002) "one"), 1);
    clock_ms += 1000;
    assert_int_equal(ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(03002) "two"), 0);
    assert_int_equal(ot_logger_log(l, OT_LOG_WARNING, OT_LOGNO(03001)
                                   "three"), 0);
    assert_false(ot_logger_due(l));
    /* notices, info and debug are never held back */
    assert_int_equal(ot_logger_log(l, OT_LOG_DEBUG, OT_LOGNO(03003) "dbg"),
                     1);
    assert_int_equal(n_lines, 2);
    clock_ms += 59000;          /* a minute after the first */
    assert_true(ot_logger_due(l));
    assert_int_equal(ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(03002) "four"), 1);
    assert_int_equal(n_lines, 3);
    assert_string_equal(lines[2], "OT03002: file tracer: four (2 similar "
                        "messages suppressed)");
    /* the count starts again */
    clock_ms += 60000;
    ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(03002) "five");
    assert_string_equal(lines[3], "OT03002: file tracer: five");
    ot_logger_destroy(l);
}

static void test_always(void **state)
{
    ot_logger *l = make("core: ", 60000);

    ot_logger_log(l, OT_LOG_WARNING, OT_LOGNO(01001) "a");
    ot_logger_log(l, OT_LOG_WARNING, OT_LOGNO(01001) "b");
    ot_logger_always(l, OT_LOG_WARNING, OT_LOGNO(01002) "at shutdown");
    assert_int_equal(n_lines, 2);
    assert_string_equal(lines[1], "OT01002: core: at shutdown (1 similar "
                        "messages suppressed)");
    ot_logger_always(l, OT_LOG_WARNING, OT_LOGNO(01002) "again");
    assert_string_equal(lines[2], "OT01002: core: again");
    ot_logger_destroy(l);
}

static void test_null_is_harmless(void **state)
{
    ot_logger *l = ot_logger_create(NULL, NULL, "x: ", 60000);

    assert_int_equal(ot_logger_log(NULL, OT_LOG_ERR, "x"), 0);
    ot_logger_always(NULL, OT_LOG_ERR, "x");
    assert_false(ot_logger_due(NULL));
    ot_logger_destroy(NULL);
    assert_non_null(l);
    assert_int_equal(ot_logger_log(l, OT_LOG_ERR, "dropped"), 0);
    ot_logger_destroy(l);
}

static void test_long_message_is_cut(void **state)
{
    ot_logger *l = make("p: ", 60000);
    char big[3000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ot_logger_log(l, OT_LOG_ERR, OT_LOGNO(02002) "%s", big);
    assert_int_equal(n_lines, 1);
    assert_memory_equal(lines[0], "OT02002: p: xxx", 15);
    ot_logger_destroy(l);
}

/* Many threads at once: exactly one warning goes out in the interval, and
 * every other one is counted. */
static ot_logger *shared;

static void *hammer(void *data)
{
    int i;

    for (i = 0; i < 1000; i++) {
        ot_logger_log(shared, OT_LOG_WARNING, OT_LOGNO(02002) "w");
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[4];
    int i;

    shared = make("t: ", 60000);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    assert_int_equal(n_lines, 1);
    clock_ms += 60000;
    ot_logger_log(shared, OT_LOG_WARNING, OT_LOGNO(02002) "last");
    assert_string_equal(lines[1], "OT02002: t: last (3999 similar messages "
                        "suppressed)");
    ot_logger_destroy(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_then_prefix),
        cmocka_unit_test(test_once_per_interval),
        cmocka_unit_test(test_always),
        cmocka_unit_test(test_null_is_harmless),
        cmocka_unit_test(test_long_message_is_cut),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
