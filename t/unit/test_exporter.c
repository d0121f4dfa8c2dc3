/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The batch exporter: a thread, batches, retries, drops, shutdown.  The
 * plugin here is a table of test functions (the ABI is a vtable, so tests
 * can swap it). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>

#include "ot_exporter.h"
#include "ot_log.h"
#include "ot_span.h"

/* Lines the exporter logged (through ot_log, from any thread). */
#define MAX_LINES 16
static struct {
    apr_thread_mutex_t *lock;
    char line[MAX_LINES][512];
    volatile apr_uint32_t n;
} logged;

static void capture(void *ctx, ot_log_level level, const char *msg)
{
    apr_thread_mutex_lock(logged.lock);
    if (logged.n < MAX_LINES) {
        snprintf(logged.line[logged.n], sizeof(logged.line[0]), "%s", msg);
        apr_atomic_inc32(&logged.n);
    }
    apr_thread_mutex_unlock(logged.lock);
}

static void capture_reset(void)
{
    apr_thread_mutex_lock(logged.lock);
    apr_atomic_set32(&logged.n, 0);
    apr_thread_mutex_unlock(logged.lock);
}

typedef struct recorder {
    volatile apr_uint32_t calls;
    volatile apr_uint32_t spans;
    apr_uint32_t max_batch_seen;
    apr_uint32_t min_batch_seen;
    int fail_first;             /* RETRY this many times */
    uint32_t retry_after_ms;    /* with this hint */
    int permanent_fail;
    apr_interval_time_t hang;   /* wait in export, until cancelled */
    volatile apr_uint32_t release;  /* or until released (then OK) */
    volatile apr_uint32_t cancelled;
    apr_interval_time_t cancel_lag; /* export returns this long after */
    volatile apr_uint32_t returned; /* exports that returned */
    volatile apr_uint32_t child_exits;
    int64_t last_start;         /* order check */
    int out_of_order;
} recorder;

static ot_export_result rec_export(void *h, const ot_span_record *const *s,
                                   size_t n, uint32_t timeout_ms,
                                   uint32_t *retry_after_ms)
{
    recorder *r = h;
    size_t i;

    apr_time_t until = apr_time_now() + r->hang;

    apr_atomic_inc32(&r->calls);
    while (r->hang && !apr_atomic_read32(&r->cancelled)
           && !apr_atomic_read32(&r->release) && apr_time_now() < until) {
        apr_sleep(apr_time_from_msec(1));
    }
    if (r->hang) {
        if (apr_atomic_read32(&r->cancelled) && r->cancel_lag) {
            apr_sleep(r->cancel_lag);
        }
        apr_atomic_inc32(&r->returned);
        if (apr_atomic_read32(&r->cancelled)) {
            return OT_EXPORT_FAIL;
        }
    }
    if (r->permanent_fail) {
        return OT_EXPORT_FAIL;
    }
    if (r->fail_first > 0) {
        r->fail_first--;
        *retry_after_ms = r->retry_after_ms;
        return OT_EXPORT_RETRY;
    }
    for (i = 0; i < n; i++) {
        if (s[i]->start_ns <= r->last_start) {
            r->out_of_order = 1;
        }
        r->last_start = s[i]->start_ns;
    }
    if (!r->min_batch_seen || n < r->min_batch_seen) {
        r->min_batch_seen = (apr_uint32_t)n;
    }
    if (n > r->max_batch_seen) {
        r->max_batch_seen = (apr_uint32_t)n;
    }
    apr_atomic_add32(&r->spans, (apr_uint32_t)n);
    return OT_EXPORT_OK;
}

static void rec_destroy(void *h)
{
}

static void rec_cancel(void *h)
{
    apr_atomic_inc32(&((recorder *)h)->cancelled);
}

static void rec_child_exit(void *h)
{
    apr_atomic_inc32(&((recorder *)h)->child_exits);
}

static const ot_tracer_plugin rec_plugin = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "test", "0",
    NULL, NULL, NULL, rec_export, NULL, rec_child_exit, rec_destroy,
    rec_cancel, NULL, 0
};

