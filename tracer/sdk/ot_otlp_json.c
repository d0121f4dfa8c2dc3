/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_json.c: the OTLP/JSON encoder (see ot_otlp_json.h).
 *
 * Field names, their order and the omission of default values follow the
 * OTLP/JSON rules of opentelemetry-proto (docs/specification.md, "JSON
 * Protobuf Encoding"): trace and span ids in lowercase hex, enums as
 * integers, 64-bit integers (int64, fixed64) as decimal strings, 32-bit
 * integers as JSON numbers, fields left out when they hold their default.
 *
 * This runs for every exported span, so it writes straight into the
 * buffer with a plain pointer, checking the room left a few times a span
 * (see "Room" below); strings are copied and checked for characters to
 * escape at once, 16 bytes at a time; numbers are formatted without
 * division loops; the JSON of attribute keys is remembered.  No printf
 * except for doubles, no allocation beyond the buffer's own growth (but
 * close to its limit, see write_begin()).
 */

#include "ot_utf8.h"
#include "ot_otlp_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SSE2 (every x86-64) checks 16 bytes at once; elsewhere, or with
 * OT_NO_SIMD, eight at a time in a 64-bit word. */
#if defined(__SSE2__) && !defined(OT_NO_SIMD)
#define OT_SSE2 1
#include <emmintrin.h>
#endif

/* opentelemetry-proto trace.proto, enum SpanFlags. */
#define OT_SPAN_FLAGS_TRACE_FLAGS_MASK           0x000000ffu
#define OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK 0x00000100u
#define OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK     0x00000200u

/* Small helpers the compiler must inline into the hot loops. */
#if defined(__GNUC__)
#define OT_INLINE inline __attribute__((always_inline))
#define OT_NOINLINE __attribute__((noinline))
#else
#define OT_INLINE inline
#define OT_NOINLINE
#endif

/* Bytes of output for one byte of string content at most ("\u00XX"). */
#define OT_JSON_ESC_MAX 6

/*
 * What to do with each byte inside a string literal:
 *   0    copy as is
 *   'u'  write \u00XX
 *   'b', 't', 'n', 'f', 'r', '"', '\\'  write a backslash and that letter
 *   'U'  a byte >= 0x80: decode UTF-8, copy a valid sequence, repair others
 */
static const unsigned char json_class[256] = {
    /* 0x00 */ 'u','u','u','u','u','u','u','u','b','t','n','u','f','r','u','u',
    /* 0x10 */ 'u','u','u','u','u','u','u','u','u','u','u','u','u','u','u','u',
    /* 0x20 */ 0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
    /* 0x60 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x80 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0x90 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xa0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xb0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xc0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xd0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xe0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U',
    /* 0xf0 */ 'U','U','U','U','U','U','U','U','U','U','U','U','U','U','U','U'
};

static const char hex_digits[] = "0123456789abcdef";

#if !defined(OT_SSE2)
/* Every byte value as two lowercase hex digits. */
static const char hex_pairs[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
#endif

/*
 * Whether a word holds a byte that needs escaping or repair (json_class
 * not 0): a byte below 0x20, one with the high bit, '"' or '\\' (the
 * classic "has a zero byte" test on w - 0x20, w ^ '"' and w ^ '\\').  A
 * subtraction borrows out of a byte only when that byte is itself one of
 * these, so a word is flagged exactly when it holds one; which byte it is
 * may be misreported, and is not asked.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static OT_INLINE uint64_t needs_escape64(uint64_t w)
{
    return ((w - ONES * 0x20) | w
            | ((w ^ (ONES * '"')) - ONES)
            | ((w ^ (ONES * '\\')) - ONES)) & HIGHS;
}

/*
 * Length of the prefix of s[0, n) that needs no escaping (json_class 0),
 * eight bytes at a time, then byte by byte from the first flagged word.
 */
static inline size_t clean_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (needs_escape64(w)) {
            break;
        }
    }
    while (i < n && json_class[s[i]] == 0) {
        i++;
    }
    return i;
}

#if defined(OT_SSE2)
/* The bytes of v that need escaping or repair: below 0x20 or from 0x80
 * (below 0x20 as signed bytes), '"' and '\\'. */
static OT_INLINE __m128i needs_escape128(__m128i v)
{
    return _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                     _mm_cmpeq_epi8(v,
                                                    _mm_set1_epi8('\\'))));
}
#endif

/*
 * Copy the n bytes at s to o and tell whether none of them needs escaping
 * or repair: 16 (or 8) bytes at a time, the last block overlapping the one
 * before, short strings with two overlapping halves or three single bytes.
 * Most strings are short clean ASCII and cost a few instructions.  Writes
 * exactly o[0, n), whatever the answer.
 */
