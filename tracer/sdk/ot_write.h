/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_write.h: the writer core the encoders share (OTLP/JSON, OTLP/protobuf,
 * Zipkin JSON), ot_buf and the W3C formatter: one copy of each primitive.
 *
 * The raw writers (ot_w_*) store at a plain pointer into room the caller
 * has made, and return the end of what they wrote: a piece of output is
 * written with one room check (see ot_wr_begin()), not one per byte.  The
 * hot ones are inline; libc and ot_tracer.h only (no APR: plugins link
 * this without it).
 */

#ifndef OT_WRITE_H
#define OT_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ot_buf.h"
#include "ot_tracer.h"

/* SSE2 (every x86-64) checks and writes 16 bytes at once; elsewhere, or
 * with OT_NO_SIMD, a 64-bit word at a time.  In make bench, SSE2 makes the
 * JSON encoder about 20% cheaper (callgrind, bench/micro.c's spans). */
#if defined(__SSE2__) && !defined(OT_NO_SIMD)
#define OT_SSE2 1
#include <emmintrin.h>
#endif

/* Small helpers the compiler must inline into the hot loops. */
#if defined(__GNUC__)
#define OT_INLINE inline __attribute__((always_inline))
#define OT_NOINLINE __attribute__((noinline))
#else
#define OT_INLINE inline
#define OT_NOINLINE
#endif

/* A string literal without its terminating NUL (a fixed-size copy). */
#define OT_W_LIT(o, s) ((char *)memcpy((o), (s), sizeof(s) - 1) \
                        + sizeof(s) - 1)

static inline int ot_str_set(ot_str s)
{
    return s.ptr && s.len;
}

/* opentelemetry-proto trace.proto, enum SpanFlags. */
#define OT_SPAN_FLAGS_TRACE_FLAGS_MASK           0x000000ffu
#define OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK 0x00000100u
#define OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK     0x00000200u

/* Whether the n bytes of an id are all zero (an invalid or absent id). */
static inline int ot_id_is_zero(const uint8_t *id, size_t n)
{
    uint64_t w, acc = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, id + i, 8);
        acc |= w;
    }
    for (; i < n; i++) {
        acc |= id[i];
    }
    return acc == 0;
}

/* Span.flags of OTLP: the W3C trace flags, and whether the parent is
 * remote when there is a parent. */
static inline uint32_t ot_otlp_span_flags(const ot_span_record *s,
                                          int has_parent)
{
    uint32_t flags = s->flags & OT_SPAN_FLAGS_TRACE_FLAGS_MASK;

    if (has_parent) {
        flags |= OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK;
        if (s->parent_is_remote) {
            flags |= OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK;
        }
    }
    return flags;
}

/* ---- hex --------------------------------------------------------------- */

extern const char ot_hex_digits[16];    /* "0123456789abcdef" */

#if defined(OT_SSE2)
/* Nibbles (0 to 15) to lowercase hex digits: '0' + d, 39 more from 10. */
static OT_INLINE __m128i ot_hex128(__m128i d)
{
    __m128i letter = _mm_cmpgt_epi8(d, _mm_set1_epi8(9));

    return _mm_add_epi8(d, _mm_add_epi8(_mm_set1_epi8('0'),
                                        _mm_and_si128(letter,
                                                      _mm_set1_epi8(39))));
}

/* The 16 (or the first 8, with both 0) bytes of v as hex digits at o. */
static OT_INLINE void ot_hex16(char *o, __m128i v, int both)
{
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
    __m128i lo = _mm_and_si128(v, mask);

    _mm_storeu_si128((__m128i *)(void *)o,
                     ot_hex128(_mm_unpacklo_epi8(hi, lo)));
    if (both) {
        _mm_storeu_si128((__m128i *)(void *)(o + 16),
                         ot_hex128(_mm_unpackhi_epi8(hi, lo)));
    }
}
#endif

/* The n bytes at in as 2n lowercase hex digits at o; returns the end. */
static OT_INLINE char *ot_w_hex(char *o, const uint8_t *in, size_t n)
{
    size_t i = 0;

#if defined(OT_SSE2)
    for (; i + 16 <= n; i += 16) {
        ot_hex16(o + 2 * i,
                 _mm_loadu_si128((const __m128i *)(const void *)(in + i)), 1);
    }
    if (i + 8 <= n) {
        ot_hex16(o + 2 * i,
                 _mm_loadl_epi64((const __m128i *)(const void *)(in + i)), 0);
        i += 8;
    }
#endif
    for (; i < n; i++) {
        o[2 * i] = ot_hex_digits[in[i] >> 4];
        o[2 * i + 1] = ot_hex_digits[in[i] & 0x0f];
    }
    return o + 2 * n;
}

/* ---- numbers ----------------------------------------------------------- */

