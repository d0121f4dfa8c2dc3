/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_write.c: the encoders' writer core (tracer/sdk/ot_write.h): ids,
 * hex, decimal numbers, doubles, clean-run checks, UTF-8 repair, room.
 * Each against a plain reference (snprintf, a byte loop), at every length
 * and position where a word or SSE2 block boundary could matter.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot_buf.h"
#include "ot_write.h"

static void test_id_is_zero(void **state)
{
    uint8_t id[33];
    size_t n, i;

    (void)state;
    for (n = 0; n <= 32; n++) {
        memset(id, 0, sizeof(id));
        id[n] = 0xff;                   /* past the end: not looked at */
        assert_true(ot_id_is_zero(id, n));
        for (i = 0; i < n; i++) {
            id[i] = (uint8_t)(1u << (i % 8));
            assert_false(ot_id_is_zero(id, n));
            id[i] = 0;
        }
    }
}

static void test_hex(void **state)
{
    uint8_t in[40];
    char out[96], want[96];
    size_t n, i;

    (void)state;
    for (i = 0; i < sizeof(in); i++) {
        in[i] = (uint8_t)(i * 37 + 11);
    }
    in[0] = 0x00;
    in[1] = 0xff;
    for (n = 0; n <= sizeof(in); n++) {
        memset(out, '#', sizeof(out));
        for (i = 0; i < n; i++) {
            snprintf(want + 2 * i, 3, "%02x", in[i]);
        }
        assert_ptr_equal(ot_w_hex(out, in, n), out + 2 * n);
        assert_memory_equal(out, want, 2 * n);
        assert_int_equal(out[2 * n], '#');  /* nothing past the end */
    }
}

static void check_u64(uint64_t v)
{
    char out[OT_W_NUM_MAX + 1], want[32];
    int n = snprintf(want, sizeof(want), "%" PRIu64, v);
    char *e = ot_w_u64(out, v);

    if (e - out != n || memcmp(out, want, (size_t)n) != 0) {
        print_error("u64 %s: got %.*s\n", want, (int)(e - out), out);
        fail();
    }
}

static void check_i64(int64_t v)
{
    char out[OT_W_NUM_MAX + 1], want[32];
    int n = snprintf(want, sizeof(want), "%" PRId64, v);
    char *e = ot_w_i64(out, v);

    if (e - out != n || memcmp(out, want, (size_t)n) != 0) {
        print_error("i64 %s: got %.*s\n", want, (int)(e - out), out);
        fail();
    }
}

/* Every number of digits, and around every power of ten. */
static void test_decimal(void **state)
{
    uint64_t p = 1, x = 0x9e3779b97f4a7c15ULL;
    int d, i;

    (void)state;
    for (d = 0; d < 20; d++, p *= 10) {
        check_u64(p - 1);
        check_u64(p);
        check_u64(p + 1);
        check_u64(p * 5);
        check_i64(-(int64_t)p);
        check_i64((int64_t)(p - 1));
    }
    check_u64(UINT64_MAX);
    check_i64(INT64_MAX);
    check_i64(INT64_MIN);
    check_i64(0);
    for (i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_u64(x >> (i % 64));
        check_i64((int64_t)x >> (i % 64));
    }
}

static void check_double(double d, const char *want)
{
    char out[OT_W_DOUBLE_MAX];
    char *e = ot_w_double(out, d);

    assert_true(e - out <= OT_W_DOUBLE_MAX);
    if ((size_t)(e - out) != strlen(want)
        || memcmp(out, want, strlen(want)) != 0) {
        print_error("double: got %.*s, want %s\n", (int)(e - out), out, want);
        fail();
    }
}