static OT_INLINE int copy_clean(char *o, const unsigned char *s, size_t n)
{
    uint32_t h, t;
#if defined(OT_SSE2)
    __m128i v, lo, hi, bad;
    size_t i;

    if (n >= 16) {
        bad = _mm_setzero_si128();
        for (i = 0; i + 16 < n; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)(o + i), v);
            bad = _mm_or_si128(bad, needs_escape128(v));
        }
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)(o + n - 16), v);
        bad = _mm_or_si128(bad, needs_escape128(v));
        return _mm_movemask_epi8(bad) == 0;
    }
    if (n >= 8) {
        lo = _mm_loadl_epi64((const __m128i *)(const void *)s);
        hi = _mm_loadl_epi64((const __m128i *)(const void *)(s + n - 8));
        _mm_storel_epi64((__m128i *)(void *)o, lo);
        _mm_storel_epi64((__m128i *)(void *)(o + n - 8), hi);
        return _mm_movemask_epi8(
                   needs_escape128(_mm_unpacklo_epi64(lo, hi))) == 0;
    }
    if (n >= 4) {
        memcpy(&h, s, 4);
        memcpy(&t, s + n - 4, 4);
        memcpy(o, &h, 4);
        memcpy(o + n - 4, &t, 4);
        v = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)h),
                               _mm_cvtsi32_si128((int)t));
        return (_mm_movemask_epi8(needs_escape128(v)) & 0xff) == 0;
    }
#else
    uint64_t w, bad = 0;
    size_t i;

    if (n >= 8) {
        for (i = 0; i + 8 < n; i += 8) {
            memcpy(&w, s + i, 8);
            bad |= needs_escape64(w);
            memcpy(o + i, &w, 8);
        }
        memcpy(&w, s + n - 8, 8);
        bad |= needs_escape64(w);
        memcpy(o + n - 8, &w, 8);
        return bad == 0;
    }
    if (n >= 4) {
        memcpy(&h, s, 4);
        memcpy(&t, s + n - 4, 4);
        memcpy(o, &h, 4);
        memcpy(o + n - 4, &t, 4);
        /* both halves in one word: they cover every byte */
        return needs_escape64(h | (uint64_t)t << 32) == 0;
    }
#endif
    if (n) {
        unsigned char a = s[0], m = s[n / 2], z = s[n - 1];

        o[0] = (char)a;
        o[n / 2] = (char)m;
        o[n - 1] = (char)z;
        return (json_class[a] | json_class[m] | json_class[z]) == 0;
    }
    return 1;
}

/* ---- raw writers: the caller has made room ---------------------------- */

static inline char *w_raw(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

/* A string literal without its terminating NUL (a fixed-size copy). */
#define W_LIT(o, s) w_raw((o), (s), sizeof(s) - 1)

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* Store the eight bytes of v at o, the lowest first. */
static inline void store_le64(char *o, uint64_t v)
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
 * The eight decimal digits of n < 10^8 (with leading zeros), as the values
 * 0 to 9 in the bytes of a word, the first digit in the lowest byte: the
 * two halves of four digits side by side in 32-bit lanes, split into two
 * digits in 16-bit lanes, then into one in bytes, by multiplying by a
 * reciprocal (exact for these ranges: x / 100 == x * 5243 >> 19 for x <
 * 43699, x / 10 == x * 103 >> 10 for x < 179), all lanes at once.
 */
static inline uint64_t digits8(uint32_t n)
{
    uint64_t x = (n / 10000) | ((uint64_t)(n % 10000) << 32);
    uint64_t h = ((x * 5243) >> 19) & 0x0000007f0000007fULL;

    x = h | ((x - h * 100) << 16);
    h = ((x * 103) >> 10) & 0x000f000f000f000fULL;
    return h | ((x - h * 10) << 8);
}

#if defined(__GNUC__)
#define CTZ64(x) ((unsigned)__builtin_ctzll(x))
#else
static inline unsigned CTZ64(uint64_t x)
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
    uint64_t x = digits8(v);
    /* the leading zero digits are the low zero bytes */
    unsigned z = CTZ64(x) & ~7u;

    store_le64(o, (x >> z) | 0x3030303030303030ULL);
    return o + 8 - z / 8;
}

/* w_u64() of v >= 10^4. */
static OT_NOINLINE char *w_u64_long(char *o, uint64_t v)
{
    uint64_t hi;
    uint32_t lo;

    if (v < 100000000) {
        return w_u32_digits(o, (uint32_t)v);
    }
    hi = v / 100000000;
    lo = (uint32_t)(v - hi * 100000000);
    if (hi < 10) {
        *o++ = (char)('0' + hi);
    }
    else if (hi < 100000000) {
        o = w_u32_digits(o, (uint32_t)hi);
    }
    else {
        uint64_t top = hi / 100000000;     /* below 1845 */

        o = top < 10 ? (*o = (char)('0' + top), o + 1)
                     : w_u32_digits(o, (uint32_t)top);
        store_le64(o, digits8((uint32_t)(hi - top * 100000000))
                      | 0x3030303030303030ULL);
        o += 8;
    }
    store_le64(o, digits8(lo) | 0x3030303030303030ULL);
    return o + 8;
}

/* v in decimal at o (room for 20 bytes, of which some past the number may
 * be overwritten); returns the end. */
static OT_INLINE char *w_u64(char *o, uint64_t v)
{
    if (v < 100) {
        if (v < 10) {
            *o = (char)('0' + v);
            return o + 1;
        }
        memcpy(o, digit_pairs + 2 * v, 2);
        return o + 2;
    }
    if (v < 10000) {
        uint32_t q = (uint32_t)v / 100, r = (uint32_t)v % 100;

        if (q < 10) {
            *o = (char)('0' + q);
            memcpy(o + 1, digit_pairs + 2 * r, 2);
            return o + 3;
        }
        memcpy(o, digit_pairs + 2 * q, 2);
        memcpy(o + 2, digit_pairs + 2 * r, 2);
        return o + 4;
    }
    return w_u64_long(o, v);
}

