/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_buf.h"

#include <stdlib.h>
#include <string.h>

void ot_buf_init(ot_buf *b, size_t initial, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX / 2;
    b->failed = 0;
    if (initial) {
        ot_buf_reserve(b, initial);
    }
}

void ot_buf_free(ot_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ot_buf_reset(ot_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

int ot_buf_reserve(ot_buf *b, size_t extra)
{
    size_t need, ncap;
    char *nd;

    if (b->failed) {
        return -1;
    }
    if (extra <= b->cap - b->len) {
        return 0;
    }
    if (extra > b->limit - b->len) {
        b->failed = 1;
        return -1;
    }
    need = b->len + extra;
    ncap = b->cap ? b->cap : 256;
    if (ncap > b->limit) {
        ncap = b->limit;
    }
    while (ncap < need) {
        ncap = ncap > b->limit / 2 ? b->limit : ncap * 2;
    }
    nd = realloc(b->data, ncap);
    if (!nd) {
        b->failed = 1;
        return -1;
    }
    b->data = nd;
    b->cap = ncap;
    return 0;
}

void ot_buf_append(ot_buf *b, const void *p, size_t n)
{
    if (n && ot_buf_reserve(b, n) == 0) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void ot_buf_putc(ot_buf *b, char c)
{
    if (ot_buf_reserve(b, 1) == 0) {
        b->data[b->len++] = c;
    }
}

void ot_buf_puts(ot_buf *b, const char *s)
{
    ot_buf_append(b, s, strlen(s));
}

void ot_buf_put_u64(ot_buf *b, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ot_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void ot_buf_put_i64(ot_buf *b, int64_t v)
{
    if (v < 0) {
        ot_buf_putc(b, '-');
        /* two's complement: -(v + 1) + 1 avoids overflow at INT64_MIN */
        ot_buf_put_u64(b, (uint64_t)(-(v + 1)) + 1u);
    }
    else {
        ot_buf_put_u64(b, (uint64_t)v);
    }
}

void ot_buf_put_hex(ot_buf *b, const uint8_t *bytes, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    if (ot_buf_reserve(b, n * 2) != 0) {
        return;
    }
    for (i = 0; i < n; i++) {
        b->data[b->len++] = hex[bytes[i] >> 4];
        b->data[b->len++] = hex[bytes[i] & 0x0f];
    }
}
