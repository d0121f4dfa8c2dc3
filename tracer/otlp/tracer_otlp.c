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

/* Read a varint at *p (< end); -1 when truncated. */
static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    int shift = 0;

    *v = 0;
    while (*p < end && shift < 64) {
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* ExportTracePartialSuccess in a protobuf ExportTraceServiceResponse:
 * field 1 (message) holding rejected_spans (1, int64) and error_message
 * (2, string).  Returns the rejected count, or 0. */
static int64_t proto_partial(const unsigned char *p, const unsigned char *end,
                             char *msg, size_t msglen, int depth)
{
    uint64_t key, v;
    int64_t rejected = 0;

    while (p < end) {
        if (get_varint(&p, end, &key) != 0) {
            return rejected;
        }
        switch (key & 7) {
        case 0:
            if (get_varint(&p, end, &v) != 0) {
                return rejected;
            }
            if (depth == 1 && (key >> 3) == 1) {
                rejected = (int64_t)v;
            }
            break;
        case 2:
            if (get_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) {
                return rejected;
            }
            if (depth == 0 && (key >> 3) == 1) {
                return proto_partial(p, p + v, msg, msglen, 1);
            }
            if (depth == 1 && (key >> 3) == 2) {
                snprintf(msg, msglen, "%.*s", (int)(v > 200 ? 200 : v),
                         (const char *)p);
            }
            p += v;
            break;
        case 1:
            p += 8;
            break;
        case 5:
            p += 4;
            break;
        default:
            return rejected;
        }
    }
    return rejected;
}

/* The JSON form: {"partialSuccess":{"rejectedSpans":"3",...}}; a scan is
 * enough to find the count (an int64, so a string or a number). */
static int64_t json_partial(const char *body, size_t len)
{
    const char *k = "\"rejectedSpans\"";
    const char *end = body + len, *p;
    size_t kl = strlen(k);
    int64_t n = 0;

    for (p = body; p + kl < end; p++) {
        if (memcmp(p, k, kl) == 0) {
            p += kl;
            while (p < end && (*p == ' ' || *p == ':' || *p == '"')) {
                p++;
            }
            while (p < end && *p >= '0' && *p <= '9') {
                n = n * 10 + (*p++ - '0');
            }
            return n;
        }
    }
    return 0;
}

static void otlp_on_success(ot_http_exporter *x, int protocol,
                            const char *body, size_t len)
{
    char msg[256] = "";
    int64_t rejected = protocol == 0
        ? proto_partial((const unsigned char *)body,
                        (const unsigned char *)body + len, msg, sizeof(msg),
                        0)
        : json_partial(body, len);

    if (rejected > 0) {
        ot_http_exporter_log(x, OT_LOG_WARNING, "the receiver rejected %lld "
                             "spans (partial success)%s%s",
                             (long long)rejected, *msg ? ": " : "", msg);
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

static int otlp_create(const ot_tracer_host *host, const char *json,
                       size_t len, void **handle, char *err, size_t errlen)
{
    return ot_http_exporter_create(&otlp_def, host, json, len, handle, err,
                                   errlen);
}

static const ot_tracer_plugin otlp_plugin = {
    OT_TRACER_ABI_VERSION,
    sizeof(ot_tracer_plugin),
    "otlp",
    OT_VERSION,
    otlp_create,
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
    return &otlp_plugin;
}
