/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * bench/micro.c: nanoseconds per operation of the core's hot paths.
 *
 *   hot path   what a traced request costs its own thread: ot_span_start,
 *              the 14 HTTP facts the module records for a plain GET
 *              (mod_opentracing.c, record_attributes), ot_span_end and
 *              ot_exporter_submit into a running exporter whose plugin does
 *              nothing; the request pool is cleared each time, as httpd
 *              does.  Also without the submit, to separate the two.
 *   encoders   ot_otlp_json_encode and ot_otlp_proto_encode of a 512-span
 *              batch (the default max_export_batch_size), per span.
 *
 * Each figure is the median of REPS timed runs.  Output: one JSON object on
 * stdout (bench/run reads it), a readable summary on stderr.
 *
 *   micro [scale]      scale multiplies the iteration counts (default 1)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "ot_buf.h"
#include "ot_exporter.h"
#include "ot_otlp_json.h"
#include "ot_otlp_proto.h"
#include "ot_span.h"

#define REPS 7
#define BATCH 512

static volatile apr_uint32_t exported_spans;

static ot_export_result noop_export(void *h, const ot_span_record *const *s,
                                    size_t n, uint32_t timeout_ms,
                                    uint32_t *retry_after_ms)
{
    apr_atomic_add32(&exported_spans, (apr_uint32_t)n);
    return OT_EXPORT_OK;
}

static void noop_destroy(void *h)
{
}

