/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_write.c: the out-of-line part of the encoders' writer core (see
 * ot_write.h): long numbers, doubles, JSON strings that need escaping or
 * repair, room.
 */

#include "ot_write.h"
#include "ot_utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char ot_hex_digits[16] = {
    '0', '1', '2', '3', '4', '5', '6', '7',
    '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'
};

const char ot_digit_pairs[200] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

#define U4 'u', 'u', 'u', 'u'
#define U16 U4, U4, U4, U4
#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define H16 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', \
            'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U'
const unsigned char ot_json_class[256] = {
    /* 0x00 */ U4, U4, 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    /* 0x10 */ U16,
    /* 0x20 */ 0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x30 */ Z16, Z16,
    /* 0x50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
    /* 0x60 */ Z16, Z16,
    /* 0x80 */ H16, H16, H16, H16, H16, H16, H16, H16
};
#undef U4
#undef U16
#undef Z16
#undef H16

#if defined(__GNUC__)
#define CTZ64(x) ((unsigned)__builtin_ctzll(x))
#else
static unsigned CTZ64(uint64_t x)
{
    unsigned n = 0;

    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}
#endif

/* 10 <= v < 10^8 in decimal at o (room for 8 bytes); returns the end. */
static inline char *w_u32_digits(char *o, uint32_t v)
{
    uint64_t x = ot_digits8(v);
    /* the leading zero digits are the low '0' bytes */
    unsigned z = CTZ64(x ^ 0x3030303030303030ULL) & ~7u;

    ot_store_le64(o, x >> z);
    return o + 8 - z / 8;
}

/* ot_w_u64() of v >= 10^6. */
char *ot_w_u64_long(char *o, uint64_t v)
{
    uint64_t hi, top;

    if (v < 100000000) {
        return w_u32_digits(o, (uint32_t)v);
    }
    hi = v / 100000000;
    if (hi < 10) {
        *o++ = (char)('0' + hi);
    }
    else if (hi < 100000000) {
        o = w_u32_digits(o, (uint32_t)hi);
    }
    else {
        top = hi / 100000000;           /* below 1845 */
        o = top < 10 ? (*o = (char)('0' + top), o + 1)
                     : w_u32_digits(o, (uint32_t)top);
        ot_store_le64(o, ot_digits8((uint32_t)(hi - top * 100000000)));
        o += 8;
    }
    ot_store_le64(o, ot_digits8((uint32_t)(v - hi * 100000000)));
    return o + 8;
}

char *ot_w_double(char *o, double d)
{
    char tmp[OT_W_DOUBLE_MAX];
    int prec, n = 0;
    char *p;

    if (isnan(d)) {
        return OT_W_LIT(o, "\"NaN\"");
    }
    if (isinf(d)) {
        return d > 0 ? OT_W_LIT(o, "\"Infinity\"")
                     : OT_W_LIT(o, "\"-Infinity\"");
    }
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (n <= 0 || (size_t)n >= sizeof(tmp)) {
            /* cannot happen for a finite double; stay valid JSON */
            return OT_W_LIT(o, "0");
        }
        if (prec == 17 || strtod(tmp, NULL) == d) {
            break;
        }
    }
    /* A locale may have set a decimal comma: JSON wants a point. */
    for (p = tmp; p < tmp + n; p++) {
        if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+'
              || *p == 'e' || *p == 'E')) {
            *p = '.';
        }
    }
    memcpy(o, tmp, (size_t)n);
    return o + n;
}

/* The length of the prefix of s[0, n) that needs no escaping, a word at a
 * time, then byte by byte from the first flagged word. */
static size_t clean_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (ot_json_bad64(w)) {
            break;
        }
    }
    while (i < n && ot_json_class[s[i]] == 0) {
        i++;
    }
    return i;
}

/* As every input byte yields at least one content byte, cutting the
 * content to max bytes also keeps to at most max input bytes. */
