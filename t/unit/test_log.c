/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The core's logging callback (ot_log) and the string-pair lists
 * (ot_kv): without a callback nothing happens; with one, each message
 * arrives once, formatted, at its level; plugins log through the same
 * callback. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ot_kv.h"
#include "ot_log.h"

static int calls;
static ot_log_level last_level;
static char last_msg[600];
static void *last_ctx;

static void capture(void *ctx, ot_log_level level, const char *msg)
{
    calls++;
    last_ctx = ctx;
    last_level = level;
    strncpy(last_msg, msg, sizeof(last_msg) - 1);
}

static void test_log(void **state)
{
    static int ctx;
    char longer[1000];

    calls = 0;
    ot_log_set(NULL, NULL);
    ot_log(OT_LOG_ERR, "dropped %d", 1);
    assert_int_equal(calls, 0);
    ot_log_set(capture, &ctx);
    ot_log(OT_LOG_WARNING, OT_LOGNO(01999) "%s tracer: %u spans", "otlp", 7u);
    assert_int_equal(calls, 1);
    assert_ptr_equal(last_ctx, &ctx);
    assert_int_equal(last_level, OT_LOG_WARNING);
    assert_string_equal(last_msg, "OT01999: otlp tracer: 7 spans");
    /* a plugin's message, through the host's log function */
    ot_log_host(NULL, OT_LOG_DEBUG, "from a plugin");
    assert_int_equal(calls, 2);
    assert_int_equal(last_level, OT_LOG_DEBUG);
    assert_string_equal(last_msg, "from a plugin");
    /* long messages are cut, not overflowed */
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    ot_log(OT_LOG_ERR, "%s", longer);
    assert_int_equal(calls, 3);
    assert_int_equal(strlen(last_msg), 511);
    ot_log_set(NULL, NULL);
}

static void test_kv_free(void **state)
{
    ot_kv *kv = calloc(2, sizeof(*kv));

    kv[0].key = strdup("a");
    kv[0].value = strdup("1");
    kv[1].key = strdup("b");
    kv[1].value = strdup("2");
    ot_kv_free(kv, 2);          /* valgrind/ASan: nothing leaks */
    ot_kv_free(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_kv_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
