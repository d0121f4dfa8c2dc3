/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests for tracer/core/ot_tagexpr.c: which TraceTag expressions the
 * glue evaluates itself (strictly: anything else stays with ap_expr), and
 * the typed values of tags. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ot_tagexpr.h"

typedef struct form_case {
    const char *expr;
    ot_tagexpr_form form;
    const char *arg;            /* what is looked up (or the constant) */
} form_case;

static const form_case forms[] = {
    { "v1.2 static", OT_TAGEXPR_CONSTANT, "v1.2 static" },
    { "a } b", OT_TAGEXPR_CONSTANT, "a } b" },
    { "%{HTTP:X-Tenant}", OT_TAGEXPR_REQ_HEADER, "X-Tenant" },
    { "%{http:x-tenant}", OT_TAGEXPR_REQ_HEADER, "x-tenant" },
    { "%{req:traceparent}", OT_TAGEXPR_REQ_HEADER, "traceparent" },
    { "%{REQ_NOVARY:A.b_c}", OT_TAGEXPR_REQ_HEADER, "A.b_c" },
    { "%{resp:Content-Type}", OT_TAGEXPR_RESP_HEADER, "Content-Type" },
    { "%{note:n1}", OT_TAGEXPR_NOTE, "n1" },
    { "%{env:E}", OT_TAGEXPR_ENV, "E" },
    { "%{reqenv:E}", OT_TAGEXPR_REQENV, "E" },
    { "%{REQUEST_METHOD}", OT_TAGEXPR_REQUEST_METHOD, "REQUEST_METHOD" },
    { "%{request_uri}", OT_TAGEXPR_REQUEST_URI, "request_uri" },
    { "%{QUERY_STRING}", OT_TAGEXPR_QUERY_STRING, "QUERY_STRING" },
    { "%{SCRIPT_FILENAME}", OT_TAGEXPR_REQUEST_FILENAME, "SCRIPT_FILENAME" },
    { "%{SERVER_PORT}", OT_TAGEXPR_SERVER_PORT, "SERVER_PORT" },
    { "%{REMOTE_PORT}", OT_TAGEXPR_REMOTE_PORT, "REMOTE_PORT" },
    { "%{HTTP_USER_AGENT}", OT_TAGEXPR_REQ_HEADER, "User-Agent" },
    { "%{http_host}", OT_TAGEXPR_REQ_HEADER, "Host" },
    /* everything else: ap_expr */
    { "%{REQUEST_URI} ", OT_TAGEXPR_GENERAL, NULL },
    { " %{REQUEST_URI}", OT_TAGEXPR_GENERAL, NULL },
    { "%{REQUEST_URI}%{QUERY_STRING}", OT_TAGEXPR_GENERAL, NULL },
    { "%{REQUEST_URIX}", OT_TAGEXPR_GENERAL, NULL },
    { "%{REQUEST_UR}", OT_TAGEXPR_GENERAL, NULL },
    { "%{TIME}", OT_TAGEXPR_GENERAL, NULL },
    { "%{HTTP_X_TENANT}", OT_TAGEXPR_GENERAL, NULL },
    { "%{HTTP:}", OT_TAGEXPR_GENERAL, NULL },
    { "%{HTTP:a b}", OT_TAGEXPR_GENERAL, NULL },
    { "%{HTTP:a%{x}}", OT_TAGEXPR_GENERAL, NULL },
    { "%{HTTP:X}x", OT_TAGEXPR_GENERAL, NULL },
    { "%{tolower:X}", OT_TAGEXPR_GENERAL, NULL },
    { "%{osenv:HOME}", OT_TAGEXPR_GENERAL, NULL },
    { "%{md5:x}", OT_TAGEXPR_GENERAL, NULL },
    { "%{1X}", OT_TAGEXPR_GENERAL, NULL },
    { "%{:X}", OT_TAGEXPR_GENERAL, NULL },
    { "%{REQUEST_URI", OT_TAGEXPR_GENERAL, NULL },
    { "$1", OT_TAGEXPR_GENERAL, NULL },
    { "a\\tb", OT_TAGEXPR_GENERAL, NULL },
    { "100%", OT_TAGEXPR_GENERAL, NULL },
    { "it's", OT_TAGEXPR_GENERAL, NULL },
    { "\"q\"", OT_TAGEXPR_GENERAL, NULL },
};

static void test_forms(void **state)
{
    size_t i, len;
    const char *arg;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        ot_tagexpr_form f = ot_tagexpr_form_of(forms[i].expr, &arg, &len);
        if (f != forms[i].form) {
            fail_msg("%s: form %d, not %d", forms[i].expr, (int)f,
                     (int)forms[i].form);
        }
        if (forms[i].arg) {
            assert_int_equal(len, strlen(forms[i].arg));
            assert_memory_equal(arg, forms[i].arg, len);
        }
    }
}

typedef struct int_case {
    const char *in;
    int ok;
    int64_t v;
} int_case;

static const int_case ints[] = {
    { "0", 1, 0 },
    { "42", 1, 42 },
    { "-42", 1, -42 },
    { "+7", 1, 7 },
    { "007", 1, 7 },
    { "9223372036854775807", 1, INT64_MAX },
    { "-9223372036854775808", 1, INT64_MIN },
    { "9223372036854775808", 0, 0 },
    { "-9223372036854775809", 0, 0 },
    { "99999999999999999999", 0, 0 },
    { "", 0, 0 },
    { "-", 0, 0 },
    { "+", 0, 0 },
    { "1.5", 0, 0 },
    { " 1", 0, 0 },
    { "1 ", 0, 0 },
    { "0x10", 0, 0 },
    { "12abc", 0, 0 },
    { "--1", 0, 0 },
};

static void test_ints(void **state)
{
    size_t i;
    int64_t v;

    (void)state;
    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        v = 12345;
        if ((ot_tagexpr_int(ints[i].in, strlen(ints[i].in), &v) == 0)
            != ints[i].ok) {
            fail_msg("'%s': not %s", ints[i].in,
                     ints[i].ok ? "a number" : "refused");
        }
        assert_int_equal(v, ints[i].ok ? ints[i].v : 12345);
    }
    /* only the len bytes count */
    assert_int_equal(ot_tagexpr_int("123", 2, &v), 0);
    assert_int_equal(v, 12);
}

static void test_bools(void **state)
{
    static const char *const yes[] = { "true", "TRUE", "on", "On", "1" };
    static const char *const no[] = { "false", "False", "off", "OFF", "0" };
    static const char *const neither[] = { "", "yes", "no", "2", "tru",
                                           "truee", " on", "-1", "10" };
    size_t i;
    int v;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        v = -1;
        assert_int_equal(ot_tagexpr_bool(yes[i], strlen(yes[i]), &v), 0);
        assert_int_equal(v, 1);
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        v = -1;
        assert_int_equal(ot_tagexpr_bool(no[i], strlen(no[i]), &v), 0);
        assert_int_equal(v, 0);
    }
    for (i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
        v = -1;
        if (ot_tagexpr_bool(neither[i], strlen(neither[i]), &v) == 0) {
            fail_msg("'%s' taken for a boolean", neither[i]);
        }
        assert_int_equal(v, -1);
    }
    /* only the len bytes count, a NUL among them too (found by fuzzing) */
    assert_int_equal(ot_tagexpr_bool("on\0\0\0", 5, &v), -1);
    assert_int_equal(ot_tagexpr_bool("offset", 3, &v), 0);
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_bools),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
