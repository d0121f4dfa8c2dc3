/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_api.h"

#include <stddef.h>
#include <string.h>

#include "ot_intern.h"
#include "ot_queue.h"       /* OT_QUEUE_COPY_KEY */
#include "ot_span.h"        /* ot_span_module_key */
#include "ot_utf8.h"        /* ot_utf8_cut (sdk) */
#include "ot_write.h"       /* OT_INLINE, OT_NOINLINE, ot_copy_clean (sdk) */

#define KEY(k) k, sizeof(k) - 1

/* Attributes a child span has room for when it starts: a module sets a
 * few; the span makes room for the rest of OT_SPAN_MAX_ATTRIBUTES when
 * they come (ot_span_init). */
#define OT_API_SPAN_ATTRS 8

/* Bytes of a request's state kept for the API's short copies (values,
 * names, events): carved inline, each sparing a call to apr_palloc. */
#define OT_API_ROOM 256

/* take() aligns what it carves to 8 bytes: enough for an event's
 * attributes, which come first in its bytes. */
_Static_assert(_Alignof(ot_attribute) <= 8, "ot_attribute needs more than 8");

/* Allocated with its span and its name, at once (ot_api_span_start). */
struct opentracing_span {
    ot_api_request *owner;
    ot_span *span;                  /* NULL once ended */
    ot_span *record;                /* the span, ended or not */
    ot_api_span *next;              /* the child started after it */
};

struct ot_api_request {
    apr_pool_t *pool;
    void *data;
    const ot_span_context *server_ctx;
    uint32_t max_value;
    int finished;
    uint32_t n_spans;               /* started */
    uint32_t dropped_spans;         /* refused beyond OT_API_MAX_SPANS */
    ot_api_span *first;             /* the children in the order started */
    ot_api_span **last;             /* where the next one goes */
    const char *name;               /* of the server span; NULL: none */
    int error;                      /* set_error ran */
    const char *message;            /* its message, or NULL */
    size_t used;                    /* bytes of room taken */
    _Alignas(8) char room[OT_API_ROOM];
};

/* The length of s (not NULL) cut to max bytes (0: no cut) at a UTF-8
 * boundary; strnlen: a value far beyond the cut is not read to its
 * end. */
static OT_INLINE size_t cut_len(const char *s, size_t max)
{
    return ot_utf8_cut(s, max ? strnlen(s, max + 1) : strlen(s), max);
}

/* n bytes of s into to, and a NUL: past it.  Inline, as the queue copies
 * (ot_queue.c, copy_str): for the short strings most names and values
 * are, a call to memcpy costs more than the copy. */
static OT_INLINE char *put(char *to, const char *s, size_t n)
{
    (void)ot_copy_clean(to, (const unsigned char *)s, n, 0);
    to[n] = '\0';
    return to + n + 1;
}

/* n bytes for a copy in q's pool: from q's room while it lasts, 8-aligned
 * (an event's attributes come first in its bytes), else apr_palloc. */
static OT_INLINE void *take(ot_api_request *q, size_t n)
{
    size_t a = (n + 7) & ~(size_t)7;
    void *p;

    if (a > OT_API_ROOM - q->used) {
        return apr_palloc(q->pool, n);
    }
    p = q->room + q->used;
    q->used += a;
    return p;
}

/* s (not NULL) copied into q's pool, cut to max bytes (0: no cut) at a
 * UTF-8 boundary; *len its length. */
static OT_INLINE char *copy(ot_api_request *q, const char *s, size_t max,
                            size_t *len)
{
    size_t n = cut_len(s, max);
    char *c = take(q, n + 1);

    put(c, s, n);
    *len = n;
    return c;
}

/* A key's length, or 0 when it is refused (empty, too long). */
static OT_INLINE size_t key_len(const char *key)
{
    size_t n = strnlen(key, OT_API_MAX_KEY + 1);

    return n > OT_API_MAX_KEY ? 0 : n;
}

/* key (klen bytes) copied into q's pool, marked for the queue to copy:
 * for a key the process's table has no room for. */
static OT_NOINLINE ot_str pool_key(ot_api_request *q, const char *key,
                                   size_t klen)
{
    ot_str k;
    char *c = take(q, klen + 1);

    put(c, key, klen);
    k.ptr = c;
    k.len = (uint32_t)klen | OT_QUEUE_COPY_KEY;
    return k;
}

/* key (klen bytes) as a span keeps it: its lasting copy (ot_intern.h),
 * else a copy in q's pool (pool_key). */
static OT_INLINE ot_str span_key(ot_api_request *q, const char *key,
                                 size_t klen)
{
    ot_str k;

    k.ptr = ot_intern(key, klen);
    k.len = (uint32_t)klen;
    return k.ptr ? k : pool_key(q, key, klen);
}

