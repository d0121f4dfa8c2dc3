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
 * buffer: small inline writers that reserve room and store bytes, no
 * printf except for doubles, no allocation beyond the buffer's own growth.
 */

#include "ot_otlp_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* opentelemetry-proto trace.proto, enum SpanFlags. */
#define OT_SPAN_FLAGS_TRACE_FLAGS_MASK           0x000000ffu
#define OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK 0x00000100u
#define OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK     0x00000200u

/* Bytes of output for one escaped input byte at most ("\u00XX"). */
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

/*
 * Length of the prefix of s[0, n) that needs no escaping (json_class 0),
 * eight bytes at a time: a word is clean when no byte is below 0x20, none
 * has the high bit, and none is '"' or '\\' (the classic "has a zero
 * byte" test on w, w ^ '"' and w ^ '\\').  Most strings are clean ASCII
 * and go through this at about a byte per instruction.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline size_t clean_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w, bad;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        bad = ((w - ONES * 0x20) | w
               | ((w ^ (ONES * '"')) - ONES)
               | ((w ^ (ONES * '\\')) - ONES)) & HIGHS;
        /* the subtractions flag a byte when it is below the constant, or
         * (false positives, fine) when a lower byte borrowed: then the
         * byte loop below decides */
        if (bad) {
            break;
        }
    }
    while (i < n && json_class[s[i]] == 0) {
        i++;
    }
    return i;
}

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* ---- raw writers ------------------------------------------------------ */

/* Room for n more bytes (n > 0): the write position, or NULL once the
 * buffer has failed to grow. */
static inline char *room(ot_buf *b, size_t n)
{
    if (n <= b->cap - b->len || ot_buf_reserve(b, n) == 0) {
        return b->data + b->len;
    }
    return NULL;
}

static inline void put_raw(ot_buf *b, const char *s, size_t n)
{
    char *o = room(b, n);

    if (o) {
        memcpy(o, s, n);
        b->len += n;
    }
}

/* A string literal without its terminating NUL. */
#define PUT_LIT(b, s) put_raw((b), (s), sizeof(s) - 1)

static inline void put_char(ot_buf *b, char c)
{
    char *o = room(b, 1);

    if (o) {
        *o = c;
        b->len++;
    }
}

/* Write v in decimal at o (which has room for 20 bytes); return the end. */
static inline char *fmt_u64(char *o, uint64_t v)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    size_t n;

    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;

        v /= 100;
        p -= 2;
        p[0] = digit_pairs[d];
        p[1] = digit_pairs[d + 1];
    }
    if (v >= 10) {
        unsigned d = (unsigned)v * 2;

        p -= 2;
        p[0] = digit_pairs[d];
        p[1] = digit_pairs[d + 1];
    }
    else {
        *--p = (char)('0' + v);
    }
    n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(o, p, n);
    return o + n;
}

static inline void put_u64(ot_buf *b, uint64_t v)
{
    char *o = room(b, 20);

    if (o) {
        b->len = (size_t)(fmt_u64(o, v) - b->data);
    }
}

/* v in decimal between double quotes, as JSON wants 64-bit integers. */
static inline void put_quoted_i64(ot_buf *b, int64_t v)
{
    char *o = room(b, 23);

    if (o) {
        *o++ = '"';
        if (v < 0) {
            *o++ = '-';
            /* -(v + 1) + 1: no overflow at INT64_MIN */
            o = fmt_u64(o, (uint64_t)(-(v + 1)) + 1u);
        }
        else {
            o = fmt_u64(o, (uint64_t)v);
        }
        *o++ = '"';
        b->len = (size_t)(o - b->data);
    }
}

static inline void put_quoted_u64(ot_buf *b, uint64_t v)
{
    char *o = room(b, 22);

    if (o) {
        *o++ = '"';
        o = fmt_u64(o, v);
        *o++ = '"';
        b->len = (size_t)(o - b->data);
    }
}

