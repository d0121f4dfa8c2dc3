/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_proto.c: the OTLP/protobuf encoder (see ot_otlp_proto.h).
 *
 * Field numbers and types are those of opentelemetry-proto:
 * collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto and resource/v1/resource.proto.
 *
 * One pass over the spans.  Lengths are filled in after what they
 * measure: a span and a KeyValue are written after room for a length of
 * two and one bytes, which is then filled in (the field moved when its
 * length takes another number of bytes); a resource group's header (the
 * lengths of the ResourceSpans and ScopeSpans, the Resource, the scope)
 * is written last, in room left for it from a guess of its size (the
 * spans moved when the guess was wrong).  Strings are copied and checked
 * at once, as if they were ASCII: a KeyValue whose strings are not is
 * written again, measured first (UTF-8 repair, see utf8_walk()).  Nested
 * messages other than spans and KeyValues (events, links, status, the
 * resource) are measured before they are written.  Room is checked a few
 * times a span (see "Room" below); close to the buffer's limit, a group
 * is written aside first and appended when it fits.
 */

#include "ot_utf8.h"
#include "ot_otlp_proto.h"

#include <string.h>

/* SSE2 (every x86-64) checks 16 bytes at once; elsewhere, or with
 * OT_NO_SIMD, eight at a time in a 64-bit word. */
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

/* opentelemetry-proto trace.proto, enum SpanFlags (as ot_otlp_json.c). */
#define OT_SPAN_FLAGS_TRACE_FLAGS_MASK           0x000000ffu
#define OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK 0x00000100u
#define OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK     0x00000200u

/* Wire types. */
#define WT_VARINT 0u
#define WT_I64    1u
#define WT_LEN    2u
#define WT_I32    5u

/* A one-byte tag: field numbers 1 to 15. */
#define TAG(field, wt) ((uint8_t)(((field) << 3) | (wt)))

/* ExportTraceServiceRequest */
#define TAG_REQ_RESOURCE_SPANS  TAG(1, WT_LEN)
/* ResourceSpans */
#define TAG_RS_RESOURCE         TAG(1, WT_LEN)
#define TAG_RS_SCOPE_SPANS      TAG(2, WT_LEN)
/* Resource */
#define TAG_RES_ATTRIBUTES      TAG(1, WT_LEN)
/* ScopeSpans */
#define TAG_SS_SCOPE            TAG(1, WT_LEN)
#define TAG_SS_SPANS            TAG(2, WT_LEN)
/* InstrumentationScope */
#define TAG_SCOPE_NAME          TAG(1, WT_LEN)
#define TAG_SCOPE_VERSION       TAG(2, WT_LEN)
/* Span */
#define TAG_SPAN_TRACE_ID       TAG(1, WT_LEN)
#define TAG_SPAN_SPAN_ID        TAG(2, WT_LEN)
#define TAG_SPAN_TRACE_STATE    TAG(3, WT_LEN)
#define TAG_SPAN_PARENT_SPAN_ID TAG(4, WT_LEN)
#define TAG_SPAN_NAME           TAG(5, WT_LEN)
#define TAG_SPAN_KIND           TAG(6, WT_VARINT)
#define TAG_SPAN_START          TAG(7, WT_I64)
#define TAG_SPAN_END            TAG(8, WT_I64)
#define TAG_SPAN_ATTRIBUTES     TAG(9, WT_LEN)
#define TAG_SPAN_DROPPED_ATTRS  TAG(10, WT_VARINT)
#define TAG_SPAN_EVENTS         TAG(11, WT_LEN)
#define TAG_SPAN_DROPPED_EVENTS TAG(12, WT_VARINT)
#define TAG_SPAN_LINKS          TAG(13, WT_LEN)
#define TAG_SPAN_DROPPED_LINKS  TAG(14, WT_VARINT)
#define TAG_SPAN_STATUS         TAG(15, WT_LEN)
/* Span.flags = 16, fixed32: the tag (16 << 3 | 5 = 133) as a varint. */
#define TAG_SPAN_FLAGS_0        0x85u
#define TAG_SPAN_FLAGS_1        0x01u
/* Span.Event */
#define TAG_EVENT_TIME          TAG(1, WT_I64)
#define TAG_EVENT_NAME          TAG(2, WT_LEN)
#define TAG_EVENT_ATTRIBUTES    TAG(3, WT_LEN)
/* Span.Link */
#define TAG_LINK_TRACE_ID       TAG(1, WT_LEN)
#define TAG_LINK_SPAN_ID        TAG(2, WT_LEN)
#define TAG_LINK_TRACE_STATE    TAG(3, WT_LEN)
#define TAG_LINK_ATTRIBUTES     TAG(4, WT_LEN)
#define TAG_LINK_FLAGS          TAG(6, WT_I32)
/* Status */
#define TAG_STATUS_MESSAGE      TAG(2, WT_LEN)
#define TAG_STATUS_CODE         TAG(3, WT_VARINT)
/* KeyValue */
#define TAG_KV_KEY              TAG(1, WT_LEN)
#define TAG_KV_VALUE            TAG(2, WT_LEN)
/* AnyValue */
#define TAG_ANY_STRING          TAG(1, WT_LEN)
#define TAG_ANY_BOOL            TAG(2, WT_VARINT)
#define TAG_ANY_INT             TAG(3, WT_VARINT)
#define TAG_ANY_DOUBLE          TAG(4, WT_I64)

