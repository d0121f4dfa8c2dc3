/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_w3c.c: W3C Trace Context Level 1 (https://www.w3.org/TR/trace-context-1/)
 * traceparent and tracestate handling.  Called for every request: no
 * allocation, no stdio, table lookups only.
 */

#include "ot_w3c.h"

#include <string.h>

/* Lowercase hex digit value; 0xff for anything else (HEXDIGLC only). */
#define XX 0xff
#define XX8 XX, XX, XX, XX, XX, XX, XX, XX
#define XX16 XX8, XX8
static const uint8_t hexval[256] = {
    XX16, XX16, XX16,                                   /* 0x00-0x2f */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, XX, XX, XX, XX, XX, XX, /* 0x30-0x3f */
    XX16,                                               /* 0x40-0x4f */
    XX16,                                               /* 0x50-0x5f */
    XX, 10, 11, 12, 13, 14, 15, XX, XX8,                /* 0x60-0x6f */
    XX16,                                               /* 0x70-0x7f */
    XX16, XX16, XX16, XX16, XX16, XX16, XX16, XX16      /* 0x80-0xff */
};
#undef XX
#undef XX8
#undef XX16


/* Character classes for tracestate (SP, %x20, is handled by hand: it is a
 * chr but not an nblk-chr). */
#define C_LC   0x01  /* lcalpha = %x61-7A */
#define C_DIG  0x02  /* DIGIT */
#define C_KP   0x04  /* "_" / "-" / "*" / "/" */
#define C_NBLK 0x08  /* nblk-chr = %x21-2B / %x2D-3C / %x3E-7E */
#define C_KEY  (C_LC | C_DIG | C_KP)

#define N C_NBLK
#define NK (C_NBLK | C_KP)
#define ND (C_NBLK | C_DIG)
#define NL (C_NBLK | C_LC)
#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
static const unsigned char cclass[256] = {
    Z16, Z16,                                                  /* controls */
    /* SP  !   "   #   $   %   &   '   (   )   *   +   ,   -   .   / */
    0,  N,  N,  N,  N,  N,  N,  N,  N,  N,  NK, N,  0,  NK, N,  NK,
    /* 0-9                                  :   ;   <   =   >   ? */
    ND, ND, ND, ND, ND, ND, ND, ND, ND, ND, N,  N,  N,  0,  N,  N,
    /* @ A-O */
    N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,
    /* P-Z                                      [   \   ]   ^   _ */
    N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  NK,
    /* `   a-o */
    N,  NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL,
    /* p-z                                      {   |   }   ~   DEL */
    NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, NL, N,  N,  N,  N,  0,
    Z16, Z16, Z16, Z16, Z16, Z16, Z16, Z16                     /* 0x80-0xff */
};
#undef N
#undef NK
#undef ND
#undef NL
#undef Z16

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Decode n bytes from 2n lowercase hex chars.  Returns non-zero when a
 * character is not HEXDIGLC.
 */
static int hex_decode(const char *s, uint8_t *out, size_t n)
{
    unsigned bad = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned hi = hexval[(unsigned char)s[2 * i]];
        unsigned lo = hexval[(unsigned char)s[2 * i + 1]];

        bad |= hi | lo;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return (bad & 0xf0) != 0;
}

static int all_zero(const uint8_t *b, size_t n)
{
    unsigned acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

int ot_w3c_traceparent_parse(const char *value, size_t len,
                             uint8_t trace_id[16], uint8_t span_id[8],
                             uint8_t *flags)
{
    uint8_t ver, tid[16], sid[8], fl;
    const char *v = value;

    if (v == NULL) {
        return -1;
    }
    /* Leading and trailing OWS of the field value are not part of it. */
    while (len && is_ows(v[0])) {
        v++;
        len--;
    }
    while (len && is_ows(v[len - 1])) {
        len--;
    }
    if (len < OT_TRACEPARENT_LEN) {
        /* "If the size of the header is shorter than 55 characters, the
         * vendor should not parse the header" */
        return -1;
    }
    /* version = 2HEXDIGLC, followed by "-" */
    if (hex_decode(v, &ver, 1) || v[2] != '-') {
        return -1;
    }
    if (ver == 0xff) {
        /* "Version ff is invalid" */
        return -1;
    }
    if (ver == 0x00) {
        /* version-format for 00 is exactly trace-id "-" parent-id "-"
         * trace-flags: nothing may follow. */
        if (len != OT_TRACEPARENT_LEN) {
            return -1;
        }
    }
    else if (len > OT_TRACEPARENT_LEN) {
        /* Higher version: "Vendors MUST check that the 2 characters are
         * either the end of the string or a dash." */
        if (v[OT_TRACEPARENT_LEN] != '-') {
            return -1;
        }
        /* traceparent is not a list header: a comma can only come from
         * several header fields combined into one (RFC 7230 3.2.2), which
         * makes the value unusable. */
        if (memchr(v + OT_TRACEPARENT_LEN, ',', len - OT_TRACEPARENT_LEN)) {
            return -1;
        }
    }
    /* trace-id at 3, parent-id at 36, trace-flags at 53, dashes between */
    if (v[35] != '-' || v[52] != '-') {
        return -1;
    }
    if (hex_decode(v + 3, tid, 16) || hex_decode(v + 36, sid, 8)
        || hex_decode(v + 53, &fl, 1)) {
        return -1;
    }
    /* "All zeroes forbidden" for both trace-id and parent-id */
    if (all_zero(tid, 16) || all_zero(sid, 8)) {
        return -1;
    }
    memcpy(trace_id, tid, 16);
    memcpy(span_id, sid, 8);
    *flags = fl;
    return 0;
}

/* Two hex digits per byte value: one 2-byte copy per byte. */
static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static char *hex_encode(char *p, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        memcpy(p + 2 * i, hex_pairs + 2 * b[i], 2);
    }
    return p + 2 * n;
}

/* Four bytes as eight lowercase hex digits, with no table and no loop:
 * spread the nibbles into the bytes of a word, then add '0', and 39 more
 * ('a' - '0' - 10) where a nibble is 10 or more. */
static inline void hex4(char *out, const uint8_t *in)
{
    uint64_t x = ((uint64_t)in[0] << 24) | ((uint64_t)in[1] << 16)
                 | ((uint64_t)in[2] << 8) | in[3];
    uint64_t nine;

    x = ((x & 0xFFFF0000u) << 16) | (x & 0x0000FFFFu);
    x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
    x = ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
    nine = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
    x += 0x3030303030303030ull + nine * 39;
    /* the first digit is in the most significant byte */
    out[0] = (char)(x >> 56);
    out[1] = (char)(x >> 48);
    out[2] = (char)(x >> 40);
    out[3] = (char)(x >> 32);
    out[4] = (char)(x >> 24);
    out[5] = (char)(x >> 16);
    out[6] = (char)(x >> 8);
    out[7] = (char)x;
}

void ot_w3c_traceparent_format(const uint8_t trace_id[16],
                               const uint8_t span_id[8], uint8_t flags,
                               char out[OT_TRACEPARENT_LEN + 1])
{
    /* Always the highest version we know ("downgrade the version"). */
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    hex4(out + 3, trace_id);
    hex4(out + 11, trace_id + 4);
    hex4(out + 19, trace_id + 8);
    hex4(out + 27, trace_id + 12);
    out[35] = '-';
    hex4(out + 36, span_id);
    hex4(out + 44, span_id + 4);
    out[52] = '-';
    hex_encode(out + 53, &flags, 1);
    out[55] = '\0';
}

/*
 * key = simple-key / multi-tenant-key
 * simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 * multi-tenant-key = tenant-id "@" system-id
 * tenant-id = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 * system-id = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 */
static int key_valid(const unsigned char *cc, const char *k, size_t n)
{
    size_t i, at = 0;
    int nat = 0;

    if (n == 0 || n > 256) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];

        if (c == '@') {
            at = i;
            nat++;
        }
        else if (!(cc[c] & C_KEY)) {
            return 0;
        }
    }
    if (nat == 0) {
        return (cc[(unsigned char)k[0]] & C_LC) != 0;
    }
    if (nat > 1) {
        return 0;
    }
    /* tenant-id: 1 to 241 chars; system-id: 1 to 14 chars */
    if (at == 0 || at > 241 || n - at - 1 == 0 || n - at - 1 > 14) {
        return 0;
    }
    return (cc[(unsigned char)k[0]] & (C_LC | C_DIG))
           && (cc[(unsigned char)k[at + 1]] & C_LC);
}

