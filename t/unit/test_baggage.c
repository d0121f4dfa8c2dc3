/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* W3C Baggage lists: the limits (8192 bytes, 180 members, cut at a member
 * boundary), the first of a key winning, and the percent-encoding between
 * W3C values and Jaeger's URL-encoded uberctx-* values. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ot_baggage.h"
#include "ot_env.h"
#include "pool_fixture.h"

static void test_member_limit(void **state)
{
    apr_pool_t *pool = *state;
    ot_baggage b;
    char *list = "";
    int i;

    for (i = 0; i < OT_BAGGAGE_MAX_MEMBERS + 5; i++) {
        list = apr_psprintf(pool, "%s%sk%d=%d", list, i ? "," : "", i, i);
    }
    ot_baggage_init(&b, pool);
    ot_baggage_add_header(&b, list, strlen(list));
    assert_int_equal(b.members, OT_BAGGAGE_MAX_MEMBERS);
    assert_true(b.truncated);
    assert_int_equal(b.invalid, 0);
    /* the first 180, whole */
    assert_non_null(strstr(ot_baggage_get(&b), ",k179=179"));
    assert_null(strstr(ot_baggage_get(&b), "k180"));
    assert_int_equal(strlen(ot_baggage_get(&b)), b.len);
    /* the list is closed: nothing more goes in */
    ot_baggage_add_raw(&b, "z", 1, "1", 1);
    assert_null(strstr(ot_baggage_get(&b), "z=1"));
}

static void test_byte_limit(void **state)
{
    apr_pool_t *pool = *state;
    size_t vlen = OT_BAGGAGE_MAX_BYTES - 2 - 4;
    char *v = apr_palloc(pool, vlen + 1), *list;
    ot_baggage b;

    memset(v, 'v', vlen);
    v[vlen] = '\0';
    /* "a=<v>,b=1" is exactly 8192 bytes; one more byte does not fit */
    list = apr_pstrcat(pool, "a=", v, ",b=1", NULL);
    assert_int_equal(strlen(list), OT_BAGGAGE_MAX_BYTES);
    ot_baggage_init(&b, pool);
    ot_baggage_add_header(&b, list, strlen(list));
    assert_false(b.truncated);
    assert_string_equal(ot_baggage_get(&b), list);

    list = apr_pstrcat(pool, "a=", v, ",b=12,c=1", NULL);
    ot_baggage_init(&b, pool);
    ot_baggage_add_header(&b, list, strlen(list));
    assert_true(b.truncated);
    /* cut at a member boundary: b is not cut short, and c, which would
     * fit, does not come after the gap */
    assert_string_equal(ot_baggage_get(&b), apr_pstrcat(pool, "a=", v, NULL));

    /* a single member over the limit: nothing */
    list = apr_pstrcat(pool, "a=", v, "xxxxxxx", NULL);
    ot_baggage_init(&b, pool);
    ot_baggage_add_header(&b, list, strlen(list));
    assert_true(b.truncated);
    assert_null(ot_baggage_get(&b));
}

static void test_first_key_wins(void **state)
{
    apr_pool_t *pool = *state;
    ot_baggage b;

    ot_baggage_init(&b, pool);
    ot_baggage_add_header(&b, "a=1,b=2", 7);
    ot_baggage_add_raw(&b, "a", 1, "9", 1);
    ot_baggage_add_raw(&b, "c", 1, "3", 1);
    ot_baggage_add_header(&b, "c=4, d=5;p", 10);
    assert_string_equal(ot_baggage_get(&b), "a=1,b=2,c=3,d=5;p");
    assert_int_equal(b.members, 4);
}

static void test_raw_values(void **state)
{
    apr_pool_t *pool = *state;
    ot_baggage b;

    ot_baggage_init(&b, pool);
    /* the bytes that are not baggage-octets, and "%", are encoded */
    ot_baggage_add_raw(&b, "k", 1, "a b,c;d\\e\"f%g\x01\xff", 15);
    assert_string_equal(ot_baggage_get(&b),
                        "k=a%20b%2Cc%3Bd%5Ce%22f%25g%01%FF");
    /* a key must be a token */
    ot_baggage_add_raw(&b, "k y", 3, "1", 1);
    ot_baggage_add_raw(&b, "", 0, "1", 1);
    assert_int_equal(b.invalid, 2);
    assert_int_equal(b.members, 1);
}

typedef struct seen {
    apr_pool_t *pool;
    char *out;
} seen;

static void collect(void *arg, const char *key, size_t klen,
                    const char *value, size_t vlen)
{
    seen *s = arg;

    s->out = apr_psprintf(s->pool, "%s[%.*s|%.*s]", s->out, (int)klen, key,
                          (int)vlen, value);
}

static void test_each(void **state)
{
    apr_pool_t *pool = *state;
    seen s = { pool, "" };

    ot_baggage_each("a=1,b=x%20y;p=1,c=,d=100%", collect, &s);
    /* decoded values, no properties; a bad "%" stands for itself */
    assert_string_equal(s.out, "[a|1][b|x y][c|][d|100%]");
}

static void test_url_coding(void **state)
{
    apr_pool_t *pool = *state;
    char out[32];

    assert_string_equal(ot_url_encode(pool, "a b/c:d~e-f.g_h", 15),
                        "a%20b%2Fc%3Ad~e-f.g_h");
    assert_int_equal(ot_url_decode("a%20b%2fc", 9, out), 5);
    assert_memory_equal(out, "a b/c", 5);
    assert_int_equal(ot_url_decode("%", 1, out), -1);
    assert_int_equal(ot_url_decode("%2", 2, out), -1);
    assert_int_equal(ot_url_decode("%zz", 3, out), -1);
    assert_int_equal(ot_url_decode("", 0, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        POOL_TEST(test_member_limit),
        POOL_TEST(test_byte_limit),
        POOL_TEST(test_first_key_wins),
        POOL_TEST(test_raw_values),
        POOL_TEST(test_each),
        POOL_TEST(test_url_coding),
    };

    apr_initialize();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
