/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_exporter.h"

#include <stdio.h>
#include <stdlib.h>

#include <apr_atomic.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "ot_facts.h"       /* ot_facts_flatten (sdk) */
#include "ot_ids.h"
#include "ot_log.h"
#include "ot_logger.h"
#include "ot_queue.h"
#include "ot_retry.h"
#include "ot_stats.h"

struct ot_exporter {
    apr_pool_t *pool;           /* unmanaged: the thread's, destroyed
                                 * after the join */
    ot_batch_config cfg;
    const ot_tracer_plugin *plugin;
    void *handle;
    ot_queue *queue;
    apr_thread_t *thread;
    const ot_span_record **batch;
    /* for a plugin that does not read facts: the batch with the facts
     * written out as attributes (ot_facts_flatten), in room kept for a
     * whole batch; else NULL */
    const ot_span_record **plain;
    ot_span_record *plain_recs;
    ot_attribute *plain_attrs;
    volatile apr_uint32_t stopping;
    apr_thread_mutex_t *done_lock;
    apr_thread_cond_t *done_cond;   /* the thread finished */
    apr_thread_cond_t *stop_cond;   /* stopping was set */
    int done;
    int running;
    ot_stats_slot *stats;       /* its own, or a shared one */
    ot_traces_builder *traces;  /* NULL: no summaries for a status page */
    ot_logger *log;             /* "<plugin> tracer: ", rate-limited */
    /* exporter thread only */
    uint64_t reported_dropped;
    uint64_t reported_failed;
};

static int stopping(ot_exporter *e)
{
    return apr_atomic_read32(&e->stopping) != 0;
}

/* Sleep until t, or until stopping. Returns 0 when stopping. */
static int sleep_until(ot_exporter *e, apr_time_t t)
{
    apr_time_t now;

    apr_thread_mutex_lock(e->done_lock);
    while (!stopping(e) && (now = apr_time_now()) < t) {
        apr_thread_cond_timedwait(e->stop_cond, e->done_lock, t - now);
    }
    apr_thread_mutex_unlock(e->done_lock);
    return !stopping(e);
}

/* Export the batch, retrying transient failures within the deadline.
 * Returns 0 when the batch is done with (exported or failed), 1 when a
 * stop interrupted the wait between attempts: the batch stays queued for
 * the shutdown flush. */
static int export_batch(ot_exporter *e, size_t n, apr_time_t deadline,
                        int at_shutdown)
{
    ot_export_result r;
    apr_time_t now, next;
    uint32_t timeout_ms, hint, attempt = 0;
    const ot_span_record *const *spans = e->batch;
    size_t i;

    if (e->plain) {
        for (i = 0; i < n; i++) {
            e->plain[i] = ot_facts_flatten(
                e->batch[i], &e->plain_recs[i],
                e->plain_attrs + i * OT_SPAN_MAX_ATTRIBUTES,
                OT_SPAN_MAX_ATTRIBUTES);
        }
        spans = e->plain;
    }
    for (;;) {
        now = apr_time_now();
        timeout_ms = deadline > now
            ? (uint32_t)apr_time_as_msec(deadline - now) : 0;
        if (timeout_ms == 0) {
            timeout_ms = 1;
        }
        hint = 0;
        r = e->plugin->export_spans(e->handle, spans, n, timeout_ms,
                                    &hint);
        if (r == OT_EXPORT_OK) {
            ot_stats_add(e->stats, OT_STAT_EXPORTED, n);
            ot_stats_add(e->stats, OT_STAT_BATCHES, 1);
            return 0;
        }
        next = apr_time_now() + apr_time_from_msec(
            ot_retry_delay_ms(++attempt, hint, ot_ids_random32()));
        if (r != OT_EXPORT_RETRY || next >= deadline) {
            ot_stats_add(e->stats, OT_STAT_FAILED, n);
            return 0;
        }
        if (at_shutdown) {
            apr_sleep(next - apr_time_now());
        }
        else if (!sleep_until(e, next)) {
            return 1;
        }
        ot_stats_add(e->stats, OT_STAT_RETRIES, 1);
    }
}

/* Drops and failures since the last report: at most one line per
 * OT_LOGGER_INTERVAL_MS (the logger's limit), and a last one at shutdown. */
static void report(ot_exporter *e, int force)
{
    ot_counters c;
    uint64_t dropped, failed;
    char msg[256];

    ot_stats_read(e->stats, &c);
    dropped = c.dropped_full + c.dropped_too_big;
    failed = c.failed;

    if ((dropped == e->reported_dropped && failed == e->reported_failed)
        || (!force && !ot_logger_due(e->log))) {
        return;
    }
    snprintf(msg, sizeof(msg), OT_LOGNO(01001) "%llu spans dropped (queue "
             "full or too large) and %llu failed to export since the last "
             "report; totals %llu and %llu in this process",
             (unsigned long long)(dropped - e->reported_dropped),
             (unsigned long long)(failed - e->reported_failed),
             (unsigned long long)dropped, (unsigned long long)failed);
    if (force) {
        ot_logger_always(e->log, OT_LOG_WARNING, "%s", msg);
    }
    else if (!ot_logger_log(e->log, OT_LOG_WARNING, "%s", msg)) {
        return;
    }
    e->reported_dropped = dropped;
    e->reported_failed = failed;
}