/*
 * value    = 0*255(chr) nblk-chr
 * nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
 * chr      = %x20 / nblk-chr
 */
static int value_valid(const unsigned char *cc, const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 256) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!(cc[c] & C_NBLK) && c != ' ') {
            return 0;
        }
    }
    return (cc[(unsigned char)s[n - 1]] & C_NBLK) != 0;
}

typedef struct {
    const char *p;
    size_t n;
} ts_span;

static int span_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

#define TS_INVALID (-1)
#define TS_NOSPACE (-2)

/*
 * Walk the list in v[0..len), validating it as a whole, and append its
 * members to out from offset pos, each preceded by "," when pos > 0.
 * A member whose key equals skip (when not NULL) is validated but not
 * written, and at most max_emit members are written (later valid members
 * are dropped).  Returns the new offset, TS_INVALID or TS_NOSPACE.
 */
static int ts_walk(const char *v, size_t len, const char *skip,
                   size_t skipn, size_t max_emit, char *out, size_t outcap,
                   size_t pos)
{
    const unsigned char *cc = cclass;
    ts_span keys[OT_TRACESTATE_MAX_MEMBERS];
    size_t nmembers = 0, emitted = 0, i = 0;

    /* list = list-member 0*31( OWS "," OWS list-member )
     * list-member = (key "=" value) / OWS
     * Neither key nor value may contain ",", so commas split members. */
    while (i <= len) {
        const char *m, *eq;
        size_t b = i, e, mlen, klen, j;

        while (i < len && v[i] != ',') {
            i++;
        }
        e = i++;            /* skip the comma (or step past the end) */
        while (b < e && is_ows(v[b])) {
            b++;
        }
        while (e > b && is_ows(v[e - 1])) {
            e--;
        }
        if (b == e) {
            /* "Empty and whitespace-only list members are allowed" */
            continue;
        }
        m = v + b;
        mlen = e - b;
        /* "There can be a maximum of 32 list-members in a list" */
        if (nmembers == OT_TRACESTATE_MAX_MEMBERS) {
            return TS_INVALID;
        }
        eq = memchr(m, '=', mlen);
        if (eq == NULL) {
            return TS_INVALID;
        }
        klen = (size_t)(eq - m);
        if (!key_valid(cc, m, klen)
            || !value_valid(cc, eq + 1, mlen - klen - 1)) {
            return TS_INVALID;
        }
        /* "Only one entry per key is allowed" */
        for (j = 0; j < nmembers; j++) {
            if (span_eq(keys[j].p, keys[j].n, m, klen)) {
                return TS_INVALID;
            }
        }
        keys[nmembers].p = m;
        keys[nmembers].n = klen;
        nmembers++;

        if (emitted == max_emit
            || (skip != NULL && span_eq(skip, skipn, m, klen))) {
            continue;
        }
        if (outcap - pos < mlen + (pos > 0) + 1) {
            return TS_NOSPACE;
        }
        if (pos > 0) {
            out[pos++] = ',';
        }
        memcpy(out + pos, m, mlen);
        pos += mlen;
        emitted++;
    }
    return (int)pos;
}

