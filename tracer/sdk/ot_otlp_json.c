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
 * buffer with the raw writers of ot_write.h, checking the room left a few
 * times a span (see "Room" below).  Two things make it cheaper still, each
 * measured with bench/micro.c's spans (callgrind, instructions per span):
 * the JSON of each attribute key is remembered for the next span (key
 * memo, 30%), and a timestamp's digits but the last eight are taken from
 * the last timestamp when they are the same (11%).
 */

#include "ot_write.h"
#include "ot_facts.h"
#include "ot_otlp_json.h"

#include <stdlib.h>

/*
 * Most spans of a kind have the same keys in the same order: one encoder
 * call remembers the JSON of the key at each place of a list of
 * attributes, ",{\"key\":\"...\",\"value\":{", to copy it at once (a
 * whole KEY_FRAG_MAX) when the key at that place has the same address and
 * length again.  Keys do not change during a call (see ot_queue.h).  Each
 * kind of list has its own memos, so that a batch where spans of two
 * kinds take turns (a server span and its client or internal child), or a
 * span and its events, does not lose them at every turn: the attributes of
 * the spans of each kind (MEMO_SPANS + kind), of events, and of links and
 * resources.
 */
#define KEY_MEMOS 32
#define KEY_FRAG_MAX 64
#define MEMO_SPANS 0
#define MEMO_EVENTS (MEMO_SPANS + OT_SPAN_KIND_CONSUMER + 1)
#define MEMO_OTHERS (MEMO_EVENTS + 1)
#define MEMO_LISTS (MEMO_OTHERS + 1)

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
    uint64_t ts_hi;             /* the last timestamp / 10^8 ... */
    size_t ts_len;
    char ts_text[24];           /* ... in decimal (ts_len bytes) */
    key_memo memo[MEMO_LISTS][KEY_MEMOS];
} jctx;

#define ESC OT_JSON_ESC_MAX
#define STR_ROOM(n) OT_STR_ROOM((n), ESC)
#define ATTR_ROOM OT_ATTR_ROOM(ESC)

/* ",{\"key\":" and the key as a string, then ",\"value\":{", remembered
 * in m when it is short enough. */
static OT_NOINLINE char *w_key_memo(char *o, ot_str k, key_memo *m)
{
    char *start = o;

    o = OT_W_LIT(o, ",{\"key\":");
    o = ot_w_json_ostr(o, k, 0);
    o = OT_W_LIT(o, ",\"value\":{");
    if (k.ptr && (size_t)(o - start) <= KEY_FRAG_MAX) {
        m->ptr = k.ptr;
        m->len = k.len;
        m->frag_len = (uint32_t)(o - start);
        memcpy(m->frag, start, m->frag_len);
    }
    return o;
}

/* The same, for the key at the place of m: room for the larger of
 * STR_ROOM(k.len) and KEY_FRAG_MAX. */
static OT_INLINE char *w_key(char *o, ot_str k, key_memo *m)
{
    if (m->ptr == k.ptr && m->len == k.len) {
        memcpy(o, m->frag, KEY_FRAG_MAX);
        return o + m->frag_len;
    }
    return w_key_memo(o, k, m);
}

/* v in decimal between double quotes, as JSON wants 64-bit integers. */
static OT_INLINE char *w_quoted_i64(char *o, int64_t v)
{
    *o++ = '"';
    o = ot_w_i64(o, v);
    *o++ = '"';
    return o;
}

/* n bytes as lowercase hex between double quotes. */
static OT_INLINE char *w_quoted_hex(char *o, const uint8_t *id, size_t n)
{
    *o++ = '"';
    o = ot_w_hex(o, id, n);
    *o++ = '"';
    return o;
}

/* A timestamp between double quotes: the digits but the last eight come
 * from the last one when they are the same. */
