/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_backend.h: the span headers a CGI script, a FastCGI application or a
 * proxied backend may return (Trace-Tag, Trace-Operation, Trace-Error,
 * Trace-Event, Trace-Span), parsed into plain data.  Pure code: APR pools
 * and libc only.  The grammar (ABNF) is in the README, "For backend
 * developers".
 *
 * The rule for what is wrong: the unit is one member of a list header
 * (one tag, one event, one span) or the whole value of a single-valued one
 * (Trace-Operation, Trace-Error).  A unit is taken whole or not at all:
 * a malformed one is skipped and counted in malformed, one beyond a count
 * limit is skipped and counted in over_limit; the others still apply.  A
 * field value longer than OT_BACKEND_MAX_VALUE, or holding a control
 * character (CR, LF, NUL...), is malformed as a whole.
 *
 * Several field lines of one name may arrive joined with "," (CGI and
 * FastCGI headers are merged so): the list headers' members never hold a
 * raw ",", and Trace-Operation may not either, so a repeated one is
 * malformed rather than silently joined.
 */

#ifndef OT_BACKEND_H
#define OT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "ot_tracer.h"

#define OT_BACKEND_MAX_VALUE  2048  /* bytes of one field value */
#define OT_BACKEND_MAX_FIELDS 32    /* Trace-* field values per response */
#define OT_BACKEND_MAX_TAGS   32    /* Trace-Tag members per response */
#define OT_BACKEND_MAX_EVENTS 8     /* Trace-Event members per response */
#define OT_BACKEND_MAX_SPANS  8     /* Trace-Span members per response */
#define OT_BACKEND_MAX_ATTRS  16    /* attributes of one event or span */
#define OT_BACKEND_MAX_NAME   256   /* bytes of an operation, event or span
                                     * name (decoded) */
#define OT_BACKEND_MAX_ERROR  512   /* bytes of a Trace-Error message */
#define OT_BACKEND_MAX_KEY    128   /* bytes of an attribute key */

typedef enum ot_backend_field {
    OT_BACKEND_NONE = 0,            /* not one of ours */
    OT_BACKEND_TAG,
    OT_BACKEND_OPERATION,
    OT_BACKEND_ERROR,
    OT_BACKEND_EVENT,
    OT_BACKEND_SPAN
} ot_backend_field;

/* A Trace-Event member.  time_ns 0: no ts=, the time the header was
 * read. */
typedef struct ot_backend_event {
    ot_str name;
    int64_t time_ns;
    ot_attribute *attrs;            /* string values, keys from the pool */
    uint32_t n_attrs;
} ot_backend_event;

/* A Trace-Span member: a child span the backend performed. */
typedef struct ot_backend_span {
    ot_str name;
    int64_t start_ns;               /* Unix epoch */
    int64_t duration_ns;
    uint8_t span_id[8];
    int has_span_id;
    ot_span_kind kind;              /* INTERNAL unless given */
    ot_str error;                   /* ptr NULL: no error= */
    ot_attribute *attrs;
    uint32_t n_attrs;
} ot_backend_span;

/* What one response said.  Strings point into the pool or into the field
 * values given, which must live as long. */
typedef struct ot_backend {
    apr_pool_t *pool;
    ot_str operation;               /* ptr NULL: none */
    ot_str error;                   /* ptr NULL: none */
    ot_attribute tags[OT_BACKEND_MAX_TAGS];
    uint32_t n_tags;
    ot_backend_event events[OT_BACKEND_MAX_EVENTS];
    uint32_t n_events;
    ot_backend_span spans[OT_BACKEND_MAX_SPANS];
    uint32_t n_spans;
    unsigned fields;                /* field values read */
    unsigned malformed;             /* units ignored as malformed */
    unsigned over_limit;            /* units ignored beyond a limit */
} ot_backend;

/* Which of ours the header field name is (case-insensitive), or
 * OT_BACKEND_NONE. */
ot_backend_field ot_backend_field_of(const char *name);

/* An empty result whose decoded strings come from p. */
void ot_backend_init(ot_backend *b, apr_pool_t *p);

/* Read one field value of field (not OT_BACKEND_NONE).  A later
 * Trace-Operation or Trace-Error replaces an earlier one; a later tag
 * replaces an earlier one with the same key. */
void ot_backend_add(ot_backend *b, ot_backend_field field, const char *value);

#endif /* OT_BACKEND_H */
