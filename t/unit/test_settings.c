/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The module's own keys of TraceTracer's JSON: the batch settings (their
 * defaults, ranges and environment variables) and resource_attributes; the
 * rest goes to the plugin. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ot_settings.h"

static void test_split_defaults_and_rest(void **state)
{
    ot_batch_config c;
    char err[256];
    char *rest = NULL;
    ot_kv_list res;
    const char *json = "{\"path\": \"/tmp/x\", \"max_queue_size\": 100, "
                       "\"schedule_delay_ms\": 250, \"nested\": {\"a\": [1]}, "
                       "\"resource_attributes\": "
                       "{\"deployment.environment.name\": \"prod\"}}";

    ot_batch_config_defaults(&c);
    assert_int_equal(c.max_queue_size, 2048);
    assert_int_equal(c.max_export_batch_size, 512);
    assert_int_equal(c.schedule_delay_ms, 5000);
    assert_int_equal(c.export_timeout_ms, 30000);
    c.max_export_batch_size = 50;
    assert_int_equal(ot_settings_split(json, strlen(json), &c, &res, &rest,
                                       err, sizeof(err)), 0);
    assert_int_equal(res.n, 1);
    assert_string_equal(res.items[0].key, "deployment.environment.name");
    assert_string_equal(res.items[0].value, "prod");
    ot_kv_free(res.items, res.n);
    assert_int_equal(c.max_queue_size, 100);
    assert_int_equal(c.schedule_delay_ms, 250);
    assert_string_equal(rest, "{\"path\":\"/tmp/x\",\"nested\":{\"a\":[1]}}");
    free(rest);
}

static void test_split_errors(void **state)
{
    static const struct {
        const char *json;
        const char *error;
    } cases[] = {
        { "{", "invalid JSON at line 1" },
        { "[1]", "the configuration must be a JSON object" },
        { "{\"a\":1,\"a\":2}", "invalid JSON at line 1, column 10: duplicate object key" },
        { "{\"max_queue_size\": \"big\"}",
          "key \"max_queue_size\": expected an integer" },
        { "{\"max_queue_size\": 0}",
          "key \"max_queue_size\": 0 is out of range 1..1000000" },
        { "{\"schedule_delay_ms\": -5}",
          "key \"schedule_delay_ms\": -5 is out of range 1..3600000" },
        { "{\"max_queue_size\": 10, \"max_export_batch_size\": 20}",
          "key \"max_export_batch_size\": 20 is larger than max_queue_size 10" },
        { "{\"resource_attributes\": [1]}",
          "key \"resource_attributes\": expected an object of strings" },
        { "{\"resource_attributes\": {\"a\": 1}}",
          "key \"resource_attributes\": \"a\" must be a string" },
        /* httpd SIGKILLs children about 9 s after asking them to stop */
        { "{\"shutdown_timeout_ms\": 9000}",
          "key \"shutdown_timeout_ms\": 9000 is out of range 0..8000" },
    };
    ot_batch_config c;
    char err[256];
    char *rest;
    ot_kv_list res = { NULL, 0 };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ot_batch_config_defaults(&c);
        rest = NULL;
        err[0] = 0;
        assert_int_equal(ot_settings_split(cases[i].json,
                                           strlen(cases[i].json), &c, &res,
                                           &rest, err, sizeof(err)), -1);
        assert_null(rest);
        assert_null(res.items);
        if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0) {
            fail_msg("case %lu: got \"%s\", want \"%s\"", (unsigned long)i,
                     err, cases[i].error);
        }
    }
}

static void test_env(void **state)
{
    ot_batch_config c;
    char err[256];

    ot_batch_config_defaults(&c);
    setenv("OTEL_BSP_SCHEDULE_DELAY", "250", 1);
    setenv("OTEL_BSP_MAX_QUEUE_SIZE", "99", 1);
    assert_int_equal(ot_batch_config_env(&c, err, sizeof(err)), 0);
    assert_int_equal(c.schedule_delay_ms, 250);
    assert_int_equal(c.max_queue_size, 99);
    setenv("OTEL_BSP_EXPORT_TIMEOUT", "10s", 1);
    assert_int_equal(ot_batch_config_env(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "environment variable OTEL_BSP_EXPORT_TIMEOUT="
                        "\"10s\" is not a number in 1..3600000");
    unsetenv("OTEL_BSP_SCHEDULE_DELAY");
    unsetenv("OTEL_BSP_MAX_QUEUE_SIZE");
    unsetenv("OTEL_BSP_EXPORT_TIMEOUT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_defaults_and_rest),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