/* n bytes as lowercase hex between double quotes. */
static inline void put_quoted_hex(ot_buf *b, const uint8_t *bytes, size_t n)
{
    char *o = room(b, n * 2 + 2);
    size_t i;

    if (o) {
        *o++ = '"';
        for (i = 0; i < n; i++) {
            *o++ = hex_digits[bytes[i] >> 4];
            *o++ = hex_digits[bytes[i] & 0x0f];
        }
        *o++ = '"';
        b->len = (size_t)(o - b->data);
    }
}

/*
 * A double as protobuf's JSON mapping writes it: a number, or one of the
 * strings "NaN", "Infinity", "-Infinity".  The shortest of %.15g, %.16g
 * and %.17g that reads back as the same value (%.17g always does).
 */
static void put_double(ot_buf *b, double d)
{
    char tmp[40];
    int prec, n = 0;
    char *p;

    if (isnan(d)) {
        PUT_LIT(b, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        if (d > 0) {
            PUT_LIT(b, "\"Infinity\"");
        }
        else {
            PUT_LIT(b, "\"-Infinity\"");
        }
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (n <= 0 || (size_t)n >= sizeof(tmp)) {
            /* cannot happen for a finite double; stay valid JSON */
            PUT_LIT(b, "0");
            return;
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
    put_raw(b, tmp, (size_t)n);
}

/* ---- strings ---------------------------------------------------------- */

/*
 * The length of the valid UTF-8 sequence at s (n > 0 bytes left, s[0] >=
 * 0x80), or 0 and in *bad the length of its maximal invalid subpart (the
 * longest prefix of a well-formed sequence, or 1), which becomes one
 * U+FFFD: the Unicode "best practice" for replacement.
 */
static inline size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xbf;
    size_t need, k;

    if (c < 0xc2 || c > 0xf4) {
        *bad = 1;               /* continuation byte, overlong lead, > U+10FFFF */
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

/*
 * Write s as a JSON string literal.  When max > 0, stop before the string's
 * content (the bytes a JSON reader gets back: after repair, before
 * escaping) would exceed max bytes; as every input byte yields at least one
 * content byte, that also keeps to at most max input bytes.  Never cuts a
 * character or an escape.
 *
 * Room: before each step, at least (lim - i) + 1 bytes are free, lim being
 * the most input that can be consumed: a plain run writes what it consumes,
 * a special step writes at most OT_JSON_ESC_MAX for at least one byte, so
 * it first makes sure of (lim - i) + OT_JSON_ESC_MAX.
 */
static void put_string(ot_buf *b, const unsigned char *s, size_t len,
                       size_t max)
{
    size_t i = 0, rem = max ? max : (size_t)-1;
    size_t lim = (max && max < len) ? max : len;
    char *o, *end;

    if (len == 0) {
        PUT_LIT(b, "\"\"");
        return;
    }
    /* The common case: short enough and nothing to escape. */
    if (lim == len && clean_prefix(s, len) == len) {
        if ((o = room(b, len + 2))) {
            o[0] = '"';
            memcpy(o + 1, s, len);
            o[len + 1] = '"';
            b->len += len + 2;
        }
        return;
    }
    o = room(b, lim + 2 + OT_JSON_ESC_MAX);
    if (!o) {
        return;
    }
    end = b->data + b->cap;
    *o++ = '"';
    while (i < len) {
        size_t j = i, r, seq, bad;
        unsigned c;

        j = i + clean_prefix(s + i, len - i);
        r = j - i;
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
        if ((size_t)(end - o) < (lim - i) + OT_JSON_ESC_MAX) {
            b->len = (size_t)(o - b->data);
            if (ot_buf_reserve(b, (lim - i) + OT_JSON_ESC_MAX) != 0) {
                return;
            }
            o = b->data + b->len;
            end = b->data + b->cap;
        }
        c = s[i];
        switch (json_class[c]) {
        case 'U':
            seq = utf8_seq(s + i, len - i, &bad);
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
    b->len = (size_t)(o - b->data);
}

void ot_json_put_string(ot_buf *b, const char *s, size_t len, uint32_t max)
{
    put_string(b, (const unsigned char *)s, s ? len : 0, max);
}

static inline void put_str(ot_buf *b, ot_str s, size_t max)
{
    put_string(b, (const unsigned char *)s.ptr, s.ptr ? s.len : 0, max);
}

/* ---- OTLP messages ---------------------------------------------------- */

/*
 * Attribute keys are few and long-lived (constants and configuration, see
 * ot_queue.h): the encoder keeps their JSON, "{\"key\":\"...\"", in a small
 * cache of the caller's (ot_json_options.key_cache), found by the key's
 * address and checked against a copy of the key, so that most attributes
 * cost one copy for the key.
 */
#define KEY_CACHE_SLOTS 64
#define KEY_CACHE_MAX 48    /* longer keys are not cached */

typedef struct key_slot {
    const char *ptr;
    uint32_t len;
    uint32_t frag_len;
    char key[KEY_CACHE_MAX];
    char frag[KEY_CACHE_MAX + 16];
} key_slot;

struct ot_json_key_cache {
    key_slot slots[KEY_CACHE_SLOTS];
};

ot_json_key_cache *ot_json_key_cache_create(void)
{
    return calloc(1, sizeof(ot_json_key_cache));
}

void ot_json_key_cache_destroy(ot_json_key_cache *c)
{
    free(c);
}

static void put_key(ot_buf *b, ot_str k, ot_json_key_cache *cache)
{
    key_slot *ks;
    size_t start;

    if (!cache || k.len > KEY_CACHE_MAX || !k.ptr) {
        PUT_LIT(b, "{\"key\":");
        put_str(b, k, 0);
        return;
    }
    ks = &cache->slots[((uintptr_t)k.ptr >> 3) % KEY_CACHE_SLOTS];
    if (ks->ptr == k.ptr && ks->len == k.len
        && memcmp(ks->key, k.ptr, k.len) == 0) {
        put_raw(b, ks->frag, ks->frag_len);
        return;
    }
    start = b->len;
    PUT_LIT(b, "{\"key\":");
    put_str(b, k, 0);
    if (!ot_buf_failed(b) && b->len - start <= sizeof(ks->frag)) {
        ks->ptr = k.ptr;
        ks->len = k.len;
        memcpy(ks->key, k.ptr, k.len);
        ks->frag_len = (uint32_t)(b->len - start);
        memcpy(ks->frag, b->data + start, ks->frag_len);
    }
}

static void put_attributes(ot_buf *b, const ot_attribute *a, uint32_t n,
                           size_t max, ot_json_key_cache *cache)
{
    uint32_t i;

    put_char(b, '[');
    for (i = 0; i < n; i++) {
        if (i) {
            put_char(b, ',');
        }
        put_key(b, a[i].key, cache);
        switch (a[i].type) {
        case OT_VALUE_STRING:
            PUT_LIT(b, ",\"value\":{\"stringValue\":");
            put_str(b, a[i].v.s, max);
            break;
        case OT_VALUE_BOOL:
            if (a[i].v.b) {
                PUT_LIT(b, ",\"value\":{\"boolValue\":true");
            }
            else {
                PUT_LIT(b, ",\"value\":{\"boolValue\":false");
            }
            break;
        case OT_VALUE_INT:
            PUT_LIT(b, ",\"value\":{\"intValue\":");
            put_quoted_i64(b, a[i].v.i);
            break;
        case OT_VALUE_DOUBLE:
            PUT_LIT(b, ",\"value\":{\"doubleValue\":");
            put_double(b, a[i].v.d);
            break;
        default:
            /* unknown type: an AnyValue with nothing set */
            PUT_LIT(b, ",\"value\":{");
            break;
        }
        PUT_LIT(b, "}}");
    }
    put_char(b, ']');
}

/* Comma-separated fields of an object whose first field is optional:
 * sep is '{' before the first one, ',' after. */
static inline void put_field(ot_buf *b, char *sep, const char *name,
                             size_t name_len)
{
    char *o = room(b, name_len + 4);

    if (o) {
        *o++ = *sep;
        *o++ = '"';
        memcpy(o, name, name_len);
        o += name_len;
        *o++ = '"';
        *o++ = ':';
        b->len = (size_t)(o - b->data);
    }
    *sep = ',';
}

#define PUT_FIELD(b, sep, name) put_field((b), (sep), (name), sizeof(name) - 1)

static inline void end_object(ot_buf *b, char sep)
{
    if (sep == '{') {
        PUT_LIT(b, "{}");
    }
    else {
        put_char(b, '}');
    }
}

static void put_event(ot_buf *b, const ot_event *e, size_t max,
                      ot_json_key_cache *cache)
{
    char sep = '{';

    if (e->time_ns) {
        PUT_FIELD(b, &sep, "timeUnixNano");
        put_quoted_u64(b, (uint64_t)e->time_ns);
    }
    if (e->name.len && e->name.ptr) {
        PUT_FIELD(b, &sep, "name");
        put_str(b, e->name, 0);
    }
    if (e->n_attributes && e->attributes) {
        PUT_FIELD(b, &sep, "attributes");
        put_attributes(b, e->attributes, e->n_attributes, max, cache);
    }
    end_object(b, sep);
}

static void put_link(ot_buf *b, const ot_link *l, size_t max,
                     ot_json_key_cache *cache)
{
    PUT_LIT(b, "{\"traceId\":");
    put_quoted_hex(b, l->trace_id, sizeof(l->trace_id));
    PUT_LIT(b, ",\"spanId\":");
    put_quoted_hex(b, l->span_id, sizeof(l->span_id));
    if (l->trace_state.len && l->trace_state.ptr) {
        PUT_LIT(b, ",\"traceState\":");
        put_str(b, l->trace_state, 0);
    }
    if (l->n_attributes && l->attributes) {
        PUT_LIT(b, ",\"attributes\":");
        put_attributes(b, l->attributes, l->n_attributes, max, cache);
    }
    if (l->flags) {
        /* Only the W3C trace flags: whether a link is remote is unknown. */
        PUT_LIT(b, ",\"flags\":");
        put_u64(b, l->flags);
    }
    put_char(b, '}');
}

static int is_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/* A rough size of the span's JSON, to reserve once: strings as they are
 * (escapes and repairs grow the buffer further if they need to). */
static size_t span_estimate(const ot_span_record *s)
{
    size_t n = 400 + (size_t)s->name.len + s->trace_state.len
               + s->status_message.len;
    uint32_t i;

    if (s->attributes) {
        for (i = 0; i < s->n_attributes; i++) {
            const ot_attribute *a = &s->attributes[i];

            n += 64 + (size_t)a->key.len
                 + (a->type == OT_VALUE_STRING ? a->v.s.len : 0);
        }
    }
    n += (size_t)s->n_events * 128 + (size_t)s->n_links * 160;
    return n;
}

static void put_span(ot_buf *b, const ot_span_record *s, size_t max,
                     ot_json_key_cache *cache)
{
    uint32_t flags = s->flags & OT_SPAN_FLAGS_TRACE_FLAGS_MASK;
    uint32_t i;

    room(b, span_estimate(s));

    PUT_LIT(b, "{\"traceId\":");
    put_quoted_hex(b, s->trace_id, sizeof(s->trace_id));
    PUT_LIT(b, ",\"spanId\":");
    put_quoted_hex(b, s->span_id, sizeof(s->span_id));
    if (s->trace_state.len && s->trace_state.ptr) {
        PUT_LIT(b, ",\"traceState\":");
        put_str(b, s->trace_state, 0);
    }
    if (!is_zero(s->parent_span_id, sizeof(s->parent_span_id))) {
        PUT_LIT(b, ",\"parentSpanId\":");
        put_quoted_hex(b, s->parent_span_id, sizeof(s->parent_span_id));
        flags |= OT_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK;
        if (s->parent_is_remote) {
            flags |= OT_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK;
        }
    }
    if (flags) {
        PUT_LIT(b, ",\"flags\":");
        put_u64(b, flags);
    }
    if (s->name.len && s->name.ptr) {
        PUT_LIT(b, ",\"name\":");
        put_str(b, s->name, 0);
    }
    if (s->kind) {
        PUT_LIT(b, ",\"kind\":");
        put_u64(b, s->kind);
    }
    if (s->start_ns) {
        PUT_LIT(b, ",\"startTimeUnixNano\":");
        put_quoted_u64(b, (uint64_t)s->start_ns);
    }
    if (s->end_ns) {
        PUT_LIT(b, ",\"endTimeUnixNano\":");
        put_quoted_u64(b, (uint64_t)s->end_ns);
    }
    if (s->n_attributes && s->attributes) {
        PUT_LIT(b, ",\"attributes\":");
        put_attributes(b, s->attributes, s->n_attributes, max, cache);
    }
    if (s->dropped_attributes) {
        PUT_LIT(b, ",\"droppedAttributesCount\":");
        put_u64(b, s->dropped_attributes);
    }
    if (s->n_events && s->events) {
        PUT_LIT(b, ",\"events\":[");
        for (i = 0; i < s->n_events; i++) {
            if (i) {
                put_char(b, ',');
            }
            put_event(b, &s->events[i], max, cache);
        }
        put_char(b, ']');
    }
    if (s->dropped_events) {
        PUT_LIT(b, ",\"droppedEventsCount\":");
        put_u64(b, s->dropped_events);
    }
    if (s->n_links && s->links) {
        PUT_LIT(b, ",\"links\":[");
        for (i = 0; i < s->n_links; i++) {
            if (i) {
                put_char(b, ',');
            }
            put_link(b, &s->links[i], max, cache);
        }
        put_char(b, ']');
    }
    if (s->dropped_links) {
        PUT_LIT(b, ",\"droppedLinksCount\":");
        put_u64(b, s->dropped_links);
    }
    if (s->status_code || (s->status_message.len && s->status_message.ptr)) {
        char sep = '{';

        PUT_LIT(b, ",\"status\":");
        if (s->status_code) {
            PUT_FIELD(b, &sep, "code");
            put_u64(b, s->status_code);
        }
        if (s->status_message.len && s->status_message.ptr) {
            PUT_FIELD(b, &sep, "message");
            put_str(b, s->status_message, 0);
        }
        end_object(b, sep);
    }
    put_char(b, '}');
}

/* Open a resourceSpans entry and its one scopeSpans entry, up to the
 * spans array's '['. */
static void begin_resource(ot_buf *b, const ot_resource *r, size_t max,
                           ot_json_key_cache *cache)
{
    char sep = '{';

    PUT_LIT(b, "{\"resource\":");
    if (r && r->n_attributes && r->attributes) {
        PUT_FIELD(b, &sep, "attributes");
        put_attributes(b, r->attributes, r->n_attributes, max, cache);
    }
    end_object(b, sep);
    PUT_LIT(b, ",\"scopeSpans\":[{");
    sep = '{';
    if (r && ((r->scope_name.len && r->scope_name.ptr)
              || (r->scope_version.len && r->scope_version.ptr))) {
        PUT_LIT(b, "\"scope\":");
        if (r->scope_name.len && r->scope_name.ptr) {
            PUT_FIELD(b, &sep, "name");
            put_str(b, r->scope_name, 0);
        }
        if (r->scope_version.len && r->scope_version.ptr) {
            PUT_FIELD(b, &sep, "version");
            put_str(b, r->scope_version, 0);
        }
        end_object(b, sep);
        put_char(b, ',');
    }
    PUT_LIT(b, "\"spans\":[");
}

int ot_otlp_json_encode(ot_buf *b, const ot_span_record *const *spans,
                        size_t n, const ot_json_options *opt)
{
    size_t max = opt ? opt->max_value_len : 0;
    ot_json_key_cache *cache = opt ? opt->key_cache : NULL;
    const ot_resource *cur = NULL;
    int open = 0, first = 1;
    size_t i;

    if (ot_buf_failed(b)) {
        return -1;
    }
    PUT_LIT(b, "{\"resourceSpans\":[");
    for (i = 0; i < n; i++) {
        const ot_span_record *s = spans[i];

        if (!s) {
            continue;
        }
        if (!open || s->resource != cur) {
            if (open) {
                /* spans ], scopeSpans entry }, scopeSpans ], resourceSpans
                 * entry }, and the next entry */
                PUT_LIT(b, "]}]},");
            }
            cur = s->resource;
            begin_resource(b, cur, max, cache);
            open = 1;
            first = 1;
        }
        if (!first) {
            put_char(b, ',');
        }
        first = 0;
        put_span(b, s, max, cache);
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
