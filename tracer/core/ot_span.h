/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_span.h: a span being recorded on a request thread.
 *
 * One allocation from the request pool holds the record and fixed-size
 * arrays for its attributes, events and links, so recording costs no
 * further allocation (but one for the HTTP facts of a span that has them,
 * ot_span_facts(), and one for the attributes of a span made with room
 * for a few that gets more, ot_span_init()); what does not fit is
 * counted as dropped, as the OpenTelemetry span limits say.  Strings are
 * not copied: they must live as long as the span (the request pool); the
 * queue copies the finished span, except attribute keys, which must
 * outlive the span's export: constants, or strings of the configuration
 * (see ot_queue.h), unless marked for the queue to copy
 * (OT_QUEUE_COPY_KEY: ot_span_set_key_*, *_copied).
 */

#ifndef OT_SPAN_H
#define OT_SPAN_H

#include <apr_pools.h>

#include "ot_propagation.h"
#include "ot_tracer.h"

#define OT_SPAN_MAX_ATTRIBUTES 64
#define OT_SPAN_MAX_EVENTS 8
#define OT_SPAN_MAX_LINKS 4

typedef struct ot_span ot_span;

/* A new span: ids from ot_ids, child of parent (NULL: a root span, new
 * trace id), start time start_ns, flags inherited from the parent or given
 * by the sampler (root). */
ot_span *ot_span_start(apr_pool_t *p, const ot_span_context *parent,
                       int parent_is_remote, uint8_t root_flags,
                       ot_span_kind kind, int64_t start_ns);

/* The same in mem, ot_span_size(attrs) bytes aligned as a pointer, for a
 * caller that allocates more with the span, at once: room for attrs
 * attributes in the span itself, and when they are full, for all
 * OT_SPAN_MAX_ATTRIBUTES in another allocation from p (for a span that
 * rarely has many: ot_span_start() makes room for all of them). */
size_t ot_span_size(uint32_t attrs);
ot_span *ot_span_init(void *mem, uint32_t attrs, apr_pool_t *p,
                      const ot_span_context *parent, int parent_is_remote,
                      uint8_t root_flags, ot_span_kind kind, int64_t start_ns);

/* The record, for direct reads and writes of its plain fields (its
 * attributes, events and links only through the functions below). */
ot_span_record *ot_span_record_get(ot_span *s);

/* What the attributes' strings take in the queue's copy of the record at
 * most (ot_queue_str_array_bytes() for a string array, a value's length
 * before any cut, a marked key's length): summed as they are added, so
 * that a push need not walk them.  Replaced values stay counted: a bound. */
size_t ot_span_attr_bytes(const ot_span *s);

/* The span's HTTP facts (ot_tracer.h: ot_http_facts), for the caller to
 * fill in: none set at first.  Their strings are not copied either.  A
 * tag (ot_span_tag_*) with a fact's key replaces the fact. */
ot_http_facts *ot_span_facts(ot_span *s);

void ot_span_set_name(ot_span *s, const char *name);
void ot_span_set_status(ot_span *s, ot_status_code code, const char *msg);

/* Append an attribute (no check for an earlier one with the same key:
 * for the fixed attributes the glue sets once). len < 0: strlen. */
void ot_span_add_str(ot_span *s, const char *key, const char *val, long len);
/* The same with the key's length given (for constant keys: no strlen). */
void ot_span_add_strn(ot_span *s, const char *key, size_t klen,
                      const char *val, size_t vlen);
void ot_span_add_intn(ot_span *s, const char *key, size_t klen, int64_t v);
void ot_span_add_booln(ot_span *s, const char *key, size_t klen, int v);
/* Replace the attribute with this key, or append it. */
void ot_span_set_str(ot_span *s, const char *key, const char *val, long len);

/* A tag's attribute (TraceTag), whose key no other tag has: it replaces
 * the attribute with this key where there can be one, that is when
 * may_be_fixed (the key may be one an ot_span_add_* call added) or once
 * an ot_span_set_* call added any key; else it is appended with no
 * search. */
void ot_span_tag_strn(ot_span *s, const char *key, size_t klen,
                      int may_be_fixed, const char *val, size_t vlen);
void ot_span_tag_intn(ot_span *s, const char *key, size_t klen,
                      int may_be_fixed, int64_t v);
void ot_span_tag_booln(ot_span *s, const char *key, size_t klen,
                       int may_be_fixed, int v);

/* Replace the attribute with key, or append it.  A key whose len is
 * marked with OT_QUEUE_COPY_KEY lives only as long as the span: the queue
 * copies it (see ot_queue.h); else it must outlive the export. */
void ot_span_set_key_str(ot_span *s, ot_str key, const char *val,
                         size_t vlen);
void ot_span_set_key_int(ot_span *s, ot_str key, int64_t v);

/* ot_span_set_key_str() with a key (klen bytes) to be copied. */
void ot_span_set_strn_copied(ot_span *s, const char *key, size_t klen,
                             const char *val, size_t vlen);

/* A string array attribute (string[]): n items, NULL when n is 0.  The
 * items and their strings are not copied either: they must live as long
 * as the span.  add appends, set replaces the attribute with this key or
 * appends it. */
void ot_span_add_str_array(ot_span *s, const char *key, const ot_str *items,
                           uint32_t n);
void ot_span_set_str_array(ot_span *s, const char *key, const ot_str *items,
                           uint32_t n);

void ot_span_add_event(ot_span *s, const char *name, int64_t time_ns);
/* An event with n attributes, whose array lives as long as the span;
 * their keys as ot_span_set_key_str()'s: marked or lasting. */
void ot_span_add_event_attrs(ot_span *s, ot_str name, int64_t time_ns,
                             ot_attribute *attrs, uint32_t n);
/* The same, with every key marked here for the queue to copy. */
void ot_span_add_event_copied(ot_span *s, ot_str name, int64_t time_ns,
                              ot_attribute *attrs, uint32_t n);
void ot_span_add_link(ot_span *s, const ot_span_context *ctx);

/* Whether key (n bytes) lies in a namespace of the attributes the module
 * sets itself (the semantic conventions' http., url., server., client.,
 * network., user_agent., error., otel., and mod_opentracing.): a
 * backend's tag, or another module's attribute (mod_opentracing.h), must
 * not contradict them, nor appear twice under one key; a TraceTag there
 * replaces the module's own. */
int ot_span_module_key(const char *key, size_t n);

void ot_span_end(ot_span *s, int64_t end_ns);

#endif /* OT_SPAN_H */
