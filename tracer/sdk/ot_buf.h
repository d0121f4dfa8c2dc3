/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_buf.h: a growable byte buffer for encoders.  Used only off the request
 * path (the exporter thread), so it grows with realloc, up to a hard limit.
 * Once an allocation fails or the limit is hit, the buffer is marked failed
 * and further appends do nothing; the caller checks ot_buf_failed() once.
 */

#ifndef OT_BUF_H
#define OT_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ot_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;   /* 0: no limit beyond SIZE_MAX / 2 */
    int failed;
} ot_buf;

void ot_buf_init(ot_buf *b, size_t initial, size_t limit);
void ot_buf_free(ot_buf *b);
void ot_buf_reset(ot_buf *b);                 /* len = 0, failed = 0 */
int ot_buf_reserve(ot_buf *b, size_t extra);  /* 0 ok, -1 failed */
void ot_buf_append(ot_buf *b, const void *p, size_t n);
void ot_buf_putc(ot_buf *b, char c);
void ot_buf_puts(ot_buf *b, const char *s);
void ot_buf_put_u64(ot_buf *b, uint64_t v);   /* decimal */
void ot_buf_put_i64(ot_buf *b, int64_t v);    /* decimal */
void ot_buf_put_hex(ot_buf *b, const uint8_t *bytes, size_t n); /* lowercase */
static inline int ot_buf_failed(const ot_buf *b) { return b->failed; }

#endif /* OT_BUF_H */
