/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_utf8.h: UTF-8 validation for the encoders (protobuf string fields and
 * JSON both require valid UTF-8; invalid input becomes U+FFFD).  Inline:
 * it runs for every non-ASCII byte the encoders see.
 */

#ifndef OT_UTF8_H
#define OT_UTF8_H

#include <stddef.h>

/*
 * The length of the valid UTF-8 sequence at s (n > 0 bytes left, s[0] >=
 * 0x80), or 0 and in *bad the length of its maximal invalid subpart (the
 * longest prefix of a well-formed sequence, or 1), which becomes one
 * U+FFFD: the Unicode "best practice" for replacement.
 */
static inline size_t ot_utf8_seq(const unsigned char *s, size_t n,
                                 size_t *bad)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xbf;
    size_t need, k;

    if (c < 0xc2 || c > 0xf4) {
        /* a continuation byte, an overlong lead, or past U+10FFFF */
        *bad = 1;
        return 0;
    }
    if (c < 0xe0) {
        need = 2;
    }
    else if (c < 0xf0) {
        need = 3;
        if (c == 0xe0) {
            lo = 0xa0;          /* overlong */
        }
        else if (c == 0xed) {
            hi = 0x9f;          /* surrogates */
        }
    }
    else {
        need = 4;
        if (c == 0xf0) {
            lo = 0x90;          /* overlong */
        }
        else if (c == 0xf4) {
            hi = 0x8f;          /* > U+10FFFF */
        }
    }
    if (n < 2 || s[1] < lo || s[1] > hi) {
        *bad = 1;
        return 0;
    }
    for (k = 2; k < need; k++) {
        if (k >= n || (s[k] & 0xc0) != 0x80) {
            *bad = k;
            return 0;
        }
    }
    return need;
}

/* The length of s (n bytes) cut to at most max bytes without splitting a
 * UTF-8 sequence (0: no cut). */
static inline size_t ot_utf8_cut(const char *s, size_t n, size_t max)
{
    if (max && n > max) {
        n = max;
        /* Back off continuation bytes (10xxxxxx) so that the cut falls
         * before a lead byte. */
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
            n--;
        }
    }
    return n;
}

#endif /* OT_UTF8_H */