/* v in decimal between double quotes, as JSON wants 64-bit integers. */
static OT_INLINE char *w_quoted_i64(char *o, int64_t v)
{
    *o++ = '"';
    if (v < 0) {
        *o++ = '-';
        /* -(v + 1) + 1: no overflow at INT64_MIN */
        o = w_u64(o, (uint64_t)(-(v + 1)) + 1u);
    }
    else {
        o = w_u64(o, (uint64_t)v);
    }
    *o++ = '"';
    return o;
}

#if defined(OT_SSE2)
/* The 16 (or the first 8) bytes in v as 32 (16) lowercase hex digits at o:
 * each byte's two nibbles side by side, then '0' + d, and 'a' - 10 + d
 * from 10. */
static OT_INLINE __m128i hex_digits128(__m128i nibbles)
{
    __m128i letter = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));

    return _mm_add_epi8(nibbles,
                        _mm_add_epi8(_mm_set1_epi8('0'),
                                     _mm_and_si128(letter,
                                                   _mm_set1_epi8('a' - '0'
                                                                 - 10))));
}

static OT_INLINE void hex16(char *o, __m128i v, int both)
{
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
    __m128i lo = _mm_and_si128(v, mask);

    _mm_storeu_si128((__m128i *)(void *)o,
                     hex_digits128(_mm_unpacklo_epi8(hi, lo)));
    if (both) {
        _mm_storeu_si128((__m128i *)(void *)(o + 16),
                         hex_digits128(_mm_unpackhi_epi8(hi, lo)));
    }
}
#endif

/* n (8 or 16) bytes as lowercase hex between double quotes. */
static OT_INLINE char *w_quoted_hex(char *o, const uint8_t *bytes, size_t n)
{
    size_t i;

    *o++ = '"';
#if defined(OT_SSE2)
    if (n == 16) {
        hex16(o, _mm_loadu_si128((const __m128i *)(const void *)bytes), 1);
    }
    else {
        hex16(o, _mm_loadl_epi64((const __m128i *)(const void *)bytes), 0);
    }
    (void)i;
#else
    for (i = 0; i < n; i++) {
        memcpy(o + 2 * i, hex_pairs + 2 * bytes[i], 2);
    }
#endif
    o += 2 * n;
    *o++ = '"';
    return o;
}

/* Room for a double at most (a sign, 17 digits, a point, an exponent). */
#define OT_JSON_DOUBLE_MAX 40

/*
 * A double as protobuf's JSON mapping writes it: a number, or one of the
 * strings "NaN", "Infinity", "-Infinity".  The shortest of %.15g, %.16g
 * and %.17g that reads back as the same value (%.17g always does).
 */
