/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_proto.c: the OTLP/protobuf encoder (see ot_otlp_proto.h).
 *
 * Field numbers and types are those of opentelemetry-proto:
 * collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto and resource/v1/resource.proto.
 *
 * One pass over the spans, nothing measured before it is written: every
 * nested message is written after room for its length (two bytes for a
 * span, one for the others), which is filled in after it, the message
 * moved when its length takes another number of bytes (see end_field()).
 * A resource group's two outer lengths are guessed from 512 bytes a span,
 * the spans moved when the guess was wrong.  Strings are copied and
 * checked at once, as if they were ASCII: a string, or a KeyValue, that is
 * not is written again, repaired (U+FFFD for invalid UTF-8).  Room is
 * checked a few times a span (see "Room" below); close to the buffer's
 * limit, a group is written aside first and appended when it fits.
 */

#include "ot_write.h"
#include "ot_facts.h"
#include "ot_otlp_proto.h"

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
#define TAG_ANY_ARRAY           TAG(5, WT_LEN)
/* ArrayValue */
#define TAG_ARRAY_VALUES        TAG(1, WT_LEN)

/* ---- raw writers (room made by the caller) ---------------------------- */

static inline size_t varint_size(uint64_t v)
{
#if defined(__GNUC__)
    /* 7 bits a byte: (log2(v) / 7) + 1, without a division */
    return v < 0x80 ? 1 : (size_t)((63 - __builtin_clzll(v)) * 9 + 73) / 64;
#else
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
#endif
}

/* The longest varint. */
#define VARINT_MAX 10

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
    int i;

    for (i = 0; i < 4; i++) {
        o[i] = (uint8_t)(v >> (8 * i));
    }
    return o + 4;
}

static inline uint8_t *put_fixed64(uint8_t *o, uint64_t v)
{
    ot_store_le64((char *)o, v);
    return o + 8;
}

/*
 * The end of a LEN field whose tag is at p and whose content was written
 * from p + 1 + r (after room for an r-byte length) to q: its length filled
 * in, the content moved when the length takes other than r bytes (room
 * for VARINT_MAX - r more bytes past q).  Returns the field's end.
 */
