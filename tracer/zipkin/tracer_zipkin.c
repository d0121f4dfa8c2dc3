/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tracer_zipkin.so: Zipkin v2 JSON (POST /api/v2/spans), to Zipkin or any
 * receiver of its API (Jaeger, the OpenTelemetry Collector's zipkin
 * receiver).
 *
 * Config: {"endpoint": "http://zipkin:9411/api/v2/spans",
 *          "compression": "gzip", "headers": {...}, "timeout_ms": 10000}
 */

#include "ot_http_exporter.h"
#include "ot_tracer.h"
#include "ot_zipkin_json.h"

static const char *const protocols[] = { "json", NULL };
static const char *const content_types[] = {
    "Content-Type: application/json",
};

static int zipkin_encode(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, int protocol)
{
    ot_zipkin_options zo = { 0 };

    return ot_zipkin_json_encode(b, spans, n, &zo);
}

static const ot_http_exporter_def zipkin_def = {
    "zipkin",
    0,
    "http://localhost:9411/api/v2/spans",
    NULL,
    protocols,
    content_types,
    zipkin_encode,
    NULL,
};

static int zipkin_create(const ot_tracer_host *host, const char *json,
                         size_t len, void **handle, char *err, size_t errlen)
{
    return ot_http_exporter_create(&zipkin_def, host, json, len, handle, err,
                                   errlen);
}

static const ot_tracer_plugin zipkin_plugin = {
    OT_TRACER_ABI_VERSION,
    sizeof(ot_tracer_plugin),
    "zipkin",
    OT_VERSION,
    zipkin_create,
    NULL,
    ot_http_exporter_child_init,
    ot_http_exporter_export,
    NULL,
    ot_http_exporter_child_exit,
    ot_http_exporter_destroy,
    ot_http_exporter_cancel,
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &zipkin_plugin;
}
