/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_queue.h: the bounded span queue between request threads and the
 * exporter thread of one child process.
 *
 * One buffer, allocated once, holds finished spans as self-contained
 * records, packed one after the other (a ring of variable-sized entries).
 * push() copies a span in under a short lock: no allocation, no I/O, no
 * waiting; when the span count or the bytes are exhausted, the span is
 * dropped and counted.  The single consumer peeks at the oldest records in
 * place, exports them without holding the lock, then releases them.
 *
 * Attribute keys and the resource are not copied: they must live as long
 * as the process (string constants, the configuration): copying the few
 * dozen bytes of every key of every span would cost more than the rest.
 * A key that lives only as long as the span (one a backend sent) is
 * marked with OT_QUEUE_COPY_KEY in its length: that one is copied, and
 * the copy's length has the mark cleared (exporters never see it).
 */

#ifndef OT_QUEUE_H
#define OT_QUEUE_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_time.h>

#include "ot_span.h"
#include "ot_tracer.h"

#define OT_QUEUE_COPY_KEY 0x80000000u

/* Bytes a string array's items take in a record beyond its attribute,
 * items not cut: their array, a pad to realign it after strings, their
 * bytes (none without items). */
static inline size_t ot_queue_str_array_bytes(const ot_str_array *sa)
{
    size_t sz;
    uint32_t k;

    if (!sa->items) {
        return 0;
    }
    sz = 8 + ((sa->n * sizeof(ot_str) + 7u) & ~(size_t)7u);
    for (k = 0; k < sa->n; k++) {
        sz += sa->items[k].len;
    }
    return sz;
}

typedef struct ot_queue ot_queue;

typedef enum ot_push_result {
    OT_PUSH_OK = 0,
    OT_PUSH_FULL = 1,       /* no room: dropped */
    OT_PUSH_TOO_BIG = 2     /* larger than a quarter of the buffer: dropped */
} ot_push_result;

/* max_spans records, max_bytes of buffer, string attribute values and
 * each item of a string array cut to max_value_len bytes (at a UTF-8
 * boundary; 0: no cut).  notify_at: push()
 * wakes a waiting consumer when the count reaches it.  The queue allocates
 * its buffer with malloc and frees it in a cleanup of p. */
apr_status_t ot_queue_create(ot_queue **q, apr_pool_t *p, size_t max_spans,
                             size_t max_bytes, size_t max_value_len,
                             size_t notify_at);

/* Copy s's record in (ot_span_attr_bytes() sizes it without a walk over
 * its attributes). */
ot_push_result ot_queue_push(ot_queue *q, ot_span *s);

/* Consumer side.  wait() returns when the count reaches notify_at (then
 * 1), when woken by ot_queue_wake() or after timeout (then 0). */
int ot_queue_wait(ot_queue *q, apr_interval_time_t timeout);
void ot_queue_wake(ot_queue *q);
/* Up to max pointers to the oldest records, which stay valid (and in the
 * queue) until ot_queue_release(). Returns how many. */
size_t ot_queue_peek(ot_queue *q, const ot_span_record **out, size_t max);
void ot_queue_release(ot_queue *q, size_t n);
size_t ot_queue_count(ot_queue *q);

/* Bytes a record takes in the queue (for tests and sizing). */
size_t ot_queue_record_size(const ot_span_record *rec, size_t max_value_len);

#endif /* OT_QUEUE_H */