/* ---- sizes ------------------------------------------------------------ */

static inline size_t varint_size(uint64_t v)
{
    if (v < 0x80) {
        return 1;
    }
#if defined(__GNUC__)
    /* 7 bits a byte: (log2(v) / 7) + 1, without a division */
    return (size_t)((63 - __builtin_clzll(v)) * 9 + 73) / 64;
#else
    {
        size_t n = 1;

        while (v >= 0x80) {
            v >>= 7;
            n++;
        }
        return n;
    }
#endif
}

/* A field of wire type LEN with a one-byte tag and n bytes of content. */
static inline uint64_t len_field_size(uint64_t n)
{
    return 1 + varint_size(n) + n;
}

/* ---- strings ---------------------------------------------------------- */

/* Whether the n bytes at s are all below 0x80: a word at a time, the
 * tail with one last word that overlaps the ones before. */
static inline int is_ascii(const unsigned char *s, size_t n)
{
    const uint64_t hi8 = UINT64_C(0x8080808080808080);
    uint64_t w, acc = 0;
    uint32_t h, t;
    size_t i;

    if (n >= 8) {
        for (i = 0; i + 8 <= n; i += 8) {
            memcpy(&w, s + i, sizeof(w));
            acc |= w;
        }
        memcpy(&w, s + n - 8, sizeof(w));
        return ((acc | w) & hi8) == 0;
    }
    if (n >= 4) {
        memcpy(&h, s, sizeof(h));
        memcpy(&t, s + n - 4, sizeof(t));
        return ((h | t) & 0x80808080u) == 0;
    }
    if (n == 0) {
        return 1;
    }
    return ((s[0] | s[n / 2] | s[n - 1]) & 0x80) == 0;
}


/*
 * Walk s (len bytes) as valid UTF-8 cut to at most max bytes of output (0:
 * no limit), never inside a character: invalid sequences count as U+FFFD
 * (3 bytes).  Writes the output at o unless o is NULL.  Returns the output
 * length; *clean tells whether the output is just the first that many
 * bytes of s (nothing was replaced).
 */
static size_t utf8_walk(const unsigned char *s, size_t len, size_t max,
                        unsigned char *o, int *clean)
{
    size_t i = 0, out = 0, rem = max ? max : (size_t)-1;

    *clean = 1;
    while (i < len && rem > 0) {
        size_t seq, bad;

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
        if (seq) {
            if (seq > rem) {
                break;
            }
            if (o) {
                memcpy(o + out, s + i, seq);
            }
            out += seq;
            i += seq;
            rem -= seq;
        }
        else {
            if (rem < 3) {
                break;
            }
            if (o) {
                o[out] = (unsigned char)0xef;
                o[out + 1] = (unsigned char)0xbf;
                o[out + 2] = (unsigned char)0xbd;
            }
            *clean = 0;
            out += 3;
            i += bad;
            rem -= 3;
        }
    }
    return out;
}

/* A string as it goes out: measured once, written after its length. */
typedef struct ustr {
    const unsigned char *p;
    size_t len;                 /* input bytes */
    size_t max;
    size_t out;                 /* output bytes */
    int clean;                  /* output == the first out bytes of p */
} ustr;

static inline void ustr_measure(ustr *u, ot_str s, size_t max)
{
    size_t lim;

    u->p = (const unsigned char *)s.ptr;
    u->len = s.ptr ? s.len : 0;
    u->max = max;
    lim = (max && max < u->len) ? max : u->len;
    if (is_ascii(u->p, lim)) {
        u->out = lim;
        u->clean = 1;
    }
    else {
        u->out = utf8_walk(u->p, u->len, max, NULL, &u->clean);
    }
}

/* The output length of s, to measure a message before writing it. */
static inline size_t str_size(ot_str s, size_t max)
{
    ustr u;

    ustr_measure(&u, s, max);
    return u.out;
}

static inline uint8_t *put_ustr(uint8_t *o, const ustr *u)
{
    int clean;

    if (u->clean) {
        if (u->out) {
            memcpy(o, u->p, u->out);
        }
    }
    else {
        utf8_walk(u->p, u->len, u->max, o, &clean);
    }
    return o + u->out;
}

static inline int str_set(ot_str s)
{
    return s.ptr && s.len;
}

#define HIGHS 0x8080808080808080ULL