/* Store the eight bytes of v at o, the lowest first. */
static inline void ot_store_le64(char *o, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &v, 8);
#else
    int i;

    for (i = 0; i < 8; i++) {
        o[i] = (char)(v >> (8 * i));
    }
#endif
}

/*
 * The eight decimal digits of n < 10^8 (with leading zeros) as ASCII in
 * the bytes of a word, the first digit in the lowest byte: the two halves
 * of four digits side by side in 32-bit lanes, split into two digits in
 * 16-bit lanes, then into one in bytes, by multiplying by a reciprocal
 * (exact for these ranges: x / 100 == x * 5243 >> 19 for x < 43699,
 * x / 10 == x * 103 >> 10 for x < 179), all lanes at once.
 */
static inline uint64_t ot_digits8(uint32_t n)
{
    uint64_t x = (n / 10000) | ((uint64_t)(n % 10000) << 32);
    uint64_t h = ((x * 5243) >> 19) & 0x0000007f0000007fULL;

    x = h | ((x - h * 100) << 16);
    h = ((x * 103) >> 10) & 0x000f000f000f000fULL;
    return (h | ((x - h * 10) << 8)) | 0x3030303030303030ULL;
}

/* Room for a number at most: a sign and 20 digits, bytes past its end
 * included. */
#define OT_W_NUM_MAX 21

extern const char ot_digit_pairs[200];     /* "00" to "99" */

char *ot_w_u64_long(char *o, uint64_t v);

/* d < 100 in decimal at o, one or two digits; returns the end. */
static OT_INLINE char *ot_w_lead(char *o, uint32_t d)
{
    if (d < 10) {
        *o = (char)('0' + d);
        return o + 1;
    }
    memcpy(o, ot_digit_pairs + 2 * d, 2);
    return o + 2;
}

/* v in decimal at o (room for OT_W_NUM_MAX, bytes past the number may be
 * overwritten); returns the end.  Below 10^6 (ports, sizes, status
 * codes) inline, from pairs of digits. */
static OT_INLINE char *ot_w_u64(char *o, uint64_t v)
{
    uint32_t r;

    if (v < 100) {
        return ot_w_lead(o, (uint32_t)v);
    }
    if (v < 10000) {
        o = ot_w_lead(o, (uint32_t)v / 100);
        memcpy(o, ot_digit_pairs + 2 * ((uint32_t)v % 100), 2);
        return o + 2;
    }
    if (v < 1000000) {
        o = ot_w_lead(o, (uint32_t)v / 10000);
        r = (uint32_t)v % 10000;
        memcpy(o, ot_digit_pairs + 2 * (r / 100), 2);
        memcpy(o + 2, ot_digit_pairs + 2 * (r % 100), 2);
        return o + 4;
    }
    return ot_w_u64_long(o, v);
}

static OT_INLINE char *ot_w_i64(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        /* -(v + 1) + 1: no overflow at INT64_MIN */
        return ot_w_u64(o, (uint64_t)(-(v + 1)) + 1u);
    }
    return ot_w_u64(o, (uint64_t)v);
}

/* Room for a double at most (quotes, a sign, 17 digits, a point, an
 * exponent). */
#define OT_W_DOUBLE_MAX 40

/*
 * A double as protobuf's JSON mapping writes it: a number, the shortest of
 * %.15g, %.16g and %.17g that reads back as the same value (%.17g always
 * does) with a decimal point whatever the locale, or one of the strings
 * "NaN", "Infinity", "-Infinity" (with their quotes).
 */
char *ot_w_double(char *o, double d);

/* ---- clean runs -------------------------------------------------------- */

/*
 * What to do with each byte inside a JSON string literal: 0 copy as is,
 * 'u' write \u00XX, 'b' 't' 'n' 'f' 'r' '"' '\\' a backslash and that
 * letter, 'U' (from 0x80) decode UTF-8, copy a valid sequence, repair
 * others.
 */
extern const unsigned char ot_json_class[256];

#define OT_ONES 0x0101010101010101ULL
#define OT_HIGHS 0x8080808080808080ULL

/* Whether a word holds a byte that needs escaping or repair in JSON (below
 * 0x20, from 0x80, '"' or '\\'): the classic "has a zero byte" test on
 * w - 0x20, w ^ '"' and w ^ '\\'.  A borrow leaves a byte only when that
 * byte is itself one of these, so the answer is exact for the word. */
static OT_INLINE uint64_t ot_json_bad64(uint64_t w)
{
    return ((w - OT_ONES * 0x20) | w
            | ((w ^ (OT_ONES * '"')) - OT_ONES)
            | ((w ^ (OT_ONES * '\\')) - OT_ONES)) & OT_HIGHS;
}

/* A word's bytes that a clean run may not hold: for JSON those above, for
 * protobuf (json 0) bytes from 0x80 (strings are checked as ASCII). */
