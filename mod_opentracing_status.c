/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing_status.c: the tracer's health where sysadmins look.
 *
 * The counters of every child (tracer/core/ot_stats.c) and the recent
 * traces (tracer/core/ot_traces.c) live in one anonymous shared memory
 * segment that the parent makes in post_config and the children inherit
 * when they fork.  It is kept in the process pool across restarts, so
 * that the totals keep growing over a graceful restart (Prometheus
 * counters); it is made anew only when its size changes (ServerLimit),
 * and the old one is destroyed then: the children of the old generation
 * keep their mapping until they exit.
 *
 * What is shown: mod_status's server-status gets a "Tracing" section (its
 * status_hook, HTML and ?auto); SetHandler opentracing-status serves a
 * page of its own (HTML, ?json, ?format=prometheus).  Never a header
 * value, a token or the plugin's JSON config: only the plugin's name,
 * version and ABI, the config file's name, and what the plugin's
 * describe() says (where spans go: scheme://host:port, or a file).
 */

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <unistd.h>

#include "mod_opentracing_private.h"

#include "apr_lib.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "ap_mpm.h"
#include "http_main.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "ot_exporter.h"
#include "ot_stats.h"
#include "ot_traces.h"
#include "ot_write.h"

#define SHM_KEY "mod_opentracing_status_shm"
/* Errors younger than this make the page say "problems". */
#define RECENT_ERROR_SEC 300

static ot_stats *stats;         /* NULL: no tracer configured */
static ot_traces *traces;
static ot_stats_slot *child_slot;   /* this child's */

static size_t stats_room(unsigned n)
{
    return (ot_stats_size(n) + 63) & ~(size_t)63;
}

/* Whether the configuration serves the status page (SetHandler or
 * AddHandler opentracing-status). */
static void find_status_handler(const ap_directive_t *d, void *found)
{
    const char *args = d->args;

    if ((ap_cstr_casecmp(d->directive, "SetHandler") == 0
         || ap_cstr_casecmp(d->directive, "AddHandler") == 0)
        && ap_cstr_casecmpn(args, "opentracing-status", 18) == 0
        && (!args[18] || apr_isspace(args[18]))) {
        *(int *)found = 1;
    }
}

static int status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    int page = 0;
    apr_pool_t *keep = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    int limit = 0;
    size_t size;
    char *base;

    stats = NULL;
    traces = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !ot_server_conf_get(s)->tracer) {
        return OK;
    }
    /* One slot per child process that can run at once, those of a
     * generation that is finishing included. */
    if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit) != APR_SUCCESS
        || limit < 1) {
        limit = 1;
    }
    size = stats_room((unsigned)limit) + ot_traces_size();
    apr_pool_userdata_get((void **)&shm, SHM_KEY, keep);
    if (shm && apr_shm_size_get(shm) != size) {
        apr_shm_destroy(shm);
        shm = NULL;
    }
    if (!shm) {
        if ((rv = apr_shm_create(&shm, size, NULL, keep)) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OTLOGNO(00060)
                         "cannot make %" APR_SIZE_T_FMT " bytes of shared "
                         "memory for the tracer's status: the status "
                         "pages will show no counters", size);
            apr_pool_userdata_set(NULL, SHM_KEY, apr_pool_cleanup_null,
                                  keep);
            return OK;
        }
        base = apr_shm_baseaddr_get(shm);
        ot_stats_init(base, (unsigned)limit);
        ot_traces_init(base + stats_room((unsigned)limit));
        apr_pool_userdata_set(shm, SHM_KEY, apr_pool_cleanup_null, keep);
    }
    base = apr_shm_baseaddr_get(shm);
    stats = ot_stats_attach(base);
    /* The recent traces are summed up for the page only: their cost (on
     * the exporter thread, per span) is not paid where no page shows
     * them. */
    ot_config_each(ap_conftree, find_status_handler, &page);
    if (page) {
        traces = (ot_traces *)(void *)(base + stats_room((unsigned)limit));
    }
    return OK;
}

static int process_alive(int64_t pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static apr_status_t release_slot(void *data)
{
    ot_stats_release(stats, data);
    child_slot = NULL;
    return APR_SUCCESS;
}

void ot_status_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (!stats) {
        return;
    }
    child_slot = ot_stats_claim(stats, (int64_t)getpid(), apr_time_now(),
                                process_alive);
    if (!child_slot) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, OTLOGNO(00061)
                     "no free slot for this process's tracer counters: "
                     "the status pages leave it out");
        return;
    }
    /* A plain cleanup: it runs after the exporter's pre-cleanup has
     * stopped the thread that counts. */
    apr_pool_cleanup_register(pchild, child_slot, release_slot,
                              apr_pool_cleanup_null);
}

