/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_proto.c: the OTLP/protobuf encoder (see ot_otlp_proto.h).
 *
 * Field numbers and types are those of opentelemetry-proto:
 * collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto and resource/v1/resource.proto.
 *
 * Two passes per resource group.  The size pass computes the length of
 * every nested message exactly (strings measured after UTF-8 repair and
 * cutting), so that each length prefix is a minimal varint; the write pass
 * then reserves the group's bytes once and stores them with a plain
 * pointer, without bounds checks.  Span sizes from the first pass are
 * kept in a small array on the stack; the sizes below a span (attributes,
 * events, links) are computed again as the span is written, which costs a
 * second scan of each string, never an allocation.
 */

#include "ot_otlp_proto.h"

#include <string.h>

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

/* Span sizes of one resource group remembered between the two passes;
 * spans past this many are measured again. */
#define OT_PROTO_SIZE_CACHE 512

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
 * The length of the valid UTF-8 sequence at s (n > 0 bytes left, s[0] >=
 * 0x80), or 0 and in *bad the length of its maximal invalid subpart (the
 * longest prefix of a well-formed sequence, or 1), which becomes one
 * U+FFFD: the Unicode "best practice" for replacement, as in the JSON
 * encoder.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
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
        seq = utf8_seq(s + i, len - i, &bad);
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

/* The output length of s, for the size pass. */
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
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
    o[3] = (uint8_t)(v >> 24);
    return o + 4;
}