/* An exporter of the recorder r, started, in pool p. */
static ot_exporter *start(apr_pool_t *p, const ot_batch_config *c,
                          recorder *r)
{
    ot_exporter *e;

    assert_int_equal(ot_exporter_create(&e, p, c, &rec_plugin, r),
                     APR_SUCCESS);
    assert_int_equal(ot_exporter_start(e), APR_SUCCESS);
    return e;
}

static void submit(ot_exporter *e, apr_pool_t *p, int i)
{
    ot_span *s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, i + 1);

    ot_span_set_name(s, "GET");
    ot_span_add_str(s, "url.path", "/x", -1);
    ot_exporter_submit(e, s);
}

/* Wait until *v reaches want.  ms only bounds how long a broken exporter
 * can keep the test waiting; the asserts that follow check the value. */
static void wait_for(volatile apr_uint32_t *v, apr_uint32_t want, int ms)
{
    while (apr_atomic_read32(v) < want && ms-- > 0) {
        apr_sleep(apr_time_from_msec(1));
    }
}

/* The same for the exporter's failed counter. */
static void wait_failed(ot_exporter *e, uint64_t want, int ms)
{
    ot_counters k;

    for (;;) {
        ot_exporter_counters(e, &k);
        if (k.failed >= want || ms-- <= 0) {
            return;
        }
        apr_sleep(apr_time_from_msec(1));
    }
}

static void config(ot_batch_config *c, uint32_t q, uint32_t batch,
                   uint32_t delay)
{
    ot_batch_config_defaults(c);
    c->max_queue_size = q;
    c->max_export_batch_size = batch;
    c->schedule_delay_ms = delay;
}

static void test_batches_when_full(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;
    int i;

    memset(&r, 0, sizeof(r));
    apr_pool_create(&p, NULL);
    /* a long delay: only a full batch triggers an export */
    config(&c, 100, 10, 60000);
    e = start(p, &c, &r);
    for (i = 0; i < 30; i++) {
        submit(e, p, i);
    }
    wait_for(&r.spans, 30, 5000);
    assert_int_equal(apr_atomic_read32(&r.spans), 30);
    assert_int_equal(r.max_batch_seen, 10);
    assert_int_equal(r.min_batch_seen, 10);
    assert_int_equal(apr_atomic_read32(&r.calls), 3);
    assert_false(r.out_of_order);
    ot_exporter_counters(e, &k);
    assert_int_equal(k.queued, 30);
    assert_int_equal(k.exported, 30);
    assert_int_equal(k.dropped_full, 0);
    apr_pool_destroy(p);
}

/* Shared: the counters go to the slot a status page reads, and each
 * exported server span becomes a trace in the store. */
static void test_shared_counters_and_traces(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;
    void *slot_mem, *store_mem;
    ot_stats_slot *slot;
    ot_traces *store;
    ot_trace_summary t[OT_TRACES_RECENT];
    int i;

    memset(&r, 0, sizeof(r));
    apr_pool_create(&p, NULL);
    slot_mem = apr_palloc(p, ot_stats_slot_size());
    store_mem = apr_palloc(p, ot_traces_size());
    slot = ot_stats_slot_init(slot_mem);
    store = ot_traces_init(store_mem);
    config(&c, 8, 4, 10);
    assert_int_equal(ot_exporter_create(&e, p, &c, &rec_plugin, &r),
                     APR_SUCCESS);
    ot_exporter_share(e, slot, store, 4242);
    r.hang = apr_time_from_sec(10);
    assert_int_equal(ot_exporter_start(e), APR_SUCCESS);
    /* the first export of 4 hangs (they stay queued until it returns):
     * 4 more fit behind them, 7 are dropped */
    for (i = 0; i < 15; i++) {
        submit(e, p, i);
        if (i == 3) {
            wait_for(&r.calls, 1, 5000);
        }
    }
    apr_atomic_set32(&r.release, 1);
    for (i = 0; i < 5000; i++) {
        ot_stats_read(slot, &k);
        if (k.exported == 8 && ot_traces_read(store, OT_TRACES_LIST_RECENT,
                                              0, t, OT_TRACES_RECENT) == 8) {
            break;
        }
        apr_sleep(apr_time_from_msec(1));
    }
    ot_stats_read(slot, &k);
    assert_int_equal(k.queued, 8);
    assert_int_equal(k.exported, 8);
    assert_int_equal(k.dropped_full, 7);
    assert_int_equal(k.batches, 2);
    ot_exporter_counters(e, &k);
    assert_int_equal(k.dropped_full, 7);
    /* 8 traces, newest first */
    assert_int_equal(ot_traces_read(store, OT_TRACES_LIST_RECENT, 0, t,
                                    OT_TRACES_RECENT), 8);
    assert_true(t[0].spans[0].start_ns > t[7].spans[0].start_ns);
    assert_int_equal(t[0].pid, 4242);
    assert_string_equal(t[0].spans[0].name, "GET");
    assert_int_equal(t[0].spans[0].kind, OT_SPAN_KIND_SERVER);
    apr_pool_destroy(p);
}