void ot_status_share(ot_exporter *e)
{
    ot_exporter_share(e, child_slot, child_slot ? traces : NULL,
                      (int64_t)getpid());
}

void ot_status_note(ot_log_level level, const char *msg)
{
    if (child_slot && level <= OT_LOG_WARNING) {
        ot_stats_note_error(child_slot, apr_time_now(), msg);
    }
}

/* --------------------------------------------------------- what is shown */

#define N_LISTS 3

typedef struct view {
    const ot_tracer_conf *t;
    const char *where;          /* the plugin's describe(), or NULL */
    const char *formats;        /* TracePropagation of the main server */
    const char *sampler;
    apr_time_t now;
    int have_counters;
    ot_counters totals;
    apr_array_header_t *children;   /* of ot_counters */
    ot_trace_summary *lists[N_LISTS];
    size_t n[N_LISTS];
} view;

static const char *const list_ids[N_LISTS] = { "recent", "slowest",
                                               "errors" };
static const char *const list_titles[N_LISTS] = {
    "Last traces", "Slowest of the last 5 minutes", "Last traces with errors"
};
static const size_t list_max[N_LISTS] = { OT_TRACES_RECENT,
                                          OT_TRACES_SLOWEST,
                                          OT_TRACES_ERRORS };

static const char *sampler_text(apr_pool_t *p, const ot_sampler *s)
{
    double ratio = s->always ? 1.0 : (double)s->threshold / 18446744073709551616.0;

    return apr_psprintf(p, "%s, ratio %g for new traces (TraceSampleRate "
                        "and TraceSampleExpr may differ per location)",
                        s->parent_based ? "parent-based" : "ratio",
                        ratio);
}

static const char *formats_text(apr_pool_t *p, const ot_server_conf *sc)
{
    const char *out = NULL;
    int i;

    if (!sc->n_propagators) {
        return "w3c (the default)";
    }
    for (i = 0; i < sc->n_propagators; i++) {
        const char *name = ot_propagator_name(sc->propagators[i]);

        out = out ? apr_pstrcat(p, out, " ", name, NULL) : name;
    }
    return out;
}

static void make_view(request_rec *r, view *v)
{
    ot_server_conf *sc = ot_server_conf_get(r->server);
    const ot_tracer_conf *t = sc->tracer;
    char where[512];
    ot_counters c;
    unsigned i;
    int l;

    memset(v, 0, sizeof(*v));
    v->t = t;
    v->now = apr_time_now();
    v->children = apr_array_make(r->pool, 4, sizeof(ot_counters));
    if (!t) {
        return;
    }
    if (t->plugin->describe
        && t->plugin->describe(t->handle, where, sizeof(where)) == 0) {
        where[sizeof(where) - 1] = '\0';
        v->where = apr_pstrdup(r->pool, where);
    }
    v->formats = formats_text(r->pool, ot_server_conf_get(r->server));
    v->sampler = sampler_text(r->pool, &t->sampler);
    if (!stats) {
        return;
    }
    v->have_counters = 1;
    ot_stats_totals(stats, &v->totals);
    for (i = 0; i < ot_stats_n_slots(stats); i++) {
        if (ot_stats_child(stats, i, &c) && process_alive(c.pid)) {
            *(ot_counters *)apr_array_push(v->children) = c;
        }
    }
    for (l = 0; traces && l < N_LISTS; l++) {
        v->lists[l] = apr_palloc(r->pool,
                                 list_max[l] * sizeof(ot_trace_summary));
        v->n[l] = ot_traces_read(traces, (ot_traces_list)l,
                                 apr_time_sec(v->now), v->lists[l],
                                 list_max[l]);
    }
}

static uint64_t dropped(const ot_counters *c)
{
    return c->dropped_full + c->dropped_too_big;
}

/* The verdict at a glance: a word, and a class for its colour. */
static const char *verdict(const view *v, const char **cls)
{
    if (!v->t) {
        *cls = "off";
        return "not configured";
    }
    if (!v->have_counters || v->children->nelts == 0) {
        *cls = "bad";
        return "no exporter running";
    }
    if (v->totals.last_error_us
        && v->now - v->totals.last_error_us
           < apr_time_from_sec(RECENT_ERROR_SEC)) {
        *cls = "bad";
        return "problems";
    }
    if (dropped(&v->totals) || v->totals.failed) {
        *cls = "warn";
        return "recovered";
    }
    *cls = "ok";
    return "healthy";
}