/* The batch of n spans, done with (exported or failed), for the status
 * page's recent traces. */
static void summarize(ot_exporter *e, size_t n)
{
    int64_t now_s = (int64_t)apr_time_sec(apr_time_now());
    size_t i;

    for (i = 0; e->traces && i < n; i++) {
        ot_traces_add(e->traces, e->batch[i], now_s);
    }
}

/* Export what is queued, in batches: only full ones when full_only (the
 * schedule delay has not passed), else everything (with stop_deadline, at
 * shutdown). */
static void drain(ot_exporter *e, int full_only, apr_time_t stop_deadline)
{
    size_t n;
    apr_time_t deadline;

    while ((n = ot_queue_peek(e->queue, e->batch,
                              e->cfg.max_export_batch_size)) > 0) {
        if (full_only && n < e->cfg.max_export_batch_size) {
            return;
        }
        /* Asked to stop: what is left goes to the shutdown drain, whose
         * deadline bounds every export (a plugin without cancel would
         * otherwise be given export_timeout_ms per batch). */
        if (!stop_deadline && stopping(e)) {
            return;
        }
        deadline = apr_time_now()
            + apr_time_from_msec(e->cfg.export_timeout_ms);
        if (stop_deadline && deadline > stop_deadline) {
            deadline = stop_deadline;
        }
        if (stop_deadline && apr_time_now() >= stop_deadline) {
            ot_stats_add(e->stats, OT_STAT_FAILED, ot_queue_count(e->queue));
            ot_queue_release(e->queue, ot_queue_count(e->queue));
            return;
        }
        if (export_batch(e, n, deadline, stop_deadline != 0)) {
            return;
        }
        summarize(e, n);
        ot_queue_release(e->queue, n);
        /* While the collector is down and requests keep coming, the queue
         * never empties and this loop never ends: report from inside it. */
        if (!stop_deadline) {
            report(e, 0);
        }
    }
}

static void *APR_THREAD_FUNC exporter_main(apr_thread_t *t, void *data)
{
    ot_exporter *e = data;
    apr_time_t stop_deadline;
    int full;

    while (!stopping(e)) {
        full = ot_queue_wait(e->queue,
                             apr_time_from_msec(e->cfg.schedule_delay_ms));
        if (stopping(e)) {
            break;
        }
        /* Woken by a full batch: export full batches and leave the rest
         * for the next round; after the delay: export everything. */
        drain(e, full, 0);
        report(e, 0);
    }
    stop_deadline = apr_time_now()
        + apr_time_from_msec(e->cfg.shutdown_timeout_ms);
    drain(e, 0, stop_deadline);
    if (e->plugin->flush) {
        apr_time_t now = apr_time_now();
        e->plugin->flush(e->handle, now < stop_deadline
                         ? (uint32_t)apr_time_as_msec(stop_deadline - now)
                         : 1);
    }
    report(e, 1);

    apr_thread_mutex_lock(e->done_lock);
    e->done = 1;
    apr_thread_cond_signal(e->done_cond);
    apr_thread_mutex_unlock(e->done_lock);
    return NULL;
}

static apr_status_t exporter_stop(ot_exporter *e);

/* Wait until the thread is done or deadline; whether it is done. */
static int wait_done(ot_exporter *e, apr_time_t deadline)
{
    apr_time_t now;
    int done;

    apr_thread_mutex_lock(e->done_lock);
    while (!e->done && (now = apr_time_now()) < deadline) {
        apr_thread_cond_timedwait(e->done_cond, e->done_lock,
                                  deadline - now);
    }
    done = e->done;
    apr_thread_mutex_unlock(e->done_lock);
    return done;
}

static apr_status_t exporter_cleanup(void *data)
{
    exporter_stop(data);
    return APR_SUCCESS;
}

