/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_exporter.h: the batch span processor of one child process: the
 * bounded queue, one background thread that drains it in batches into a
 * tracer plugin, and the counters that tell how it went.
 *
 * Its settings are in ot_settings.h.
 */

#ifndef OT_EXPORTER_H
#define OT_EXPORTER_H

#include <apr_pools.h>

#include "ot_settings.h"
#include "ot_span.h"
#include "ot_stats.h"
#include "ot_traces.h"
#include "ot_tracer.h"

typedef struct ot_exporter ot_exporter;

/* Create (not start) in pool p, a pool of the child process.  A
 * pre-cleanup of p stops the exporter: it flushes what is queued within
 * shutdown_timeout_ms, then cancels a running export (plugin cancel()),
 * joins the thread, and calls the plugin's child_exit().  The plugin
 * handle must outlive p. */
apr_status_t ot_exporter_create(ot_exporter **e, apr_pool_t *p,
                                const ot_batch_config *cfg,
                                const ot_tracer_plugin *plugin, void *handle);
/* Before start: count into slot (shared memory: a status page reads it)
 * instead of the exporter's own counters, and summarize what it exports
 * into store (NULL: neither).  pid: the process, for the summaries. */
void ot_exporter_share(ot_exporter *e, ot_stats_slot *slot,
                       ot_traces *store, int64_t pid);
apr_status_t ot_exporter_start(ot_exporter *e);

/* Request thread: copy the finished span into the queue, or drop it and
 * count.  Never blocks on I/O. */
void ot_exporter_submit(ot_exporter *e, ot_span *s);

/* A snapshot of the counters (ot_stats.h). */
void ot_exporter_counters(ot_exporter *e, ot_counters *out);

#endif /* OT_EXPORTER_H */