static const char *hex(apr_pool_t *p, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = apr_palloc(p, 2 * n + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static const char *json_str(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s);
    char *out = apr_palloc(p, OT_STR_ROOM(n, OT_JSON_ESC_MAX));
    char *end = ot_w_json_str(out, s, n, 0);

    *end = '\0';
    return out;
}

/* <, >, & and " escaped; UTF-8 stays as it is (the page is UTF-8). */
static const char *html(apr_pool_t *p, const char *s)
{
    return ap_escape_html2(p, s, 0);
}

static const char *duration_text(apr_pool_t *p, int64_t ns)
{
    if (ns < 1000000) {
        return apr_psprintf(p, "%.0f µs", (double)ns / 1e3);
    }
    if (ns < 10000000000LL) {
        return apr_psprintf(p, "%.1f ms", (double)ns / 1e6);
    }
    return apr_psprintf(p, "%.1f s", (double)ns / 1e9);
}

static const char *age_text(apr_pool_t *p, apr_time_t now, apr_time_t then)
{
    apr_time_t s = apr_time_sec(now - then);

    if (s < 120) {
        return apr_psprintf(p, "%" APR_TIME_T_FMT " s ago", s);
    }
    if (s < 7200) {
        return apr_psprintf(p, "%" APR_TIME_T_FMT " min ago", s / 60);
    }
    return apr_psprintf(p, "%" APR_TIME_T_FMT " h ago", s / 3600);
}

static const char *kind_name(uint8_t kind)
{
    static const char *const names[] = { "unspecified", "internal",
                                         "server", "client", "producer",
                                         "consumer" };

    return kind < sizeof(names) / sizeof(names[0]) ? names[kind]
        : "unspecified";
}

static const char *status_name(uint8_t code)
{
    return code == OT_STATUS_ERROR ? "error"
        : code == OT_STATUS_OK ? "ok" : "unset";
}

/* ------------------------------------------------------- server-status */

static int status_hook(request_rec *r, int flags)
{
    const char *cls, *word;
    view v;

    make_view(r, &v);
    word = verdict(&v, &cls);
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "TracingStatus: %s\n", word);
        if (!v.t) {
            return OK;
        }
        ap_rprintf(r, "TracingTracer: %s %s (ABI %u)\n", v.t->plugin->name,
                   v.t->plugin->version, v.t->plugin->abi_version);
        ap_rprintf(r, "TracingChildren: %d\n", v.children->nelts);
        if (!v.have_counters) {
            return OK;
        }
        ap_rprintf(r, "TracingSpansQueued: %" APR_UINT64_T_FMT "\n"
                   "TracingSpansExported: %" APR_UINT64_T_FMT "\n"
                   "TracingSpansDroppedQueueFull: %" APR_UINT64_T_FMT "\n"
                   "TracingSpansDroppedTooBig: %" APR_UINT64_T_FMT "\n"
                   "TracingSpansFailed: %" APR_UINT64_T_FMT "\n"
                   "TracingExportRetries: %" APR_UINT64_T_FMT "\n"
                   "TracingExportBatches: %" APR_UINT64_T_FMT "\n"
                   "TracingQueueDepth: %" APR_UINT64_T_FMT "\n",
                   v.totals.queued, v.totals.exported,
                   v.totals.dropped_full, v.totals.dropped_too_big,
                   v.totals.failed, v.totals.retries, v.totals.batches,
                   v.totals.queue_depth);
        if (v.totals.last_error_us) {
            ap_rprintf(r, "TracingLastErrorSecondsAgo: %" APR_TIME_T_FMT
                       "\n", apr_time_sec(v.now - v.totals.last_error_us));
        }
        return OK;
    }
    ap_rprintf(r, "<hr /><h2>Tracing: %s</h2>\n", word);
    if (!v.t) {
        ap_rputs("<p>No TraceTracer is configured.</p>\n", r);
        return OK;
    }
    ap_rprintf(r, "<dl><dt>Tracer: %s %s (ABI %u)",
               html(r->pool, v.t->plugin->name),
               html(r->pool, v.t->plugin->version),
               v.t->plugin->abi_version);
    if (v.where) {
        ap_rprintf(r, ", spans go to %s", html(r->pool, v.where));
    }
    ap_rprintf(r, "</dt>\n<dt>Child processes exporting: %d</dt>\n",
               v.children->nelts);
    if (v.have_counters) {
        ap_rprintf(r, "<dt>Spans: %" APR_UINT64_T_FMT " queued, %"
                   APR_UINT64_T_FMT " exported, %" APR_UINT64_T_FMT
                   " dropped, %" APR_UINT64_T_FMT " failed; %"
                   APR_UINT64_T_FMT " retries; %" APR_UINT64_T_FMT
                   " in the queues</dt>\n", v.totals.queued,
                   v.totals.exported, dropped(&v.totals), v.totals.failed,
                   v.totals.retries, v.totals.queue_depth);
    }
    if (v.totals.last_error_us) {
        ap_rprintf(r, "<dt>Last error (%s): %s</dt>\n",
                   age_text(r->pool, v.now, v.totals.last_error_us),
                   html(r->pool, v.totals.last_error));
    }
    ap_rputs("</dl>\n", r);
    return OK;
}