apr_status_t ot_exporter_create(ot_exporter **ep, apr_pool_t *p,
                                const ot_batch_config *cfg,
                                const ot_tracer_plugin *plugin, void *handle)
{
    apr_pool_t *pool;
    ot_exporter *e;
    apr_status_t rv;
    size_t bytes;

    if ((rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL))
        != APR_SUCCESS) {
        return rv;
    }
    apr_pool_tag(pool, "ot_exporter");
    e = apr_pcalloc(pool, sizeof(*e));
    e->pool = pool;
    e->cfg = *cfg;
    if (e->cfg.max_export_batch_size > e->cfg.max_queue_size) {
        e->cfg.max_export_batch_size = e->cfg.max_queue_size;
    }
    e->plugin = plugin;
    e->handle = handle;
    e->stats = ot_stats_slot_init(apr_palloc(pool, ot_stats_slot_size()));
    {
        char prefix[128];

        snprintf(prefix, sizeof(prefix), "%s tracer: ", plugin->name);
        e->log = ot_logger_create(ot_log_host, NULL, prefix,
                                  OT_LOGGER_INTERVAL_MS);
    }
    bytes = cfg->max_queue_bytes ? cfg->max_queue_bytes
        : (size_t)cfg->max_queue_size * 1024;
    e->batch = apr_pcalloc(pool, sizeof(*e->batch)
                           * e->cfg.max_export_batch_size);
    if (!(plugin->flags & OT_PLUGIN_READS_FACTS)) {
        /* a span has at most OT_SPAN_MAX_ATTRIBUTES attributes, its facts
         * included, as before there were facts */
        e->plain = apr_palloc(pool, sizeof(*e->plain)
                                    * e->cfg.max_export_batch_size);
        e->plain_recs = apr_palloc(pool, sizeof(*e->plain_recs)
                                         * e->cfg.max_export_batch_size);
        e->plain_attrs = apr_palloc(pool, sizeof(*e->plain_attrs)
                                          * OT_SPAN_MAX_ATTRIBUTES
                                          * e->cfg.max_export_batch_size);
    }
    if ((rv = ot_queue_create(&e->queue, pool, cfg->max_queue_size, bytes,
                              cfg->max_attribute_length,
                              e->cfg.max_export_batch_size)) != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&e->done_lock,
                                         APR_THREAD_MUTEX_DEFAULT, pool))
           != APR_SUCCESS
        || (rv = apr_thread_cond_create(&e->done_cond, pool))
           != APR_SUCCESS
        || (rv = apr_thread_cond_create(&e->stop_cond, pool))
           != APR_SUCCESS) {
        ot_logger_destroy(e->log);
        apr_pool_destroy(pool);
        return rv;
    }
    apr_pool_pre_cleanup_register(p, e, exporter_cleanup);
    *ep = e;
    return APR_SUCCESS;
}

apr_status_t ot_exporter_start(ot_exporter *e)
{
    apr_threadattr_t *attr;
    apr_status_t rv;

    if ((rv = apr_threadattr_create(&attr, e->pool)) != APR_SUCCESS
        || (rv = apr_thread_create(&e->thread, attr, exporter_main, e,
                                   e->pool)) != APR_SUCCESS) {
        return rv;
    }
    e->running = 1;
    return APR_SUCCESS;
}

void ot_exporter_submit(ot_exporter *e, ot_span *s)
{
    switch (ot_queue_push(e->queue, s)) {
    case OT_PUSH_OK:
        ot_stats_add(e->stats, OT_STAT_QUEUED, 1);
        break;
    case OT_PUSH_FULL:
        ot_stats_add(e->stats, OT_STAT_DROPPED_FULL, 1);
        break;
    case OT_PUSH_TOO_BIG:
        ot_stats_add(e->stats, OT_STAT_DROPPED_TOO_BIG, 1);
        break;
    }
}

static apr_status_t exporter_stop(ot_exporter *e)
{
    apr_status_t rv = APR_SUCCESS, trv;
    apr_time_t deadline;

    if (!e->running) {
        ot_logger_destroy(e->log);
        apr_pool_destroy(e->pool);
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(e->done_lock);
    apr_atomic_set32(&e->stopping, 1);
    apr_thread_cond_broadcast(e->stop_cond);
    apr_thread_mutex_unlock(e->done_lock);
    ot_queue_wake(e->queue);
    /* The thread has shutdown_timeout_ms to flush.  An export still
     * running then is cancelled: the plugin's export returns at once (the
     * HTTP plugins wake their transfer), the thread fails what is left
     * and returns.  It is always joined: nothing of ours may run once the
     * child's pools and the plugin's DSO go away.  A plugin without cancel
     * must keep to the timeout_ms it is given. */
    deadline = apr_time_now()
        + apr_time_from_msec(e->cfg.shutdown_timeout_ms);
    if (!wait_done(e, deadline)) {
        if (e->plugin->cancel) {
            e->plugin->cancel(e->handle);
        }
        ot_logger_always(e->log, OT_LOG_WARNING, OT_LOGNO(01002) "the "
                         "exporter did not finish within %u ms at "
                         "shutdown: export cancelled, %lu spans dropped",
                         e->cfg.shutdown_timeout_ms,
                         (unsigned long)ot_queue_count(e->queue));
    }
    apr_thread_join(&trv, e->thread);
    e->running = 0;
    /* The thread is gone: the plugin's per-process state may go too. */
    if (e->plugin->child_exit) {
        e->plugin->child_exit(e->handle);
    }
    ot_logger_destroy(e->log);
    apr_pool_destroy(e->pool);
    return rv;
}

void ot_exporter_share(ot_exporter *e, ot_stats_slot *slot,
                       ot_traces *store, int64_t pid)
{
    if (slot) {
        e->stats = slot;
    }
    if (store) {
        e->traces = ot_traces_builder_create(e->pool, store, pid);
    }
}

void ot_exporter_counters(ot_exporter *e, ot_counters *out)
{
    ot_stats_read(e->stats, out);
}
