/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_gzip.h"

#include <zlib.h>

int ot_gzip(const char *in, size_t len, ot_buf *out)
{
    z_stream z;
    int rc;

    ot_buf_reset(out);
    if (len > 0x7fffffffu) {
        return -1;
    }
    z.zalloc = Z_NULL;
    z.zfree = Z_NULL;
    z.opaque = Z_NULL;
    /* windowBits 15 + 16: a gzip header and trailer; level 6 is zlib's
     * default trade-off, memLevel 8 its default. */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK) {
        return -1;
    }
    if (ot_buf_reserve(out, deflateBound(&z, (uLong)len)) != 0) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)(out->cap);
    rc = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}