static OT_INLINE uint8_t *end_field(uint8_t *p, size_t r, uint8_t *q)
{
    size_t sz = (size_t)(q - (p + 1 + r)), v;

    if (r == 1 && sz < 0x80) {
        p[1] = (uint8_t)sz;
        return q;
    }
    v = varint_size(sz);
    if (v != r) {
        memmove(p + 1 + v, p + 1 + r, sz);
    }
    put_varint(p + 1, sz);
    return p + 1 + v + sz;
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

/* A string field with s made valid UTF-8 and cut to max bytes (0: not),
 * whatever its length (room for STR_ROOM(len)). */
static OT_NOINLINE uint8_t *put_str_repaired(uint8_t *o, uint8_t tag,
                                             ot_str s, size_t max)
{
    int clean;
    size_t n = ot_utf8_repair((const unsigned char *)s.ptr,
                              s.ptr ? s.len : 0, max, o + 2, &clean);

    o[0] = tag;
    return end_field(o, 1, o + 2 + n);
}

/* A string field (not cut), left out when empty, copied at once when it
 * is short ASCII. */
static OT_INLINE uint8_t *put_str_field(uint8_t *o, uint8_t tag, ot_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t len = p ? s.len : 0;

    if (len == 0) {
        return o;
    }
    o[0] = tag;
    o[1] = (uint8_t)len;
    if (len < 0x80 && ot_copy_clean((char *)o + 2, p, len, 0)) {
        return o + 2 + len;
    }
    return put_str_repaired(o, tag, s, 0);
}

/* ---- KeyValue and AnyValue -------------------------------------------- */

/*
 * Room.  A span is first written where the buffer has room, checking as
 * it goes: once for its fixed parts and small strings, once per list of
 * attributes (ATTR_ROOM each), once more for each long key or string value
 * (see ot_attrs_bound()).  Should the room run out, the writer returns
 * NULL and the span is written again after making room for span_bound()
 * bytes, an upper bound of its size that makes those checks pass.  A
 * string of n bytes takes at most 3 * n once repaired (U+FFFD for every
 * byte).
 */
#define ESC OT_PROTO_ESC_MAX
#define STR_ROOM(n) OT_STR_ROOM((n), ESC)
#define ATTR_ROOM OT_ATTR_ROOM(ESC)

/* What the writers of one encoder call share. */
typedef struct pctx {
    size_t max;                 /* string values cut to this; 0: not cut */
    size_t lim;                 /* max, or SIZE_MAX */
} pctx;

static inline size_t room_left(const uint8_t *o, const uint8_t *end)
{
    return (size_t)(end - o);
}

static uint64_t attrs_bound(const ot_attribute *a, uint32_t n, const pctx *x)
{
    return ot_attrs_bound(a, n, x->lim, ESC);
}

/* The value field of a KeyValue after its tag at o, all but a string's
 * content (which the caller writes from the returned end, lim bytes); NULL
 * for a string array, which put_attr_repaired() writes. */
static OT_INLINE uint8_t *put_value(uint8_t *o, const ot_attribute *a,
                                    size_t lim)
{
    uint64_t d;
    uint8_t *q;

    switch (a->type) {
    case OT_VALUE_STRING:
        if (lim < 0x7e) {
            o[1] = (uint8_t)(lim + 2);
            o[2] = TAG_ANY_STRING;
            o[3] = (uint8_t)lim;
            return o + 4;
        }
        o = put_varint(o + 1, 1 + varint_size(lim) + lim);
        *o++ = TAG_ANY_STRING;
        return put_varint(o, lim);
    case OT_VALUE_BOOL:
        o[1] = 2;
        o[2] = TAG_ANY_BOOL;
        o[3] = a->v.b ? 1 : 0;
        return o + 4;
    case OT_VALUE_INT:
        q = put_varint(o + 3, (uint64_t)a->v.i);
        o[1] = (uint8_t)(q - (o + 2));
        o[2] = TAG_ANY_INT;
        return q;
    case OT_VALUE_DOUBLE:
        o[1] = 9;
        o[2] = TAG_ANY_DOUBLE;
        memcpy(&d, &a->v.d, sizeof(d));
        return put_fixed64(o + 3, d);
    default:
        if (a->type == OT_VALUE_STRING_ARRAY) {
            return NULL;
        }
        /* unknown type: an empty AnyValue (a oneof: a set member is
         * written even when it holds its default) */
        o[1] = 0;
        return o + 2;
    }
}

/* The value field of a KeyValue whose tag is at v: an AnyValue with an
 * array_value of the items as string_values, repaired and cut to max.
 * Room for ot_str_array_room(). */
static uint8_t *put_str_array_value(uint8_t *v, const ot_str_array *sa,
                                    size_t max)
{
    uint8_t *arr = v + 2, *o = arr + 2, *item;
    uint32_t k, n = ot_str_array_n(sa);

    arr[0] = TAG_ANY_ARRAY;
    for (k = 0; k < n; k++) {
        item = o;
        item[0] = TAG_ARRAY_VALUES;
        o = put_str_repaired(item + 2, TAG_ANY_STRING, sa->items[k], max);
        o = end_field(item, 1, o);
    }
    o = end_field(arr, 1, o);
    return end_field(v, 1, o);
}

/* One KeyValue field, its strings repaired. */
static OT_NOINLINE uint8_t *put_attr_repaired(uint8_t *p, uint8_t tag,
                                              const ot_attribute *a,
                                              size_t max)
{
    uint8_t *o = p + 2, *v;

    p[0] = tag;
    if (a->key.ptr && a->key.len) {
        o = put_str_repaired(o, TAG_KV_KEY, a->key, 0);
    }
    v = o;
    v[0] = TAG_KV_VALUE;
    if (a->type == OT_VALUE_STRING) {
        o = put_str_repaired(v + 2, TAG_ANY_STRING, a->v.s, max);
        o = end_field(v, 1, o);
    }
    else if (a->type == OT_VALUE_STRING_ARRAY) {
        o = put_str_array_value(v, &a->v.sa, max);
    }
    else {
        o = put_value(v, a, 0);
    }
    return end_field(p, 1, o);
}

/*
 * The KeyValue field most attributes are, with the tag tag at o: a key of
 * klen, 1 to OT_KEY_SHORT, bytes and an integer, or a string of at most
 * OT_VALUE_SHORT bytes that is not cut (lim): every length takes one byte
 * (4 + 48 + 4 + 64 < 0x80) and is known before the content, so each is
 * written at once.  NULL for any other (put_attrs() writes it); *ok tells
 * whether the key and the string were ASCII (else the caller writes it
 * again, repaired).  Room for ATTR_ROOM.
 */
static OT_INLINE uint8_t *put_short_attr(uint8_t *o, uint8_t tag,
                                         const ot_attribute *a, size_t klen,
                                         size_t lim, int *ok)
{
    const unsigned char *s = NULL;
    size_t len = 0;
    uint8_t *v = o + 4 + klen, *e;

    if (a->type == OT_VALUE_STRING) {
        s = (const unsigned char *)a->v.s.ptr;
        len = s ? a->v.s.len : 0;
        if (len > OT_VALUE_SHORT || len > lim) {
            return NULL;
        }
    }
    else if (a->type != OT_VALUE_INT) {
        return NULL;
    }
    o[0] = tag;
    o[2] = TAG_KV_KEY;
    o[3] = (uint8_t)klen;
    *ok = ot_copy_clean((char *)o + 4, (const unsigned char *)a->key.ptr,
                        klen, 0);
    v[0] = TAG_KV_VALUE;
    if (a->type == OT_VALUE_STRING) {
        v[1] = (uint8_t)(len + 2);
        v[2] = TAG_ANY_STRING;
        v[3] = (uint8_t)len;
        *ok &= ot_copy_clean((char *)v + 4, s, len, 0);
        e = v + 4 + len;
    }
    else {
        v[2] = TAG_ANY_INT;
        e = put_varint(v + 3, (uint64_t)a->v.i);
        v[1] = (uint8_t)(e - (v + 2));
    }
    o[1] = (uint8_t)(e - (o + 2));
    return e;
}

/*
 * n KeyValue fields with the tag tag, or NULL when end comes first.  Each
 * is written after room for a one-byte length, as if its key and string
 * value were ASCII; and again, repaired, when they are not (or the key is
 * 0x80 bytes or more).
 */
static uint8_t *put_attrs(uint8_t *o, uint8_t *end, uint8_t tag,
                          const ot_attribute *a, uint32_t n, pctx *x)
{
    const ot_attribute *stop;

    if (!a) {
        return o;
    }
    stop = a + n;
    if (room_left(o, end) < (uint64_t)n * ATTR_ROOM) {
        return NULL;
    }
    for (; a < stop; a++) {
        const unsigned char *k = (const unsigned char *)a->key.ptr;
        size_t klen = k ? a->key.len : 0, lim = 0;
        uint8_t *p = o, *q;
        int ok = 1;

        if (klen - 1 < OT_KEY_SHORT
            && (q = put_short_attr(o, tag, a, klen, x->lim, &ok))) {
            o = ok ? q : put_attr_repaired(o, tag, a, x->max);
            continue;
        }
        if (klen > OT_KEY_SHORT) {
            if (room_left(o, end) < STR_ROOM(klen)
                                    + ot_attr_value_room(a, x->lim, ESC)
                                    + (uint64_t)(stop - a) * ATTR_ROOM) {
                return NULL;
            }
            if (klen >= 0x80) {
                o = put_attr_repaired(o, tag, a, x->max);
                continue;
            }
        }
        /* the key field, copied as if ASCII */
        o += 2;
        if (klen) {
            o[0] = TAG_KV_KEY;
            o[1] = (uint8_t)klen;
            ok = ot_copy_clean((char *)o + 2, k, klen, 0);
            o += 2 + klen;
        }
        /* the value field */
        o[0] = TAG_KV_VALUE;
        if (a->type == OT_VALUE_STRING) {
            const unsigned char *s = (const unsigned char *)a->v.s.ptr;
            size_t len = s ? a->v.s.len : 0;

            lim = len < x->lim ? len : x->lim;
            if (lim > OT_VALUE_SHORT && klen <= OT_KEY_SHORT
                && room_left(p, end) < STR_ROOM(lim)
                                       + (uint64_t)(stop - a) * ATTR_ROOM) {
                return NULL;
            }
            o = put_value(o, a, lim);
            ok &= ot_copy_clean((char *)o, s, lim, 0);
            o += lim;
        }
        else if (!(o = put_value(o, a, 0))) {
            /* a string array, written whole by the repairing writer (a
             * long key's room was checked above); put_value() inlined,
             * only its default case gets here: the other types pay no
             * check */
            if (klen <= OT_KEY_SHORT
                && room_left(p, end) < ot_str_array_room(&a->v.sa, x->lim,
                                                         ESC)
                                       + (uint64_t)(stop - a) * ATTR_ROOM) {
                return NULL;
            }
            o = put_attr_repaired(p, tag, a, x->max);
            continue;
        }
        if (!ok) {
            o = put_attr_repaired(p, tag, a, x->max);
            continue;
        }
        p[0] = tag;
        o = end_field(p, 1, o);
    }
    return o;
}

/* ---- HTTP facts ------------------------------------------------------- */

/*
 * The facts are written as put_attrs() writes the attributes
 * ot_facts_expand() makes of them, by code unrolled from OT_FACTS_TABLE:
 * each key a constant whose length is known, so the KeyValue's lengths and
 * its key are written at once, in a few moves.
 */

/* Fact f under name (0: current, 1: old) as put_attrs() writes it as an
 * attribute, when its value is long or not ASCII; NULL when end comes
 * first (room: what the facts' short attributes take). */
static OT_NOINLINE uint8_t *put_fact_slow(uint8_t *o, uint8_t *end,
                                          const ot_http_facts *h, unsigned f,
                                          unsigned name, uint64_t room,
                                          pctx *x)
{
    ot_attribute a;
    size_t len;

    ot_fact_attr(h, f, name, &a);
    len = a.v.s.ptr ? a.v.s.len : 0;
    if (len > OT_VALUE_SHORT || len > x->lim) {
        if (room_left(o, end) < STR_ROOM(len < x->lim ? len : x->lim)
                                + room) {
            return NULL;
        }
        return put_attrs(o, end, TAG_SPAN_ATTRIBUTES, &a, 1, x);
    }
    return put_attr_repaired(o, TAG_SPAN_ATTRIBUTES, &a, x->max);
}

/* The KeyValue field's tag, its length (len bytes follow it) and its key
 * field (klen bytes); returns the value field's start. */
static OT_INLINE uint8_t *put_fact_key(uint8_t *o, const char *key,
                                       size_t klen, size_t len)
{
    o[0] = TAG_SPAN_ATTRIBUTES;
    o[1] = (uint8_t)len;
    o[2] = TAG_KV_KEY;
    o[3] = (uint8_t)klen;
    memcpy(o + 4, key, klen);
    o[4 + klen] = TAG_KV_VALUE;
    return o + 4 + klen;
}

/* A string fact f (value s) under name, its key key (klen bytes, short):
 * put_short_attr()'s KeyValue, or put_fact_slow()'s. */
static OT_INLINE uint8_t *put_fact_str(uint8_t *o, uint8_t *end,
                                       const ot_http_facts *h, unsigned f,
                                       unsigned name, const char *key,
                                       size_t klen, ot_str s, uint64_t room,
                                       pctx *x)
{
    size_t len = s.ptr ? s.len : 0;
    uint8_t *v;

    if (len > OT_VALUE_SHORT || len > x->lim
        || !ot_copy_clean((char *)o + 8 + klen,
                          (const unsigned char *)s.ptr, len, 0)) {
        return put_fact_slow(o, end, h, f, name, room, x);
    }
    v = put_fact_key(o, key, klen, 6 + klen + len);
    v[1] = (uint8_t)(len + 2);
    v[2] = TAG_ANY_STRING;
    v[3] = (uint8_t)len;
    return v + 4 + len;
}

/* An integer fact (value i), its key key (klen bytes, short). */
static OT_INLINE uint8_t *put_fact_int(uint8_t *o, const char *key,
                                       size_t klen, int64_t i)
{
    uint8_t *v = o + 4 + klen, *e = put_varint(v + 3, (uint64_t)i);

    put_fact_key(o, key, klen, (size_t)(e - (o + 2)));
    v[1] = (uint8_t)(e - (v + 2));
    v[2] = TAG_ANY_INT;
    return e;
}

#define PUT_FACT_STR(f, key, name, member)                                  \
    put_fact_str(o, end, h, OT_FACT_##f, (name), (key), sizeof(key) - 1,    \
                 h->member, room, x)
#define PUT_FACT_INT(f, key, name, member)                                  \
    put_fact_int(o, (key), sizeof(key) - 1, h->member)
#define PUT_FACT(f, cur, old, member, type)                                 \
    if (h->present & OT_FACT_BIT(OT_FACT_##f)) {                            \
        if (sizeof(cur) > 1 && (names & OT_FACT_NAMES_CURRENT)              \
            && !(o = PUT_FACT_##type(f, cur, 0, member))) {                 \
            return NULL;                                                    \
        }                                                                   \
        if (sizeof(old) > 1 && (names & OT_FACT_NAMES_OLD)                  \
            && !(o = PUT_FACT_##type(f, old, 1, member))) {                 \
            return NULL;                                                    \
        }                                                                   \
    }

/* The facts of h as the KeyValue fields of their attributes
 * (ot_facts_expand()'s, in its order), or NULL when end comes first. */
static uint8_t *put_facts(uint8_t *o, uint8_t *end, const ot_http_facts *h,
                          pctx *x)
{
    uint32_t names = h->names;
    uint64_t room = (uint64_t)ot_facts_count(h) * ATTR_ROOM;

    if (room_left(o, end) < room) {
        return NULL;
    }
    OT_FACTS_TABLE(PUT_FACT)
    return o;
}

/* ---- Span ------------------------------------------------------------- */

/* Room for the fields of a span before its attributes besides their
 * strings (ids, kind, times), for those after (the dropped counts, the
 * status's code and field, the flags), and for an event's or a link's
 * besides its strings and attributes. */
#define HEAD_FIXED 96
#define TAIL_FIXED 96
#define EVENT_FIXED 32
#define LINK_FIXED 64

static inline uint64_t head_bound(const ot_span_record *s)
{
    return HEAD_FIXED + STR_ROOM(s->trace_state.len) + STR_ROOM(s->name.len);
}

static OT_NOINLINE uint64_t tail_bound_long(const ot_span_record *s,
                                            const pctx *x)
{
    uint64_t n = TAIL_FIXED + STR_ROOM(s->status_message.len);
    uint32_t i;

    for (i = 0; s->events && i < s->n_events; i++) {
        n += EVENT_FIXED + STR_ROOM(s->events[i].name.len)
             + attrs_bound(s->events[i].attributes,
                           s->events[i].n_attributes, x);
    }
    for (i = 0; s->links && i < s->n_links; i++) {
        n += LINK_FIXED + STR_ROOM(s->links[i].trace_state.len)
             + attrs_bound(s->links[i].attributes, s->links[i].n_attributes,
                           x);
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
    const ot_http_facts *h = ot_record_facts(s);

    return head_bound(s) + tail_bound(s, x)
           + attrs_bound(s->attributes, s->n_attributes, x)
           + (h ? ot_facts_bound(h, x->lim, ESC, ATTR_ROOM) : 0);
}

/* A varint field, left out when v is 0. */
static inline uint8_t *put_varint_field(uint8_t *o, uint8_t tag, uint64_t v)
{
    if (!v) {
        return o;
    }
    *o++ = tag;
    return put_varint(o, v);
}

/* A fixed64 field, left out when v is 0. */
static inline uint8_t *put_fixed64_field(uint8_t *o, uint8_t tag, int64_t v)
{
    if (!v) {
        return o;
    }
    *o++ = tag;
    return put_fixed64(o, (uint64_t)v);
}

static uint8_t *put_event(uint8_t *p, uint8_t *end, const ot_event *e,
                          pctx *x)
{
    uint8_t *o;

    p[0] = TAG_SPAN_EVENTS;
    o = put_fixed64_field(p + 2, TAG_EVENT_TIME, e->time_ns);
    o = put_str_field(o, TAG_EVENT_NAME, e->name);
    if (!(o = put_attrs(o, end, TAG_EVENT_ATTRIBUTES, e->attributes,
                        e->n_attributes, x))) {
        return NULL;
    }
    return end_field(p, 1, o);
}

static uint8_t *put_link(uint8_t *p, uint8_t *end, const ot_link *l,
                         pctx *x)
{
    uint8_t *o;

    p[0] = TAG_SPAN_LINKS;
    o = put_id(p + 2, TAG_LINK_TRACE_ID, l->trace_id, sizeof(l->trace_id));
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
    return end_field(p, 1, o);
}

/* The span's content, in field-number order, or NULL when end comes
 * first. */
static uint8_t *put_span(uint8_t *o, uint8_t *end, const ot_span_record *s,
                         pctx *x)
{
    int has_parent = !ot_id_is_zero(s->parent_span_id, 8);
    uint32_t flags = ot_otlp_span_flags(s, has_parent);
    uint64_t tail = tail_bound(s, x);
    const ot_http_facts *h;
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
    o = put_varint_field(o, TAG_SPAN_KIND, s->kind);
    o = put_fixed64_field(o, TAG_SPAN_START, s->start_ns);
    o = put_fixed64_field(o, TAG_SPAN_END, s->end_ns);
    /* the tail's room is kept; the facts come first */
    if ((h = ot_record_facts(s)) && !(o = put_facts(o, end - tail, h, x))) {
        return NULL;
    }
    if (!(o = put_attrs(o, end - tail, TAG_SPAN_ATTRIBUTES, s->attributes,
                        s->n_attributes, x))) {
        return NULL;
    }
    o = put_varint_field(o, TAG_SPAN_DROPPED_ATTRS, s->dropped_attributes);
    for (i = 0; s->events && i < s->n_events; i++) {
        if (!(o = put_event(o, end, &s->events[i], x))) {
            return NULL;
        }
    }
    o = put_varint_field(o, TAG_SPAN_DROPPED_EVENTS, s->dropped_events);
    for (i = 0; s->links && i < s->n_links; i++) {
        if (!(o = put_link(o, end, &s->links[i], x))) {
            return NULL;
        }
    }
    o = put_varint_field(o, TAG_SPAN_DROPPED_LINKS, s->dropped_links);
    if (s->status_code || ot_str_set(s->status_message)) {
        uint8_t *p = o;

        p[0] = TAG_SPAN_STATUS;
        o = put_str_field(p + 2, TAG_STATUS_MESSAGE, s->status_message);
        o = put_varint_field(o, TAG_STATUS_CODE, s->status_code);
        o = end_field(p, 1, o);
    }
    if (flags) {
        *o++ = TAG_SPAN_FLAGS_0;
        *o++ = TAG_SPAN_FLAGS_1;
        o = put_fixed32(o, flags);
    }
    return o;
}

/* ---- resource groups -------------------------------------------------- */

/* Room kept past a span: its length may take up to ten bytes instead of
 * two, the group's header up to 2 * 9 more than guessed. */
#define SPAN_SLACK 32

/* Room for a span's tag and a two-byte length, filled in after it. */
#define SPAN_PREFIX 3

/* The room the group header takes at most: the two outer tags and
 * lengths, the Resource and the scope. */
static uint64_t header_bound(const ot_resource *r, const pctx *x)
{
    uint64_t n = 4 * (1 + VARINT_MAX);

    if (r) {
        n += attrs_bound(r->attributes, r->n_attributes, x)
             + STR_ROOM(r->scope_name.len) + STR_ROOM(r->scope_version.len);
    }
    return n;
}

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

/*
 * The group's header at base: ResourceSpans's tag and length rs, the
 * Resource field (resf bytes), ScopeSpans's tag and length ss, then what
 * follows (blen bytes: the scope field and the spans); the Resource was
 * written after room for an l1-byte rs, what follows after room for an
 * l2-byte ss; both moved as the lengths' varints need.  Returns the end.
 */
static uint8_t *put_header(uint8_t *base, size_t l1, size_t resf, size_t l2,
                           size_t blen, uint64_t rs, uint64_t ss)
{
    size_t n1 = varint_size(rs), n2 = varint_size(ss);
    uint8_t *a = base + 1 + n1, *b = a + resf + 1 + n2;

    /* in an order that overwrites nothing not moved yet */
    if (n1 > l1) {
        memmove(b, base + 1 + l1 + resf + 1 + l2, blen);
        memmove(a, base + 1 + l1, resf);
    }
    else {
        memmove(a, base + 1 + l1, resf);
        memmove(b, base + 1 + l1 + resf + 1 + l2, blen);
    }
    base[0] = TAG_REQ_RESOURCE_SPANS;
    put_varint(base + 1, rs);
    a[resf] = TAG_RS_SCOPE_SPANS;
    put_varint(a + resf + 1, ss);
    return b + blen;
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
    size_t start = b->len, l1, l2, resf, scopef, i;
    uint8_t *base, *o, *end, *p, *q, *sc;
    uint64_t ss;
    int rc;

    if ((rc = make_room(b, start, header_bound(r, x) + SPAN_SLACK)) != 0) {
        b->len = start;
        return rc;
    }
    /* the Resource and the scope, after room for the longest lengths */
    base = (uint8_t *)b->data + start;
    end = (uint8_t *)b->data + b->cap;
    p = q = base + 1 + VARINT_MAX;
    if (r && r->attributes && r->n_attributes) {
        p[0] = TAG_RS_RESOURCE;
        if (!(q = put_attrs(p + 2, end, TAG_RES_ATTRIBUTES, r->attributes,
                            r->n_attributes, x))) {
            b->failed = 1;      /* cannot happen: the bound is too small */
            return -1;
        }
        q = end_field(p, 1, q);
    }
    resf = (size_t)(q - p);
    sc = o = q + 1 + VARINT_MAX;
    if (r && (ot_str_set(r->scope_name) || ot_str_set(r->scope_version))) {
        sc[0] = TAG_SS_SCOPE;
        o = put_str_field(sc + 2, TAG_SCOPE_NAME, r->scope_name);
        o = put_str_field(o, TAG_SCOPE_VERSION, r->scope_version);
        o = end_field(sc, 1, o);
    }
    scopef = (size_t)(o - sc);
    /* the lengths guessed from 512 bytes a span */
    ss = scopef + (uint64_t)(to - from) * 512;
    l2 = varint_size(ss);
    l1 = varint_size(resf + 1 + l2 + ss);
    o = put_header(base, VARINT_MAX, resf, VARINT_MAX, scopef,
                   (uint64_t)1 << (7 * (l1 - 1)),
                   (uint64_t)1 << (7 * (l2 - 1)));
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
            base = (uint8_t *)b->data + start;
            p = (uint8_t *)b->data + at;
            end = (uint8_t *)b->data + b->cap;
            if (!(q = put_span(p + SPAN_PREFIX, end - SPAN_SLACK, s, x))) {
                /* cannot happen: the bound is too small */
                b->len = start;
                b->failed = 1;
                return -1;
            }
        }
        p[0] = TAG_SS_SPANS;
        o = end_field(p, 2, q);
    }
    /* the lengths, now that they are known */
    ss = (uint64_t)(o - (base + 1 + l1 + resf + 1 + l2));
    o = put_header(base, l1, resf, l2, (size_t)ss,
                   resf + 1 + varint_size(ss) + ss, ss);
    b->len = (size_t)(o - (uint8_t *)b->data);
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
