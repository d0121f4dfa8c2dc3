/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_span.h"

#include <stddef.h>
#include <string.h>

#include "ot_facts.h"
#include "ot_ids.h"
#include "ot_queue.h"       /* OT_QUEUE_COPY_KEY */
#include "ot_write.h"       /* OT_NOINLINE */

struct ot_span {
    ot_span_record rec;
    ot_event events[OT_SPAN_MAX_EVENTS];
    ot_link links[OT_SPAN_MAX_LINKS];
    ot_http_facts *facts;       /* rec.http once ot_span_facts() ran:
                                 * allocated then, so that spans without
                                 * facts (the span API's) take no room
                                 * for them */
    apr_pool_t *pool;
    int set_keys;               /* an ot_span_set_* call added a key of
                                 * its caller's choosing: a tag must look
                                 * for it */
    size_t attr_bytes;          /* see ot_span_attr_bytes() */
    ot_attribute *attrs;        /* attr_slots; once they are full, an
                                 * array of OT_SPAN_MAX_ATTRIBUTES */
    uint32_t attr_room;         /* attributes attrs has room for */
    ot_attribute attr_slots[];  /* allocated with the span: a span of
                                 * the span API has room for a few (the
                                 * request pool's block is spared 2.5 KB),
                                 * the others for all */
};

#define SPAN_SIZE(attrs) \
    (offsetof(ot_span, attr_slots) + (size_t)(attrs) * sizeof(ot_attribute))

static ot_str mkstr(const char *s, long len)
{
    ot_str r;

    r.ptr = s ? s : "";
    r.len = (uint32_t)(len < 0 ? (s ? strlen(s) : 0) : (size_t)len);
    return r;
}

/* ot_span_init(), inline in ot_span_start(). */
static OT_INLINE ot_span *span_init(ot_span *s, apr_pool_t *p,
                                    uint32_t attrs,
                                    const ot_span_context *parent,
                                    int parent_is_remote, uint8_t root_flags,
                                    ot_span_kind kind, int64_t start_ns)
{
    /* Only the record header needs zeroing; the arrays are filled as
     * they are used. */
    ot_span_record *r = &s->rec;

    memset(r, 0, sizeof(*r));
    s->set_keys = 0;
    s->attr_bytes = 0;
    s->facts = NULL;
    s->pool = p;
    s->attrs = s->attr_slots;
    s->attr_room = attrs;
    r->struct_size = (uint32_t)sizeof(*r);
    if (parent) {
        memcpy(r->trace_id, parent->trace_id, 16);
        memcpy(r->parent_span_id, parent->span_id, 8);
        r->flags = parent->flags;
        r->parent_is_remote = parent_is_remote ? 1 : 0;
        r->trace_state = mkstr(parent->trace_state, -1);
    }
    else {
        ot_ids_trace_id(r->trace_id);
        r->flags = root_flags;
        r->trace_state = mkstr(NULL, 0);
    }
    ot_ids_span_id(r->span_id);
    r->kind = (uint8_t)kind;
    r->start_ns = start_ns;
    r->end_ns = start_ns;
    r->name = mkstr(NULL, 0);
    r->status_message = mkstr(NULL, 0);
    r->attributes = s->attr_slots;
    r->events = s->events;
    r->links = s->links;
    return s;
}

ot_span *ot_span_start(apr_pool_t *p, const ot_span_context *parent,
                       int parent_is_remote, uint8_t root_flags,
                       ot_span_kind kind, int64_t start_ns)
{
    return span_init(apr_palloc(p, SPAN_SIZE(OT_SPAN_MAX_ATTRIBUTES)), p,
                     OT_SPAN_MAX_ATTRIBUTES, parent, parent_is_remote,
                     root_flags, kind, start_ns);
}

size_t ot_span_size(uint32_t attrs)
{
    return SPAN_SIZE(attrs < OT_SPAN_MAX_ATTRIBUTES ? attrs
                                                    : OT_SPAN_MAX_ATTRIBUTES);
}

ot_span *ot_span_init(void *mem, uint32_t attrs, apr_pool_t *p,
                      const ot_span_context *parent, int parent_is_remote,
                      uint8_t root_flags, ot_span_kind kind, int64_t start_ns)
{
    return span_init(mem, p,
                     attrs < OT_SPAN_MAX_ATTRIBUTES ? attrs
                                                    : OT_SPAN_MAX_ATTRIBUTES,
                     parent, parent_is_remote, root_flags, kind, start_ns);
}

ot_span_record *ot_span_record_get(ot_span *s)
{
    return &s->rec;
}