static void test_double(void **state)
{
    char out[OT_W_DOUBLE_MAX + 1];
    double x = 1.0;
    int i;

    (void)state;
    check_double(0.0, "0");
    check_double(-0.0, "-0");
    check_double(0.1, "0.1");
    check_double(1.5, "1.5");
    check_double(1e300, "1e+300");
    check_double(2.0 / 3, "0.6666666666666666");
    check_double(0.1 + 0.2, "0.30000000000000004");
    check_double(-1e-7, "-1e-07");
    check_double(NAN, "\"NaN\"");
    check_double(INFINITY, "\"Infinity\"");
    check_double(-INFINITY, "\"-Infinity\"");
    /* the shortest form reads back the same */
    for (i = 0; i < 2000; i++) {
        char *e;

        x = x * 1.0000001 + 1.0 / (i + 3);
        e = ot_w_double(out, i % 2 ? x : -x / 7);
        *e = '\0';
        assert_true(strtod(out, NULL) == (i % 2 ? x : -x / 7));
    }
}

/* A byte a clean run may not hold, for JSON and for protobuf (ASCII). */
static int ref_bad(unsigned char c, int json)
{
    return json ? c < 0x20 || c >= 0x80 || c == '"' || c == '\\'
                : c >= 0x80;
}

static const unsigned char probes[] = {
    0x00, 0x01, 0x1f, 0x20, '"', '!', '#', '\\', '[', ']', 0x7e, 0x7f, 0x80,
    0xc3, 0xff
};

/* Every length to 40, one probe byte at every position: the copy is exact
 * and the answer is the reference's. */
static void check_clean(int json)
{
    unsigned char in[48];
    char out[64];
    size_t n, pos, k;

    for (n = 0; n <= 40; n++) {
        for (k = 0; k < sizeof(probes); k++) {
            for (pos = 0; pos < (n ? n : 1); pos++) {
                int clean;

                memset(in, 'a', sizeof(in));
                if (n) {
                    in[pos] = probes[k];
                }
                memset(out, '#', sizeof(out));
                clean = json ? ot_copy_clean(out, in, n, 1)
                             : ot_copy_clean(out, in, n, 0);
                assert_memory_equal(out, in, n);
                assert_int_equal(out[n], '#');
                assert_int_equal(clean, !(n && ref_bad(probes[k], json)));
            }
        }
    }
}

static void test_copy_clean(void **state)
{
    (void)state;
    check_clean(1);
    check_clean(0);
}

typedef struct {
    const char *in;
    size_t max;
    const char *want;
    int clean;
} repair_case;

#define FFFD "\xef\xbf\xbd"

static const repair_case repairs[] = {
    { "", 0, "", 1 },
    { "abc", 0, "abc", 1 },
    { "abc", 2, "ab", 1 },
    { "\xc3\xa9t\xc3\xa9", 0, "\xc3\xa9t\xc3\xa9", 1 },
    { "\xc3\xa9t\xc3\xa9", 4, "\xc3\xa9t", 1 },   /* not inside a char */
    { "a\xff" "b", 0, "a" FFFD "b", 0 },
    { "a\xff" "b", 3, "a", 1 },                    /* no room for U+FFFD */
    { "\xe2\x82", 0, FFFD, 0 },                    /* a truncated sequence */
    { "\xed\xa0\x80", 0, FFFD FFFD FFFD, 0 },      /* a surrogate */
    { "\xc0\xaf", 0, FFFD FFFD, 0 },               /* overlong */
    { "\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!", 1 },
};

static void test_utf8_repair(void **state)
{
    unsigned char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(repairs) / sizeof(repairs[0]); i++) {
        const repair_case *c = &repairs[i];
        int clean = -1, clean2 = -1;
        size_t n = ot_utf8_repair((const unsigned char *)c->in,
                                  strlen(c->in), c->max, out, &clean);

        assert_int_equal(n, strlen(c->want));
        assert_memory_equal(out, c->want, n);
        assert_int_equal(clean, c->clean);
        /* measuring only gives the same */
        assert_int_equal(ot_utf8_repair((const unsigned char *)c->in,
                                        strlen(c->in), c->max, NULL,
                                        &clean2), n);
        assert_int_equal(clean2, clean);
    }
}

