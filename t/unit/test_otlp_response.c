/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Reading partial_success from OTLP/HTTP responses. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ot_otlp_response.h"

static void test_proto(void **state)
{
    char msg[64];
    /* partial_success { rejected_spans: 2, error_message: "bad" } */
    static const uint8_t ok[] = { 0x0a, 0x07, 0x08, 0x02, 0x12, 0x03,
                                  'b', 'a', 'd' };
    /* an unknown fixed64 field first, then a 300 count (2-byte varint) */
    static const uint8_t big[] = { 0x11, 1, 2, 3, 4, 5, 6, 7, 8,
                                   0x0a, 0x03, 0x08, 0xac, 0x02 };
    /* truncated: the length says 9, 3 bytes follow */
    static const uint8_t cut[] = { 0x0a, 0x09, 0x08, 0x02, 0x12 };
    /* control characters in the message are not copied as they are */
    static const uint8_t ctl[] = { 0x0a, 0x06, 0x08, 0x01, 0x12, 0x02,
                                   '\n', 'x' };

    assert_int_equal(ot_otlp_partial_proto(ok, sizeof(ok), msg, sizeof(msg)), 2);
    assert_string_equal(msg, "bad");
    assert_int_equal(ot_otlp_partial_proto(big, sizeof(big), msg, sizeof(msg)),
                     300);
    assert_string_equal(msg, "");
    assert_int_equal(ot_otlp_partial_proto(cut, sizeof(cut), msg, sizeof(msg)), 0);
    assert_int_equal(ot_otlp_partial_proto(ctl, sizeof(ctl), msg, sizeof(msg)), 1);
    assert_string_equal(msg, "?x");
    assert_int_equal(ot_otlp_partial_proto(NULL, 0, msg, sizeof(msg)), 0);
    /* the message is cut to the buffer */
    assert_int_equal(ot_otlp_partial_proto(ok, sizeof(ok), msg, 3), 2);
    assert_string_equal(msg, "ba");
}

static void test_json(void **state)
{
    char msg[64];
    const char *a = "{\"partialSuccess\":{\"rejectedSpans\":\"3\","
                    "\"errorMessage\":\"too \\\"old\\\"\"}}";
    const char *b = "{\"partialSuccess\": {\"rejectedSpans\": 12}}";
    const char *c = "{}";

    assert_int_equal(ot_otlp_partial_json(a, strlen(a), msg, sizeof(msg)), 3);
    assert_string_equal(msg, "too \\\"old\\\"");
    assert_int_equal(ot_otlp_partial_json(b, strlen(b), msg, sizeof(msg)), 12);
    assert_string_equal(msg, "");
    assert_int_equal(ot_otlp_partial_json(c, strlen(c), msg, sizeof(msg)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto),
        cmocka_unit_test(test_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