/* Into *k the key as span s keeps it, or 0 when it is refused on s
 * (empty, too long, or one of the module's on the server span): counted
 * as dropped. */
static OT_INLINE int take_key(ot_api_request *q, ot_span *s, int is_server,
                              const char *key, ot_str *k)
{
    size_t n = key_len(key);

    if (n == 0 || (is_server && ot_span_module_key(key, n))) {
        ot_span_record_get(s)->dropped_attributes++;
        return 0;
    }
    *k = span_key(q, key, n);
    return 1;
}

/* ot_api_set_str(), ot_api_set_int() and their ot_api_span_* forms. */
static OT_INLINE void set_str(ot_api_request *q, ot_span *s, int is_server,
                              const char *key, const char *value)
{
    ot_str k;
    size_t vlen;
    char *v;

    if (key && value && take_key(q, s, is_server, key, &k)) {
        v = copy(q, value, q->max_value, &vlen);
        ot_span_set_key_str(s, k, v, vlen);
    }
}

static OT_INLINE void set_int(ot_api_request *q, ot_span *s, int is_server,
                              const char *key, int64_t value)
{
    ot_str k;

    if (key && take_key(q, s, is_server, key, &k)) {
        ot_span_set_key_int(s, k, value);
    }
}

ot_api_request *ot_api_request_make(apr_pool_t *p,
                                    const ot_span_context *server_ctx,
                                    uint32_t max_value, void *data)
{
    ot_api_request *q = apr_palloc(p, sizeof(*q));

    /* all but the room, which is written before it is read */
    memset(q, 0, offsetof(ot_api_request, room));
    q->pool = p;
    q->data = data;
    q->server_ctx = server_ctx;
    q->max_value = max_value;
    q->last = &q->first;
    return q;
}

void *ot_api_data(const ot_api_request *q)
{
    return q->data;
}

void ot_api_set_str(ot_api_request *q, ot_span *s, int is_server,
                    const char *key, const char *value)
{
    if (!q->finished) {
        set_str(q, s, is_server, key, value);
    }
}

void ot_api_set_int(ot_api_request *q, ot_span *s, int is_server,
                    const char *key, int64_t value)
{
    if (!q->finished) {
        set_int(q, s, is_server, key, value);
    }
}

void ot_api_add_event(ot_api_request *q, ot_span *s, const char *name,
                      const apr_table_t *attrs, int64_t now_ns)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e = NULL;
    /* the entries taken: their index, key and value lengths */
    int at[OT_API_MAX_EVENT_ATTRS];
    size_t klen[OT_API_MAX_EVENT_ATTRS], vlen[OT_API_MAX_EVENT_ATTRS];
    size_t nlen, size;
    ot_attribute *a;
    uint32_t n = 0, j;
    ot_str nm;
    char *o;
    int i;

    if (q->finished || !name) {
        return;
    }
    nlen = cut_len(name, OT_API_MAX_NAME);
    size = nlen + 1;
    if (attrs) {
        arr = apr_table_elts(attrs);
        e = (const apr_table_entry_t *)arr->elts;
        for (i = 0; i < arr->nelts && n < OT_API_MAX_EVENT_ATTRS; i++) {
            /* a table's unset entries keep a NULL key */
            size_t kl = e[i].key ? key_len(e[i].key) : 0;

            if (kl && e[i].val) {
                at[n] = i;
                klen[n] = kl;
                vlen[n] = cut_len(e[i].val, q->max_value);
                size += vlen[n] + 1;
                n++;
            }
        }
    }
    /* one allocation: the attributes, then their values, then the name */
    a = take(q, n * sizeof(*a) + size);
    o = (char *)(a + n);
    for (j = 0; j < n; j++) {
        a[j].key = span_key(q, e[at[j]].key, klen[j]);
        a[j].type = OT_VALUE_STRING;
        a[j].v.s.ptr = o;
        a[j].v.s.len = (uint32_t)vlen[j];
        o = put(o, e[at[j]].val, vlen[j]);
    }
    nm.ptr = o;
    nm.len = (uint32_t)nlen;
    put(o, name, nlen);
    ot_span_add_event_attrs(s, nm, now_ns, n ? a : NULL, n);
}

void ot_api_set_name(ot_api_request *q, const char *name)
{
    size_t len;

    if (!q->finished && name) {
        q->name = copy(q, name, OT_API_MAX_NAME, &len);
    }
}

void ot_api_set_error(ot_api_request *q, const char *message)
{
    size_t len;

    if (!q->finished) {
        q->error = 1;
        q->message = message ? copy(q, message, OT_API_MAX_MESSAGE, &len)
                             : NULL;
    }
}