/*
 * Copy the n bytes at s to o and tell whether they are all ASCII: 16 (or
 * 8) bytes at a time, the last block overlapping the one before, short
 * strings with two overlapping halves or three single bytes.  Writes
 * exactly o[0, n), whatever the answer.
 */
static OT_INLINE int copy_ascii(uint8_t *o, const unsigned char *s, size_t n)
{
    uint64_t a, z;
    uint32_t h, t;
    size_t i;

    if (n >= 16) {
#if defined(OT_SSE2)
        __m128i v, acc = _mm_setzero_si128();

        for (i = 0; i + 16 < n; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)(o + i), v);
            acc = _mm_or_si128(acc, v);
        }
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)(o + n - 16), v);
        return _mm_movemask_epi8(_mm_or_si128(acc, v)) == 0;
#else
        uint64_t acc = 0;

        for (i = 0; i + 8 < n; i += 8) {
            memcpy(&a, s + i, 8);
            memcpy(o + i, &a, 8);
            acc |= a;
        }
        memcpy(&a, s + n - 8, 8);
        memcpy(o + n - 8, &a, 8);
        return ((acc | a) & HIGHS) == 0;
#endif
    }
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &z, 8);
        return ((a | z) & HIGHS) == 0;
    }
    if (n >= 4) {
        memcpy(&h, s, 4);
        memcpy(&t, s + n - 4, 4);
        memcpy(o, &h, 4);
        memcpy(o + n - 4, &t, 4);
        return ((h | t) & 0x80808080u) == 0;
    }
    if (n) {
        o[0] = s[0];
        o[n / 2] = s[n / 2];
        o[n - 1] = s[n - 1];
        return ((s[0] | s[n / 2] | s[n - 1]) & 0x80) == 0;
    }
    (void)i;
    return 1;
}

/* ---- raw writers (room reserved by the caller) ------------------------ */

static inline uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

static inline uint8_t *put_fixed32(uint8_t *o, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &v, 4);
#else
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
    o[3] = (uint8_t)(v >> 24);
#endif
    return o + 4;
}

static inline uint8_t *put_fixed64(uint8_t *o, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o, &v, 8);
    return o + 8;
#else
    o = put_fixed32(o, (uint32_t)v);
    return put_fixed32(o, (uint32_t)(v >> 32));
#endif
}

/* Tag and length of a LEN field. */
static inline uint8_t *put_len(uint8_t *o, uint8_t tag, uint64_t n)
{
    *o++ = tag;
    return put_varint(o, n);
}

/* A bytes field of n < 128 bytes. */
static inline uint8_t *put_id(uint8_t *o, uint8_t tag, const uint8_t *id,
                              size_t n)
{
    o[0] = tag;
    o[1] = (uint8_t)n;
    memcpy(o + 2, id, n);
    return o + 2 + n;
}

/* A string field (not cut), left out when empty: room for
 * STR_ROOM(len) bytes. */
static OT_NOINLINE uint8_t *put_str_field_exact(uint8_t *o, uint8_t tag,
                                                ot_str s)
{
    ustr u;

    ustr_measure(&u, s, 0);
    if (u.out == 0) {
        return o;
    }
    o = put_len(o, tag, u.out);
    return put_ustr(o, &u);
}

/* The same, copied at once when it is ASCII. */
static OT_INLINE uint8_t *put_str_field(uint8_t *o, uint8_t tag, ot_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t len = p ? s.len : 0;

    if (len == 0) {
        return o;
    }
    o[0] = tag;
    if (len < 0x80) {
        o[1] = (uint8_t)len;
        if (copy_ascii(o + 2, p, len)) {
            return o + 2 + len;
        }
    }
    return put_str_field_exact(o, tag, s);
}

/* ---- KeyValue and AnyValue -------------------------------------------- */

/* An AnyValue's content size.  The value is a oneof: a set member is
 * written even when it holds its default (false, 0, ""). */
static inline uint64_t value_size(const ot_attribute *a, size_t vlen)
{
    switch (a->type) {
    case OT_VALUE_STRING:
        return len_field_size(vlen);
    case OT_VALUE_BOOL:
        return 2;
    case OT_VALUE_INT:
        return 1 + varint_size((uint64_t)a->v.i);
    case OT_VALUE_DOUBLE:
        return 9;
    default:
        return 0;               /* unknown type: an empty AnyValue */
    }
}

static inline uint64_t kv_size(uint64_t klen, uint64_t vsize)
{
    return (klen ? len_field_size(klen) : 0) + len_field_size(vsize);
}

/* The size of n KeyValue fields (one-byte tags). */
static uint64_t attrs_size(const ot_attribute *a, uint32_t n, size_t max)
{
    uint64_t total = 0;
    uint32_t i;

    if (!a) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        size_t klen = str_size(a[i].key, 0);
        size_t vlen = a[i].type == OT_VALUE_STRING ? str_size(a[i].v.s, max)
                                                   : 0;

        total += len_field_size(kv_size(klen, value_size(&a[i], vlen)));
    }
    return total;
}