static char *w_double(char *o, double d)
{
    char tmp[OT_JSON_DOUBLE_MAX];
    int prec, n = 0;
    char *p;

    if (isnan(d)) {
        return W_LIT(o, "\"NaN\"");
    }
    if (isinf(d)) {
        return d > 0 ? W_LIT(o, "\"Infinity\"") : W_LIT(o, "\"-Infinity\"");
    }
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (n <= 0 || (size_t)n >= sizeof(tmp)) {
            /* cannot happen for a finite double; stay valid JSON */
            return W_LIT(o, "0");
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
    return w_raw(o, tmp, (size_t)n);
}

/* ---- strings ---------------------------------------------------------- */


/* The most input a string can consume: len, or max when that is less. */
static inline size_t str_lim(size_t len, size_t max)
{
    return (max && max < len) ? max : len;
}

/* The most bytes w_string() writes for a string of len bytes. */
static inline uint64_t str_bound(size_t len, size_t max)
{
    return (uint64_t)str_lim(len, max) * OT_JSON_ESC_MAX + 2;
}

/*
 * Write s as a JSON string literal at o, escaped and repaired (room for
 * str_bound(len, max) bytes).  When max > 0, stop before the string's
 * content (the bytes a JSON reader gets back: after repair, before
 * escaping) would exceed max bytes; as every input byte yields at least one
 * content byte, that also keeps to at most max input bytes.  Never cuts a
 * character or an escape.  Every content byte takes at most
 * OT_JSON_ESC_MAX bytes of output.
 */
static OT_NOINLINE char *w_string_slow(char *o, const unsigned char *s,
                                       size_t len, size_t max)
{
    size_t i = 0, rem = max ? max : (size_t)-1;

    *o++ = '"';
    while (i < len) {
        size_t r, seq, bad;
        unsigned c;

        r = clean_prefix(s + i, len - i);
        if (r) {
            if (r > rem) {
                r = rem;
            }
            memcpy(o, s + i, r);
            o += r;
            i += r;
            rem -= r;
            if (i == len || rem == 0) {
                break;
            }
        }
        c = s[i];
        switch (json_class[c]) {
        case 'U':
            seq = ot_utf8_seq(s + i, len - i, &bad);
            if (seq) {
                if (seq > rem) {
                    goto done;
                }
                memcpy(o, s + i, seq);
                o += seq;
                i += seq;
                rem -= seq;
            }
            else {
                if (rem < 3) {
                    goto done;
                }
                *o++ = (char)0xef;
                *o++ = (char)0xbf;
                *o++ = (char)0xbd;
                i += bad;
                rem -= 3;
            }
            break;
        case 'u':
            o[0] = '\\';
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hex_digits[c >> 4];
            o[5] = hex_digits[c & 0x0f];
            o += 6;
            i++;
            rem--;
            break;
        default:
            o[0] = '\\';
            o[1] = (char)json_class[c];
            o += 2;
            i++;
            rem--;
            break;
        }
        if (rem == 0) {
            break;
        }
    }
done:
    *o++ = '"';
    return o;
}

/* The same, with the common case first: the first lim bytes all clean
 * (then they are the content, cut or not). */
static OT_INLINE char *w_string(char *o, const unsigned char *s,
                                size_t len, size_t max)
{
    size_t n = str_lim(len, max);

    if (copy_clean(o + 1, s, n)) {
        o[0] = '"';
        o[n + 1] = '"';
        return o + n + 2;
    }
    return w_string_slow(o, s, len, max);
}

static OT_INLINE char *w_str(char *o, ot_str s, size_t max)
{
    return w_string(o, (const unsigned char *)s.ptr, s.ptr ? s.len : 0,
                    max);
}

static inline int str_set(ot_str s)
{
    return s.ptr && s.len;
}

/* ---- room ------------------------------------------------------------- */

/*
 * Writing a piece of at most bound bytes straight into b: where to write,
 * or NULL when the buffer has failed.  Close to b's limit, where the bound
 * may not fit although the piece does, the piece goes to a scratch buffer
 * first, and then to b if it fits.
 */
typedef struct writer {
    ot_buf *b;
    char *end;                  /* the end of the room made */
    ot_buf aside;
    int use_aside;
} writer;

static inline char *write_begin(writer *w, ot_buf *b, uint64_t bound)
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

/* The piece ends at o. */
static inline void write_end(writer *w, char *o)
{
    if (w->use_aside) {
        ot_buf_append(w->b, w->aside.data, (size_t)(o - w->aside.data));
        ot_buf_free(&w->aside);
    }
    else {
        w->b->len = (size_t)(o - w->b->data);
    }
}

/* The piece did not fit its bound after all (cannot happen). */
static int write_abort(writer *w)
{
    if (w->use_aside) {
        ot_buf_free(&w->aside);
    }
    w->b->failed = 1;
    return -1;
}

/* Append a string literal with the room checked. */
static void put_raw(ot_buf *b, const char *s, size_t n)
{
    writer w;
    char *o = write_begin(&w, b, n);

    if (o) {
        write_end(&w, w_raw(o, s, n));
    }
}

#define PUT_LIT(b, s) put_raw((b), (s), sizeof(s) - 1)

void ot_json_put_string(ot_buf *b, const char *s, size_t len, uint32_t max)
{
    writer w;
    char *o;

    if (!s) {
        len = 0;
    }
    o = write_begin(&w, b, str_bound(len, max));
    if (o) {
        write_end(&w, w_string(o, (const unsigned char *)s, len, max));
    }
}

/* ---- attribute keys --------------------------------------------------- */

/*
 * Attribute keys are few and long-lived (constants and configuration, see
 * ot_queue.h): their JSON, ",{\"key\":\"...\",\"value\":{", is remembered
 * by each encoder call (see key_memo below), and from one call to the next
 * in a small cache of the caller's (ot_json_options.key_cache), found by
 * the key's address (in one of KEY_CACHE_WAYS slots from its hash) and
 * checked against a copy of the key once per call (keys do not change
 * during one).
 */
#define KEY_CACHE_SLOTS 128         /* a power of two */
#define KEY_CACHE_WAYS 4
#define KEY_CACHE_MAX 48            /* longer keys are not cached */
#define KEY_FRAG_MAX 64             /* nor keys whose JSON is longer */

typedef struct key_slot {           /* 128 bytes */
    const char *ptr;
    uint16_t len;
    uint16_t frag_len;
    uint32_t checked;               /* the call that last checked the key */
    char key[KEY_CACHE_MAX];
    char frag[KEY_FRAG_MAX];
} key_slot;

struct ot_json_key_cache {
    /* a key's ways are the slots from its hash on, without wrapping */
    key_slot slots[KEY_CACHE_SLOTS + KEY_CACHE_WAYS - 1];
    uint32_t call;                  /* encoder calls, from 1 */
    unsigned next;                  /* the way to evict next */
};

ot_json_key_cache *ot_json_key_cache_create(void)
{
    return calloc(1, sizeof(ot_json_key_cache));
}

void ot_json_key_cache_destroy(ot_json_key_cache *c)
{
    free(c);
}

/* A new encoder call: keys must be checked again. */
static void key_cache_next_call(ot_json_key_cache *c)
{
    size_t i;

    if (++c->call == 0) {
        /* wrapped: no slot may look checked by this call */
        for (i = 0; i < KEY_CACHE_SLOTS + KEY_CACHE_WAYS - 1; i++) {
            c->slots[i].checked = 0;
        }
        c->call = 1;
    }
}

static inline size_t key_hash(const char *p)
{
    return (size_t)(((uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15))
                    >> 57) % KEY_CACHE_SLOTS;
}

/* Whether the n bytes (at most KEY_CACHE_MAX) at a and b are equal. */
static int same_bytes(const char *a, const char *b, size_t n)
{
    uint64_t x, y, d = 0;
    size_t i;

    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    return d == 0 && memcmp(a + i, b + i, n - i) == 0;
}

/* ",{\"key\":" and the key as a string, then ",\"value\":{". */
static OT_INLINE char *w_key_plain(char *o, ot_str k)
{
    o = W_LIT(o, ",{\"key\":");
    o = w_str(o, k, 0);
    return W_LIT(o, ",\"value\":{");
}

/*
 * ",{\"key\":\"...\",\"value\":{" from the cache c: found by its address,
 * its bytes checked once per call, or written and kept in a slot (keys not
 * cached written out).
 */
static char *w_key_cached(char *o, ot_str k, ot_json_key_cache *c)
{
    size_t h;
    key_slot *ks = NULL;
    char *start = o;
    unsigned j;

    if (!k.ptr || k.len > KEY_CACHE_MAX) {
        return w_key_plain(o, k);
    }
    h = key_hash(k.ptr);
    for (j = 0; j < KEY_CACHE_WAYS; j++) {
        key_slot *t = &c->slots[h + j];

        if (t->ptr == k.ptr) {
            if (t->len == k.len
                && (t->checked == c->call
                    || same_bytes(t->key, k.ptr, k.len))) {
                t->checked = c->call;
                memcpy(o, t->frag, t->frag_len);
                return o + t->frag_len;
            }
            ks = t;             /* the same address, another key */
            break;
        }
        if (!t->ptr) {
            ks = t;             /* slots are never emptied: not further */
            break;
        }
    }
    if (!ks) {
        ks = &c->slots[h + c->next++ % KEY_CACHE_WAYS];
    }
    o = w_key_plain(o, k);
    if ((size_t)(o - start) <= KEY_FRAG_MAX) {
        ks->ptr = k.ptr;
        ks->len = (uint16_t)k.len;
        ks->checked = c->call;
        memcpy(ks->key, k.ptr, k.len);
        ks->frag_len = (uint16_t)(o - start);
        memcpy(ks->frag, start, ks->frag_len);
    }
    return o;
}

/* ---- OTLP messages ---------------------------------------------------- */

/*
 * Most spans have the same keys in the same order: one encoder call
 * remembers the JSON of the key at each place of a list of attributes, to
 * copy it at once (a whole KEY_FRAG_MAX) when the key at that place has
 * the same address and length again.  Keys do not change during a call.
 */
#define KEY_MEMOS 32

typedef struct key_memo {
    const char *ptr;            /* no key's address at first */
    uint32_t len;
    uint32_t frag_len;
    char frag[KEY_FRAG_MAX];
} key_memo;

/* What the writers of one encoder call share. */
typedef struct jctx {
    size_t max;                 /* string values cut to this; 0: not cut */
    size_t lim;                 /* max, or SIZE_MAX */
    ot_json_key_cache *cache;
    uint64_t ts_hi;             /* the last timestamp / 10^8 ... */
    size_t ts_len;
    char ts_text[24];           /* ... in decimal (ts_len bytes) */
    key_memo memo[KEY_MEMOS];
} jctx;

/* w_key() past the memo: from the cache or written out, then
 * remembered. */
static OT_NOINLINE char *w_key_memo(char *o, ot_str k, jctx *x, key_memo *m)
{
    char *start = o;

    o = x->cache ? w_key_cached(o, k, x->cache) : w_key_plain(o, k);
    if (k.ptr && (size_t)(o - start) <= KEY_FRAG_MAX) {
        m->ptr = k.ptr;
        m->len = k.len;
        m->frag_len = (uint32_t)(o - start);
        memcpy(m->frag, start, m->frag_len);
    }
    return o;
}

/* ",{\"key\":\"...\",\"value\":{" at o, for the key at the place of m:
 * room for the larger of str_bound(k.len, 0) + 20 and KEY_FRAG_MAX. */
static OT_INLINE char *w_key(char *o, ot_str k, jctx *x, key_memo *m)
{
    if (m->ptr == k.ptr && m->len == k.len) {
        memcpy(o, m->frag, KEY_FRAG_MAX);
        return o + m->frag_len;
    }
    return w_key_memo(o, k, x, m);
}

/*
 * Room.  The writers store with a plain pointer.  A span is first written
 * where the buffer has room, checking as it goes: once for its fixed parts
 * and small strings, once per array of attributes, and once more for each
 * long key or string value.  Should the room run out, the writer returns
 * NULL and the span is written again after making room for span_bound()
 * bytes, an upper bound of its size (every string byte counted as an
 * escape) that makes those checks pass.
 *
 * An attribute with a short key (up to KEY_SHORT bytes) and a short or no
 * string value (up to VALUE_SHORT bytes) takes at most ATTR_ROOM bytes: the
 * key written out (6 * KEY_SHORT + 20) or a whole KEY_FRAG_MAX fragment
 * copied from the cache, then "\"stringValue\":\"", the value escaped and
 * "\"}}" (6 * VALUE_SHORT + 18), or a number (a double: 55).  A long key
 * takes KEY_ROOM(klen) bytes, a long value VALUE_ROOM(lim) more.
 */
#define KEY_SHORT KEY_CACHE_MAX
#define VALUE_SHORT 64
#define KEY_ROOM(klen) ((uint64_t)(klen) * OT_JSON_ESC_MAX + 20)
#define VALUE_ROOM(lim) ((uint64_t)(lim) * OT_JSON_ESC_MAX + 18)
#define ATTR_ROOM (KEY_ROOM(KEY_SHORT) + VALUE_ROOM(VALUE_SHORT) + 10)

static inline size_t room_left(const char *o, const char *end)
{
    return (size_t)(end - o);
}

/* The room w_attributes() needs for them (with the ']', or "[]"). */
static uint64_t attributes_bound(const ot_attribute *a, uint32_t n,
                                 const jctx *x)
{
    uint64_t total = (uint64_t)n * ATTR_ROOM + 2;
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (a[i].key.len > KEY_SHORT) {
            total += KEY_ROOM(a[i].key.len);
        }
        if (a[i].type == OT_VALUE_STRING) {
            size_t lim = a[i].v.s.len < x->lim ? a[i].v.s.len : x->lim;

            if (lim > VALUE_SHORT) {
                total += VALUE_ROOM(lim);
            }
        }
    }
    return total;
}

