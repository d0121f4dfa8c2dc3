/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* gzip of request bodies: what ot_gzip writes, zlib's inflate reads back
 * (RFC 1952 framing), for empty, small and large inputs, and a buffer
 * limit is honoured. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "ot_gzip.h"

/* Inflate gz (gzip framing only) into a malloc'd buffer of *out_len. */
static unsigned char *gunzip(const ot_buf *gz, size_t *out_len)
{
    z_stream z;
    size_t cap = 1024, len = 0;
    unsigned char *out = malloc(cap);
    int rc;

    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)gz->data;
    z.avail_in = (uInt)gz->len;
    do {
        if (len == cap) {
            unsigned char *more = realloc(out, cap * 2);

            assert_non_null(more);
            out = more;
            cap *= 2;
        }
        z.next_out = out + len;
        z.avail_out = (uInt)(cap - len);
        rc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
    } while (rc == Z_OK);
    assert_int_equal(rc, Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);    /* nothing after the stream */
    inflateEnd(&z);
    *out_len = len;
    return out;
}

static void round_trip(const char *in, size_t len)
{
    ot_buf gz;
    unsigned char *back;
    size_t back_len;

    ot_buf_init(&gz, 0, 0);
    assert_int_equal(ot_gzip(in, len, &gz), 0);
    assert_true(gz.len >= 18);          /* header + trailer */
    assert_int_equal((unsigned char)gz.data[0], 0x1f);
    assert_int_equal((unsigned char)gz.data[1], 0x8b);
    assert_int_equal(gz.data[2], 8);    /* deflate */
    back = gunzip(&gz, &back_len);
    assert_int_equal(back_len, len);
    if (len) {
        assert_memory_equal(back, in, len);
    }
    free(back);
    ot_buf_free(&gz);
}

static void test_small_and_empty(void **state)
{
    round_trip("", 0);
    round_trip("{\"resourceSpans\":[]}", 20);
}

static void test_large_mixed(void **state)
{
    size_t n = 5u << 20, i;
    char *in = malloc(n);
    uint32_t x = 12345;

    /* half compressible text, half noise */
    for (i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = i < n / 2 ? "spanId traceId name"[i % 19] : (char)(x >> 24);
    }
    round_trip(in, n);
    free(in);
}

/* The output replaces what the buffer held. */
static void test_replaces_content(void **state)
{
    ot_buf gz;
    unsigned char *back;
    size_t back_len;

    ot_buf_init(&gz, 0, 0);
    ot_buf_append(&gz, "old", 3);
    assert_int_equal(ot_gzip("new", 3, &gz), 0);
    back = gunzip(&gz, &back_len);
    assert_int_equal(back_len, 3);
    assert_memory_equal(back, "new", 3);
    free(back);
    ot_buf_free(&gz);
}

/* A buffer whose limit is too small for the output: failure, not a
 * truncated body. */
static void test_limit(void **state)
{
    ot_buf gz;
    size_t n = 1u << 20, i;
    char *in = malloc(n);
    uint32_t x = 1;

    for (i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (char)(x >> 24);        /* incompressible */
    }
    ot_buf_init(&gz, 0, 4096);
    assert_int_equal(ot_gzip(in, n, &gz), -1);
    ot_buf_free(&gz);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_and_empty),
        cmocka_unit_test(test_large_mixed),
        cmocka_unit_test(test_replaces_content),
        cmocka_unit_test(test_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
