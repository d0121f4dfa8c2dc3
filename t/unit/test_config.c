/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Tracer JSON configuration: the declarative reader the core and the
 * plugins use, and the errors a sysadmin sees; the environment's lists. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ot_config.h"
#include "ot_env.h"

typedef struct plugin_cfg {
    char *path;
    char **headers;
    uint32_t timeout;
    int gzip;
    int protocol;
} plugin_cfg;

static const char *const protocols[] = { "http/protobuf", "http/json", NULL };

static const ot_cfg_field fields[] = {
    { "path", OT_CFG_STRING, offsetof(plugin_cfg, path), 0, 0, NULL, 1 },
    { "timeout", OT_CFG_UINT, offsetof(plugin_cfg, timeout), 1, 1000, NULL, 0 },
    { "gzip", OT_CFG_BOOL, offsetof(plugin_cfg, gzip), 0, 0, NULL, 0 },
    { "protocol", OT_CFG_ENUM, offsetof(plugin_cfg, protocol), 0, 0,
      protocols, 0 },
    { "headers", OT_CFG_HEADERS, offsetof(plugin_cfg, headers), 0, 0, NULL, 0 },
};
#define NF (sizeof(fields) / sizeof(fields[0]))

static void test_parse_fields(void **state)
{
    plugin_cfg c;
    char err[256];
    const char *json = "{\"path\":\"/var/log/x\",\"timeout\":7,\"gzip\":true,"
                       "\"protocol\":\"http/json\",\"headers\":{\"Authorization\":"
                       "\"Bearer t0k\",\"X-Scope-OrgID\":\"tenant-1\"}}";

    memset(&c, 0, sizeof(c));
    assert_int_equal(ot_config_parse(json, strlen(json), fields, NF, &c, NULL,
                                     err, sizeof(err)), 0);
    assert_string_equal(c.path, "/var/log/x");
    assert_int_equal(c.timeout, 7);
    assert_int_equal(c.gzip, 1);
    assert_int_equal(c.protocol, 1);
    assert_string_equal(c.headers[0], "Authorization: Bearer t0k");
    assert_string_equal(c.headers[1], "X-Scope-OrgID: tenant-1");
    assert_null(c.headers[2]);
    ot_config_free(fields, NF, &c);
    assert_null(c.path);
    assert_null(c.headers);
}

static void test_parse_rest(void **state)
{
    plugin_cfg c;
    char err[256];
    char *rest;
    const char *json = "{\"path\":\"p\",\"other\":{\"a\":[1]},\"gzip\":true}";

    memset(&c, 0, sizeof(c));
    assert_int_equal(ot_config_parse(json, strlen(json), fields, NF, &c, &rest,
                                     err, sizeof(err)), 0);
    assert_string_equal(c.path, "p");
    assert_int_equal(c.gzip, 1);
    assert_string_equal(rest, "{\"other\":{\"a\":[1]}}");
    free(rest);
    ot_config_free(fields, NF, &c);
    /* a known key of the wrong type is still an error, and nothing leaks */
    assert_int_equal(ot_config_parse("{\"path\":1,\"x\":2}", 16, fields, NF,
                                     &c, &rest, err, sizeof(err)), -1);
    assert_null(rest);
    assert_string_equal(err, "key \"path\": expected a string");
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *json;
        const char *error;
    } cases[] = {
        { "{\"path\":\"x\",\"colour\":1}", "unknown key \"colour\"" },
        { "{}", "key \"path\" is required" },
        { "{\"path\":7}", "key \"path\": expected a string" },
        { "{\"path\":\"a\\u0000b\"}",
          "invalid JSON at line 1, column 18: \\u0000 is not allowed" },
        { "{\"path\":\"x\",\"timeout\":1001}",
          "key \"timeout\": 1001 is out of range 1..1000" },
        { "{\"path\":\"x\",\"timeout\":1.5}", "key \"timeout\": expected an integer" },
        { "{\"path\":\"x\",\"gzip\":\"yes\"}", "key \"gzip\": expected true or false" },
        { "{\"path\":\"x\",\"protocol\":\"grpc\"}",
          "key \"protocol\": expected one of \"http/protobuf\", \"http/json\"" },
        { "not json", "invalid JSON" },
        { "{\"path\":\"x\",\"headers\":[]}",
          "key \"headers\": expected an object of strings" },
        { "{\"path\":\"x\",\"headers\":{\"Bad Name\":\"v\"}}",
          "key \"headers\": \"Bad Name\" is not a valid header name" },
        { "{\"path\":\"x\",\"headers\":{\"X\":\"a\\r\\nInjected: 1\"}}",
          "key \"headers\": the value of \"X\" must be on one line" },
        { "{\"path\":\"x\",\"headers\":{\"X\":1}}",
          "key \"headers\": \"X\" must be a string" },
    };
    plugin_cfg c;
    char err[256];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&c, 0, sizeof(c));
        assert_int_equal(ot_config_parse(cases[i].json, strlen(cases[i].json),
                                         fields, NF, &c, NULL, err,
                                         sizeof(err)), -1);
        /* nothing leaks on failure */
        assert_null(c.path);
        assert_null(c.headers);
        if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0) {
            fail_msg("case %lu: got \"%s\", want \"%s\"", (unsigned long)i,
                     err, cases[i].error);
        }
    }
}

static void test_env_list(void **state)
{
    ot_kv *kv;
    size_t n;
    char err[256];

    assert_int_equal(ot_env_parse_list(" api-key = a%20b ,, x=1=2,empty=",
                                       &kv, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(kv[0].key, "api-key");
    assert_string_equal(kv[0].value, "a b");
    assert_string_equal(kv[1].key, "x");
    assert_string_equal(kv[1].value, "1=2");
    assert_string_equal(kv[2].key, "empty");
    assert_string_equal(kv[2].value, "");
    ot_kv_free(kv, n);
    assert_int_equal(ot_env_parse_list("novalue", &kv, &n, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "\"novalue\" is not key=value");
    assert_int_equal(ot_env_parse_list("a=%zz", &kv, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "bad percent-encoding in \"a=%zz\"");
    assert_int_equal(ot_env_parse_list("a=%00", &kv, &n, err, sizeof(err)), -1);
    assert_int_equal(ot_env_parse_list("=v", &kv, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "empty key in \"=v\"");
    setenv("OT_TEST_SPECIFIC", "s", 1);
    setenv("OT_TEST_GENERAL", "g", 1);
    assert_string_equal(ot_env_get2("OT_TEST_SPECIFIC", "OT_TEST_GENERAL"), "s");
    setenv("OT_TEST_SPECIFIC", "", 1);
    assert_string_equal(ot_env_get2("OT_TEST_SPECIFIC", "OT_TEST_GENERAL"), "g");
    unsetenv("OT_TEST_GENERAL");
    assert_null(ot_env_get2("OT_TEST_SPECIFIC", "OT_TEST_GENERAL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_rest),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_env_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