/* One KeyValue field, measured first. */
static OT_NOINLINE uint8_t *put_attr_exact(uint8_t *o, uint8_t tag,
                                           const ot_attribute *a, size_t max)
{
    ustr k, v;
    uint64_t vsize;
    uint64_t d;

    ustr_measure(&k, a->key, 0);
    if (a->type == OT_VALUE_STRING) {
        ustr_measure(&v, a->v.s, max);
    }
    else {
        v.out = 0;
    }
    vsize = value_size(a, v.out);
    o = put_len(o, tag, kv_size(k.out, vsize));
    if (k.out) {
        o = put_len(o, TAG_KV_KEY, k.out);
        o = put_ustr(o, &k);
    }
    o = put_len(o, TAG_KV_VALUE, vsize);
    switch (a->type) {
    case OT_VALUE_STRING:
        o = put_len(o, TAG_ANY_STRING, v.out);
        o = put_ustr(o, &v);
        break;
    case OT_VALUE_BOOL:
        *o++ = TAG_ANY_BOOL;
        *o++ = a->v.b ? 1 : 0;
        break;
    case OT_VALUE_INT:
        *o++ = TAG_ANY_INT;
        o = put_varint(o, (uint64_t)a->v.i);
        break;
    case OT_VALUE_DOUBLE:
        *o++ = TAG_ANY_DOUBLE;
        memcpy(&d, &a->v.d, sizeof(d));
        o = put_fixed64(o, d);
        break;
    default:
        break;
    }
    return o;
}

/* n KeyValue fields, measured first (room for attrs_size()). */
static uint8_t *put_attrs_exact(uint8_t *o, uint8_t tag,
                                const ot_attribute *a, uint32_t n,
                                size_t max)
{
    uint32_t i;

    if (!a) {
        return o;
    }
    for (i = 0; i < n; i++) {
        o = put_attr_exact(o, tag, &a[i], max);
    }
    return o;
}

/*
 * Room.  The writers store with a plain pointer.  A span is first written
 * where the buffer has room, checking as it goes: once for its fixed parts
 * and small strings, once per list of attributes, once more for each long
 * key or string value.  Should the room run out, the writer returns NULL
 * and the span is written again after making room for span_bound() bytes,
 * an upper bound of its size that makes those checks pass.
 *
 * A string of n bytes takes at most 3 * n once repaired (U+FFFD for every
 * byte), a field of n bytes n + 11 (a tag, a varint length).  A KeyValue
 * with a short key (up to KEY_SHORT bytes) and a short or no string value
 * (up to VALUE_SHORT bytes) takes at most ATTR_ROOM bytes: its tag and
 * length, the key field, the value field's tag and length, and the
 * AnyValue (a string field, or a number: 11).  A long key takes
 * STR_ROOM(klen) bytes, a long value STR_ROOM(lim) more.
 */
#define STR_ROOM(n) ((uint64_t)(n) * 3 + 11)
#define KEY_SHORT 48
#define VALUE_SHORT 64
#define ATTR_ROOM (11 + STR_ROOM(KEY_SHORT) + 11 + STR_ROOM(VALUE_SHORT))

/*
 * Attribute keys are few and long-lived (see ot_queue.h), and most spans
 * have the same keys in the same order: one encoder call remembers the
 * key field of the key at each place of a list of attributes (of ASCII
 * keys short enough), to copy it at once, unchecked, when the key at that
 * place has the same address and length again.  Keys do not change during
 * a call.
 */
#define KEY_MEMOS 32
#define KEY_FIELD_MAX 48

typedef struct key_memo {
    const char *ptr;
    uint32_t len;
    uint32_t field_len;             /* of field; 0: no key field */
    uint8_t field[KEY_FIELD_MAX];
} key_memo;

/* What the writers of one encoder call share. */
typedef struct pctx {
    size_t max;                 /* string values cut to this; 0: not cut */
    size_t lim;                 /* max, or SIZE_MAX */
    key_memo memo[KEY_MEMOS];
} pctx;

static inline size_t room_left(const uint8_t *o, const uint8_t *end)
{
    return (size_t)(end - o);
}

/* The room put_attrs() needs for them. */
static uint64_t attrs_bound(const ot_attribute *a, uint32_t n, const pctx *x)
{
    uint64_t total = (uint64_t)n * ATTR_ROOM;
    uint32_t i;

    if (!a) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (a[i].key.len > KEY_SHORT) {
            total += STR_ROOM(a[i].key.len);
        }
        if (a[i].type == OT_VALUE_STRING) {
            size_t lim = a[i].v.s.len < x->lim ? a[i].v.s.len : x->lim;

            if (lim > VALUE_SHORT) {
                total += STR_ROOM(lim);
            }
        }
    }
    return total;
}