ot_http_facts *ot_span_facts(ot_span *s)
{
    if (!s->facts) {
        /* member by member: the queue copies every string, the numbers
         * only count where their bit is set (a memset of the whole costs
         * a call and more) */
        ot_http_facts *h = apr_palloc(s->pool, sizeof(*h));

        h->struct_size = (uint32_t)sizeof(*h);
        h->present = 0;
        h->names = 0;
#define CLEAR(m) h->m.ptr = NULL; h->m.len = 0;
        OT_FACT_STR_MEMBERS(CLEAR)
#undef CLEAR
        s->facts = h;
        s->rec.http = h;
    }
    return s->facts;
}

size_t ot_span_attr_bytes(const ot_span *s)
{
    return s->attr_bytes;
}

void ot_span_set_name(ot_span *s, const char *name)
{
    s->rec.name = mkstr(name, -1);
}

void ot_span_set_status(ot_span *s, ot_status_code code, const char *msg)
{
    s->rec.status_code = (uint8_t)code;
    s->rec.status_message = mkstr(msg, -1);
}

/* Room for all OT_SPAN_MAX_ATTRIBUTES attributes, when s's slots are
 * full: whether there is. */
static OT_NOINLINE int more_attrs(ot_span *s)
{
    ot_attribute *all;

    if (s->attr_room >= OT_SPAN_MAX_ATTRIBUTES) {
        return 0;
    }
    all = apr_palloc(s->pool, sizeof(*all) * OT_SPAN_MAX_ATTRIBUTES);
    memcpy(all, s->attrs, sizeof(*all) * s->rec.n_attributes);
    s->attrs = all;
    s->attr_room = OT_SPAN_MAX_ATTRIBUTES;
    s->rec.attributes = all;
    return 1;
}

static ot_attribute *next_attr_n(ot_span *s, const char *key, size_t klen)
{
    ot_attribute *a;

    if (s->rec.n_attributes >= s->attr_room && !more_attrs(s)) {
        s->rec.dropped_attributes++;
        return NULL;
    }
    a = &s->attrs[s->rec.n_attributes++];
    a->key.ptr = key;
    a->key.len = (uint32_t)klen;
    return a;
}

/* A string value: its bytes counted for the queue's copy. */
static void set_str_value(ot_span *s, ot_attribute *a, const char *val,
                          size_t vlen)
{
    a->type = OT_VALUE_STRING;
    a->v.s.ptr = val;
    a->v.s.len = (uint32_t)vlen;
    s->attr_bytes += vlen;
}

static ot_attribute *next_attr(ot_span *s, const char *key)
{
    return next_attr_n(s, key, strlen(key));
}

void ot_span_add_strn(ot_span *s, const char *key, size_t klen,
                      const char *val, size_t vlen)
{
    ot_attribute *a = next_attr_n(s, key, klen);

    if (a) {
        set_str_value(s, a, val, vlen);
    }
}

void ot_span_add_intn(ot_span *s, const char *key, size_t klen, int64_t v)
{
    ot_attribute *a = next_attr_n(s, key, klen);

    if (a) {
        a->type = OT_VALUE_INT;
        a->v.i = v;
    }
}

void ot_span_add_str(ot_span *s, const char *key, const char *val, long len)
{
    ot_attribute *a = next_attr(s, key);

    if (a) {
        ot_str v = mkstr(val, len);

        set_str_value(s, a, v.ptr, v.len);
    }
}

/* The attribute with this key (a key marked for the queue to copy
 * matches too), else a new one (NULL: none left). */
static OT_NOINLINE ot_attribute *attr_by_key(ot_span *s, const char *key,
                                             size_t klen)
{
    uint32_t i;

    for (i = 0; i < s->rec.n_attributes; i++) {
        ot_attribute *a = &s->attrs[i];
        if ((a->key.len & ~OT_QUEUE_COPY_KEY) == klen
            && memcmp(a->key.ptr, key, klen) == 0) {
            return a;
        }
    }
    return next_attr_n(s, key, klen);
}

/* A tag whose key is a fact's: the fact gives way to it (the tag becomes
 * an attribute); under both names, its key of the other names stays, as
 * an attribute. */
static OT_NOINLINE void tag_over_fact(ot_span *s, const char *key,
                                      size_t klen)
{
    ot_http_facts *h = s->facts;
    unsigned name, other;
    ot_attribute *a;
    int f = ot_fact_by_key(h, key, klen, &name);

    if (f < 0 || !(h->present & OT_FACT_BIT(f))) {
        return;
    }
    h->present &= ~OT_FACT_BIT(f);
    other = 1 - name;
    if ((h->names & (1u << other)) && ot_fact_defs[f].key[other].len
        && (a = next_attr_n(s, NULL, 0))) {
        ot_fact_attr(h, (unsigned)f, other, a);
        if (a->type == OT_VALUE_STRING) {
            s->attr_bytes += a->v.s.len;
        }
    }
}

