/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_traces.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ot_facts.h"       /* ot_record_facts (sdk) */
#include "ot_utf8.h"

/* One trace in the store.  published_s and duration_ns repeat what t
 * holds so that a writer choosing an entry to replace reads them without
 * copying the entry. */
typedef struct entry {
    _Atomic uint32_t seq;           /* 0: empty; odd: being written */
    _Atomic int64_t published_s;
    _Atomic int64_t duration_ns;
    uint64_t order;                 /* publication number */
    ot_trace_summary t;
} entry;

struct ot_traces {
    _Atomic uint64_t published;
    _Atomic uint32_t recent_next;
    _Atomic uint32_t errors_next;
    entry recent[OT_TRACES_RECENT];
    entry slowest[OT_TRACES_SLOWEST];
    entry errors[OT_TRACES_ERRORS];
};

struct ot_traces_builder {
    ot_traces *store;
    int64_t pid;
    unsigned next;                  /* where the next span goes */
    ot_span_summary spans[OT_TRACES_LOOKBACK];
    uint8_t waiting[OT_TRACES_LOOKBACK];
    unsigned n_waiting;             /* of waiting[]'s, set */
};

size_t ot_traces_size(void)
{
    return sizeof(ot_traces);
}

ot_traces *ot_traces_init(void *mem)
{
    memset(mem, 0, sizeof(ot_traces));
    return mem;
}

static void copy_cut(char *dst, size_t size, ot_str s)
{
    size_t n = ot_utf8_cut(s.ptr ? s.ptr : "", s.len, size - 1);

    if (n) {
        memcpy(dst, s.ptr, n);
    }
    dst[n] = '\0';
}

static int key_is(const ot_attribute *a, const char *key)
{
    size_t n = strlen(key);

    return a->key.len == n && memcmp(a->key.ptr, key, n) == 0;
}

void ot_span_summarize(const ot_span_record *rec, ot_span_summary *out)
{
    const ot_http_facts *h;
    uint32_t i;

    memset(out, 0, sizeof(*out));
    memcpy(out->trace_id, rec->trace_id, sizeof(out->trace_id));
    memcpy(out->span_id, rec->span_id, sizeof(out->span_id));
    memcpy(out->parent_span_id, rec->parent_span_id,
           sizeof(out->parent_span_id));
    out->kind = rec->kind;
    out->status_code = rec->status_code;
    out->start_ns = rec->start_ns;
    out->duration_ns = rec->end_ns > rec->start_ns
        ? rec->end_ns - rec->start_ns : 0;
    copy_cut(out->name, sizeof(out->name), rec->name);
    copy_cut(out->status_message, sizeof(out->status_message),
             rec->status_message);
    if ((h = ot_record_facts(rec))
        && (h->present & OT_FACT_BIT(OT_FACT_STATUS_CODE))
        && h->status_code > 0 && h->status_code < 1000) {
        out->http_status = (uint16_t)h->status_code;
    }
    /* a TraceTag may have set it instead */
    for (i = 0; i < rec->n_attributes; i++) {
        const ot_attribute *a = &rec->attributes[i];

        if (a->type == OT_VALUE_INT && a->v.i > 0 && a->v.i < 1000
            && key_is(a, "http.response.status_code")) {
            out->http_status = (uint16_t)a->v.i;
        }
    }
    for (i = 0; rec->resource && i < rec->resource->n_attributes; i++) {
        const ot_attribute *a = &rec->resource->attributes[i];

        if (a->type == OT_VALUE_STRING && key_is(a, "service.name")) {
            copy_cut(out->service, sizeof(out->service), a->v.s);
        }
    }
}

/* Write t into e unless another writer has it, or it changed since the
 * writer read seq (then 0). */
static int put(ot_traces *store, entry *e, uint32_t seq,
               const ot_trace_summary *t, int64_t now_s)
{
    if ((seq & 1)
        || !atomic_compare_exchange_strong(&e->seq, &seq, seq + 1)) {
        return 0;
    }
    e->order = atomic_fetch_add(&store->published, 1) + 1;
    e->t = *t;
    atomic_store(&e->published_s, now_s);
    atomic_store(&e->duration_ns, t->spans[0].duration_ns);
    atomic_store(&e->seq, seq + 2);
    return 1;
}

static void put_next(ot_traces *store, entry *list, unsigned n,
                     _Atomic uint32_t *next, const ot_trace_summary *t,
                     int64_t now_s)
{
    entry *e = &list[atomic_fetch_add(next, 1) % n];

    put(store, e, atomic_load(&e->seq), t, now_s);
}

/* The slowest list: an empty entry, else one older than the window, else
 * the fastest one when t is slower. */