/*
 * n KeyValue fields with the tag tag, or NULL when end comes first.  Each
 * is written after room for a one-byte length, filled in after it (or the
 * field moved when its length takes more), as if its key and string value
 * were ASCII; and again, measured first, when they are not (or the key is
 * 0x80 bytes or more).
 */
static uint8_t *put_attrs(uint8_t *o, uint8_t *end, uint8_t tag,
                          const ot_attribute *a, uint32_t n, pctx *x)
{
    const ot_attribute *stop;
    unsigned j = 0;
    uint64_t d;

    if (!a) {
        return o;
    }
    stop = a + n;
    if (room_left(o, end) < (uint64_t)n * ATTR_ROOM) {
        return NULL;
    }
    for (; a < stop; a++, j++) {
        key_memo *m = &x->memo[j % KEY_MEMOS];
        const unsigned char *k = (const unsigned char *)a->key.ptr;
        size_t klen = k ? a->key.len : 0, kv;
        uint8_t *p = o;
        int ok = 1;

        if (klen > KEY_SHORT) {
            size_t lim = a->type != OT_VALUE_STRING ? 0
                         : a->v.s.len < x->lim ? a->v.s.len : x->lim;

            if (room_left(o, end) < STR_ROOM(klen)
                                    + (lim > VALUE_SHORT ? STR_ROOM(lim) : 0)
                                    + (uint64_t)(stop - a) * ATTR_ROOM) {
                return NULL;
            }
            if (klen >= 0x80) {
                o = put_attr_exact(o, tag, a, x->max);
                continue;
            }
        }
        /* the key field: remembered, or copied and remembered */
        o += 2;
        if (m->ptr == (const char *)k && m->len == klen) {
            memcpy(o, m->field, KEY_FIELD_MAX);
            o += m->field_len;
        }
        else if (klen) {
            o[0] = TAG_KV_KEY;
            o[1] = (uint8_t)klen;
            ok = copy_ascii(o + 2, k, klen);
            if (ok && klen + 2 <= KEY_FIELD_MAX) {
                m->ptr = (const char *)k;
                m->len = (uint32_t)klen;
                m->field_len = (uint32_t)klen + 2;
                memcpy(m->field, o, klen + 2);
            }
            o += 2 + klen;
        }
        /* the value field */
        o[0] = TAG_KV_VALUE;
        switch (a->type) {
        case OT_VALUE_STRING: {
            const unsigned char *s = (const unsigned char *)a->v.s.ptr;
            size_t len = s ? a->v.s.len : 0;
            size_t lim = len < x->lim ? len : x->lim;

            if (lim > VALUE_SHORT && klen <= KEY_SHORT
                && room_left(p, end) < STR_ROOM(lim)
                                       + (uint64_t)(stop - a) * ATTR_ROOM) {
                return NULL;
            }
            if (lim < 0x7e) {
                o[1] = (uint8_t)(lim + 2);
                o[2] = TAG_ANY_STRING;
                o[3] = (uint8_t)lim;
                o += 4;
            }
            else {
                o = put_varint(o + 1, 1 + varint_size(lim) + lim);
                o = put_len(o, TAG_ANY_STRING, lim);
            }
            ok &= copy_ascii(o, s, lim);
            o += lim;
            break;
        }
        case OT_VALUE_BOOL:
            o[1] = 2;
            o[2] = TAG_ANY_BOOL;
            o[3] = a->v.b ? 1 : 0;
            o += 4;
            break;
        case OT_VALUE_INT: {
            uint8_t *q = put_varint(o + 3, (uint64_t)a->v.i);

            o[1] = (uint8_t)(q - (o + 2));
            o[2] = TAG_ANY_INT;
            o = q;
            break;
        }
        case OT_VALUE_DOUBLE:
            o[1] = 9;
            o[2] = TAG_ANY_DOUBLE;
            memcpy(&d, &a->v.d, sizeof(d));
            o = put_fixed64(o + 3, d);
            break;
        default:
            /* unknown type: an empty AnyValue */
            o[1] = 0;
            o += 2;
            break;
        }
        if (!ok) {
            o = put_attr_exact(p, tag, a, x->max);
            continue;
        }
        /* the KeyValue's tag and length */
        kv = (size_t)(o - (p + 2));
        p[0] = tag;
        if (kv < 0x80) {
            p[1] = (uint8_t)kv;
        }
        else {
            size_t v = varint_size(kv);

            memmove(p + 1 + v, p + 2, kv);
            put_varint(p + 1, kv);
            o = p + 1 + v + kv;
        }
    }
    return o;
}

/* ---- Event, Link, Status ---------------------------------------------- */

static uint64_t event_size(const ot_event *e, size_t max)
{
    uint64_t n = 0;
    size_t len;

    if (e->time_ns) {
        n += 9;
    }
    len = str_size(e->name, 0);
    if (len) {
        n += len_field_size(len);
    }
    return n + attrs_size(e->attributes, e->n_attributes, max);
}