/* A timestamp (or any 64-bit number) in decimal: the digits but the last
 * eight come from the last one when they are the same. */
static OT_INLINE char *w_ts(char *o, uint64_t v, jctx *x)
{
    uint64_t hi;

    if (v < 100000000) {
        return w_u64(o, v);
    }
    hi = v / 100000000;
    if (hi != x->ts_hi) {
        x->ts_len = (size_t)(w_u64(x->ts_text, hi) - x->ts_text);
        x->ts_hi = hi;
    }
    /* at most 12 digits (hi < 1.9 * 10^11) */
    memcpy(o, x->ts_text, 16);
    o += x->ts_len;
    store_le64(o, digits8((uint32_t)(v - hi * 100000000))
                  | 0x3030303030303030ULL);
    return o + 8;
}

static OT_INLINE char *w_quoted_ts(char *o, uint64_t v, jctx *x)
{
    *o++ = '"';
    o = w_ts(o, v, x);
    *o++ = '"';
    return o;
}

/* The array of the n attributes at a, or NULL when end comes first: after
 * checking that room for ATTR_ROOM each and the ']' is left (and so on,
 * see above).  The first one's comma becomes the '[' (with none, "[]"). */
static char *w_attributes(char *o, char *end, const ot_attribute *a,
                          uint32_t n, jctx *x)
{
    const ot_attribute *stop = a + n;
    char *open = o;
    unsigned j = 0;

    if (room_left(o, end) < (uint64_t)n * ATTR_ROOM + 2) {
        return NULL;
    }
    for (; a < stop; a++, j++) {
        if (a->key.len > KEY_SHORT
            && room_left(o, end) < KEY_ROOM(a->key.len)
                                   + (uint64_t)(stop - a) * ATTR_ROOM + 2) {
            return NULL;
        }
        o = w_key(o, a->key, x, &x->memo[j % KEY_MEMOS]);
        switch (a->type) {
        case OT_VALUE_STRING: {
            const unsigned char *p = (const unsigned char *)a->v.s.ptr;
            size_t len = p ? a->v.s.len : 0;
            size_t lim = len < x->lim ? len : x->lim;

            if (lim > VALUE_SHORT
                && room_left(o, end) < VALUE_ROOM(lim)
                                       + (uint64_t)(stop - a - 1) * ATTR_ROOM
                                       + 2) {
                return NULL;
            }
            o = W_LIT(o, "\"stringValue\":\"");
            if (copy_clean(o, p, lim)) {
                o = W_LIT(o + lim, "\"}}");
            }
            else {
                o = W_LIT(w_string_slow(o - 1, p, len, x->max), "}}");
            }
            continue;
        }
        case OT_VALUE_BOOL:
            if (a->v.b) {
                o = W_LIT(o, "\"boolValue\":true}}");
            }
            else {
                o = W_LIT(o, "\"boolValue\":false}}");
            }
            continue;
        case OT_VALUE_INT:
            o = W_LIT(o, "\"intValue\":");
            o = w_quoted_i64(o, a->v.i);
            break;
        case OT_VALUE_DOUBLE:
            o = W_LIT(o, "\"doubleValue\":");
            o = w_double(o, a->v.d);
            break;
        default:
            /* unknown type: an AnyValue with nothing set */
            break;
        }
        o = W_LIT(o, "}}");
    }
    *open = '[';
    *o++ = ']';
    return o;
}

