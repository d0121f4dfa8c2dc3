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

OT_HTTP_EXPORTER_PLUGIN(zipkin_def, "zipkin")