static inline uint8_t *put_fixed64(uint8_t *o, uint64_t v)
{
    o = put_fixed32(o, (uint32_t)v);
    return put_fixed32(o, (uint32_t)(v >> 32));
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

/* A string field, left out when empty. */
static inline uint8_t *put_str_field(uint8_t *o, uint8_t tag, ot_str s,
                                     size_t max)
{
    ustr u;

    ustr_measure(&u, s, max);
    if (u.out == 0) {
        return o;
    }
    o = put_len(o, tag, u.out);
    return put_ustr(o, &u);
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

static uint8_t *put_attrs(uint8_t *o, uint8_t tag, const ot_attribute *a,
                          uint32_t n, size_t max)
{
    uint32_t i;

    if (!a) {
        return o;
    }
    for (i = 0; i < n; i++) {
        ustr k, v;
        uint64_t vsize;
        uint64_t d;

        ustr_measure(&k, a[i].key, 0);
        if (a[i].type == OT_VALUE_STRING) {
            ustr_measure(&v, a[i].v.s, max);
        }
        else {
            v.out = 0;
        }
        vsize = value_size(&a[i], v.out);
        o = put_len(o, tag, kv_size(k.out, vsize));
        if (k.out) {
            o = put_len(o, TAG_KV_KEY, k.out);
            o = put_ustr(o, &k);
        }
        o = put_len(o, TAG_KV_VALUE, vsize);
        switch (a[i].type) {
        case OT_VALUE_STRING:
            o = put_len(o, TAG_ANY_STRING, v.out);
            o = put_ustr(o, &v);
            break;
        case OT_VALUE_BOOL:
            *o++ = TAG_ANY_BOOL;
            *o++ = a[i].v.b ? 1 : 0;
            break;
        case OT_VALUE_INT:
            *o++ = TAG_ANY_INT;
            o = put_varint(o, (uint64_t)a[i].v.i);
            break;
        case OT_VALUE_DOUBLE:
            *o++ = TAG_ANY_DOUBLE;
            memcpy(&d, &a[i].v.d, sizeof(d));
            o = put_fixed64(o, d);
            break;
        default:
            break;
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

static uint8_t *put_event(uint8_t *o, const ot_event *e, size_t max)
{
    if (e->time_ns) {
        *o++ = TAG_EVENT_TIME;
        o = put_fixed64(o, (uint64_t)e->time_ns);
    }
    o = put_str_field(o, TAG_EVENT_NAME, e->name, 0);
    return put_attrs(o, TAG_EVENT_ATTRIBUTES, e->attributes, e->n_attributes,
                     max);
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

static uint8_t *put_link(uint8_t *o, const ot_link *l, size_t max)
{
    o = put_id(o, TAG_LINK_TRACE_ID, l->trace_id, sizeof(l->trace_id));
    o = put_id(o, TAG_LINK_SPAN_ID, l->span_id, sizeof(l->span_id));
    o = put_str_field(o, TAG_LINK_TRACE_STATE, l->trace_state, 0);
    o = put_attrs(o, TAG_LINK_ATTRIBUTES, l->attributes, l->n_attributes,
                  max);
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

static int is_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
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

static uint64_t span_size(const ot_span_record *s, size_t max)
{
    int has_parent = !is_zero(s->parent_span_id, sizeof(s->parent_span_id));
    uint64_t n = 2 + sizeof(s->trace_id) + 2 + sizeof(s->span_id);
    size_t len;
    uint32_t i;

    len = str_size(s->trace_state, 0);
    if (len) {
        n += len_field_size(len);
    }
    if (has_parent) {
        n += 2 + sizeof(s->parent_span_id);
    }
    len = str_size(s->name, 0);
    if (len) {
        n += len_field_size(len);
    }
    if (s->kind) {
        n += 1 + varint_size(s->kind);
    }
    if (s->start_ns) {
        n += 9;
    }
    if (s->end_ns) {
        n += 9;
    }
    n += attrs_size(s->attributes, s->n_attributes, max);
    if (s->dropped_attributes) {
        n += 1 + varint_size(s->dropped_attributes);
    }
    if (s->events) {
        for (i = 0; i < s->n_events; i++) {
            n += len_field_size(event_size(&s->events[i], max));
        }
    }
    if (s->dropped_events) {
        n += 1 + varint_size(s->dropped_events);
    }
    if (s->links) {
        for (i = 0; i < s->n_links; i++) {
            n += len_field_size(link_size(&s->links[i], max));
        }
    }
    if (s->dropped_links) {
        n += 1 + varint_size(s->dropped_links);
    }
    if (has_status(s)) {
        n += len_field_size(status_size(s));
    }
    if (span_flags(s, has_parent)) {
        n += 2 + 4;
    }
    return n;
}

/* The span's content, in field-number order. */
static uint8_t *put_span(uint8_t *o, const ot_span_record *s, size_t max)
{
    int has_parent = !is_zero(s->parent_span_id, sizeof(s->parent_span_id));
    uint32_t flags = span_flags(s, has_parent);
    uint32_t i;

    o = put_id(o, TAG_SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
    o = put_id(o, TAG_SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
    o = put_str_field(o, TAG_SPAN_TRACE_STATE, s->trace_state, 0);
    if (has_parent) {
        o = put_id(o, TAG_SPAN_PARENT_SPAN_ID, s->parent_span_id,
                   sizeof(s->parent_span_id));
    }
    o = put_str_field(o, TAG_SPAN_NAME, s->name, 0);
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
    o = put_attrs(o, TAG_SPAN_ATTRIBUTES, s->attributes, s->n_attributes,
                  max);
    if (s->dropped_attributes) {
        *o++ = TAG_SPAN_DROPPED_ATTRS;
        o = put_varint(o, s->dropped_attributes);
    }
    if (s->events) {
        for (i = 0; i < s->n_events; i++) {
            o = put_len(o, TAG_SPAN_EVENTS, event_size(&s->events[i], max));
            o = put_event(o, &s->events[i], max);
        }
    }
    if (s->dropped_events) {
        *o++ = TAG_SPAN_DROPPED_EVENTS;
        o = put_varint(o, s->dropped_events);
    }
    if (s->links) {
        for (i = 0; i < s->n_links; i++) {
            o = put_len(o, TAG_SPAN_LINKS, link_size(&s->links[i], max));
            o = put_link(o, &s->links[i], max);
        }
    }
    if (s->dropped_links) {
        *o++ = TAG_SPAN_DROPPED_LINKS;
        o = put_varint(o, s->dropped_links);
    }
    if (has_status(s)) {
        o = put_len(o, TAG_SPAN_STATUS, status_size(s));
        o = put_str_field(o, TAG_STATUS_MESSAGE, s->status_message, 0);
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

/*
 * Encode spans[from..to) (non-NULL ones, all with resource r) as one
 * ResourceSpans field.  The Resource and the InstrumentationScope are
 * left out when they would be empty.
 */
static int put_group(ot_buf *b, const ot_span_record *const *spans,
                     size_t from, size_t to, const ot_resource *r,
                     size_t max)
{
    uint32_t cache[OT_PROTO_SIZE_CACHE];
    uint64_t res = resource_size(r, max);
    uint64_t scope = scope_size(r);
    uint64_t ss = scope ? len_field_size(scope) : 0;
    uint64_t rs, total, sz;
    uint8_t *o, *start;
    size_t i, k;

    for (i = from, k = 0; i < to; i++) {
        if (!spans[i]) {
            continue;
        }
        sz = span_size(spans[i], max);
        if (k < OT_PROTO_SIZE_CACHE) {
            cache[k++] = sz <= UINT32_MAX ? (uint32_t)sz : UINT32_MAX;
        }
        ss += len_field_size(sz);
    }
    rs = (res ? len_field_size(res) : 0) + len_field_size(ss);
    total = len_field_size(rs);
#if SIZE_MAX < UINT64_MAX
    if (total > SIZE_MAX) {
        b->failed = 1;
        return -1;
    }
#endif
    if (ot_buf_reserve(b, (size_t)total) != 0) {
        return -1;
    }

    start = o = (uint8_t *)b->data + b->len;
    o = put_len(o, TAG_REQ_RESOURCE_SPANS, rs);
    if (res) {
        o = put_len(o, TAG_RS_RESOURCE, res);
        o = put_attrs(o, TAG_RES_ATTRIBUTES, r->attributes, r->n_attributes,
                      max);
    }
    o = put_len(o, TAG_RS_SCOPE_SPANS, ss);
    if (scope) {
        o = put_len(o, TAG_SS_SCOPE, scope);
        o = put_str_field(o, TAG_SCOPE_NAME, r->scope_name, 0);
        o = put_str_field(o, TAG_SCOPE_VERSION, r->scope_version, 0);
    }
    for (i = from, k = 0; i < to; i++) {
        if (!spans[i]) {
            continue;
        }
        if (k < OT_PROTO_SIZE_CACHE && cache[k] != UINT32_MAX) {
            sz = cache[k];
        }
        else {
            sz = span_size(spans[i], max);
        }
        k++;
        o = put_len(o, TAG_SS_SPANS, sz);
        o = put_span(o, spans[i], max);
    }
    if ((uint64_t)(o - start) != total) {
        /* cannot happen: the two passes disagree */
        b->failed = 1;
        return -1;
    }
    b->len += (size_t)total;
    return 0;
}

int ot_otlp_proto_encode(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, const ot_proto_options *opt)
{
    size_t max = opt ? opt->max_value_len : 0;
    size_t i = 0;

    if (ot_buf_failed(b)) {
        return -1;
    }
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
        if (put_group(b, spans, i, j, r, max) != 0) {
            return -1;
        }
        i = j;
    }
    return 0;
}