/* The attribute a tag replaces, or a new one (see ot_span_tag_strn). */
static ot_attribute *tag_attr(ot_span *s, const char *key, size_t klen,
                              int may_be_fixed)
{
    if (may_be_fixed && s->facts && s->facts->present) {
        tag_over_fact(s, key, klen);
    }
    if (may_be_fixed || s->set_keys) {
        return attr_by_key(s, key, klen);
    }
    return next_attr_n(s, key, klen);
}

void ot_span_tag_strn(ot_span *s, const char *key, size_t klen,
                      int may_be_fixed, const char *val, size_t vlen)
{
    ot_attribute *a = tag_attr(s, key, klen, may_be_fixed);

    if (a) {
        set_str_value(s, a, val, vlen);
    }
}

void ot_span_tag_intn(ot_span *s, const char *key, size_t klen,
                      int may_be_fixed, int64_t v)
{
    ot_attribute *a = tag_attr(s, key, klen, may_be_fixed);

    if (a) {
        a->type = OT_VALUE_INT;
        a->v.i = v;
    }
}

void ot_span_tag_booln(ot_span *s, const char *key, size_t klen,
                       int may_be_fixed, int v)
{
    ot_attribute *a = tag_attr(s, key, klen, may_be_fixed);

    if (a) {
        a->type = OT_VALUE_BOOL;
        a->v.b = v ? 1 : 0;
    }
}

void ot_span_set_str(ot_span *s, const char *key, const char *val, long len)
{
    ot_attribute *a = attr_by_key(s, key, strlen(key));

    s->set_keys = 1;
    if (a) {
        ot_str v = mkstr(val, len);

        set_str_value(s, a, v.ptr, v.len);
    }
}

static void set_str_array(ot_span *s, ot_attribute *a, const ot_str *items,
                          uint32_t n)
{
    a->type = OT_VALUE_STRING_ARRAY;
    a->v.sa.items = n ? items : NULL;
    a->v.sa.n = items ? n : 0;
    s->attr_bytes += ot_queue_str_array_bytes(&a->v.sa);
}

void ot_span_add_str_array(ot_span *s, const char *key, const ot_str *items,
                           uint32_t n)
{
    ot_attribute *a = next_attr(s, key);

    if (a) {
        set_str_array(s, a, items, n);
    }
}

void ot_span_set_str_array(ot_span *s, const char *key, const ot_str *items,
                           uint32_t n)
{
    ot_attribute *a = attr_by_key(s, key, strlen(key));

    s->set_keys = 1;
    if (a) {
        set_str_array(s, a, items, n);
    }
}

/* a, found or new, keyed by key. */
static OT_INLINE ot_attribute *keyed(ot_span *s, ot_attribute *a, ot_str key)
{
    size_t klen = key.len & ~OT_QUEUE_COPY_KEY;

    s->set_keys = 1;
    a->key = key;
    if (key.len & OT_QUEUE_COPY_KEY) {
        s->attr_bytes += klen;
    }
    return a;
}

/* The attribute with key, or a new one (NULL: none left), keyed by it. */
static ot_attribute *keyed_attr(ot_span *s, ot_str key)
{
    ot_attribute *a = attr_by_key(s, key.ptr, key.len & ~OT_QUEUE_COPY_KEY);

    return a ? keyed(s, a, key) : NULL;
}

/* The same in the common case, with no call (none to save registers
 * for): this runs for each of another module's attributes.  Found, the
 * attribute with key at the same address (the span API's keys are
 * interned); not found, a new one while the span has room; else NULL,
 * and keyed_attr() decides (a key of that length elsewhere, compared
 * byte by byte; a full span). */
static OT_INLINE ot_attribute *keyed_attr_fast(ot_span *s, ot_str key)
{
    size_t klen = key.len & ~OT_QUEUE_COPY_KEY;
    ot_attribute *a = s->attrs, *end = a + s->rec.n_attributes;

    for (; a < end; a++) {
        if ((a->key.len & ~OT_QUEUE_COPY_KEY) == klen) {
            return a->key.ptr == key.ptr ? keyed(s, a, key) : NULL;
        }
    }
    if (s->rec.n_attributes >= s->attr_room) {
        return NULL;
    }
    s->rec.n_attributes++;
    return keyed(s, a, key);
}

static OT_NOINLINE void set_key_str_slow(ot_span *s, ot_str key,
                                         const char *val, size_t vlen)
{
    ot_attribute *a = keyed_attr(s, key);

    if (a) {
        set_str_value(s, a, val, vlen);
    }
}