static void test_schedule_delay_and_shutdown_flush(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;
    apr_time_t t0;

    memset(&r, 0, sizeof(r));
    apr_pool_create(&p, NULL);
    config(&c, 100, 50, 50);
    e = start(p, &c, &r);
    t0 = apr_time_now();
    submit(e, p, 0);
    submit(e, p, 1);
    /* fewer than a batch: exported after the delay */
    wait_for(&r.spans, 2, 30000);
    assert_int_equal(apr_atomic_read32(&r.spans), 2);
    assert_true(apr_time_now() - t0 >= apr_time_from_msec(40));
    /* what is queued at shutdown is flushed */
    c.schedule_delay_ms = 60000;
    apr_pool_destroy(p);

    memset(&r, 0, sizeof(r));
    apr_pool_create(&p, NULL);
    config(&c, 100, 50, 60000);
    e = start(p, &c, &r);
    submit(e, p, 0);
    submit(e, p, 1);
    submit(e, p, 2);
    apr_pool_destroy(p);    /* the pre-cleanup stops and flushes */
    assert_int_equal(apr_atomic_read32(&r.spans), 3);
    assert_int_equal(apr_atomic_read32(&r.cancelled), 0);
    assert_int_equal(apr_atomic_read32(&r.child_exits), 1);
}

static void test_drops_when_full(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;
    int i;

    memset(&r, 0, sizeof(r));
    r.hang = apr_time_from_sec(60);
    apr_pool_create(&p, NULL);
    config(&c, 8, 8, 60000);
    c.shutdown_timeout_ms = 30000;
    e = start(p, &c, &r);
    /* 8 fill the queue and start an export that waits until released;
     * while it runs, the queue is still full (records are released after
     * export) */
    for (i = 0; i < 8; i++) {
        submit(e, p, i);
    }
    wait_for(&r.calls, 1, 30000);
    for (i = 8; i < 20; i++) {
        submit(e, p, i);
    }
    ot_exporter_counters(e, &k);
    assert_int_equal(k.queued, 8);
    assert_int_equal(k.dropped_full, 12);
    apr_atomic_set32(&r.release, 1);
    apr_pool_destroy(p);
    assert_int_equal(apr_atomic_read32(&r.spans), 8);
    assert_int_equal(apr_atomic_read32(&r.cancelled), 0);
}

static void test_retry_then_ok(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.fail_first = 2;
    apr_pool_create(&p, NULL);
    config(&c, 16, 1, 10);
    e = start(p, &c, &r);
    submit(e, p, 0);
    wait_for(&r.spans, 1, 30000);
    ot_exporter_counters(e, &k);
    assert_int_equal(apr_atomic_read32(&r.calls), 3);
    assert_int_equal(k.retries, 2);
    assert_int_equal(k.exported, 1);
    assert_int_equal(k.failed, 0);
    apr_pool_destroy(p);
}

/* A Retry-After hint longer than the export deadline: the batch fails
 * without waiting for it. */
static void test_retry_after_beyond_deadline(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.fail_first = 1;
    r.retry_after_ms = 60000;
    apr_pool_create(&p, NULL);
    config(&c, 16, 1, 10);
    c.export_timeout_ms = 2000;
    e = start(p, &c, &r);
    submit(e, p, 0);
    /* failed before the deadline (2 s), not after a 60 s wait */
    wait_failed(e, 1, 30000);
    ot_exporter_counters(e, &k);
    assert_int_equal(k.failed, 1);
    assert_int_equal(k.retries, 0);
    assert_int_equal(apr_atomic_read32(&r.calls), 1);
    apr_pool_destroy(p);
}

