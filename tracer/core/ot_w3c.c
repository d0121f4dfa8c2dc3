/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_w3c.c: W3C Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/)
 * traceparent and tracestate handling.  Called for every request: no
 * allocation, no stdio, table lookups only.
 */

#include "ot_w3c.h"
#include "ot_fields.h"     /* ot_hex_decode, ot_ows_trim */
#include "ot_write.h"       /* hex, ids (sdk: libc only) */

#include <string.h>

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
    ot_ows_trim(&v, &len);
    if (len < OT_TRACEPARENT_LEN) {
        /* "If the size of the header is shorter than 55 characters, the
         * vendor should not parse the header" */
        return -1;
    }
    /* version = 2HEXDIGLC, followed by "-" */
    if (ot_hex_decode(v, &ver, 1) || v[2] != '-') {
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
    if (ot_hex_decode(v + 3, tid, 16) || ot_hex_decode(v + 36, sid, 8)
        || ot_hex_decode(v + 53, &fl, 1)) {
        return -1;
    }
    /* "All zeroes forbidden" for both trace-id and parent-id */
    if (ot_id_is_zero(tid, 16) || ot_id_is_zero(sid, 8)) {
        return -1;
    }
    memcpy(trace_id, tid, 16);
    memcpy(span_id, sid, 8);
    *flags = fl;
    return 0;
}

void ot_w3c_traceparent_format(const uint8_t trace_id[16],
                               const uint8_t span_id[8], uint8_t flags,
                               char out[OT_TRACEPARENT_LEN + 1])
{
    /* Always the highest version we know ("downgrade the version"). */
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    ot_w_hex(out + 3, trace_id, 16);
    out[35] = '-';
    ot_w_hex(out + 36, span_id, 8);
    out[52] = '-';
    ot_w_hex(out + 53, &flags, 1);
    out[55] = '\0';
}

/*
 * Level 2 (https://www.w3.org/TR/trace-context-2/), which folds level 1's
 * simple-key and multi-tenant-key into one rule:
 *   key     = ( lcalpha / DIGIT ) 0*255( keychar )
 *   keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
 */
static int key_valid(const unsigned char *cc, const char *k, size_t n)
{
    size_t i;

    if (n == 0 || n > 256 || !(cc[(unsigned char)k[0]] & (C_LC | C_DIG))) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        unsigned char c = (unsigned char)k[i];

        if (c != '@' && !(cc[c] & C_KEY)) {
            return 0;
        }
    }
    return 1;
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

/*
 * Walk the list in v[0..len), validating it as a whole, and write its
 * members to out joined by ",".  Returns the length written, or -1 when
 * the list is invalid or does not fit (with its NUL) in outcap.
 */
static int ts_walk(const char *v, size_t len, char *out, size_t outcap)
{
    const unsigned char *cc = cclass;
    ts_span keys[OT_TRACESTATE_MAX_MEMBERS];
    size_t nmembers = 0, pos = 0, i = 0;

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
        while (b < e && ot_is_ows(v[b])) {
            b++;
        }
        while (e > b && ot_is_ows(v[e - 1])) {
            e--;
        }
        if (b == e) {
            /* "Empty and whitespace-only list members are allowed" */
            continue;
        }
        m = v + b;
        mlen = e - b;
        eq = memchr(m, '=', mlen);
        if (eq == NULL) {
            return -1;
        }
        klen = (size_t)(eq - m);
        if (!key_valid(cc, m, klen)
            || !value_valid(cc, eq + 1, mlen - klen - 1)) {
            return -1;
        }
        /* A key seen before: level 2 lets a vendor keep the list as it
         * is, or drop the later entries; the first one stays, as the
         * leftmost is the most recent. */
        for (j = 0; j < nmembers && !span_eq(keys[j].p, keys[j].n, m, klen);
             j++) {
        }
        if (j < nmembers) {
            continue;
        }
        /* "There can be a maximum of 32 list-members in a list" */
        if (nmembers == OT_TRACESTATE_MAX_MEMBERS) {
            return -1;
        }
        keys[nmembers].p = m;
        keys[nmembers].n = klen;
        nmembers++;
        if (outcap - pos < mlen + (pos > 0) + 1) {
            return -1;
        }
        if (pos > 0) {
            out[pos++] = ',';
        }
        memcpy(out + pos, m, mlen);
        pos += mlen;
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
    r = ts_walk(value, len, out, outcap);
    if (r < 0) {
        out[0] = '\0';
        return -1;
    }
    out[r] = '\0';
    return r;
}
