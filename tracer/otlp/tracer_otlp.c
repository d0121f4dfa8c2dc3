/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tracer_otlp.so: OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/):
 * POST <endpoint>/v1/traces with an ExportTraceServiceRequest, protobuf
 * (default) or JSON, optionally gzipped; to an OpenTelemetry Collector,
 * Jaeger, Grafana Tempo or any OTLP receiver.
 *
 * Config: {"endpoint": "http://collector:4318", "protocol": "http/protobuf",
 *          "compression": "gzip", "headers": {"Authorization": "..."},
 *          "timeout_ms": 10000, "ca_file": "...", ...}
 * and the OTEL_EXPORTER_OTLP_* environment variables.
 */

#include <stdio.h>
#include <string.h>

#include "ot_http_exporter.h"
#include "ot_otlp_json.h"
#include "ot_otlp_proto.h"
#include "ot_otlp_response.h"
#include "ot_tracer.h"

static const char *const protocols[] = { "http/protobuf", "http/json",
                                         NULL };
static const char *const content_types[] = {
    "Content-Type: application/x-protobuf",
    "Content-Type: application/json",
};

static int otlp_encode(ot_buf *b, const ot_span_record *const *spans,
                       size_t n, int protocol)
{
    if (protocol == 0) {
        ot_proto_options po = { 0 };
        return ot_otlp_proto_encode(b, spans, n, &po);
    }
    else {
        ot_json_options jo = { 0 };
        return ot_otlp_json_encode(b, spans, n, &jo);
    }
}

static void otlp_on_success(ot_http_exporter *x, int protocol,
                            const char *body, size_t len)
{
    char msg[256] = "";
    int64_t rejected = protocol == 0
        ? ot_otlp_partial_proto((const uint8_t *)body, len, msg, sizeof(msg))
        : ot_otlp_partial_json(body, len, msg, sizeof(msg));

    if (rejected > 0) {
        ot_logger_log(ot_http_exporter_logger(x), OT_LOG_WARNING,
                      OT_LOGNO(02010) "the receiver rejected %lld spans "
                      "(partial success)%s%s", (long long)rejected,
                      *msg ? ": " : "", msg);
    }
}

static const ot_http_exporter_def otlp_def = {
    "otlp",
    1,
    "http://localhost:4318",
    "/v1/traces",
    protocols,
    content_types,
    otlp_encode,
    otlp_on_success,
};

OT_HTTP_EXPORTER_PLUGIN(otlp_def, "otlp")