/* A stop during the wait between attempts: the batch is flushed at
 * shutdown, not lost, and the stop does not wait for the backoff. */
static void test_stop_during_backoff(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;
    apr_time_t t0;

    memset(&r, 0, sizeof(r));
    r.fail_first = 1;
    r.retry_after_ms = 20000;
    apr_pool_create(&p, NULL);
    config(&c, 16, 1, 10);
    c.export_timeout_ms = 30000;
    c.shutdown_timeout_ms = 3000;
    e = start(p, &c, &r);
    submit(e, p, 0);
    wait_for(&r.calls, 1, 30000);
    t0 = apr_time_now();
    apr_pool_destroy(p);
    /* not the 20 s backoff (a bound no busy machine reaches) */
    assert_true(apr_time_now() - t0 < apr_time_from_sec(10));
    assert_int_equal(apr_atomic_read32(&r.spans), 1);
    assert_int_equal(apr_atomic_read32(&r.calls), 2);
}

static void test_permanent_failure_counts(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    ot_counters k;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.permanent_fail = 1;
    apr_pool_create(&p, NULL);
    config(&c, 16, 2, 10);
    e = start(p, &c, &r);
    submit(e, p, 0);
    submit(e, p, 1);
    wait_failed(e, 2, 30000);
    ot_exporter_counters(e, &k);
    assert_int_equal(k.failed, 2);
    assert_int_equal(k.retries, 0);
    assert_int_equal(k.exported, 0);
    apr_pool_destroy(p);
}

/* An export that hangs longer than the shutdown timeout: the stop cancels
 * it, the export returns, the thread is joined and the plugin's child_exit
 * runs, all before the pool cleanup returns. */
static void test_shutdown_with_hung_export(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.hang = apr_time_from_sec(60);
    apr_pool_create(&p, NULL);
    config(&c, 16, 1, 10);
    c.shutdown_timeout_ms = 200;
    e = start(p, &c, &r);
    submit(e, p, 0);
    wait_for(&r.calls, 1, 30000);
    capture_reset();
    apr_pool_destroy(p);
    assert_int_equal(apr_atomic_read32(&r.cancelled), 1);
    assert_int_equal(apr_atomic_read32(&r.returned), 1);
    assert_int_equal(apr_atomic_read32(&r.child_exits), 1);
    /* said once, tagged, with the plugin's name after the tag; then the
     * final report of the failed span */
    assert_int_equal(apr_atomic_read32(&logged.n), 2);
    assert_string_equal(logged.line[0], "OT01002: test tracer: the exporter "
                        "did not finish within 200 ms at shutdown: export "
                        "cancelled, 1 spans dropped");
    assert_string_equal(logged.line[1], "OT01001: test tracer: 0 spans "
                        "dropped (queue full or too large) and 1 failed to "
                        "export since the last report; totals 0 and 1 in "
                        "this process");
}

/* The drop and failure report goes through the one rate limiter: the
 * first at once, the next held back for a minute, the last at shutdown
 * with what was held back. */
static void test_report_rate_limited(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.permanent_fail = 1;
    apr_pool_create(&p, NULL);
    config(&c, 16, 2, 10);
    capture_reset();
    e = start(p, &c, &r);
    submit(e, p, 0);
    submit(e, p, 1);
    wait_for(&logged.n, 1, 30000);
    assert_int_equal(apr_atomic_read32(&logged.n), 1);
    assert_string_equal(logged.line[0], "OT01001: test tracer: 0 spans "
                        "dropped (queue full or too large) and 2 failed to "
                        "export since the last report; totals 0 and 2 in "
                        "this process");
    submit(e, p, 2);
    submit(e, p, 3);
    wait_failed(e, 4, 30000);
    /* within the minute: nothing more (the exporter's loop reports right
     * after the failed batch, so a limiter that lets it through shows here
     * on any machine that is not very slow) */
    apr_sleep(apr_time_from_msec(100));
    assert_int_equal(apr_atomic_read32(&logged.n), 1);
    apr_pool_destroy(p);
    assert_int_equal(apr_atomic_read32(&logged.n), 2);
    assert_string_equal(logged.line[1], "OT01001: test tracer: 0 spans "
                        "dropped (queue full or too large) and 2 failed to "
                        "export since the last report; totals 0 and 4 in "
                        "this process");
}