void ot_span_set_key_str(ot_span *s, ot_str key, const char *val,
                         size_t vlen)
{
    ot_attribute *a = keyed_attr_fast(s, key);

    if (!a) {
        set_key_str_slow(s, key, val, vlen);
        return;
    }
    set_str_value(s, a, val, vlen);
}

static OT_NOINLINE void set_key_int_slow(ot_span *s, ot_str key, int64_t v)
{
    ot_attribute *a = keyed_attr(s, key);

    if (a) {
        a->type = OT_VALUE_INT;
        a->v.i = v;
    }
}

void ot_span_set_key_int(ot_span *s, ot_str key, int64_t v)
{
    ot_attribute *a = keyed_attr_fast(s, key);

    if (!a) {
        set_key_int_slow(s, key, v);
        return;
    }
    a->type = OT_VALUE_INT;
    a->v.i = v;
}

void ot_span_set_strn_copied(ot_span *s, const char *key, size_t klen,
                             const char *val, size_t vlen)
{
    ot_str k;

    k.ptr = key;
    k.len = (uint32_t)klen | OT_QUEUE_COPY_KEY;
    ot_span_set_key_str(s, k, val, vlen);
}

void ot_span_add_booln(ot_span *s, const char *key, size_t klen, int v)
{
    ot_attribute *a = next_attr_n(s, key, klen);

    if (a) {
        a->type = OT_VALUE_BOOL;
        a->v.b = v ? 1 : 0;
    }
}

void ot_span_add_event(ot_span *s, const char *name, int64_t time_ns)
{
    ot_event *e;

    if (s->rec.n_events >= OT_SPAN_MAX_EVENTS) {
        s->rec.dropped_events++;
        return;
    }
    e = &s->events[s->rec.n_events++];
    e->name = mkstr(name, -1);
    e->time_ns = time_ns;
    e->attributes = NULL;
    e->n_attributes = 0;
}

void ot_span_add_event_attrs(ot_span *s, ot_str name, int64_t time_ns,
                             ot_attribute *attrs, uint32_t n)
{
    ot_event *e;

    if (s->rec.n_events >= OT_SPAN_MAX_EVENTS) {
        s->rec.dropped_events++;
        return;
    }
    e = &s->events[s->rec.n_events++];
    e->name = name;
    e->time_ns = time_ns;
    e->attributes = attrs;
    e->n_attributes = n;
}

void ot_span_add_event_copied(ot_span *s, ot_str name, int64_t time_ns,
                              ot_attribute *attrs, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        attrs[i].key.len |= OT_QUEUE_COPY_KEY;
    }
    ot_span_add_event_attrs(s, name, time_ns, attrs, n);
}

void ot_span_add_link(ot_span *s, const ot_span_context *ctx)
{
    ot_link *l;

    if (s->rec.n_links >= OT_SPAN_MAX_LINKS) {
        s->rec.dropped_links++;
        return;
    }
    l = &s->links[s->rec.n_links++];
    memcpy(l->trace_id, ctx->trace_id, 16);
    memcpy(l->span_id, ctx->span_id, 8);
    l->flags = ctx->flags;
    l->trace_state = mkstr(ctx->trace_state, -1);
    l->attributes = NULL;
    l->n_attributes = 0;
}

/* Whether the n bytes at k begin with the literal prefix p. */
#define HAS_PREFIX(k, n, p) \
    ((n) >= sizeof(p) - 1 && memcmp((k), (p), sizeof(p) - 1) == 0)

int ot_span_module_key(const char *k, size_t n)
{
    /* One look at the first byte picks the one prefix to compare: this
     * runs for every attribute another module or a backend sets on the
     * server span. */
    if (n == 0) {
        return 0;
    }
    switch (k[0]) {
    case 'c':
        return HAS_PREFIX(k, n, "client.");
    case 'e':
        return HAS_PREFIX(k, n, "error.");
    case 'h':
        return HAS_PREFIX(k, n, "http.");
    case 'm':
        return HAS_PREFIX(k, n, "mod_opentracing.");
    case 'n':
        return HAS_PREFIX(k, n, "network.");
    case 'o':
        return HAS_PREFIX(k, n, "otel.");
    case 's':
        return HAS_PREFIX(k, n, "server.");
    case 'u':
        return HAS_PREFIX(k, n, "url.") || HAS_PREFIX(k, n, "user_agent.");
    default:
        return 0;
    }
}

void ot_span_end(ot_span *s, int64_t end_ns)
{
    s->rec.end_ns = end_ns < s->rec.start_ns ? s->rec.start_ns : end_ns;
}
