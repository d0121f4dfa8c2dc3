/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_queue.h"

#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "ot_facts.h"       /* OT_FACT_STR_MEMBERS (sdk) */
#include "ot_utf8.h"        /* ot_utf8_cut (sdk) */
#include "ot_write.h"       /* OT_NOINLINE, ot_copy_clean */

/* Each entry: its size, then the record, then the arrays it points to,
 * then the bytes of its strings. */
typedef struct entry_hdr {
    size_t size;
} entry_hdr;

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)
#define HDR_SIZE ALIGN8(sizeof(entry_hdr))

struct ot_queue {
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *cond;
    char *buf;
    size_t cap;
    size_t head;        /* oldest entry */
    size_t tail;        /* where the next entry goes */
    size_t end;         /* while wrapped: end of the entries above head */
    int wrapped;        /* entries run from head to end, then 0 to tail */
    size_t count;
    size_t max_spans;
    size_t max_value_len;
    size_t notify_at;
    int waiting;
    int woken;
};

static apr_status_t queue_cleanup(void *data)
{
    ot_queue *q = data;

    free(q->buf);
    q->buf = NULL;
    return APR_SUCCESS;
}

apr_status_t ot_queue_create(ot_queue **qp, apr_pool_t *p, size_t max_spans,
                             size_t max_bytes, size_t max_value_len,
                             size_t notify_at)
{
    ot_queue *q = apr_pcalloc(p, sizeof(*q));
    apr_status_t rv;

    q->cap = ALIGN8(max_bytes);
    q->max_spans = max_spans ? max_spans : 1;
    q->max_value_len = max_value_len;
    q->notify_at = notify_at ? notify_at : 1;
    q->buf = malloc(q->cap);
    if (!q->buf) {
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(p, q, queue_cleanup, apr_pool_cleanup_null);
    if ((rv = apr_thread_mutex_create(&q->lock, APR_THREAD_MUTEX_DEFAULT, p))
        != APR_SUCCESS
        || (rv = apr_thread_cond_create(&q->cond, p)) != APR_SUCCESS) {
        return rv;
    }
    *qp = q;
    return APR_SUCCESS;
}

/* Length of s cut to max bytes without splitting a UTF-8 sequence. */
static uint32_t cut_len(const ot_str *s, size_t max)
{
    return (uint32_t)ot_utf8_cut(s->ptr, s->len, max);
}

static size_t values_size(const ot_attribute *a, const ot_attribute *end,
                          size_t maxv, size_t sz);

/* values_size() from a string array at a on: what
 * ot_queue_str_array_bytes() counts, each item cut as a string value is.
 * Out of line and reached by a tail call, so that the loop of
 * values_size() over the attributes of spans without arrays costs what it
 * did. */
static OT_NOINLINE size_t values_size_from_array(const ot_attribute *a,
                                                 const ot_attribute *end,
                                                 size_t maxv, size_t sz)
{
    const ot_str_array *sa = &a->v.sa;
    uint32_t k;

    if (sa->items) {
        sz += 8 + ALIGN8(sa->n * sizeof(ot_str));
        for (k = 0; k < sa->n; k++) {
            sz += cut_len(&sa->items[k], maxv);
        }
    }
    return values_size(a + 1, end, maxv, sz);
}

/* sz and the bytes the values of the attributes from a to end take. */
static size_t values_size(const ot_attribute *a, const ot_attribute *end,
                          size_t maxv, size_t sz)
{
    for (; a < end; a++) {
        if (a->key.len & OT_QUEUE_COPY_KEY) {
            sz += a->key.len & ~OT_QUEUE_COPY_KEY;
        }
        if (a->type == OT_VALUE_STRING) {
            sz += cut_len(&a->v.s, maxv);
        }
        else if (a->type == OT_VALUE_STRING_ARRAY) {
            return values_size_from_array(a, end, maxv, sz);
        }
    }
    return sz;
}

static size_t attrs_size(const ot_attribute *a, uint32_t n, size_t maxv)
{
    return values_size(a, a + n, maxv, ALIGN8(n * sizeof(ot_attribute)));
}

/* The events and links of rec with their strings and attributes. */
static OT_NOINLINE size_t events_links_size(const ot_span_record *rec,
                                            size_t maxv)
{
    size_t sz = ALIGN8(rec->n_events * sizeof(ot_event));
    uint32_t i;

    for (i = 0; i < rec->n_events; i++) {
        sz += rec->events[i].name.len;
        sz += attrs_size(rec->events[i].attributes,
                         rec->events[i].n_attributes, maxv);
    }
    sz += ALIGN8(rec->n_links * sizeof(ot_link));
    for (i = 0; i < rec->n_links; i++) {
        sz += rec->links[i].trace_state.len;
        sz += attrs_size(rec->links[i].attributes,
                         rec->links[i].n_attributes, maxv);
    }
    return sz;
}

/* The bytes a string value of len bytes takes once cut to maxv. */
static OT_INLINE size_t cut_size(const ot_str *s, size_t maxv)
{
    return maxv && s->len > maxv ? cut_len(s, maxv) : s->len;
}

/* The bytes of the facts h and their strings (each cut as a value is),
 * with a pad to realign what follows. */
static size_t facts_size(const ot_http_facts *h, size_t maxv)
{
    size_t sz = ALIGN8(sizeof(*h)) + 8;

#define ADD(m) sz += cut_size(&h->m, maxv);
    OT_FACT_STR_MEMBERS(ADD)
#undef ADD
    return sz;
}

/* The bytes of a record but its attributes' strings. */
static size_t size_but_values(const ot_span_record *rec, size_t maxv)
{
    size_t sz = HDR_SIZE + ALIGN8(sizeof(ot_span_record));

    if (rec->http) {
        sz += facts_size(rec->http, maxv);
    }
    sz += rec->trace_state.len + rec->name.len + rec->status_message.len;
    sz += ALIGN8(rec->n_attributes * sizeof(ot_attribute));
    if (rec->n_events || rec->n_links) {
        sz += events_links_size(rec, maxv);
    }
    /* Arrays after strings need realignment: one pad per array. */
    sz += 8 * (2 + 2 * (size_t)(rec->n_events + rec->n_links));
    return sz;
}

size_t ot_queue_record_size(const ot_span_record *rec, size_t maxv)
{
    return ALIGN8(values_size(rec->attributes,
                              rec->attributes + rec->n_attributes, maxv,
                              size_but_values(rec, maxv)));
}

typedef struct writer {
    char *p;
} writer;

static void *take(writer *w, size_t n, size_t align)
{
    void *r;

    if (align > 1) {
        w->p = (char *)(((uintptr_t)w->p + (align - 1)) & ~(uintptr_t)(align - 1));
    }
    r = w->p;
    w->p += n;
    return r;
}

static OT_INLINE ot_str copy_str(writer *w, const ot_str *s, uint32_t len)
{
    ot_str r;

    r.ptr = take(w, len, 1);
    r.len = len;
    /* Inline, in a few moves for the short strings most values are,
     * where a call to memcpy costs more than the copy; its copy is what
     * is wanted here, whether the bytes are ASCII is not. */
    (void)ot_copy_clean((char *)r.ptr, (const unsigned char *)s->ptr, len,
                        0);
    return r;
}

static void copy_values(writer *w, ot_attribute *dst,
                        const ot_attribute *src, const ot_attribute *end,
                        size_t maxv);

/* copy_values() from a string array at src on: its items and their bytes,
 * each cut as a string value is.  Out of line and reached by a tail call,
 * as values_size_from_array().  What is done for every attribute besides
 * its value (its copy, a marked key's copy) is done in the loop, before
 * it hands an array over. */
static OT_NOINLINE void copy_values_from_array(writer *w, ot_attribute *dst,
                                               const ot_attribute *src,
                                               const ot_attribute *end,
                                               size_t maxv)
{
    const ot_str_array *sa = &src->v.sa;
    ot_str *items;
    uint32_t k;

    if (sa->items) {
        items = take(w, sa->n * sizeof(*items), 8);
        for (k = 0; k < sa->n; k++) {
            items[k] = copy_str(w, &sa->items[k],
                                cut_len(&sa->items[k], maxv));
        }
        dst->v.sa.items = items;
    }
    copy_values(w, dst + 1, src + 1, end, maxv);
}

/* The attributes from src to end copied to dst, with their values (keys
 * outlive the queue: not copied, but those marked). */
static void copy_values(writer *w, ot_attribute *dst,
                        const ot_attribute *src, const ot_attribute *end,
                        size_t maxv)
{
    for (; src < end; src++, dst++) {
        *dst = *src;
        if (src->key.len & OT_QUEUE_COPY_KEY) {
            dst->key = copy_str(w, &src->key,
                                src->key.len & ~OT_QUEUE_COPY_KEY);
        }
        if (src->type == OT_VALUE_STRING) {
            dst->v.s = copy_str(w, &src->v.s, cut_len(&src->v.s, maxv));
        }
        else if (src->type == OT_VALUE_STRING_ARRAY) {
            copy_values_from_array(w, dst, src, end, maxv);
            return;
        }
    }
}

static const ot_attribute *copy_attrs(writer *w, const ot_attribute *src,
                                      uint32_t n, size_t maxv)
{
    ot_attribute *dst;

    if (!n) {
        return NULL;
    }
    dst = take(w, n * sizeof(*dst), 8);
    copy_values(w, dst, src, src + n, maxv);
    return dst;
}

/* The facts h and their strings copied (each cut as a value is). */
static const ot_http_facts *copy_facts(writer *w, const ot_http_facts *h,
                                       size_t maxv)
{
    ot_http_facts *dst = take(w, sizeof(*dst), 8);

    *dst = *h;
#define COPY(m) dst->m = copy_str(w, &h->m, (uint32_t)cut_size(&h->m, maxv));
    OT_FACT_STR_MEMBERS(COPY)
#undef COPY
    return dst;
}

/* rec copied at at; returns the bytes it took. */
static size_t copy_record(char *at, const ot_span_record *src, size_t maxv)
{
    writer w;
    ot_span_record *dst;
    ot_event *ev;
    ot_link *ln;
    uint32_t i;

    w.p = at;
    dst = take(&w, sizeof(*dst), 8);
    *dst = *src;
    dst->trace_state = copy_str(&w, &src->trace_state, src->trace_state.len);
    dst->name = copy_str(&w, &src->name, src->name.len);
    dst->status_message = copy_str(&w, &src->status_message,
                                   src->status_message.len);
    if (src->http) {
        dst->http = copy_facts(&w, src->http, maxv);
    }
    dst->attributes = copy_attrs(&w, src->attributes, src->n_attributes, maxv);
    dst->events = NULL;
    if (src->n_events) {
        ev = take(&w, src->n_events * sizeof(*ev), 8);
        for (i = 0; i < src->n_events; i++) {
            ev[i] = src->events[i];
            ev[i].name = copy_str(&w, &src->events[i].name,
                                  src->events[i].name.len);
            ev[i].attributes = copy_attrs(&w, src->events[i].attributes,
                                          src->events[i].n_attributes, maxv);
        }
        dst->events = ev;
    }
    dst->links = NULL;
    if (src->n_links) {
        ln = take(&w, src->n_links * sizeof(*ln), 8);
        for (i = 0; i < src->n_links; i++) {
            ln[i] = src->links[i];
            ln[i].trace_state = copy_str(&w, &src->links[i].trace_state,
                                         src->links[i].trace_state.len);
            ln[i].attributes = copy_attrs(&w, src->links[i].attributes,
                                          src->links[i].n_attributes, maxv);
        }
        dst->links = ln;
    }
    return (size_t)(w.p - at);
}

/* Where an entry of size need can go, or (size_t)-1.  Lock held. */
static size_t reserve(ot_queue *q, size_t need)
{
    size_t pos;

    if (q->count == 0) {
        q->head = q->tail = 0;
        q->wrapped = 0;
    }
    if (!q->wrapped) {
        if (q->cap - q->tail >= need) {
            pos = q->tail;
            q->tail += need;
            return pos;
        }
        if (q->head >= need) {
            q->end = q->tail;
            q->wrapped = 1;
            q->tail = need;
            return 0;
        }
        return (size_t)-1;
    }
    if (q->head - q->tail >= need) {
        pos = q->tail;
        q->tail += need;
        return pos;
    }
    return (size_t)-1;
}

ot_push_result ot_queue_push(ot_queue *q, ot_span *s)
{
    const ot_span_record *rec = ot_span_record_get(s);
    size_t maxv = q->max_value_len;
    size_t need = ALIGN8(size_but_values(rec, maxv) + ot_span_attr_bytes(s));
    size_t pos, used;
    int notify;

    /* need is a bound (values before their cut): where it decides, the
     * record's exact size decides instead */
    if (need > q->cap / 4
        && (need = ot_queue_record_size(rec, maxv)) > q->cap / 4) {
        return OT_PUSH_TOO_BIG;
    }
    apr_thread_mutex_lock(q->lock);
    pos = (size_t)-1;
    if (q->count < q->max_spans
        && (pos = reserve(q, need)) == (size_t)-1) {
        /* the record may take less than the bound (values cut or
         * replaced): whether that fits */
        size_t exact = ot_queue_record_size(rec, maxv);

        if (exact < need) {
            need = exact;
            pos = reserve(q, need);
        }
    }
    if (pos == (size_t)-1) {
        apr_thread_mutex_unlock(q->lock);
        return OT_PUSH_FULL;
    }
    used = HDR_SIZE + ALIGN8(copy_record(q->buf + pos + HDR_SIZE, rec, maxv));
    ((entry_hdr *)(q->buf + pos))->size = used;
    /* what the bound reserved beyond the copy is free again */
    q->tail -= need - used;
    q->count++;
    notify = q->waiting && q->count == q->notify_at;
    apr_thread_mutex_unlock(q->lock);
    if (notify) {
        apr_thread_cond_signal(q->cond);
    }
    return OT_PUSH_OK;
}

int ot_queue_wait(ot_queue *q, apr_interval_time_t timeout)
{
    apr_time_t deadline = apr_time_now() + timeout;
    apr_time_t now;
    int ready;

    apr_thread_mutex_lock(q->lock);
    /* Loop: condition variables may wake spuriously. */
    while (q->count < q->notify_at && !q->woken
           && (now = apr_time_now()) < deadline) {
        q->waiting = 1;
        apr_thread_cond_timedwait(q->cond, q->lock, deadline - now);
        q->waiting = 0;
    }
    q->woken = 0;
    ready = q->count >= q->notify_at;
    apr_thread_mutex_unlock(q->lock);
    return ready;
}

void ot_queue_wake(ot_queue *q)
{
    apr_thread_mutex_lock(q->lock);
    q->woken = 1;
    apr_thread_cond_signal(q->cond);
    apr_thread_mutex_unlock(q->lock);
}

size_t ot_queue_peek(ot_queue *q, const ot_span_record **out, size_t max)
{
    size_t n = 0, pos;
    int wrapped;

    apr_thread_mutex_lock(q->lock);
    pos = q->head;
    wrapped = q->wrapped;
    while (n < max && n < q->count) {
        if (wrapped && pos == q->end) {
            pos = 0;
            wrapped = 0;
        }
        out[n++] = (const ot_span_record *)(q->buf + pos + HDR_SIZE);
        pos += ((entry_hdr *)(q->buf + pos))->size;
    }
    apr_thread_mutex_unlock(q->lock);
    return n;
}

void ot_queue_release(ot_queue *q, size_t n)
{
    apr_thread_mutex_lock(q->lock);
    while (n-- > 0 && q->count > 0) {
        if (q->wrapped && q->head == q->end) {
            q->head = 0;
            q->wrapped = 0;
        }
        q->head += ((entry_hdr *)(q->buf + q->head))->size;
        q->count--;
        if (q->wrapped && q->head == q->end) {
            q->head = 0;
            q->wrapped = 0;
        }
    }
    if (q->count == 0) {
        q->head = q->tail = 0;
        q->wrapped = 0;
    }
    apr_thread_mutex_unlock(q->lock);
}

size_t ot_queue_count(ot_queue *q)
{
    size_t n;

    apr_thread_mutex_lock(q->lock);
    n = q->count;
    apr_thread_mutex_unlock(q->lock);
    return n;
}