static OT_INLINE uint64_t ot_bad64(uint64_t w, int json)
{
    return json ? ot_json_bad64(w) : w & OT_HIGHS;
}

#if defined(OT_SSE2)
static OT_INLINE __m128i ot_bad128(__m128i v, int json)
{
    if (!json) {
        return v;               /* the high bits: movemask takes those */
    }
    /* below 0x20 or from 0x80 (below 0x20 as signed bytes), '"', '\\' */
    return _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(v,
                                                    _mm_set1_epi8('\\'))));
}
#endif

/*
 * Copy the n bytes at s to o and tell whether all are clean (json: nothing
 * to escape or repair; else: ASCII): 16 (or 8) bytes at a time, the last
 * block overlapping the one before, short strings with two overlapping
 * halves or three single bytes.  Most strings are short clean ASCII and
 * cost a few instructions.  Writes exactly o[0, n), whatever the answer.
 * json must be a constant.
 */
static OT_INLINE int ot_copy_clean(char *o, const unsigned char *s,
                                   size_t n, int json)
{
    uint32_t h, t;
    size_t i;
#if defined(OT_SSE2)
    __m128i v, z, bad = _mm_setzero_si128();

    if (n >= 16) {
        for (i = 0; i + 16 < n; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)(o + i), v);
            bad = _mm_or_si128(bad, ot_bad128(v, json));
        }
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)(o + n - 16), v);
        bad = _mm_or_si128(bad, ot_bad128(v, json));
        return _mm_movemask_epi8(bad) == 0;
    }
    if (n >= 8 && json) {
        v = _mm_loadl_epi64((const __m128i *)(const void *)s);
        z = _mm_loadl_epi64((const __m128i *)(const void *)(s + n - 8));
        _mm_storel_epi64((__m128i *)(void *)o, v);
        _mm_storel_epi64((__m128i *)(void *)(o + n - 8), z);
        return _mm_movemask_epi8(ot_bad128(_mm_unpacklo_epi64(v, z),
                                           json)) == 0;
    }
#endif
#if !defined(OT_SSE2)
    if (n >= 16) {
        uint64_t w, bad = 0;

        for (i = 0; i + 8 < n; i += 8) {
            memcpy(&w, s + i, 8);
            memcpy(o + i, &w, 8);
            bad |= ot_bad64(w, json);
        }
        memcpy(&w, s + n - 8, 8);
        memcpy(o + n - 8, &w, 8);
        return (bad | ot_bad64(w, json)) == 0;
    }
#endif
    if (n >= 8) {
        uint64_t a, e;

        memcpy(&a, s, 8);
        memcpy(&e, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &e, 8);
        return (ot_bad64(a, json) | ot_bad64(e, json)) == 0;
    }
    if (n >= 4) {
        memcpy(&h, s, 4);
        memcpy(&t, s + n - 4, 4);
        memcpy(o, &h, 4);
        memcpy(o + n - 4, &t, 4);
        /* both halves side by side: they cover every byte */
#if defined(OT_SSE2)
        if (json) {
            v = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)h),
                                   _mm_cvtsi32_si128((int)t));
            return (_mm_movemask_epi8(ot_bad128(v, json)) & 0xff) == 0;
        }
#endif
        return ot_bad64(h | (uint64_t)t << 32, json) == 0;
    }
    if (n) {
        unsigned char a = s[0], m = s[n / 2], e = s[n - 1];

        o[0] = (char)a;
        o[n / 2] = (char)m;
        o[n - 1] = (char)e;
        return json ? (ot_json_class[a] | ot_json_class[m]
                       | ot_json_class[e]) == 0
                    : ((a | m | e) & 0x80) == 0;
    }
    return 1;
}

/* ---- JSON strings ------------------------------------------------------ */

/* Bytes of output for one byte of JSON string content at most ("\u00XX");
 * of protobuf string content (U+FFFD for a byte). */
#define OT_JSON_ESC_MAX 6
#define OT_PROTO_ESC_MAX 3

/* The most input a string can consume: len, or max when that is less. */
static inline size_t ot_str_lim(size_t len, size_t max)
{
    return (max && max < len) ? max : len;
}

/* The room for a string of n bytes (esc bytes out for one in) with its
 * framing (quotes, or a protobuf tag and length): a bound. */
#define OT_STR_ROOM(n, esc) ((uint64_t)(n) * (esc) + 24)

/*
 * Write s (len bytes) as a JSON string literal at o, escaped per RFC 8259
 * and made valid UTF-8 (invalid sequences become U+FFFD), with room for
 * OT_STR_ROOM(ot_str_lim(len, max), OT_JSON_ESC_MAX) bytes.  When max > 0,
 * stop before the string's content (what a JSON reader gets back: after
 * repair, before escaping) would exceed max bytes, never inside a
 * character or an escape.  The common case inline: all clean.
 */