static uint8_t *put_event(uint8_t *o, uint8_t *end, const ot_event *e,
                          pctx *x)
{
    if (e->time_ns) {
        *o++ = TAG_EVENT_TIME;
        o = put_fixed64(o, (uint64_t)e->time_ns);
    }
    o = put_str_field(o, TAG_EVENT_NAME, e->name);
    return put_attrs(o, end, TAG_EVENT_ATTRIBUTES, e->attributes,
                     e->n_attributes, x);
}

static uint64_t link_size(const ot_link *l, size_t max)
{
    uint64_t n = 2 + sizeof(l->trace_id) + 2 + sizeof(l->span_id);
    size_t len = str_size(l->trace_state, 0);

    if (len) {
        n += len_field_size(len);
    }
    n += attrs_size(l->attributes, l->n_attributes, max);
    if (l->flags) {
        n += 5;
    }
    return n;
}

static uint8_t *put_link(uint8_t *o, uint8_t *end, const ot_link *l,
                         pctx *x)
{
    o = put_id(o, TAG_LINK_TRACE_ID, l->trace_id, sizeof(l->trace_id));
    o = put_id(o, TAG_LINK_SPAN_ID, l->span_id, sizeof(l->span_id));
    o = put_str_field(o, TAG_LINK_TRACE_STATE, l->trace_state);
    if (!(o = put_attrs(o, end, TAG_LINK_ATTRIBUTES, l->attributes,
                        l->n_attributes, x))) {
        return NULL;
    }
    if (l->flags) {
        /* Only the W3C trace flags: whether a link is remote is unknown. */
        *o++ = TAG_LINK_FLAGS;
        o = put_fixed32(o, l->flags);
    }
    return o;
}

static inline int has_status(const ot_span_record *s)
{
    return s->status_code || str_set(s->status_message);
}

static uint64_t status_size(const ot_span_record *s)
{
    uint64_t n = 0;
    size_t len = str_size(s->status_message, 0);

    if (len) {
        n += len_field_size(len);
    }
    if (s->status_code) {
        n += 1 + varint_size(s->status_code);
    }
    return n;
}

/* ---- Span ------------------------------------------------------------- */

static inline int is_zero8(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v == 0;
}

/* Span.flags: the W3C trace flags, and whether the parent is remote when
 * there is a parent, as the JSON encoder writes them. */
static inline uint32_t span_flags(const ot_span_record *s, int has_parent)
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

/* Room for the fields of a span before its attributes besides their
 * strings (ids, kind, times), and for those after (the dropped counts,
 * the status's code and field, the flags). */
#define HEAD_FIXED 96
#define TAIL_FIXED 96

static inline uint64_t head_bound(const ot_span_record *s)
{
    return HEAD_FIXED + STR_ROOM(s->trace_state.len)
           + STR_ROOM(s->name.len);
}

static OT_NOINLINE uint64_t tail_bound_long(const ot_span_record *s,
                                            const pctx *x)
{
    uint64_t n = TAIL_FIXED + STR_ROOM(s->status_message.len);
    uint32_t i;

    if (s->events) {
        for (i = 0; i < s->n_events; i++) {
            n += 11 + event_size(&s->events[i], x->max)
                 + attrs_bound(s->events[i].attributes,
                               s->events[i].n_attributes, x);
        }
    }
    if (s->links) {
        for (i = 0; i < s->n_links; i++) {
            n += 11 + link_size(&s->links[i], x->max)
                 + attrs_bound(s->links[i].attributes,
                               s->links[i].n_attributes, x);
        }
    }
    return n;
}

static OT_INLINE uint64_t tail_bound(const ot_span_record *s,
                                     const pctx *x)
{
    if (!s->n_events && !s->n_links) {
        return TAIL_FIXED + STR_ROOM(s->status_message.len);
    }
    return tail_bound_long(s, x);
}

/* The most room put_span() asks for s. */
static uint64_t span_bound(const ot_span_record *s, const pctx *x)
{
    return head_bound(s) + tail_bound(s, x)
           + attrs_bound(s->attributes, s->n_attributes, x);
}

/* The span's content, in field-number order, or NULL when end comes
 * first. */