static OT_INLINE char *w_quoted_ts(char *o, uint64_t v, jctx *x)
{
    uint64_t hi = v / 100000000;

    *o++ = '"';
    if (!hi) {
        o = ot_w_u64(o, v);
    }
    else {
        if (hi != x->ts_hi) {
            x->ts_len = (size_t)(ot_w_u64(x->ts_text, hi) - x->ts_text);
            x->ts_hi = hi;
        }
        /* at most 12 digits (hi < 1.9 * 10^11) */
        memcpy(o, x->ts_text, 16);
        o += x->ts_len;
        ot_store_le64(o, ot_digits8((uint32_t)(v - hi * 100000000)));
        o += 8;
    }
    *o++ = '"';
    return o;
}

static inline size_t room_left(const char *o, const char *end)
{
    return (size_t)(end - o);
}

/*
 * Room.  A span is first written where the buffer has room, checking as
 * it goes: once for its fixed parts and small strings, once per array of
 * attributes (ATTR_ROOM each), and once more for each long key or string
 * value (see ot_attrs_bound()).  Should the room run out, the writer
 * returns NULL and the span is written again after making room for
 * span_bound() bytes, an upper bound of its size (every string byte
 * counted as an escape) that makes those checks pass.
 */
static uint64_t attributes_bound(const ot_attribute *a, uint32_t n,
                                 const jctx *x)
{
    return ot_attrs_bound(a, n, x->lim, ESC) + 2;
}

/* A string array value and the end of its KeyValue, or NULL when end
 * comes first with after more bytes to keep. */
static OT_NOINLINE char *w_str_array(char *o, char *end, const ot_str_array *sa,
                                     uint64_t after, const jctx *x)
{
    uint32_t k, n = ot_str_array_n(sa);

    if (room_left(o, end) < ot_str_array_room(sa, x->lim, ESC) + after) {
        return NULL;
    }
    if (!n) {
        return OT_W_LIT(o, "\"arrayValue\":{}}}");
    }
    o = OT_W_LIT(o, "\"arrayValue\":{\"values\":[");
    for (k = 0; k < n; k++) {
        if (k) {
            *o++ = ',';
        }
        o = OT_W_LIT(o, "{\"stringValue\":");
        o = ot_w_json_ostr(o, sa->items[k], x->max);
        *o++ = '}';
    }
    return OT_W_LIT(o, "]}}}");
}

/* The n attributes at a, each after a comma, or NULL when end comes
 * first (room kept for the array's closing bracket).  Inline where a span
 * or an event has attributes but no facts (w_attrs_field), out of line
 * after facts (w_attributes). */
static OT_INLINE char *w_attributes_inline(char *o, char *end,
                                           const ot_attribute *a, uint32_t n,
                                           key_memo *memo, jctx *x)
{
    const ot_attribute *stop = a + n;
    unsigned j = 0;

    if (room_left(o, end) < (uint64_t)n * ATTR_ROOM + 2) {
        return NULL;
    }
    for (; a < stop; a++, j++) {
        if (a->key.len > OT_KEY_SHORT
            && room_left(o, end) < STR_ROOM(a->key.len)
                                   + (uint64_t)(stop - a) * ATTR_ROOM + 2) {
            return NULL;
        }
        o = w_key(o, a->key, &memo[j % KEY_MEMOS]);
        switch (a->type) {
        case OT_VALUE_STRING: {
            const char *p = a->v.s.ptr;
            size_t len = p ? a->v.s.len : 0;
            size_t lim = len < x->lim ? len : x->lim;

            if (lim > OT_VALUE_SHORT
                && room_left(o, end) < STR_ROOM(lim)
                                       + (uint64_t)(stop - a - 1) * ATTR_ROOM
                                       + 2) {
                return NULL;
            }
            /* the common case inline: nothing to escape or repair */
            o = OT_W_LIT(o, "\"stringValue\":\"");
            if (ot_copy_clean(o, (const unsigned char *)p, lim, 1)) {
                o = OT_W_LIT(o + lim, "\"}}");
            }
            else {
                o = ot_w_json_str_slow(o - 1, (const unsigned char *)p, len,
                                       x->max);
                o = OT_W_LIT(o, "}}");
            }
            continue;
        }
        case OT_VALUE_BOOL:
            if (a->v.b) {
                o = OT_W_LIT(o, "\"boolValue\":true}}");
            }
            else {
                o = OT_W_LIT(o, "\"boolValue\":false}}");
            }
            continue;
        case OT_VALUE_INT:
            o = OT_W_LIT(o, "\"intValue\":");
            o = w_quoted_i64(o, a->v.i);
            break;
        case OT_VALUE_DOUBLE:
            o = OT_W_LIT(o, "\"doubleValue\":");
            o = ot_w_double(o, a->v.d);
            break;
        default:
            /* string arrays here, not in a case of their own: the switch
             * over the four others compiles as it did (compares, not a
             * jump table) */
            if (a->type == OT_VALUE_STRING_ARRAY) {
                if (!(o = w_str_array(o, end, &a->v.sa,
                                      (uint64_t)(stop - a - 1) * ATTR_ROOM
                                      + 2, x))) {
                    return NULL;
                }
                continue;
            }
            /* unknown type: an AnyValue with nothing set */
            break;
        }
        o = OT_W_LIT(o, "}}");
    }
    return o;
}

