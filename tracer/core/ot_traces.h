/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_traces.h: the most recent traces, for the status page.  A short
 * summary of each span (ids, name, kind, times, status) and, per request,
 * a trace: its server span and the spans of the same trace that came
 * before it from the same process (proxied calls, spans a backend
 * reported, spans of other modules).  The exporter thread makes them
 * from the spans it exports (never a request thread), and publishes each
 * trace into a store that the glue places in shared memory: the last
 * OT_TRACES_RECENT traces, the OT_TRACES_SLOWEST slowest of the last
 * OT_TRACES_WINDOW_S seconds and the last OT_TRACES_ERRORS that had an
 * error.  Writers of different processes take an entry with a
 * compare-and-swap of its sequence number (odd while written) and skip
 * one that another writes; readers copy an entry and keep the copy only
 * when the sequence did not move.
 *
 * Strings are copied as they came (span names may come from requests and
 * backends): whoever shows them escapes them.  Pure code: C11 atomics,
 * APR pools and libc.
 */

#ifndef OT_TRACES_H
#define OT_TRACES_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "ot_tracer.h"

#define OT_TRACES_RECENT 16
#define OT_TRACES_SLOWEST 8
#define OT_TRACES_ERRORS 8
#define OT_TRACES_WINDOW_S 300
#define OT_TRACE_MAX_SPANS 12   /* the server span and 11 others */
#define OT_SPAN_NAME_LEN 64
#define OT_SPAN_SERVICE_LEN 48
#define OT_SPAN_MESSAGE_LEN 64
#define OT_TRACES_LOOKBACK 128  /* spans a process remembers until their
                                 * server span comes */

typedef struct ot_span_summary {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];
    uint8_t kind;               /* ot_span_kind */
    uint8_t status_code;        /* ot_status_code */
    uint16_t http_status;       /* http.response.status_code; 0: none */
    int64_t start_ns;
    int64_t duration_ns;
    char name[OT_SPAN_NAME_LEN];
    char service[OT_SPAN_SERVICE_LEN];
    char status_message[OT_SPAN_MESSAGE_LEN];
} ot_span_summary;

/* spans[0] is the server span; the others in the order they ended. */
typedef struct ot_trace_summary {
    int64_t pid;                /* the process that served it */
    uint32_t n_spans;
    uint32_t more_spans;        /* spans of the trace that did not fit */
    int error;                  /* a span has status ERROR */
    ot_span_summary spans[OT_TRACE_MAX_SPANS];
} ot_trace_summary;

typedef enum ot_traces_list {
    OT_TRACES_LIST_RECENT,
    OT_TRACES_LIST_SLOWEST,
    OT_TRACES_LIST_ERRORS
} ot_traces_list;

typedef struct ot_traces ot_traces;             /* the shared store */
typedef struct ot_traces_builder ot_traces_builder; /* one process's */

size_t ot_traces_size(void);
/* Lay out an empty store in mem (ot_traces_size() bytes, aligned for
 * 64-bit values). */
ot_traces *ot_traces_init(void *mem);

/* Summarize rec (cut strings, the service.name of its resource). */
void ot_span_summarize(const ot_span_record *rec, ot_span_summary *out);

/* The exporter thread's: spans of pid that wait for their server span,
 * publishing into store. */
ot_traces_builder *ot_traces_builder_create(apr_pool_t *p, ot_traces *store,
                                            int64_t pid);
/* One exported span; a server span publishes its trace (now_s: the time
 * of day in seconds, for the slowest list's window). */
void ot_traces_add(ot_traces_builder *b, const ot_span_record *rec,
                   int64_t now_s);

/* Copy a list into out (up to max): the recent and errored ones newest
 * first, the slowest ones slowest first; those of the slowest list older
 * than the window (from now_s) are left out.  Returns how many. */
size_t ot_traces_read(const ot_traces *store, ot_traces_list list,
                      int64_t now_s, ot_trace_summary *out, size_t max);

#endif /* OT_TRACES_H */