/* ------------------------------------------------------- the status page */

static void json_counters(request_rec *r, const ot_counters *c)
{
    ap_rprintf(r, "\"queued\": %" APR_UINT64_T_FMT ", \"exported\": %"
               APR_UINT64_T_FMT ", \"dropped_queue_full\": %"
               APR_UINT64_T_FMT ", \"dropped_too_big\": %" APR_UINT64_T_FMT
               ", \"failed\": %" APR_UINT64_T_FMT ", \"retries\": %"
               APR_UINT64_T_FMT ", \"batches\": %" APR_UINT64_T_FMT
               ", \"queue_depth\": %" APR_UINT64_T_FMT, c->queued,
               c->exported, c->dropped_full, c->dropped_too_big, c->failed,
               c->retries, c->batches, c->queue_depth);
    if (c->last_error_us) {
        ap_rprintf(r, ", \"last_error\": %s, \"last_error_time\": %"
                   APR_TIME_T_FMT, json_str(r->pool, c->last_error),
                   apr_time_sec(c->last_error_us));
    }
}

static void json_trace(request_rec *r, const ot_trace_summary *t)
{
    uint32_t i;

    ap_rprintf(r, "{\"trace_id\": \"%s\", \"pid\": %" APR_INT64_T_FMT
               ", \"error\": %s, \"more_spans\": %u, \"spans\": [",
               hex(r->pool, t->spans[0].trace_id, 16), t->pid,
               t->error ? "true" : "false", t->more_spans);
    for (i = 0; i < t->n_spans; i++) {
        const ot_span_summary *s = &t->spans[i];

        ap_rprintf(r, "%s{\"span_id\": \"%s\", \"parent_span_id\": \"%s\", "
                   "\"name\": %s, \"kind\": \"%s\", \"start_unix_nano\": %"
                   APR_INT64_T_FMT ", \"duration_nano\": %" APR_INT64_T_FMT
                   ", \"status\": \"%s\", \"status_message\": %s, "
                   "\"http_status\": %u, \"service\": %s}",
                   i ? ", " : "", hex(r->pool, s->span_id, 8),
                   hex(r->pool, s->parent_span_id, 8),
                   json_str(r->pool, s->name), kind_name(s->kind),
                   s->start_ns, s->duration_ns, status_name(s->status_code),
                   json_str(r->pool, s->status_message),
                   (unsigned)s->http_status, json_str(r->pool, s->service));
    }
    ap_rputs("]}", r);
}

