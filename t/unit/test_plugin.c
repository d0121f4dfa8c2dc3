/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Loading plugins (apr_dso_load + ABI check), and the real file tracer
 * driven through its table as the module drives it. Run from the top of
 * the tree after `make` (it loads build/tracer_file.so). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <jansson.h>

#include "ot_plugin.h"
#include "ot_span.h"
#include "pool_fixture.h"

/* OT_VALUE_STRING_ARRAY came within ABI 2: its member of the value union
 * may neither grow the union nor move what plugins built before it read.
 * The ABI 2 layout on x86_64: key at 0, type at 16, the value's 16 bytes
 * at 24, 40 in all; a string array overlays a string. */
_Static_assert(sizeof(ot_str_array) <= sizeof(ot_str),
               "a string array takes no more room than a string");
_Static_assert(offsetof(ot_attribute, v.sa.items)
               == offsetof(ot_attribute, v.s.ptr)
               && offsetof(ot_attribute, v.sa.n)
                  == offsetof(ot_attribute, v.s.len),
               "a string array has a string's layout");
#if defined(__x86_64__)
_Static_assert(sizeof(ot_attribute) == 40
               && offsetof(ot_attribute, type) == 16
               && offsetof(ot_attribute, v) == 24
               && sizeof(((ot_attribute *)0)->v) == 16,
               "ot_attribute keeps its ABI 2 layout");
#endif

static void test_load_errors(void **state)
{
    apr_pool_t *pool = *state;
    const ot_tracer_plugin *pl = NULL;
    char err[512], want[128];

    assert_int_equal(ot_plugin_load(pool, "build/nonexistent.so", &pl, err,
                                    sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot load tracer plugin "
                                "build/nonexistent.so"));
    assert_int_equal(ot_plugin_load(pool, "build/unit/plugin_bad_abi.so", &pl,
                                    err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "was built for plugin ABI version %u, this "
             "module speaks version %u", OT_TRACER_ABI_VERSION + 1,
             OT_TRACER_ABI_VERSION);
    assert_non_null(strstr(err, want));
    /* a shared object that is no plugin */
    assert_int_equal(ot_plugin_load(pool, "build/unit/plugin_none.so", &pl,
                                    err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is not a mod_opentracing tracer plugin: it "
                                "has no symbol ot_tracer_entry"));
    assert_null(pl);
}

/* A table shorter than the module's (an older plugin without cancel,
 * describe and flags): the module works on a copy of its own size, in
 * which they are NULL and 0 (it does not read facts). */
static void test_short_table(void **state)
{
    apr_pool_t *pool = *state;
    const ot_tracer_plugin *pl = NULL;
    char err[512];

    assert_int_equal(ot_plugin_load(pool, "build/unit/plugin_short.so", &pl,
                                    err, sizeof(err)), 0);
    assert_string_equal(pl->name, "short");
    assert_non_null(pl->export_spans);
    assert_null(pl->cancel);
    assert_null(pl->describe);
    assert_int_equal(pl->flags, 0);
    assert_int_equal(pl->struct_size, sizeof(ot_tracer_plugin));
}

static void test_file_plugin(void **state)
{
    apr_pool_t *pool = *state;
    const ot_tracer_plugin *pl;
    ot_tracer_host host;
    char dir[] = "/tmp/ot_test_XXXXXX";
    char err[512], json[512], path[600], line[65536];
    void *h;
    ot_span *s;
    const ot_span_record *recs[2];
    ot_resource res;
    ot_attribute rattr;
    FILE *f;
    json_t *root;
    json_error_t jerr;
    struct stat st;

    assert_int_equal(ot_plugin_load(pool, "build/tracer_file.so", &pl, err,
                                    sizeof(err)), 0);
    assert_string_equal(pl->name, "file");
    assert_non_null(mkdtemp(dir));
    memset(&host, 0, sizeof(host));
    host.abi_version = OT_TRACER_ABI_VERSION;
    host.server_root = dir;

    /* bad configs */
    assert_int_equal(pl->create(&host, "{}", 2, &h, err, sizeof(err)), -1);
    assert_string_equal(err, "key \"path\" is required");
    assert_int_equal(pl->create(&host, "{\"path\":\"\"}", 11, &h, err,
                                sizeof(err)), -1);
    assert_string_equal(err, "key \"path\": must not be empty");
    snprintf(json, sizeof(json), "{\"path\":\"x\",\"mode\":\"0999\"}");
    assert_int_equal(pl->create(&host, json, strlen(json), &h, err,
                                sizeof(err)), -1);
    assert_string_equal(err, "key \"mode\": \"0999\" is not an octal file "
                             "mode such as \"0640\"");

    /* relative to the server root; created with mode 0640 */
    snprintf(json, sizeof(json), "{\"path\":\"spans.jsonl\"}");
    assert_int_equal(pl->create(&host, json, strlen(json), &h, err,
                                sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/spans.jsonl", dir);
    assert_int_equal(stat(path, &st), -1);  /* create() has no side effect */
    assert_int_equal(pl->open(h, err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    memset(&res, 0, sizeof(res));
    rattr.key.ptr = "service.name";
    rattr.key.len = 12;
    rattr.type = OT_VALUE_STRING;
    rattr.v.s.ptr = "svc";
    rattr.v.s.len = 3;
    res.attributes = &rattr;
    res.n_attributes = 1;
    s = ot_span_start(pool, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
    ot_span_set_name(s, "GET");
    ot_span_record_get(s)->resource = &res;
    recs[0] = ot_span_record_get(s);
    s = ot_span_start(pool, NULL, 0, 1, OT_SPAN_KIND_SERVER, 2);
    ot_span_set_name(s, "POST");
    ot_span_record_get(s)->resource = &res;
    recs[1] = ot_span_record_get(s);
    assert_int_equal(pl->export_spans(h, recs, 2, 1000, NULL), OT_EXPORT_OK);
    assert_int_equal(pl->export_spans(h, recs, 1, 1000, NULL), OT_EXPORT_OK);
    pl->destroy(h);

    /* two lines, each an ExportTraceServiceRequest */
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    root = json_loads(line, 0, &jerr);
    assert_non_null(root);
    {
        json_t *rs = json_array_get(json_object_get(root, "resourceSpans"), 0);
        json_t *ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);
        json_t *attr = json_array_get(json_object_get(
            json_object_get(rs, "resource"), "attributes"), 0);

        assert_int_equal(json_array_size(json_object_get(ss, "spans")), 2);
        assert_string_equal(json_string_value(json_object_get(attr, "key")),
                            "service.name");
    }
    json_decref(root);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(strstr(line, "\"name\":\"GET\""));
    assert_null(fgets(line, sizeof(line), f));
    fclose(f);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        POOL_TEST(test_short_table),
        POOL_TEST(test_load_errors),
        POOL_TEST(test_file_plugin),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