/* The room bound: ATTR_ROOM each, more for long keys and values only. */
static void test_attrs_bound(void **state)
{
    static char text[200];
    ot_attribute a[3];

    (void)state;
    memset(text, 'k', sizeof(text));
    memset(a, 0, sizeof(a));
    assert_int_equal(ot_attrs_bound(NULL, 3, SIZE_MAX, 6), 0);
    a[0].key.ptr = text;
    a[0].key.len = OT_KEY_SHORT;
    a[0].type = OT_VALUE_STRING;
    a[0].v.s.ptr = text;
    a[0].v.s.len = OT_VALUE_SHORT;
    a[1].key.ptr = text;
    a[1].key.len = OT_KEY_SHORT + 1;
    a[1].type = OT_VALUE_INT;
    a[2].key.ptr = text;
    a[2].key.len = 1;
    a[2].type = OT_VALUE_STRING;
    a[2].v.s.ptr = text;
    a[2].v.s.len = 150;
    assert_int_equal(ot_attrs_bound(a, 1, SIZE_MAX, 6), OT_ATTR_ROOM(6));
    assert_int_equal(ot_attrs_bound(a, 3, SIZE_MAX, 3),
                     3 * OT_ATTR_ROOM(3) + OT_STR_ROOM(OT_KEY_SHORT + 1, 3)
                     + OT_STR_ROOM(150, 3));
    /* a value cut to lim counts lim bytes */
    assert_int_equal(ot_attrs_bound(a, 3, 100, 6),
                     3 * OT_ATTR_ROOM(6) + OT_STR_ROOM(OT_KEY_SHORT + 1, 6)
                     + OT_STR_ROOM(100, 6));
    assert_int_equal(ot_attrs_bound(a, 3, OT_VALUE_SHORT, 6),
                     3 * OT_ATTR_ROOM(6) + OT_STR_ROOM(OT_KEY_SHORT + 1, 6));
}

/* A piece whose bound passes the buffer's limit goes aside first, and in
 * if it fits; one that does not fit fails the buffer. */
static void test_room_near_limit(void **state)
{
    ot_buf b;
    ot_wr w;
    char *o;

    (void)state;
    ot_buf_init(&b, 0, 16);
    ot_buf_append(&b, "0123456789", 10);
    o = ot_wr_begin(&w, &b, 100);
    assert_non_null(o);
    memcpy(o, "abcdef", 6);
    ot_wr_end(&w, o + 6);
    assert_false(ot_buf_failed(&b));
    assert_int_equal(b.len, 16);
    assert_memory_equal(b.data, "0123456789abcdef", 16);
    o = ot_wr_begin(&w, &b, 100);
    assert_non_null(o);
    *o = 'x';
    ot_wr_end(&w, o + 1);
    assert_true(ot_buf_failed(&b));
    assert_int_equal(b.len, 16);
    assert_null(ot_wr_begin(&w, &b, 1));
    ot_buf_free(&b);

    /* the shared number and hex writers through ot_buf, exact room */
    ot_buf_init(&b, 0, 7);
    ot_buf_put_i64(&b, -123456);
    assert_false(ot_buf_failed(&b));
    ot_buf_put_u64(&b, 1);
    assert_true(ot_buf_failed(&b));
    assert_memory_equal(b.data, "-123456", 7);
    ot_buf_free(&b);
    ot_buf_init(&b, 0, 4);
    ot_buf_put_hex(&b, (const uint8_t *)"\x0f\xa0", 2);
    assert_false(ot_buf_failed(&b));
    assert_memory_equal(b.data, "0fa0", 4);
    ot_buf_put_hex(&b, (const uint8_t *)"", 0);
    assert_false(ot_buf_failed(&b));
    ot_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_is_zero),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_copy_clean),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_attrs_bound),
        cmocka_unit_test(test_room_near_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