static void put_slow(ot_traces *store, const ot_trace_summary *t,
                     int64_t now_s)
{
    entry *victim = NULL;
    uint32_t victim_seq = 0;
    int64_t victim_ns = 0;
    int stale = 0;
    unsigned i;

    for (i = 0; i < OT_TRACES_SLOWEST && !stale; i++) {
        entry *e = &store->slowest[i];
        uint32_t seq = atomic_load(&e->seq);
        int64_t ns = atomic_load(&e->duration_ns);

        if (seq == 0 || atomic_load(&e->published_s)
            < now_s - OT_TRACES_WINDOW_S) {
            stale = 1;
        }
        if (stale || !victim || ns < victim_ns) {
            victim = e;
            victim_seq = seq;
            victim_ns = ns;
        }
    }
    if (stale || t->spans[0].duration_ns > victim_ns) {
        put(store, victim, victim_seq, t, now_s);
    }
}

ot_traces_builder *ot_traces_builder_create(apr_pool_t *p, ot_traces *store,
                                            int64_t pid)
{
    ot_traces_builder *b = apr_pcalloc(p, sizeof(*b));

    b->store = store;
    b->pid = pid;
    return b;
}

void ot_traces_add(ot_traces_builder *b, const ot_span_record *rec,
                   int64_t now_s)
{
    ot_trace_summary t;
    unsigned i, k;

    if (rec->kind != OT_SPAN_KIND_SERVER) {
        k = b->next++ % OT_TRACES_LOOKBACK;
        ot_span_summarize(rec, &b->spans[k]);
        b->n_waiting += !b->waiting[k];
        b->waiting[k] = 1;
        return;
    }
    memset(&t, 0, sizeof(t));
    t.pid = b->pid;
    ot_span_summarize(rec, &t.spans[0]);
    t.n_spans = 1;
    /* oldest first: the order in which they ended */
    /* (most server spans have no child waiting: no walk then) */
    for (i = 0; b->n_waiting && i < OT_TRACES_LOOKBACK; i++) {
        k = (b->next + i) % OT_TRACES_LOOKBACK;
        if (!b->waiting[k]
            || memcmp(b->spans[k].trace_id, rec->trace_id, 16) != 0) {
            continue;
        }
        b->waiting[k] = 0;
        b->n_waiting--;
        if (t.n_spans < OT_TRACE_MAX_SPANS) {
            t.spans[t.n_spans++] = b->spans[k];
        }
        else {
            t.more_spans++;
        }
    }
    for (i = 0; i < t.n_spans; i++) {
        if (t.spans[i].status_code == OT_STATUS_ERROR) {
            t.error = 1;
        }
    }
    put_next(b->store, b->store->recent, OT_TRACES_RECENT,
             &b->store->recent_next, &t, now_s);
    if (t.error) {
        put_next(b->store, b->store->errors, OT_TRACES_ERRORS,
                 &b->store->errors_next, &t, now_s);
    }
    put_slow(b->store, &t, now_s);
}

/* A copy of e as it was between two writes; 0 when it is empty or a
 * writer kept it busy. */
static int get(const entry *e, ot_trace_summary *out, int64_t *published_s,
               uint64_t *order)
{
    entry *m = (entry *)e;
    uint32_t before = atomic_load(&m->seq);

    if (before == 0 || (before & 1)) {
        return 0;
    }
    *out = m->t;
    *order = m->order;
    *published_s = atomic_load(&m->published_s);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load(&m->seq) == before;
}

typedef struct found {
    uint64_t key;
    ot_trace_summary t;
} found;

static int by_key_desc(const void *a, const void *b)
{
    uint64_t x = ((const found *)a)->key, y = ((const found *)b)->key;

    return x < y ? 1 : x > y ? -1 : 0;
}

size_t ot_traces_read(const ot_traces *store, ot_traces_list list,
                      int64_t now_s, ot_trace_summary *out, size_t max)
{
    found all[OT_TRACES_RECENT];
    const entry *e;
    size_t n = 0, count, i;
    int64_t published_s;
    uint64_t order;

    switch (list) {
    case OT_TRACES_LIST_SLOWEST:
        e = store->slowest;
        count = OT_TRACES_SLOWEST;
        break;
    case OT_TRACES_LIST_ERRORS:
        e = store->errors;
        count = OT_TRACES_ERRORS;
        break;
    default:
        e = store->recent;
        count = OT_TRACES_RECENT;
        break;
    }
    for (i = 0; i < count; i++) {
        if (!get(&e[i], &all[n].t, &published_s, &order)) {
            continue;
        }
        if (list == OT_TRACES_LIST_SLOWEST) {
            if (published_s < now_s - OT_TRACES_WINDOW_S) {
                continue;
            }
            all[n].key = (uint64_t)all[n].t.spans[0].duration_ns;
        }
        else {
            all[n].key = order;
        }
        n++;
    }
    qsort(all, n, sizeof(all[0]), by_key_desc);
    for (i = 0; i < n && i < max; i++) {
        out[i] = all[i].t;
    }
    return i;
}