/* A collector that stays down while requests keep coming: the queue never
 * empties, so the exporter never leaves its drain loop; the drop report
 * must still go out then, not only once the queue is empty. */
static void test_report_while_queue_stays_full(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;
    int i;

    memset(&r, 0, sizeof(r));
    r.permanent_fail = 1;
    r.hang = apr_time_from_msec(20);    /* each failed export takes 20 ms */
    apr_pool_create(&p, NULL);
    config(&c, 64, 1, 10);
    capture_reset();
    e = start(p, &c, &r);
    for (i = 0; i < 64; i++) {
        submit(e, p, i);
    }
    wait_for(&logged.n, 1, 30000);
    assert_int_equal(apr_atomic_read32(&logged.n), 1);
    /* reported after a few of the 64 batches, with most still queued */
    assert_true(apr_atomic_read32(&r.calls) < 32);
    assert_non_null(strstr(logged.line[0], "OT01001: test tracer: 0 spans "
                           "dropped (queue full or too large) and "));
    apr_pool_destroy(p);
}

static const ot_tracer_plugin rec_plugin_no_cancel = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "test", "0",
    NULL, NULL, NULL, rec_export, NULL, rec_child_exit, rec_destroy, NULL,
    NULL, 0
};

/* A slow plugin without cancel (it keeps to the timeout it is given), a
 * full queue at the stop: the stop takes shutdown_timeout_ms and the
 * export then running, not one slow export per queued batch. */
static void test_stop_bounded_without_cancel(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;
    apr_time_t t0;
    int i;

    memset(&r, 0, sizeof(r));
    r.hang = apr_time_from_msec(50);    /* each export takes 50 ms */
    apr_pool_create(&p, NULL);
    config(&c, 64, 1, 10);
    c.shutdown_timeout_ms = 200;
    assert_int_equal(ot_exporter_create(&e, p, &c, &rec_plugin_no_cancel,
                                        &r), APR_SUCCESS);
    assert_int_equal(ot_exporter_start(e), APR_SUCCESS);
    for (i = 0; i < 64; i++) {
        submit(e, p, i);
    }
    wait_for(&r.calls, 1, 30000);
    capture_reset();
    t0 = apr_time_now();
    apr_pool_destroy(p);
    /* 64 exports of 50 ms would take 3.2 s */
    assert_true(apr_time_now() - t0 < apr_time_from_msec(1500));
    assert_true(apr_atomic_read32(&r.spans) < 40);
    assert_int_equal(apr_atomic_read32(&r.child_exits), 1);
}

/* A plugin slow to honour cancel (as libcurl's progress callback was, up
 * to a second): the stop still waits for the export to return and joins
 * the thread before the plugin's child_exit and the pools go. */
static void test_shutdown_joins_slow_cancel(void **state)
{
    apr_pool_t *p;
    ot_batch_config c;
    ot_exporter *e;
    recorder r;

    memset(&r, 0, sizeof(r));
    r.hang = apr_time_from_sec(60);
    r.cancel_lag = apr_time_from_msec(1200);
    apr_pool_create(&p, NULL);
    config(&c, 16, 1, 10);
    c.shutdown_timeout_ms = 100;
    e = start(p, &c, &r);
    submit(e, p, 0);
    wait_for(&r.calls, 1, 30000);
    apr_pool_destroy(p);
    assert_int_equal(apr_atomic_read32(&r.returned), 1);
    assert_int_equal(apr_atomic_read32(&r.child_exits), 1);
}

/* What a plugin's export_spans() saw of the span with facts. */
typedef struct seen {
    volatile apr_uint32_t calls;
    int has_facts;
    uint32_t n_attributes;
    uint32_t dropped;
    char first_key[32];
    char last_key[32];
} seen;