OT_NOINLINE char *ot_w_json_str_slow(char *o, const unsigned char *s,
                                     size_t len, size_t max)
{
    size_t i = 0, rem = max ? max : (size_t)-1, r, seq, bad;
    unsigned c;

    *o++ = '"';
    while (i < len && rem > 0) {
        r = clean_prefix(s + i, len - i);
        if (r) {
            r = r > rem ? rem : r;
            memcpy(o, s + i, r);
            o += r;
            i += r;
            rem -= r;
            continue;
        }
        c = s[i];
        if (ot_json_class[c] == 'U') {
            seq = ot_utf8_seq(s + i, len - i, &bad);
            if (seq ? seq > rem : rem < 3) {
                break;
            }
            if (seq) {
                memcpy(o, s + i, seq);
                i += seq;
            }
            else {
                memcpy(o, "\xef\xbf\xbd", 3);     /* U+FFFD */
                seq = 3;
                i += bad;
            }
            o += seq;
            rem -= seq;
            continue;
        }
        o[0] = '\\';
        if (ot_json_class[c] == 'u') {
            memcpy(o + 1, "u00", 3);
            o[4] = ot_hex_digits[c >> 4];
            o[5] = ot_hex_digits[c & 0x0f];
            o += 6;
        }
        else {
            o[1] = (char)ot_json_class[c];
            o += 2;
        }
        i++;
        rem--;
    }
    *o++ = '"';
    return o;
}

size_t ot_utf8_repair(const unsigned char *s, size_t len, size_t max,
                      unsigned char *o, int *clean)
{
    size_t i = 0, out = 0, rem = max ? max : (size_t)-1, seq, bad;

    *clean = 1;
    while (i < len && rem > 0) {
        if (s[i] < 0x80) {
            if (o) {
                o[out] = s[i];
            }
            out++;
            i++;
            rem--;
            continue;
        }
        seq = ot_utf8_seq(s + i, len - i, &bad);
        if (seq ? seq > rem : rem < 3) {
            break;
        }
        if (seq) {
            if (o) {
                memcpy(o + out, s + i, seq);
            }
            i += seq;
        }
        else {
            if (o) {
                memcpy(o + out, "\xef\xbf\xbd", 3);     /* U+FFFD */
            }
            *clean = 0;
            seq = 3;
            i += bad;
        }
        out += seq;
        rem -= seq;
    }
    return out;
}

void ot_json_put_string(ot_buf *b, const char *s, size_t len, uint32_t max)
{
    ot_wr w;
    char *o;

    if (!s) {
        len = 0;
    }
    o = ot_wr_begin(&w, b, OT_STR_ROOM(ot_str_lim(len, max),
                                       OT_JSON_ESC_MAX));
    if (o) {
        ot_wr_end(&w, ot_w_json_str(o, s, len, max));
    }
}

char *ot_wr_begin(ot_wr *w, ot_buf *b, uint64_t bound)
{
    w->b = b;
    w->use_aside = 0;
    if (ot_buf_failed(b)) {
        return NULL;
    }
    if (bound <= b->limit - b->len) {
        if (ot_buf_reserve(b, (size_t)bound) != 0) {
            return NULL;
        }
        w->end = b->data + b->cap;
        return b->data + b->len;
    }
    if (bound > SIZE_MAX / 2) {
        b->failed = 1;
        return NULL;
    }
    ot_buf_init(&w->aside, (size_t)bound, 0);
    if (ot_buf_failed(&w->aside)) {
        ot_buf_free(&w->aside);
        b->failed = 1;
        return NULL;
    }
    w->use_aside = 1;
    w->end = w->aside.data + w->aside.cap;
    return w->aside.data;
}

void ot_wr_end(ot_wr *w, char *o)
{
    if (w->use_aside) {
        ot_buf_append(w->b, w->aside.data, (size_t)(o - w->aside.data));
        ot_buf_free(&w->aside);
    }
    else {
        w->b->len = (size_t)(o - w->b->data);
    }
}

int ot_wr_abort(ot_wr *w)
{
    if (w->use_aside) {
        ot_buf_free(&w->aside);
    }
    w->b->failed = 1;
    return -1;
}

uint64_t ot_str_array_room(const ot_str_array *sa, size_t lim,
                           unsigned esc)
{
    uint64_t total = 2 * OT_ARRAY_ITEM_ROOM;
    uint32_t k, n = ot_str_array_n(sa);

    for (k = 0; k < n; k++) {
        size_t len = sa->items[k].ptr ? sa->items[k].len : 0;

        total += OT_STR_ROOM(ot_str_lim(len, lim), esc) + OT_ARRAY_ITEM_ROOM;
    }
    return total;
}

uint64_t ot_attrs_bound(const ot_attribute *a, uint32_t n, size_t lim,
                        unsigned esc)
{
    uint64_t total = (uint64_t)n * OT_ATTR_ROOM(esc);
    uint32_t i;

    if (!a) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (a[i].key.len > OT_KEY_SHORT) {
            total += OT_STR_ROOM(a[i].key.len, esc);
        }
        total += ot_attr_value_room(&a[i], lim, esc);
    }
    return total;
}