static OT_NOINLINE char *w_attributes(char *o, char *end,
                                      const ot_attribute *a, uint32_t n,
                                      key_memo *memo, jctx *x)
{
    return w_attributes_inline(o, end, a, n, memo, x);
}

/* ---- HTTP facts --------------------------------------------------------- */

/*
 * The facts are written as w_attributes() writes the attributes
 * ot_facts_expand() makes of them, by code unrolled from OT_FACTS_TABLE:
 * each attribute's JSON up to its value,
 * ",{\"key\":\"...\",\"value\":{\"stringValue\":\"" (or "intValue"), a
 * literal copied at once.
 */
#define FRAG_STR(k) ",{\"key\":\"" k "\",\"value\":{\"stringValue\":\""
#define FRAG_INT(k) ",{\"key\":\"" k "\",\"value\":{\"intValue\":\""

/* A string value s after its fragment at o, as w_attributes() writes one
 * that is long or to escape or repair; NULL when end comes first (room:
 * what the facts' short attributes take). */
static OT_NOINLINE char *w_fact_str_slow(char *o, char *end, ot_str s,
                                         uint64_t room, jctx *x)
{
    size_t len = s.ptr ? s.len : 0;
    size_t lim = len < x->lim ? len : x->lim;

    if (lim > OT_VALUE_SHORT
        && room_left(o, end) < STR_ROOM(lim) + room + 2) {
        return NULL;
    }
    if (ot_copy_clean(o, (const unsigned char *)s.ptr, lim, 1)) {
        return OT_W_LIT(o + lim, "\"}}");
    }
    o = ot_w_json_str_slow(o - 1, (const unsigned char *)s.ptr, len, x->max);
    return OT_W_LIT(o, "}}");
}

/* A string value s after its fragment at o and the end of its KeyValue. */
static OT_INLINE char *w_fact_str(char *o, char *end, ot_str s,
                                  uint64_t room, jctx *x)
{
    size_t len = s.ptr ? s.len : 0;

    if (len <= OT_VALUE_SHORT && len <= x->lim
        && ot_copy_clean(o, (const unsigned char *)s.ptr, len, 1)) {
        return OT_W_LIT(o + len, "\"}}");
    }
    return w_fact_str_slow(o, end, s, room, x);
}

/* An integer value i after its fragment at o and the end of its
 * KeyValue. */
static OT_INLINE char *w_fact_int(char *o, int64_t i)
{
    return OT_W_LIT(ot_w_i64(o, i), "\"}}");
}

#define W_FACT_STR(key, member)                                             \
    w_fact_str(OT_W_LIT(o, FRAG_STR(key)), end, h->member, room, x)
#define W_FACT_INT(key, member)                                             \
    w_fact_int(OT_W_LIT(o, FRAG_INT(key)), h->member)