ot_api_span *ot_api_span_start(ot_api_request *q, const char *name,
                               int kind, int64_t now_ns)
{
    ot_api_span *c;
    ot_span_record *rec;
    size_t len, size;
    char *mem;

    if (q->finished || !name) {
        return NULL;
    }
    if (q->n_spans >= OT_API_MAX_SPANS) {
        q->dropped_spans++;
        return NULL;
    }
    if (kind < OT_SPAN_KIND_INTERNAL || kind > OT_SPAN_KIND_CONSUMER) {
        kind = OT_SPAN_KIND_INTERNAL;
    }
    /* one allocation (larger than q's room): the span, then its handle,
     * then its name */
    len = cut_len(name, OT_API_MAX_NAME);
    size = ot_span_size(OT_API_SPAN_ATTRS);
    mem = apr_palloc(q->pool, size + sizeof(*c) + len + 1);
    c = (ot_api_span *)(void *)(mem + size);
    c->owner = q;
    c->span = c->record = ot_span_init(mem, OT_API_SPAN_ATTRS, q->pool,
                                       q->server_ctx, 0, q->server_ctx->flags,
                                       (ot_span_kind)kind, now_ns);
    c->next = NULL;
    *q->last = c;
    q->last = &c->next;
    q->n_spans++;
    /* the name's length is known: no strlen in ot_span_set_name() */
    rec = ot_span_record_get(c->span);
    rec->name.ptr = (char *)(c + 1);
    rec->name.len = (uint32_t)len;
    put((char *)(c + 1), name, len);
    return c;
}

ot_api_request *ot_api_span_request(const ot_api_span *s)
{
    return s->owner;
}

ot_span *ot_api_span_open(const ot_api_span *s)
{
    /* ot_api_finish() ends every child: none is open after it */
    return s->span;
}

void ot_api_span_set_str(ot_api_span *c, const char *key, const char *value)
{
    if (c->span) {
        set_str(c->owner, c->span, 0, key, value);
    }
}

void ot_api_span_set_int(ot_api_span *c, const char *key, int64_t value)
{
    if (c->span) {
        set_int(c->owner, c->span, 0, key, value);
    }
}

void ot_api_span_context(const ot_api_span *s, ot_span_context *out)
{
    *out = *s->owner->server_ctx;
    memcpy(out->span_id, ot_span_record_get(s->record)->span_id, 8);
    out->traceparent = NULL;
}

ot_span *ot_api_span_end(ot_api_span *s, const char *message,
                         int64_t now_ns)
{
    ot_span *sp = ot_api_span_open(s);
    size_t len;

    if (!sp) {
        return NULL;
    }
    if (message) {
        ot_span_set_status(sp, OT_STATUS_ERROR,
                           copy(s->owner, message, OT_API_MAX_MESSAGE, &len));
    }
    ot_span_end(sp, now_ns);
    s->span = NULL;
    return sp;
}

int ot_api_finished(const ot_api_request *q)
{
    return q->finished;
}

/* ot_api_finish() past the common case: c, the first child still open
 * (NULL: none), and the children after it ended now (the time asked
 * once), marked, and handed to submit; the name, error and dropped-span
 * count given for the server span applied. */
static OT_NOINLINE void finish(ot_api_request *q, ot_api_span *c,
                               ot_span *server, int64_t (*now)(void),
                               void (*submit)(void *arg, ot_span *s),
                               void *arg)
{
    int64_t now_ns = c ? now() : 0;

    for (; c; c = c->next) {
        if (c->span) {
            ot_span_add_booln(c->span, KEY("mod_opentracing.api.ended_at_log"),
                              1);
            ot_span_set_status(c->span, OT_STATUS_ERROR,
                               "not ended by its module: ended when the "
                               "request was logged");
            ot_span_end(c->span, now_ns);
            submit(arg, c->span);
            c->span = NULL;
        }
    }
    if (q->name) {
        ot_span_set_name(server, q->name);
    }
    if (q->error) {
        ot_span_set_status(server, OT_STATUS_ERROR, q->message);
    }
    if (q->dropped_spans) {
        ot_span_add_intn(server, KEY("mod_opentracing.api.dropped_spans"),
                         q->dropped_spans);
    }
    q->finished = 1;
}

void ot_api_finish(ot_api_request *q, ot_span *server, int64_t (*now)(void),
                   void (*submit)(void *arg, ot_span *s), void *arg)
{
    ot_api_span *c;

    if (q->finished) {
        return;
    }
    for (c = q->first; c && !c->span; c = c->next) {
        continue;
    }
    if (c || q->name || q->error || q->dropped_spans) {
        finish(q, c, server, now, submit, arg);
        return;
    }
    /* the common case, every child ended by its module and nothing given
     * for the server span: no call */
    q->finished = 1;
}