static void json_page(request_rec *r, const view *v)
{
    const char *cls, *word = verdict(v, &cls);
    int i, l;
    size_t k;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{\"status\": \"%s\", \"time\": %" APR_TIME_T_FMT,
               word, apr_time_sec(v->now));
    if (v->t) {
        ap_rprintf(r, ", \"tracer\": {\"name\": %s, \"version\": %s, "
                   "\"abi\": %u, \"plugin\": %s, \"config\": %s, "
                   "\"destination\": %s, \"propagation\": %s, "
                   "\"sampler\": %s, \"max_queue_size\": %u, "
                   "\"max_export_batch_size\": %u, \"schedule_delay_ms\": "
                   "%u, \"export_timeout_ms\": %u}",
                   json_str(r->pool, v->t->plugin->name),
                   json_str(r->pool, v->t->plugin->version),
                   v->t->plugin->abi_version,
                   json_str(r->pool, v->t->plugin_path),
                   json_str(r->pool, v->t->config_source),
                   v->where ? json_str(r->pool, v->where) : "null",
                   json_str(r->pool, v->formats),
                   json_str(r->pool, v->sampler),
                   v->t->batch.max_queue_size,
                   v->t->batch.max_export_batch_size,
                   v->t->batch.schedule_delay_ms,
                   v->t->batch.export_timeout_ms);
    }
    if (v->have_counters) {
        ap_rputs(", \"totals\": {", r);
        json_counters(r, &v->totals);
        ap_rputs("}, \"children\": [", r);
        for (i = 0; i < v->children->nelts; i++) {
            const ot_counters *c = &APR_ARRAY_IDX(v->children, i,
                                                  ot_counters);

            ap_rprintf(r, "%s{\"pid\": %" APR_INT64_T_FMT ", \"started\": %"
                       APR_TIME_T_FMT ", ", i ? ", " : "", c->pid,
                       apr_time_sec(c->started_us));
            json_counters(r, c);
            ap_rputs("}", r);
        }
        ap_rputs("], \"traces\": {", r);
        for (l = 0; l < N_LISTS; l++) {
            ap_rprintf(r, "%s\"%s\": [", l ? ", " : "", list_ids[l]);
            for (k = 0; k < v->n[l]; k++) {
                if (k) {
                    ap_rputs(", ", r);
                }
                json_trace(r, &v->lists[l][k]);
            }
            ap_rputs("]", r);
        }
        ap_rputs("}", r);
    }
    ap_rputs("}\n", r);
}

/* A metric's HELP and TYPE lines (none for a second series: type NULL). */
static void prom_metric(request_rec *r, const char *name, const char *type,
                        const char *help)
{
    if (type) {
        ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                   type);
    }
}

