/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_buf.h"
#include "ot_write.h"

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

/* The numbers and hex digits as the encoders write them (ot_write.h),
 * appended with the exact room they take. */
void ot_buf_put_u64(ot_buf *b, uint64_t v)
{
    char tmp[OT_W_NUM_MAX];

    ot_buf_append(b, tmp, (size_t)(ot_w_u64(tmp, v) - tmp));
}

void ot_buf_put_i64(ot_buf *b, int64_t v)
{
    char tmp[OT_W_NUM_MAX];

    ot_buf_append(b, tmp, (size_t)(ot_w_i64(tmp, v) - tmp));
}

void ot_buf_put_hex(ot_buf *b, const uint8_t *bytes, size_t n)
{
    if (n && ot_buf_reserve(b, n * 2) == 0) {
        b->len = (size_t)(ot_w_hex(b->data + b->len, bytes, n) - b->data);
    }
}