static ot_export_result seen_export(void *h, const ot_span_record *const *s,
                                    size_t n, uint32_t timeout_ms,
                                    uint32_t *retry_after_ms)
{
    seen *w = h;
    const ot_span_record *r = s[0];

    w->has_facts = r->http != NULL;
    w->n_attributes = r->n_attributes;
    w->dropped = r->dropped_attributes;
    if (r->n_attributes) {
        snprintf(w->first_key, sizeof(w->first_key), "%.*s",
                 (int)r->attributes[0].key.len, r->attributes[0].key.ptr);
        snprintf(w->last_key, sizeof(w->last_key), "%.*s",
                 (int)r->attributes[r->n_attributes - 1].key.len,
                 r->attributes[r->n_attributes - 1].key.ptr);
    }
    apr_atomic_inc32(&w->calls);
    return OT_EXPORT_OK;
}

/* A plugin without OT_PLUGIN_READS_FACTS gets a span's facts as its first
 * attributes, at most OT_SPAN_MAX_ATTRIBUTES in all, the rest counted as
 * dropped; one with it gets the facts. */
static void test_facts_for_plugins(void **state)
{
    static const ot_tracer_plugin plain = {
        OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "plain", "0",
        NULL, NULL, NULL, seen_export, NULL, NULL, rec_destroy, NULL, NULL, 0
    };
    static const ot_tracer_plugin reads = {
        OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "reads", "0",
        NULL, NULL, NULL, seen_export, NULL, NULL, rec_destroy, NULL, NULL,
        OT_PLUGIN_READS_FACTS
    };
    const ot_tracer_plugin *plugins[2] = { &plain, &reads };
    int k, i;

    for (k = 0; k < 2; k++) {
        apr_pool_t *p;
        ot_batch_config c;
        ot_exporter *e;
        ot_http_facts *h;
        ot_span *s;
        seen w;

        memset(&w, 0, sizeof(w));
        apr_pool_create(&p, NULL);
        config(&c, 100, 1, 1);
        assert_int_equal(ot_exporter_create(&e, p, &c, plugins[k], &w),
                         APR_SUCCESS);
        assert_int_equal(ot_exporter_start(e), APR_SUCCESS);
        s = ot_span_start(p, NULL, 0, 1, OT_SPAN_KIND_SERVER, 1);
        h = ot_span_facts(s);
        h->names = OT_FACT_NAMES_CURRENT | OT_FACT_NAMES_OLD;
        h->status_code = 200;
        h->server_port = 80;
        h->present = OT_FACT_BIT(OT_FACT_STATUS_CODE)
                     | OT_FACT_BIT(OT_FACT_SERVER_PORT);
        for (i = 0; i < OT_SPAN_MAX_ATTRIBUTES - 1; i++) {
            ot_span_add_intn(s, "app.n", 5, i);
        }
        ot_exporter_submit(e, s);
        wait_for(&w.calls, 1, 5000);
        assert_int_equal(apr_atomic_read32(&w.calls), 1);
        if (k == 0) {
            assert_false(w.has_facts);
            assert_int_equal(w.n_attributes, OT_SPAN_MAX_ATTRIBUTES);
            assert_int_equal(w.dropped, 3);
            assert_string_equal(w.first_key, "server.port");
            assert_string_equal(w.last_key, "app.n");
        }
        else {
            assert_true(w.has_facts);
            assert_int_equal(w.n_attributes, OT_SPAN_MAX_ATTRIBUTES - 1);
            assert_int_equal(w.dropped, 0);
        }
        apr_pool_destroy(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_when_full),
        cmocka_unit_test(test_facts_for_plugins),
        cmocka_unit_test(test_shared_counters_and_traces),
        cmocka_unit_test(test_schedule_delay_and_shutdown_flush),
        cmocka_unit_test(test_drops_when_full),
        cmocka_unit_test(test_retry_then_ok),
        cmocka_unit_test(test_retry_after_beyond_deadline),
        cmocka_unit_test(test_stop_during_backoff),
        cmocka_unit_test(test_permanent_failure_counts),
        cmocka_unit_test(test_shutdown_with_hung_export),
        cmocka_unit_test(test_shutdown_joins_slow_cancel),
        cmocka_unit_test(test_report_rate_limited),
        cmocka_unit_test(test_report_while_queue_stays_full),
        cmocka_unit_test(test_stop_bounded_without_cancel),
    };
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_thread_mutex_create(&logged.lock, APR_THREAD_MUTEX_DEFAULT, p);
    ot_log_set(capture, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