#define W_FACT(f, cur, old, member, type)                                   \
    if (h->present & OT_FACT_BIT(OT_FACT_##f)) {                            \
        if (sizeof(cur) > 1 && (names & OT_FACT_NAMES_CURRENT)              \
            && !(o = W_FACT_##type(cur, member))) {                         \
            return NULL;                                                    \
        }                                                                   \
        if (sizeof(old) > 1 && (names & OT_FACT_NAMES_OLD)                  \
            && !(o = W_FACT_##type(old, member))) {                         \
            return NULL;                                                    \
        }                                                                   \
    }

/* The facts of h as w_attributes() writes their attributes
 * (ot_facts_expand()'s, in its order), or NULL when end comes first. */
static char *w_facts(char *o, char *end, const ot_http_facts *h, jctx *x)
{
    uint32_t names = h->names;
    uint64_t room = (uint64_t)ot_facts_count(h) * ATTR_ROOM;

    if (room_left(o, end) < room + 2) {
        return NULL;
    }
    OT_FACTS_TABLE(W_FACT)
    return o;
}

/* ",\"attributes\":" and the array of the facts h (NULL: none) then the n
 * attributes at a, when there are any; list is their memos' (MEMO_*).
 * The first one's comma becomes the '['. */
static OT_NOINLINE char *w_facts_field(char *o, char *end,
                                       const ot_attribute *a, uint32_t n,
                                       const ot_http_facts *h,
                                       unsigned list, jctx *x)
{
    char *start = o, *open;

    if (!a) {
        n = 0;
    }
    o = OT_W_LIT(o, ",\"attributes\":");
    open = o;
    if (h && !(o = w_facts(o, end, h, x))) {
        return NULL;
    }
    if (n && !(o = w_attributes(o, end, a, n, x->memo[list], x))) {
        return NULL;
    }
    if (o == open) {
        /* facts none of which has a key under the names asked for */
        return start;
    }
    *open = '[';
    *o++ = ']';
    return o;
}

/* The same: with facts, w_facts_field(); without (the attributes of
 * events, links, resources, and of spans of the span API), inline. */
static OT_INLINE char *w_attrs_field(char *o, char *end,
                                     const ot_attribute *a, uint32_t n,
                                     const ot_http_facts *h, unsigned list,
                                     jctx *x)
{
    char *open;

    if (h) {
        return w_facts_field(o, end, a, n, h, list, x);
    }
    if (!a || !n) {
        return o;
    }
    o = OT_W_LIT(o, ",\"attributes\":");
    open = o;
    if (!(o = w_attributes_inline(o, end, a, n, x->memo[list], x))) {
        return NULL;
    }
    /* n > 0: the first attribute's comma is there */
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
        return OT_W_LIT(o, "{}");
    }
    *open = '{';
    *o++ = '}';
    return o;
}

/* ",\"name\":" and s, when s is set. */
#define W_STR_FIELD(o, lit, s) \
    (ot_str_set(s) ? ot_w_json_ostr(OT_W_LIT((o), lit), (s), 0) : (o))

#define EVENT_FIXED 80

static uint64_t event_bound(const ot_event *e, const jctx *x)
{
    return EVENT_FIXED + STR_ROOM(e->name.len)
           + attributes_bound(e->attributes, e->n_attributes, x);
}

static char *w_event(char *o, char *end, const ot_event *e, jctx *x)
{
    char *open = o;

    if (e->time_ns) {
        o = OT_W_LIT(o, ",\"timeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)e->time_ns, x);
    }
    o = W_STR_FIELD(o, ",\"name\":", e->name);
    if (!(o = w_attrs_field(o, end, e->attributes, e->n_attributes, NULL,
                             MEMO_EVENTS, x))) {
        return NULL;
    }
    return end_object(o, open);
}

#define LINK_FIXED 128

static uint64_t link_bound(const ot_link *l, const jctx *x)
{
    return LINK_FIXED + STR_ROOM(l->trace_state.len)
           + attributes_bound(l->attributes, l->n_attributes, x);
}

static char *w_link(char *o, char *end, const ot_link *l, jctx *x)
{
    o = OT_W_LIT(o, "{\"traceId\":");
    o = w_quoted_hex(o, l->trace_id, sizeof(l->trace_id));
    o = OT_W_LIT(o, ",\"spanId\":");
    o = w_quoted_hex(o, l->span_id, sizeof(l->span_id));
    o = W_STR_FIELD(o, ",\"traceState\":", l->trace_state);
    if (!(o = w_attrs_field(o, end, l->attributes, l->n_attributes, NULL,
                             MEMO_OTHERS, x))) {
        return NULL;
    }
    if (l->flags) {
        /* Only the W3C trace flags: whether a link is remote is unknown. */
        o = OT_W_LIT(o, ",\"flags\":");
        o = ot_w_u64(o, l->flags);
    }
    *o++ = '}';
    return o;
}

/* Room for the parts of a span before its attributes (the comma before it,
 * ids, numbers, field names) besides its strings, and for those after. */
#define HEAD_FIXED 320
#define TAIL_FIXED 256

static inline uint64_t head_bound(const ot_span_record *s)
{
    return HEAD_FIXED + STR_ROOM(s->trace_state.len) + STR_ROOM(s->name.len);
}

static inline uint64_t tail_bound(const ot_span_record *s, const jctx *x)
{
    uint64_t n = TAIL_FIXED + STR_ROOM(s->status_message.len);
    uint32_t i;

    for (i = 0; s->events && i < s->n_events; i++) {
        n += 1 + event_bound(&s->events[i], x);
    }
    for (i = 0; s->links && i < s->n_links; i++) {
        n += 1 + link_bound(&s->links[i], x);
    }
    return n;
}

/* The most bytes w_span() writes for s. */
static uint64_t span_bound(const ot_span_record *s, const jctx *x)
{
    const ot_http_facts *h = ot_record_facts(s);

    return head_bound(s) + tail_bound(s, x)
           + attributes_bound(s->attributes, s->n_attributes, x)
           + (h ? ot_facts_bound(h, x->lim, ESC, ATTR_ROOM) : 0);
}

/* ",\"<lit>\":" and a number, when it is not 0. */
#define W_NUM_FIELD(o, lit, v) \
    ((v) ? ot_w_u64(OT_W_LIT((o), lit), (v)) : (o))

/* The span, after a comma if comma; NULL when end comes first. */
static char *w_span(char *o, char *end, const ot_span_record *s, int comma,
                    jctx *x)
{
    int has_parent = !ot_id_is_zero(s->parent_span_id, 8);
    uint64_t head = head_bound(s), tail = tail_bound(s, x);
    uint32_t i;

    if (room_left(o, end) < head + tail) {
        return NULL;
    }
    if (comma) {
        *o++ = ',';
    }
    o = OT_W_LIT(o, "{\"traceId\":");
    o = w_quoted_hex(o, s->trace_id, sizeof(s->trace_id));
    o = OT_W_LIT(o, ",\"spanId\":");
    o = w_quoted_hex(o, s->span_id, sizeof(s->span_id));
    o = W_STR_FIELD(o, ",\"traceState\":", s->trace_state);
    if (has_parent) {
        o = OT_W_LIT(o, ",\"parentSpanId\":");
        o = w_quoted_hex(o, s->parent_span_id, sizeof(s->parent_span_id));
    }
    o = W_NUM_FIELD(o, ",\"flags\":", ot_otlp_span_flags(s, has_parent));
    o = W_STR_FIELD(o, ",\"name\":", s->name);
    o = W_NUM_FIELD(o, ",\"kind\":", s->kind);
    if (s->start_ns) {
        o = OT_W_LIT(o, ",\"startTimeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)s->start_ns, x);
    }
    if (s->end_ns) {
        o = OT_W_LIT(o, ",\"endTimeUnixNano\":");
        o = w_quoted_ts(o, (uint64_t)s->end_ns, x);
    }
    /* the tail's room is kept */
    if (!(o = w_attrs_field(o, end - tail, s->attributes, s->n_attributes,
                            ot_record_facts(s),
                            MEMO_SPANS + (s->kind <= OT_SPAN_KIND_CONSUMER
                                          ? (unsigned)s->kind : 0),
                            x))) {
        return NULL;
    }
    o = W_NUM_FIELD(o, ",\"droppedAttributesCount\":", s->dropped_attributes);
    if (s->n_events && s->events) {
        o = OT_W_LIT(o, ",\"events\":[");
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
    o = W_NUM_FIELD(o, ",\"droppedEventsCount\":", s->dropped_events);
    if (s->n_links && s->links) {
        o = OT_W_LIT(o, ",\"links\":[");
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
    o = W_NUM_FIELD(o, ",\"droppedLinksCount\":", s->dropped_links);
    if (s->status_code || ot_str_set(s->status_message)) {
        char *open;

        o = OT_W_LIT(o, ",\"status\":");
        open = o;
        o = W_NUM_FIELD(o, ",\"code\":", s->status_code);
        o = W_STR_FIELD(o, ",\"message\":", s->status_message);
        o = end_object(o, open);
    }
    *o++ = '}';
    return o;
}

#define RESOURCE_FIXED 128

/* The most bytes w_resource() writes for r. */
static uint64_t resource_bound(const ot_resource *r, const jctx *x)
{
    if (!r) {
        return RESOURCE_FIXED;
    }
    return RESOURCE_FIXED + STR_ROOM(r->scope_name.len)
           + STR_ROOM(r->scope_version.len)
           + attributes_bound(r->attributes, r->n_attributes, x);
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
        o = OT_W_LIT(o, "]}]},");
    }
    o = OT_W_LIT(o, "{\"resource\":");
    open = o;
    if (r && !(o = w_attrs_field(o, end, r->attributes, r->n_attributes,
                                 NULL,
                                 MEMO_OTHERS, x))) {
        return NULL;
    }
    o = end_object(o, open);
    o = OT_W_LIT(o, ",\"scopeSpans\":[{");
    if (r && (ot_str_set(r->scope_name) || ot_str_set(r->scope_version))) {
        o = OT_W_LIT(o, "\"scope\":");
        open = o;
        o = W_STR_FIELD(o, ",\"name\":", r->scope_name);
        o = W_STR_FIELD(o, ",\"version\":", r->scope_version);
        o = end_object(o, open);
        *o++ = ',';
    }
    return OT_W_LIT(o, "\"spans\":[");
}

/* Append a string literal with the room checked. */
static void put_lit(ot_buf *b, const char *s, size_t n)
{
    ot_wr w;
    char *o = ot_wr_begin(&w, b, n);

    if (o) {
        memcpy(o, s, n);
        ot_wr_end(&w, o + n);
    }
}

#define PUT_LIT(b, s) put_lit((b), (s), sizeof(s) - 1)

int ot_otlp_json_encode(ot_buf *b, const ot_span_record *const *spans,
                        size_t n, const ot_json_options *opt)
{
    const ot_resource *cur = NULL;
    int open = 0, first = 1;
    ot_wr w;
    jctx x;
    size_t i;
    char *o;

    if (ot_buf_failed(b)) {
        return -1;
    }
    x.max = opt ? opt->max_value_len : 0;
    x.lim = x.max ? x.max : SIZE_MAX;
    x.ts_hi = UINT64_MAX;
    x.ts_len = 0;
    for (i = 0; i < MEMO_LISTS * KEY_MEMOS; i++) {
        x.memo[i / KEY_MEMOS][i % KEY_MEMOS].ptr = (const char *)&x;
        x.memo[i / KEY_MEMOS][i % KEY_MEMOS].len = 0;
    }
    PUT_LIT(b, "{\"resourceSpans\":[");
    for (i = 0; i < n; i++) {
        const ot_span_record *s = spans[i];

        if (!s) {
            continue;
        }
        if (!open || s->resource != cur) {
            cur = s->resource;
            if (!(o = ot_wr_begin(&w, b, resource_bound(cur, &x)))) {
                return -1;
            }
            if (!(o = w_resource(o, w.end, cur, open, &x))) {
                return ot_wr_abort(&w);
            }
            ot_wr_end(&w, o);
            open = 1;
            first = 1;
        }
        /* where there is room, else again where room was made */
        if (!b->data || ot_buf_failed(b)
            || !(o = w_span(b->data + b->len, b->data + b->cap, s, !first,
                            &x))) {
            if (!(o = ot_wr_begin(&w, b, span_bound(s, &x)))) {
                return -1;
            }
            if (!(o = w_span(o, w.end, s, !first, &x))) {
                return ot_wr_abort(&w);
            }
            ot_wr_end(&w, o);
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