int ot_w3c_tracestate_normalize(const char *value, size_t len,
                                char *out, size_t outcap)
{
    int r;

    if (out == NULL || outcap == 0) {
        return -1;
    }
    out[0] = '\0';
    if (value == NULL) {
        return len == 0 ? 0 : -1;
    }
    r = ts_walk(value, len, NULL, 0, OT_TRACESTATE_MAX_MEMBERS, out, outcap,
                0);
    if (r < 0) {
        out[0] = '\0';
        return -1;
    }
    out[r] = '\0';
    return r;
}

int ot_w3c_tracestate_update(const char *old_state, const char *key,
                             const char *value, char *out, size_t outcap)
{
    const unsigned char *cc = cclass;
    size_t klen, vlen, pos;
    int r;

    if (out == NULL || outcap == 0) {
        return -1;
    }
    out[0] = '\0';
    if (key == NULL || value == NULL) {
        return -1;
    }
    klen = strlen(key);
    vlen = strlen(value);
    if (!key_valid(cc, key, klen) || !value_valid(cc, value, vlen)) {
        return -1;
    }
    /* "The new key/value pair SHOULD be added to the beginning of the
     * list." */
    if (outcap - 1 < klen + 1 + vlen) {
        return -1;
    }
    memcpy(out, key, klen);
    out[klen] = '=';
    memcpy(out + klen + 1, value, vlen);
    pos = klen + 1 + vlen;
    out[pos] = '\0';
    if (old_state == NULL || old_state[0] == '\0') {
        return (int)pos;
    }
    /* "Adding a key/value pair MUST NOT result in the same key being
     * present multiple times": the earlier entry for key is dropped. */
    r = ts_walk(old_state, strlen(old_state), key, klen,
                OT_TRACESTATE_MAX_MEMBERS - 1, out, outcap, pos);
    if (r == TS_NOSPACE) {
        out[0] = '\0';
        return -1;
    }
    if (r == TS_INVALID) {
        /* An invalid tracestate is discarded as a whole; keep ours. */
        out[pos] = '\0';
        return (int)pos;
    }
    out[r] = '\0';
    return r;
}