/* A label value: \, " and newline escaped, as the text format asks. */
static const char *prom_label(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            *o++ = '\\';
            *o++ = *s == '\n' ? 'n' : *s;
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* The counters as metrics: name, type, help, labels, the field. */
static const struct counter_metric {
    const char *name, *type, *help, *labels;
    size_t offset;
} counter_metrics[] = {
    { "opentracing_spans_queued_total", "counter",
      "Spans accepted into the export queues.", NULL,
      offsetof(ot_counters, queued) },
    { "opentracing_spans_exported_total", "counter",
      "Spans the tracer plugin took.", NULL,
      offsetof(ot_counters, exported) },
    { "opentracing_spans_dropped_total", "counter",
      "Spans dropped before export, by reason.", "{reason=\"queue_full\"}",
      offsetof(ot_counters, dropped_full) },
    { "opentracing_spans_dropped_total", NULL, NULL, "{reason=\"too_big\"}",
      offsetof(ot_counters, dropped_too_big) },
    { "opentracing_spans_failed_total", "counter",
      "Spans in batches whose export failed.", NULL,
      offsetof(ot_counters, failed) },
    { "opentracing_export_retries_total", "counter",
      "Export attempts repeated after a transient failure.", NULL,
      offsetof(ot_counters, retries) },
    { "opentracing_export_batches_total", "counter", "Batches exported.",
      NULL, offsetof(ot_counters, batches) },
    { "opentracing_queue_spans", "gauge",
      "Spans waiting in the export queues.", NULL,
      offsetof(ot_counters, queue_depth) },
    { NULL, NULL, NULL, NULL, 0 }
};

static void prometheus_page(request_rec *r, const view *v)
{
    const ot_counters *c = &v->totals;
    const struct counter_metric *m;

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    prom_metric(r, "opentracing_up", "gauge", "1 when a tracer is "
                "configured and its counters can be read.");
    ap_rprintf(r, "opentracing_up %d\n", v->t && v->have_counters);
    if (!v->t || !v->have_counters) {
        return;
    }
    prom_metric(r, "opentracing_tracer_info", "gauge", "The tracer plugin.");
    ap_rprintf(r, "opentracing_tracer_info{tracer=\"%s\",version=\"%s\","
               "abi=\"%u\"} 1\n", prom_label(r->pool, v->t->plugin->name),
               prom_label(r->pool, v->t->plugin->version),
               v->t->plugin->abi_version);
    for (m = counter_metrics; m->name; m++) {
        prom_metric(r, m->name, m->type, m->help);
        ap_rprintf(r, "%s%s %" APR_UINT64_T_FMT "\n", m->name,
                   m->labels ? m->labels : "",
                   *(const uint64_t *)(const void *)((const char *)c
                                                     + m->offset));
    }
    prom_metric(r, "opentracing_children", "gauge",
                "Child processes whose exporter reports.");
    ap_rprintf(r, "opentracing_children %d\n", v->children->nelts);
    prom_metric(r, "opentracing_last_error_timestamp_seconds", "gauge",
                "When a child last logged a tracer warning or error "
                "(0: never).");
    ap_rprintf(r, "opentracing_last_error_timestamp_seconds %"
               APR_TIME_T_FMT "\n", apr_time_sec(c->last_error_us));
}

static const char page_style[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70em;"
    "padding:.5em 1em;color:#222;background:#fafafa}"
    "h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.15em;margin:1.2em 0 .4em;"
    "border-bottom:1px solid #ddd}h3{font-size:1em;margin:1em 0 .3em}"
    ".badge{display:inline-block;padding:.1em .6em;border-radius:1em;"
    "color:#fff;font-size:.85em;vertical-align:middle}"
    ".badge.ok{background:#2e7d32}.badge.warn{background:#ef8f00}"
    ".badge.bad{background:#c62828}.badge.off{background:#777}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse}"
    "td,th{padding:.2em .6em;text-align:right;border-bottom:1px solid #e4e4e4;"
    "white-space:nowrap}th:first-child,td:first-child{text-align:left}"
    "td.err{color:#c62828;text-align:left;white-space:normal}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}"
    "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}"
    ".trace{background:#fff;border:1px solid #ddd;border-radius:6px;"
    "margin:.5em 0;padding:.4em .6em}.trace.error{border-left:4px solid "
    "#c62828}.th{display:flex;flex-wrap:wrap;gap:.2em .8em;"
    "align-items:baseline}.th b{overflow-wrap:anywhere}"
    ".meta{color:#666;font-size:.85em}.tid{font-family:monospace}"
    ".row{display:grid;grid-template-columns:minmax(7em,35%) 1fr 5.5em;"
    "gap:.5em;align-items:center;font-size:.9em;min-height:1.4em}"
    ".label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
    ".lane{position:relative;height:.9em;background:#f0f0f0;"
    "border-radius:2px}.bar{position:absolute;top:0;bottom:0;"
    "min-width:2px;border-radius:2px;background:#1e6fbf}"
    ".kind-client .bar{background:#7b52c7}.kind-internal .bar,"
    ".kind-unspecified .bar{background:#3f8f6f}"
    ".row.error .bar{background:#d32f2f}.row.error .label{color:#c62828}"
    ".ms{text-align:right;font-variant-numeric:tabular-nums}"
    "@media (max-width:600px){.row{grid-template-columns:1fr 5em}"
    ".lane{grid-column:1/-1;grid-row:2}}";

/* Spans of t in tree order (children by start after their parent), with
 * their depth; a span whose parent is not in t hangs off the server span. */
static size_t tree_order(const ot_trace_summary *t, uint32_t *order,
                         int *depth)
{
    int placed[OT_TRACE_MAX_SPANS] = { 0 };
    uint32_t stack[OT_TRACE_MAX_SPANS];
    int stack_depth[OT_TRACE_MAX_SPANS];
    size_t n = 0, top = 0;
    uint32_t i, j;

    stack[top] = 0;
    stack_depth[top++] = 0;
    placed[0] = 1;
    while (top > 0) {
        uint32_t cur = stack[--top];
        int d = stack_depth[top];
        uint32_t kids[OT_TRACE_MAX_SPANS];
        size_t nk = 0, a, b;

        order[n] = cur;
        depth[n++] = d;
        for (j = 1; j < t->n_spans; j++) {
            int orphan = 1;

            if (placed[j]) {
                continue;
            }
            for (i = 0; i < t->n_spans && cur == 0; i++) {
                if (memcmp(t->spans[i].span_id, t->spans[j].parent_span_id,
                           8) == 0) {
                    orphan = 0;
                }
            }
            if (memcmp(t->spans[cur].span_id, t->spans[j].parent_span_id,
                       8) == 0 || (cur == 0 && orphan)) {
                kids[nk++] = j;
                placed[j] = 1;
            }
        }
        /* push the latest start first, so that the earliest comes out
         * first */
        for (a = 1; a < nk; a++) {
            for (b = a; b > 0 && t->spans[kids[b - 1]].start_ns
                                 < t->spans[kids[b]].start_ns; b--) {
                uint32_t x = kids[b];

                kids[b] = kids[b - 1];
                kids[b - 1] = x;
            }
        }
        for (a = 0; a < nk; a++) {
            stack[top] = kids[a];
            stack_depth[top++] = d + 1 < 8 ? d + 1 : 8;
        }
    }
    return n;
}

static void html_trace(request_rec *r, const ot_trace_summary *t)
{
    const ot_span_summary *root = &t->spans[0];
    uint32_t order[OT_TRACE_MAX_SPANS];
    int depth[OT_TRACE_MAX_SPANS];
    int64_t t0 = root->start_ns, total = root->duration_ns;
    size_t n, k;

    /* a span may reach past the server span (a clock step, a backend's
     * report): the scale takes it in */
    for (k = 1; k < t->n_spans; k++) {
        if (t->spans[k].start_ns < t0) {
            total += t0 - t->spans[k].start_ns;
            t0 = t->spans[k].start_ns;
        }
    }
    for (k = 0; k < t->n_spans; k++) {
        int64_t end = t->spans[k].start_ns + t->spans[k].duration_ns;

        if (end - t0 > total) {
            total = end - t0;
        }
    }
    if (total <= 0) {
        total = 1;
    }
    ap_rprintf(r, "<div class=\"trace%s\" data-trace-id=\"%s\">"
               "<div class=\"th\"><b>%s</b><span>%s</span>"
               "<span class=\"meta\">", t->error ? " error" : "",
               hex(r->pool, root->trace_id, 16), html(r->pool, root->name),
               duration_text(r->pool, root->duration_ns));
    if (root->http_status) {
        ap_rprintf(r, "%u · ", (unsigned)root->http_status);
    }
    if (*root->service) {
        ap_rprintf(r, "%s · ", html(r->pool, root->service));
    }
    ap_rprintf(r, "%u span%s%s · pid %" APR_INT64_T_FMT " · <span "
               "class=\"tid\">%s</span></span></div>\n",
               t->n_spans + t->more_spans,
               t->n_spans + t->more_spans == 1 ? "" : "s",
               t->more_spans ? apr_psprintf(r->pool, " (%u not shown)",
                                            t->more_spans) : "",
               t->pid, hex(r->pool, root->trace_id, 16));
    n = tree_order(t, order, depth);
    for (k = 0; k < n; k++) {
        const ot_span_summary *s = &t->spans[order[k]];
        double left = 100.0 * (double)(s->start_ns - t0) / (double)total;
        double width = 100.0 * (double)s->duration_ns / (double)total;

        if (left < 0) {
            left = 0;
        }
        if (left + width > 100) {
            width = 100 - left;
        }
        ap_rprintf(r, "<div class=\"row kind-%s%s\" data-span-id=\"%s\" "
                   "data-status=\"%s\" title=\"%s\"><div class=\"label\" "
                   "style=\"padding-left:%dem\">%s</div><div class=\"lane\">"
                   "<div class=\"bar\" style=\"left:%.2f%%;width:%.2f%%\">"
                   "</div></div><div class=\"ms\">%s</div></div>\n",
                   kind_name(s->kind),
                   s->status_code == OT_STATUS_ERROR ? " error" : "",
                   hex(r->pool, s->span_id, 8), status_name(s->status_code),
                   html(r->pool, *s->status_message
                        ? apr_pstrcat(r->pool, s->name, ": ",
                                      s->status_message, NULL)
                        : s->name),
                   depth[k], html(r->pool, s->name), left, width,
                   duration_text(r->pool, s->duration_ns));
    }
    ap_rputs("</div>\n", r);
}

static void html_counter_row(request_rec *r, const char *first,
                             const ot_counters *c, apr_time_t now)
{
    ap_rprintf(r, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%"
               APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td><td>%"
               APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td><td>%"
               APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td>"
               "<td class=\"err\">%s</td></tr>\n", first, c->queued,
               c->exported, c->dropped_full, c->dropped_too_big, c->failed,
               c->retries, c->queue_depth,
               c->last_error_us ? apr_pstrcat(
                   r->pool, age_text(r->pool, now, c->last_error_us), ": ",
                   html(r->pool, c->last_error), NULL) : "");
}

static void html_page(request_rec *r, const view *v)
{
    const char *cls, *word = verdict(v, &cls);
    const char *head = "<tr><th></th><th>queued</th><th>exported</th>"
        "<th>dropped (queue full)</th><th>dropped (too big)</th>"
        "<th>failed</th><th>retries</th><th>in queue</th>"
        "<th>last error</th></tr>\n";
    int i, l;
    size_t k;

    ap_set_content_type(r, "text/html; charset=utf-8");
    /* Nothing but this page's own inline style: a span name that slipped
     * through escaping could still load or run nothing. */
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'");
    ap_rprintf(r, "<!doctype html>\n<html lang=\"en\"><head>"
               "<meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\">"
               "<title>Tracing status</title><style>%s</style></head>"
               "<body>\n<h1>Tracing <span id=\"verdict\" class=\"badge %s\">"
               "%s</span></h1>\n", page_style, cls, word);
    if (!v->t) {
        ap_rputs("<p>No TraceTracer is configured: requests are not "
                 "traced.</p></body></html>\n", r);
        return;
    }
    ap_rprintf(r, "<p class=\"meta\">%s %s tracer, %d child process%s "
               "exporting; <a href=\"?json\">JSON</a> · <a href=\"?format="
               "prometheus\">Prometheus</a></p>\n",
               html(r->pool, v->t->plugin->name),
               html(r->pool, v->t->plugin->version), v->children->nelts,
               v->children->nelts == 1 ? "" : "es");
    if (v->have_counters) {
        ap_rprintf(r, "<h2>Spans</h2><div class=\"scroll\"><table "
                   "id=\"totals\">%s", head);
        html_counter_row(r, "all", &v->totals, v->now);
        for (i = 0; i < v->children->nelts; i++) {
            const ot_counters *c = &APR_ARRAY_IDX(v->children, i,
                                                  ot_counters);

            html_counter_row(r, apr_psprintf(r->pool, "pid %"
                                             APR_INT64_T_FMT, c->pid),
                             c, v->now);
        }
        ap_rputs("</table></div>\n", r);
    }
    ap_rprintf(r, "<h2>Configuration</h2><dl id=\"config\">"
               "<dt>Tracer</dt><dd>%s %s (ABI %u), %s</dd>"
               "<dt>Config</dt><dd>%s</dd>",
               html(r->pool, v->t->plugin->name),
               html(r->pool, v->t->plugin->version),
               v->t->plugin->abi_version,
               html(r->pool, v->t->plugin_path),
               html(r->pool, v->t->config_source));
    if (v->where) {
        ap_rprintf(r, "<dt>Spans go to</dt><dd>%s</dd>",
                   html(r->pool, v->where));
    }
    ap_rprintf(r, "<dt>Sampling</dt><dd>%s</dd><dt>Propagation</dt>"
               "<dd>%s</dd><dt>Batches</dt><dd>queue %u spans, batches of "
               "%u, every %u ms, timeout %u ms</dd></dl>\n",
               html(r->pool, v->sampler), html(r->pool, v->formats),
               v->t->batch.max_queue_size,
               v->t->batch.max_export_batch_size,
               v->t->batch.schedule_delay_ms,
               v->t->batch.export_timeout_ms);
    if (!v->have_counters) {
        ap_rputs("</body></html>\n", r);
        return;
    }
    for (l = 0; l < N_LISTS; l++) {
        ap_rprintf(r, "<section id=\"%s\"><h2>%s</h2>\n", list_ids[l],
                   list_titles[l]);
        if (!v->n[l]) {
            ap_rputs("<p class=\"meta\">none</p>\n", r);
        }
        for (k = 0; k < v->n[l]; k++) {
            html_trace(r, &v->lists[l][k]);
        }
        ap_rputs("</section>\n", r);
    }
    ap_rputs("</body></html>\n", r);
}

/* ?json (or ?format=json), ?format=prometheus; else HTML. */
static int status_page(request_rec *r)
{
    view v;
    int format = 0;
    char *args, *arg, *last;

    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    args = r->args ? apr_pstrdup(r->pool, r->args) : NULL;
    for (arg = args ? apr_strtok(args, "&", &last) : NULL; arg;
         arg = apr_strtok(NULL, "&", &last)) {
        if (strcmp(arg, "json") == 0 || strcmp(arg, "format=json") == 0) {
            format = 1;
        }
        else if (strcmp(arg, "format=prometheus") == 0) {
            format = 2;
        }
    }
    make_view(r, &v);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (format == 1) {
        json_page(r, &v);
    }
    else if (format == 2) {
        prometheus_page(r, &v);
    }
    else {
        html_page(r, &v);
    }
    return OK;
}

/* Every request asks: the page's large frame is set up only for its
 * own, and most handlers differ at their first letter. */
static int status_handler(request_rec *r)
{
    if (!r->handler || r->handler[0] != 'o'
        || strcmp(r->handler, "opentracing-status") != 0) {
        return DECLINED;
    }
    return status_page(r);
}

void ot_status_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(status_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