static uint8_t *put_span(uint8_t *o, uint8_t *end, const ot_span_record *s,
                         pctx *x)
{
    int has_parent = !is_zero8(s->parent_span_id);
    uint32_t flags = span_flags(s, has_parent);
    uint64_t tail = tail_bound(s, x);
    uint32_t i;

    if (room_left(o, end) < head_bound(s) + tail) {
        return NULL;
    }
    o = put_id(o, TAG_SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
    o = put_id(o, TAG_SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
    o = put_str_field(o, TAG_SPAN_TRACE_STATE, s->trace_state);
    if (has_parent) {
        o = put_id(o, TAG_SPAN_PARENT_SPAN_ID, s->parent_span_id,
                   sizeof(s->parent_span_id));
    }
    o = put_str_field(o, TAG_SPAN_NAME, s->name);
    if (s->kind) {
        *o++ = TAG_SPAN_KIND;
        o = put_varint(o, s->kind);
    }
    if (s->start_ns) {
        *o++ = TAG_SPAN_START;
        o = put_fixed64(o, (uint64_t)s->start_ns);
    }
    if (s->end_ns) {
        *o++ = TAG_SPAN_END;
        o = put_fixed64(o, (uint64_t)s->end_ns);
    }
    /* the tail's room is kept */
    if (!(o = put_attrs(o, end - tail, TAG_SPAN_ATTRIBUTES, s->attributes,
                        s->n_attributes, x))) {
        return NULL;
    }
    if (s->dropped_attributes) {
        *o++ = TAG_SPAN_DROPPED_ATTRS;
        o = put_varint(o, s->dropped_attributes);
    }
    if (s->events) {
        for (i = 0; i < s->n_events; i++) {
            o = put_len(o, TAG_SPAN_EVENTS,
                        event_size(&s->events[i], x->max));
            if (!(o = put_event(o, end, &s->events[i], x))) {
                return NULL;
            }
        }
    }
    if (s->dropped_events) {
        *o++ = TAG_SPAN_DROPPED_EVENTS;
        o = put_varint(o, s->dropped_events);
    }
    if (s->links) {
        for (i = 0; i < s->n_links; i++) {
            o = put_len(o, TAG_SPAN_LINKS, link_size(&s->links[i], x->max));
            if (!(o = put_link(o, end, &s->links[i], x))) {
                return NULL;
            }
        }
    }
    if (s->dropped_links) {
        *o++ = TAG_SPAN_DROPPED_LINKS;
        o = put_varint(o, s->dropped_links);
    }
    if (has_status(s)) {
        o = put_len(o, TAG_SPAN_STATUS, status_size(s));
        o = put_str_field(o, TAG_STATUS_MESSAGE, s->status_message);
        if (s->status_code) {
            *o++ = TAG_STATUS_CODE;
            o = put_varint(o, s->status_code);
        }
    }
    if (flags) {
        *o++ = TAG_SPAN_FLAGS_0;
        *o++ = TAG_SPAN_FLAGS_1;
        o = put_fixed32(o, flags);
    }
    return o;
}

/* ---- resource groups -------------------------------------------------- */

static uint64_t resource_size(const ot_resource *r, size_t max)
{
    return r ? attrs_size(r->attributes, r->n_attributes, max) : 0;
}

static uint64_t scope_size(const ot_resource *r)
{
    uint64_t n = 0;
    size_t len;

    if (!r) {
        return 0;
    }
    len = str_size(r->scope_name, 0);
    if (len) {
        n += len_field_size(len);
    }
    len = str_size(r->scope_version, 0);
    if (len) {
        n += len_field_size(len);
    }
    return n;
}

/* Room kept past a span: its length may take up to ten bytes instead of
 * two, the group's header up to 2 * 9 more than guessed. */
#define SPAN_SLACK 32

/* Room for a span's tag and a two-byte length, filled in after it. */
#define SPAN_PREFIX 3

/*
 * Room for n bytes from offset at of b (at >= b->len): 0, or 1 when that
 * would pass b's limit, or -1 when the buffer failed.  b->len becomes at
 * when the buffer grows.
 */
static int make_room(ot_buf *b, size_t at, uint64_t n)
{
    if (n <= b->cap - at) {
        return 0;
    }
    if (n > b->limit - at) {
        return 1;
    }
    b->len = at;
    return ot_buf_reserve(b, (size_t)n) == 0 ? 0 : -1;
}

/* Fill in the tag and length of the span written from p + SPAN_PREFIX to
 * q, moving it when its length is not two bytes long; returns its end. */
static OT_INLINE uint8_t *put_span_length(uint8_t *p, uint8_t *q)
{
    size_t sz = (size_t)(q - (p + SPAN_PREFIX)), v;

    p[0] = TAG_SS_SPANS;
    if (sz >= 0x80 && sz < 0x4000) {
        p[1] = (uint8_t)(sz | 0x80);
        p[2] = (uint8_t)(sz >> 7);
        return q;
    }
    v = varint_size(sz);
    memmove(p + 1 + v, p + SPAN_PREFIX, sz);
    put_varint(p + 1, sz);
    return p + 1 + v + sz;
}

/*
 * Encode spans[from..to) (non-NULL ones, all with resource r) as one
 * ResourceSpans field at the end of b.  The Resource and the
 * InstrumentationScope are left out when they would be empty.  Returns 0,
 * or -1 when the buffer failed, or 1 when b's limit is too close to tell
 * whether the group fits; b->len is then as it was.
 */
static int put_group_here(ot_buf *b, const ot_span_record *const *spans,
                          size_t from, size_t to, const ot_resource *r,
                          pctx *x)
{
    size_t start = b->len, hguess, h, spans_len, i;
    uint64_t res = resource_size(r, x->max);
    uint64_t scope = scope_size(r);
    uint64_t resf = res ? len_field_size(res) : 0;
    uint64_t scopef = scope ? len_field_size(scope) : 0;
    /* the ScopeSpans's length guessed from 512 bytes a span */
    uint64_t ss = scopef + (uint64_t)(to - from) * 512, rs, total;
    uint8_t *o, *end, *p, *q;
    int rc;

    hguess = (size_t)(1 + varint_size(resf + len_field_size(ss)) + resf
                      + 1 + varint_size(ss) + scopef);
    if ((rc = make_room(b, start, hguess + SPAN_SLACK)) != 0) {
        b->len = start;
        return rc;
    }
    o = (uint8_t *)b->data + start + hguess;
    end = (uint8_t *)b->data + b->cap;
    for (i = from; i < to; i++) {
        const ot_span_record *s = spans[i];

        if (!s) {
            continue;
        }
        p = o;
        q = NULL;
        if (room_left(p, end) >= SPAN_PREFIX + SPAN_SLACK) {
            q = put_span(p + SPAN_PREFIX, end - SPAN_SLACK, s, x);
        }
        if (!q) {
            /* make room for all the span may take, then again */
            size_t at = (size_t)(p - (uint8_t *)b->data);

            if ((rc = make_room(b, at, SPAN_PREFIX + SPAN_SLACK
                                       + span_bound(s, x))) != 0) {
                b->len = start;
                return rc;
            }
            p = (uint8_t *)b->data + at;
            end = (uint8_t *)b->data + b->cap;
            if (!(q = put_span(p + SPAN_PREFIX, end - SPAN_SLACK, s, x))) {
                /* cannot happen: the bound is too small */
                b->len = start;
                b->failed = 1;
                return -1;
            }
        }
        o = put_span_length(p, q);
    }

    /* the header, now that the lengths are known, before the spans */
    spans_len = (size_t)(o - ((uint8_t *)b->data + start + hguess));
    ss = scopef + spans_len;
    rs = resf + len_field_size(ss);
    total = len_field_size(rs);
    h = (size_t)(total - spans_len);
    p = (uint8_t *)b->data + start;
    if (h != hguess) {
        memmove(p + h, p + hguess, spans_len);
    }
    p = put_len(p, TAG_REQ_RESOURCE_SPANS, rs);
    if (res) {
        p = put_len(p, TAG_RS_RESOURCE, res);
        p = put_attrs_exact(p, TAG_RES_ATTRIBUTES, r->attributes,
                            r->n_attributes, x->max);
    }
    p = put_len(p, TAG_RS_SCOPE_SPANS, ss);
    if (scope) {
        p = put_len(p, TAG_SS_SCOPE, scope);
        p = put_str_field_exact(p, TAG_SCOPE_NAME, r->scope_name);
        p = put_str_field_exact(p, TAG_SCOPE_VERSION, r->scope_version);
    }
    if (p != (uint8_t *)b->data + start + h) {
        /* cannot happen: the sizes disagree */
        b->len = start;
        b->failed = 1;
        return -1;
    }
    b->len = start + (size_t)total;
    return 0;
}

/* put_group_here(), or close to b's limit, the group written aside first
 * and appended when it fits. */
static int put_group(ot_buf *b, const ot_span_record *const *spans,
                     size_t from, size_t to, const ot_resource *r,
                     pctx *x)
{
    ot_buf aside;
    int rc = put_group_here(b, spans, from, to, r, x);

    if (rc <= 0) {
        return rc;
    }
    ot_buf_init(&aside, 0, 0);
    if (put_group_here(&aside, spans, from, to, r, x) == 0) {
        ot_buf_append(b, aside.data, aside.len);
    }
    else {
        b->failed = 1;
    }
    ot_buf_free(&aside);
    return ot_buf_failed(b) ? -1 : 0;
}

int ot_otlp_proto_encode(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, const ot_proto_options *opt)
{
    pctx x;
    size_t i = 0;

    if (ot_buf_failed(b)) {
        return -1;
    }
    x.max = opt ? opt->max_value_len : 0;
    x.lim = x.max ? x.max : SIZE_MAX;
    memset(x.memo, 0, sizeof(x.memo));
    while (i < n) {
        const ot_resource *r;
        size_t j;

        if (!spans[i]) {
            i++;
            continue;
        }
        r = spans[i]->resource;
        j = i + 1;
        while (j < n && (!spans[j] || spans[j]->resource == r)) {
            j++;
        }
        if (put_group(b, spans, i, j, r, &x) != 0) {
            return -1;
        }
        i = j;
    }
    return 0;
}