char *ot_w_json_str_slow(char *o, const unsigned char *s, size_t len,
                         size_t max);

static OT_INLINE char *ot_w_json_str(char *o, const char *s, size_t len,
                                     size_t max)
{
    size_t n = ot_str_lim(len, max);

    if (ot_copy_clean(o + 1, (const unsigned char *)s, n, 1)) {
        o[0] = '"';
        o[n + 1] = '"';
        return o + n + 2;
    }
    return ot_w_json_str_slow(o, (const unsigned char *)s, len, max);
}

static OT_INLINE char *ot_w_json_ostr(char *o, ot_str s, size_t max)
{
    return ot_w_json_str(o, s.ptr, s.ptr ? s.len : 0, max);
}

/*
 * Walk s (len bytes) as valid UTF-8 cut to at most max bytes of output (0:
 * no limit), never inside a character: invalid sequences count as U+FFFD
 * (3 bytes).  Writes the output at o unless o is NULL.  Returns the output
 * length; *clean tells whether the output is just the first that many
 * bytes of s (nothing was replaced).
 */
size_t ot_utf8_repair(const unsigned char *s, size_t len, size_t max,
                      unsigned char *o, int *clean);

/* Append s (len bytes) as a JSON string literal with quotes, as
 * ot_w_json_str() writes it (max 0: not cut). */
void ot_json_put_string(ot_buf *b, const char *s, size_t len, uint32_t max);

/* ---- room -------------------------------------------------------------- */

/*
 * Writing a piece of at most bound bytes straight into b: ot_wr_begin()
 * makes the room and returns where to write (NULL when the buffer has
 * failed), ot_wr_end() takes the end of what was written.  Close to b's
 * limit, where the bound may not fit although the piece does, the piece
 * goes to a scratch buffer first, and then to b if it fits.
 */
typedef struct ot_wr {
    ot_buf *b;
    char *end;                  /* the end of the room made */
    ot_buf aside;
    int use_aside;
} ot_wr;

char *ot_wr_begin(ot_wr *w, ot_buf *b, uint64_t bound);
void ot_wr_end(ot_wr *w, char *o);
/* The piece did not fit its bound after all (cannot happen): b fails. */
int ot_wr_abort(ot_wr *w);

/*
 * The room attributes take, for the encoders' per-list room checks.  An
 * attribute with a short key (up to OT_KEY_SHORT bytes) and a short or no
 * string value (up to OT_VALUE_SHORT bytes) takes at most
 * OT_ATTR_ROOM(esc); a long key OT_STR_ROOM(klen, esc) more, a long value
 * (cut to lim) OT_STR_ROOM(lim, esc) more.  A number takes less than a
 * short string.
 */
#define OT_KEY_SHORT 48
#define OT_VALUE_SHORT 64
#define OT_ATTR_ROOM(esc) (24 + OT_STR_ROOM(OT_KEY_SHORT, esc) \
                           + OT_STR_ROOM(OT_VALUE_SHORT, esc))

/* The value of a that may be cut to lim bytes: its length, or 0. */
static inline size_t ot_attr_value_lim(const ot_attribute *a, size_t lim)
{
    if (a->type != OT_VALUE_STRING) {
        return 0;
    }
    return a->v.s.len < lim ? a->v.s.len : lim;
}

/* The items of a string array (none when items is NULL). */
static inline uint32_t ot_str_array_n(const ot_str_array *sa)
{
    return sa->items ? sa->n : 0;
}

/* The room a string array value takes, items cut to lim bytes, beyond the
 * short value that OT_ATTR_ROOM counts: each item's string and its
 * framing (OT_ARRAY_ITEM_ROOM: JSON's {"stringValue":...}, or protobuf's
 * AnyValue around it), the array's framing (twice that: JSON's
 * "arrayValue":{"values":[...]}, protobuf's tags and lengths). */
#define OT_ARRAY_ITEM_ROOM 24
uint64_t ot_str_array_room(const ot_str_array *sa, size_t lim,
                           unsigned esc);

/* The room the value of a takes beyond the short value of OT_ATTR_ROOM. */
static inline uint64_t ot_attr_value_room(const ot_attribute *a, size_t lim,
                                          unsigned esc)
{
    size_t vlim;

    if (a->type == OT_VALUE_STRING_ARRAY) {
        return ot_str_array_room(&a->v.sa, lim, esc);
    }
    vlim = ot_attr_value_lim(a, lim);
    return vlim > OT_VALUE_SHORT ? OT_STR_ROOM(vlim, esc) : 0;
}

/* The room for the n attributes at a (none when a is NULL), string values
 * cut to lim bytes, esc bytes out for one in. */
uint64_t ot_attrs_bound(const ot_attribute *a, uint32_t n, size_t lim,
                        unsigned esc);

#endif /* OT_WRITE_H */