static const ot_tracer_plugin noop_plugin = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "noop", "0",
    NULL, NULL, NULL, noop_export, NULL, NULL, noop_destroy, NULL, NULL,
    OT_PLUGIN_READS_FACTS       /* as the shipped plugins */
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A string fact of a constant. */
#define FACT(h, m, f, v)                                                    \
    ((h)->m.ptr = (v), (h)->m.len = (uint32_t)strlen(v),                    \
     (h)->present |= OT_FACT_BIT(OT_FACT_##f))

/* What mod_opentracing.c records for "GET /index.html?x=1" over HTTP/1.1
 * with a User-Agent and a Content-Length: 14 facts (the attributes of the
 * semantic conventions, under their current names). */
static void record_attributes(ot_span *s, int i)
{
    ot_http_facts *h = ot_span_facts(s);

    ot_span_set_name(s, "GET");
    h->names = OT_FACT_NAMES_CURRENT;
    FACT(h, method, METHOD, "GET");
    FACT(h, method_original, METHOD_OLD, "GET");
    FACT(h, url_path, URL_PATH, "/index.html");
    FACT(h, url_query, URL_QUERY, "x=1");
    FACT(h, url_scheme, URL_SCHEME, "http");
    FACT(h, server_address, SERVER_ADDRESS, "127.0.0.1");
    FACT(h, client_address, CLIENT_ADDRESS, "127.0.0.1");
    FACT(h, peer_address, PEER_ADDRESS, "127.0.0.1");
    FACT(h, protocol_version, PROTOCOL_VERSION, "1.1");
    FACT(h, user_agent, USER_AGENT, "wrk/4.1.0 (benchmark)");
    h->server_port = 8080;
    h->peer_port = 40000 + (i & 0x3fff);
    h->request_body_size = 0;
    h->status_code = 200;
    h->response_body_size = 100;
    h->present |= OT_FACT_BIT(OT_FACT_SERVER_PORT)
                  | OT_FACT_BIT(OT_FACT_PEER_PORT)
                  | OT_FACT_BIT(OT_FACT_REQUEST_BODY_SIZE)
                  | OT_FACT_BIT(OT_FACT_STATUS_CODE)
                  | OT_FACT_BIT(OT_FACT_RESPONSE_BODY_SIZE);
}

static ot_attribute res_attrs[4];
static ot_resource resource;

static void set_attr(ot_attribute *a, const char *k, const char *v)
{
    a->key.ptr = k;
    a->key.len = (uint32_t)strlen(k);
    a->type = OT_VALUE_STRING;
    a->v.s.ptr = v;
    a->v.s.len = (uint32_t)strlen(v);
}

static void init_resource(void)
{
    set_attr(&res_attrs[0], "service.name", "bench");
    set_attr(&res_attrs[1], "host.name", "bench-host");
    set_attr(&res_attrs[2], "telemetry.sdk.name", "mod_opentracing");
    set_attr(&res_attrs[3], "telemetry.sdk.language", "c");
    resource.attributes = res_attrs;
    resource.n_attributes = 4;
    resource.scope_name.ptr = "mod_opentracing";
    resource.scope_name.len = 15;
    resource.scope_version.ptr = "0.1.0";
    resource.scope_version.len = 5;
}

/* ns per request-path span; submit: into e (NULL: not submitted). */
static double hot_path(apr_pool_t *parent, ot_exporter *e, long iters)
{
    apr_pool_t *rp;
    int64_t t0, t1;
    long i;

    apr_pool_create(&rp, parent);
    t0 = now_ns();
    for (i = 0; i < iters; i++) {
        ot_span *s = ot_span_start(rp, NULL, 1, OT_FLAG_SAMPLED,
                                   OT_SPAN_KIND_SERVER,
                                   (int64_t)apr_time_now() * 1000);
        ot_span_record *rec;

        record_attributes(s, (int)i);
        rec = ot_span_record_get(s);
        rec->resource = &resource;
        ot_span_end(s, (int64_t)apr_time_now() * 1000);
        if (e) {
            ot_exporter_submit(e, s);
        }
        apr_pool_clear(rp);
    }
    t1 = now_ns();
    apr_pool_destroy(rp);
    return (double)(t1 - t0) / (double)iters;
}

typedef int (*encode_fn)(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, const void *opt);

static int enc_json(ot_buf *b, const ot_span_record *const *spans, size_t n,
                    const void *opt)
{
    return ot_otlp_json_encode(b, spans, n, opt);
}

static int enc_proto(ot_buf *b, const ot_span_record *const *spans, size_t n,
                     const void *opt)
{
    return ot_otlp_proto_encode(b, spans, n, opt);
}

/* ns per span of encoding the batch; *bytes: output bytes per span. */
static double encode(encode_fn fn, const void *opt,
                     const ot_span_record *const *spans, long iters,
                     double *bytes)
{
    ot_buf b;
    int64_t t0, t1;
    long i;

    ot_buf_init(&b, 1 << 20, 0);
    if (fn(&b, spans, BATCH, opt)) {    /* warm: the buffer at full size */
        fprintf(stderr, "micro: encoder failed\n");
        exit(1);
    }
    *bytes = (double)b.len / BATCH;
    t0 = now_ns();
    for (i = 0; i < iters; i++) {
        ot_buf_reset(&b);
        if (fn(&b, spans, BATCH, opt)) {
            fprintf(stderr, "micro: encoder failed\n");
            exit(1);
        }
    }
    t1 = now_ns();
    ot_buf_free(&b);
    return (double)(t1 - t0) / ((double)iters * BATCH);
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    long hot_iters = (long)(400000 * scale), enc_iters = (long)(60 * scale);
    double v_hot[REPS], v_nosub[REPS], v_json[REPS];
    double v_proto[REPS];
    double json_bytes = 0, proto_bytes = 0;
    const ot_span_record *spans[BATCH];
    ot_json_options jopt;
    ot_proto_options popt;
    ot_batch_config cfg;
    ot_counters c;
    apr_pool_t *root, *pchild, *spool;
    ot_exporter *e;
    int r, i;

    if (hot_iters < 1000) {
        hot_iters = 1000;
    }
    if (enc_iters < 2) {
        enc_iters = 2;
    }
    apr_initialize();
    apr_pool_create(&root, NULL);
    init_resource();
    /* As the plugins call the encoders: values cut at 4096 bytes. */
    memset(&jopt, 0, sizeof(jopt));
    memset(&popt, 0, sizeof(popt));
    jopt.max_value_len = popt.max_value_len = 4096;

    /* The exporter as a child process runs it, with a queue large enough
     * that a burst of millions of spans a second is not dropped while the
     * exporter thread catches up (drops are counted and reported). */
    apr_pool_create(&pchild, root);
    ot_batch_config_defaults(&cfg);
    cfg.max_queue_size = 65536;
    cfg.max_queue_bytes = 64u << 20;
    if (ot_exporter_create(&e, pchild, &cfg, &noop_plugin, NULL)
        != APR_SUCCESS || ot_exporter_start(e) != APR_SUCCESS) {
        fprintf(stderr, "micro: cannot start the exporter\n");
        return 1;
    }

    hot_path(root, e, hot_iters / 4);   /* warm up */
    for (r = 0; r < REPS; r++) {
        v_nosub[r] = hot_path(root, NULL, hot_iters);
        v_hot[r] = hot_path(root, e, hot_iters);
        /* let the exporter thread drain before the next run */
        apr_sleep(apr_time_from_msec(20));
    }
    ot_exporter_counters(e, &c);

    /* A batch of spans as the queue hands them to the plugin. */
    apr_pool_create(&spool, root);
    for (i = 0; i < BATCH; i++) {
        ot_span *s = ot_span_start(spool, NULL, 1, OT_FLAG_SAMPLED,
                                   OT_SPAN_KIND_SERVER,
                                   (int64_t)apr_time_now() * 1000);
        ot_span_record *rec;

        record_attributes(s, i);
        rec = ot_span_record_get(s);
        rec->resource = &resource;
        ot_span_end(s, (int64_t)apr_time_now() * 1000 + 250000);
        spans[i] = rec;
    }
    for (r = 0; r < REPS; r++) {
        v_json[r] = encode(enc_json, &jopt, spans, enc_iters, &json_bytes);
        v_proto[r] = encode(enc_proto, &popt, spans, enc_iters, &proto_bytes);
    }

    printf("{\"hot_path_ns\": %.1f, \"hot_path_no_submit_ns\": %.1f, "
           "\"hot_path_iterations\": %ld, \"queued\": %llu, "
           "\"dropped\": %llu, "
           "\"json_ns_per_span\": %.1f, "
           "\"proto_ns_per_span\": %.1f, "
           "\"json_bytes_per_span\": %.1f, \"proto_bytes_per_span\": %.1f, "
           "\"batch\": %d, \"encode_iterations\": %ld, \"reps\": %d}\n",
           median(v_hot, REPS), median(v_nosub, REPS), hot_iters,
           (unsigned long long)c.queued,
           (unsigned long long)(c.dropped_full + c.dropped_too_big),
           median(v_json, REPS), median(v_proto, REPS), json_bytes,
           proto_bytes, BATCH, enc_iters,
           REPS);
    fprintf(stderr,
            "micro: hot path %.0f ns/span (%.0f ns without submit; %llu "
            "queued, %llu dropped); encode 512 spans: json %.0f ns/span "
            "(%.0f B/span), protobuf %.0f ns/span (%.0f B/span)\n",
            median(v_hot, REPS), median(v_nosub, REPS),
            (unsigned long long)c.queued,
            (unsigned long long)(c.dropped_full + c.dropped_too_big),
            median(v_json, REPS), json_bytes, median(v_proto, REPS),
            proto_bytes);
    apr_pool_destroy(spool);
    apr_pool_destroy(pchild);           /* stops the exporter */
    apr_pool_destroy(root);
    apr_terminate();
    return 0;
}