/*
 * Objects whose fields are all optional: each field is written after a
 * comma, then the first comma becomes the '{' (or, with no field, "{}").
 */
static inline char *end_object(char *o, char *open)
{
    if (o == open) {
        return W_LIT(o, "{}");
    }
    *open = '{';
    *o++ = '}';
    return o;
}

#define EVENT_FIXED 80

static uint64_t event_bound(const ot_event *e, const jctx *x)
{
    uint64_t n = EVENT_FIXED + str_bound(e->name.len, 0);

    if (e->attributes) {
        n += attributes_bound(e->attributes, e->n_attributes, x);
    }
    return n;
}

static char *w_event(char *o, char *end, const ot_event *e, jctx *x)
{
    char *open = o;

    if (e->time_ns) {
        o = W_LIT(o, ",\"timeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)e->time_ns, x);
    }
    if (str_set(e->name)) {
        o = W_LIT(o, ",\"name\":");
        o = w_str(o, e->name, 0);
    }
    if (e->n_attributes && e->attributes) {
        o = W_LIT(o, ",\"attributes\":");
        if (!(o = w_attributes(o, end, e->attributes, e->n_attributes, x))) {
            return NULL;
        }
    }
    return end_object(o, open);
}

#define LINK_FIXED 128

static uint64_t link_bound(const ot_link *l, const jctx *x)
{
    uint64_t n = LINK_FIXED + str_bound(l->trace_state.len, 0);

    if (l->attributes) {
        n += attributes_bound(l->attributes, l->n_attributes, x);
    }
    return n;
}

static char *w_link(char *o, char *end, const ot_link *l, jctx *x)
{
    o = W_LIT(o, "{\"traceId\":");
    o = w_quoted_hex(o, l->trace_id, sizeof(l->trace_id));
    o = W_LIT(o, ",\"spanId\":");
    o = w_quoted_hex(o, l->span_id, sizeof(l->span_id));
    if (str_set(l->trace_state)) {
        o = W_LIT(o, ",\"traceState\":");
        o = w_str(o, l->trace_state, 0);
    }
    if (l->n_attributes && l->attributes) {
        o = W_LIT(o, ",\"attributes\":");
        if (!(o = w_attributes(o, end, l->attributes, l->n_attributes, x))) {
            return NULL;
        }
    }
    if (l->flags) {
        /* Only the W3C trace flags: whether a link is remote is unknown. */
        o = W_LIT(o, ",\"flags\":");
        o = w_u64(o, l->flags);
    }
    *o++ = '}';
    return o;
}

static inline int is_zero8(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v == 0;
}

/* Room for the parts of a span before its attributes (the comma before it,
 * ids, numbers, field names) besides its strings, and for those after. */
#define HEAD_FIXED 320
#define TAIL_FIXED 256

static inline uint64_t head_bound(const ot_span_record *s)
{
    return HEAD_FIXED + str_bound(s->trace_state.len, 0)
           + str_bound(s->name.len, 0);
}

static inline uint64_t tail_bound(const ot_span_record *s, const jctx *x)
{
    uint64_t n = TAIL_FIXED + str_bound(s->status_message.len, 0);
    uint32_t i;

    if (s->events) {
        for (i = 0; i < s->n_events; i++) {
            n += 1 + event_bound(&s->events[i], x);
        }
    }
    if (s->links) {
        for (i = 0; i < s->n_links; i++) {
            n += 1 + link_bound(&s->links[i], x);
        }
    }
    return n;
}

/* The most bytes w_span() writes for s. */
static uint64_t span_bound(const ot_span_record *s, const jctx *x)
{
    uint64_t n = head_bound(s) + tail_bound(s, x);

    if (s->attributes) {
        n += attributes_bound(s->attributes, s->n_attributes, x);
    }
    return n;
}

/* The span, after a comma if comma; NULL when end comes first. */
static char *w_span(char *o, char *end, const ot_span_record *s, int comma,
                    jctx *x)
{
    uint32_t flags = s->flags & OT_SPAN_FLAGS_TRACE_FLAGS_MASK;
    uint64_t head = head_bound(s), tail = tail_bound(s, x);
    uint32_t i;

    if (room_left(o, end) < head + tail) {
        return NULL;
    }
    if (comma) {
        *o++ = ',';
    }
    o = W_LIT(o, "{\"traceId\":");
    o = w_quoted_hex(o, s->trace_id, sizeof(s->trace_id));
    o = W_LIT(o, ",\"spanId\":");
    o = w_quoted_hex(o, s->span_id, sizeof(s->span_id));
    if (str_set(s->trace_state)) {
        o = W_LIT(o, ",\"traceState\":");
        o = w_str(o, s->trace_state, 0);
    }
    if (!is_zero8(s->parent_span_id)) {
        o = W_LIT(o, ",\"parentSpanId\":");
        o = w_quoted_hex(o, s->parent_span_id, sizeof(s->parent_span_id));
        flags |= OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK;
        if (s->parent_is_remote) {
            flags |= OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK;
        }
    }
    if (flags) {
        o = W_LIT(o, ",\"flags\":");
        o = w_u64(o, flags);
    }
    if (str_set(s->name)) {
        o = W_LIT(o, ",\"name\":");
        o = w_str(o, s->name, 0);
    }
    if (s->kind) {
        o = W_LIT(o, ",\"kind\":");
        o = w_u64(o, s->kind);
    }
    if (s->start_ns) {
        o = W_LIT(o, ",\"startTimeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)s->start_ns, x);
    }
    if (s->end_ns) {
        o = W_LIT(o, ",\"endTimeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)s->end_ns, x);
    }
    if (s->n_attributes && s->attributes) {
        /* the tail's room is kept */
        o = W_LIT(o, ",\"attributes\":");
        if (!(o = w_attributes(o, end - tail, s->attributes,
                               s->n_attributes, x))) {
            return NULL;
        }
    }
    if (s->dropped_attributes) {
        o = W_LIT(o, ",\"droppedAttributesCount\":");
        o = w_u64(o, s->dropped_attributes);
    }
    if (s->n_events && s->events) {
        o = W_LIT(o, ",\"events\":[");
        for (i = 0; i < s->n_events; i++) {
            if (i) {
                *o++ = ',';
            }
            if (!(o = w_event(o, end, &s->events[i], x))) {
                return NULL;
            }
        }
        *o++ = ']';
    }
    if (s->dropped_events) {
        o = W_LIT(o, ",\"droppedEventsCount\":");
        o = w_u64(o, s->dropped_events);
    }
    if (s->n_links && s->links) {
        o = W_LIT(o, ",\"links\":[");
        for (i = 0; i < s->n_links; i++) {
            if (i) {
                *o++ = ',';
            }
            if (!(o = w_link(o, end, &s->links[i], x))) {
                return NULL;
            }
        }
        *o++ = ']';
    }
    if (s->dropped_links) {
        o = W_LIT(o, ",\"droppedLinksCount\":");
        o = w_u64(o, s->dropped_links);
    }
    if (s->status_code || str_set(s->status_message)) {
        char *open;

        o = W_LIT(o, ",\"status\":");
        open = o;
        if (s->status_code) {
            o = W_LIT(o, ",\"code\":");
            o = w_u64(o, s->status_code);
        }
        if (str_set(s->status_message)) {
            o = W_LIT(o, ",\"message\":");
            o = w_str(o, s->status_message, 0);
        }
        o = end_object(o, open);
    }
    *o++ = '}';
    return o;
}

#define RESOURCE_FIXED 128

/* The most bytes w_resource() writes for r. */
static uint64_t resource_bound(const ot_resource *r, const jctx *x)
{
    uint64_t n = RESOURCE_FIXED;

    if (r) {
        n += str_bound(r->scope_name.len, 0)
             + str_bound(r->scope_version.len, 0);
        if (r->attributes) {
            n += attributes_bound(r->attributes, r->n_attributes, x);
        }
    }
    return n;
}

/* Close the previous resourceSpans entry when there is one, open one and
 * its one scopeSpans entry, up to the spans array's '['. */
static char *w_resource(char *o, char *end, const ot_resource *r,
                        int close, jctx *x)
{
    char *open;

    if (close) {
        /* spans ], scopeSpans entry }, scopeSpans ], resourceSpans entry },
         * and the next entry */
        o = W_LIT(o, "]}]},");
    }
    o = W_LIT(o, "{\"resource\":");
    if (r && r->n_attributes && r->attributes) {
        o = W_LIT(o, "{\"attributes\":");
        if (!(o = w_attributes(o, end, r->attributes, r->n_attributes, x))) {
            return NULL;
        }
        *o++ = '}';
    }
    else {
        o = W_LIT(o, "{}");
    }
    o = W_LIT(o, ",\"scopeSpans\":[{");
    if (r && (str_set(r->scope_name) || str_set(r->scope_version))) {
        o = W_LIT(o, "\"scope\":");
        open = o;
        if (str_set(r->scope_name)) {
            o = W_LIT(o, ",\"name\":");
            o = w_str(o, r->scope_name, 0);
        }
        if (str_set(r->scope_version)) {
            o = W_LIT(o, ",\"version\":");
            o = w_str(o, r->scope_version, 0);
        }
        o = end_object(o, open);
        *o++ = ',';
    }
    return W_LIT(o, "\"spans\":[");
}

int ot_otlp_json_encode(ot_buf *b, const ot_span_record *const *spans,
                        size_t n, const ot_json_options *opt)
{
    const ot_resource *cur = NULL;
    int open = 0, first = 1;
    writer w;
    jctx x;
    size_t i;
    char *o;

    if (ot_buf_failed(b)) {
        return -1;
    }
    x.max = opt ? opt->max_value_len : 0;
    x.lim = x.max ? x.max : SIZE_MAX;
    x.cache = opt ? opt->key_cache : NULL;
    x.ts_hi = UINT64_MAX;
    x.ts_len = 0;
    if (x.cache) {
        key_cache_next_call(x.cache);
    }
    for (i = 0; i < KEY_MEMOS; i++) {
        x.memo[i].ptr = (const char *)&x;
        x.memo[i].len = 0;
    }
    PUT_LIT(b, "{\"resourceSpans\":[");
    for (i = 0; i < n; i++) {
        const ot_span_record *s = spans[i];

        if (!s) {
            continue;
        }
        if (!open || s->resource != cur) {
            cur = s->resource;
            if (!(o = write_begin(&w, b, resource_bound(cur, &x)))) {
                return -1;
            }
            if (!(o = w_resource(o, w.end, cur, open, &x))) {
                return write_abort(&w);
            }
            write_end(&w, o);
            open = 1;
            first = 1;
        }
        /* where there is room, else again where room was made */
        if (!b->data || ot_buf_failed(b)
            || !(o = w_span(b->data + b->len, b->data + b->cap, s, !first,
                            &x))) {
            if (!(o = write_begin(&w, b, span_bound(s, &x)))) {
                return -1;
            }
            if (!(o = w_span(o, w.end, s, !first, &x))) {
                return write_abort(&w);
            }
            write_end(&w, o);
        }
        else {
            b->len = (size_t)(o - b->data);
        }
        first = 0;
        if (ot_buf_failed(b)) {
            return -1;
        }
    }
    if (open) {
        PUT_LIT(b, "]}]}");
    }
    PUT_LIT(b, "]}");
    return ot_buf_failed(b) ? -1 : 0;
}
