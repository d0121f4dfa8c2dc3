/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_gzip.h: gzip (RFC 1952) of a request body, for Content-Encoding:
 * gzip.  The only file that uses zlib. */

#ifndef OT_GZIP_H
#define OT_GZIP_H

#include <stddef.h>

#include "ot_buf.h"

/* Replace out's content with the gzip of in.  0, or -1 on failure. */
int ot_gzip(const char *in, size_t len, ot_buf *out);

#endif /* OT_GZIP_H */
