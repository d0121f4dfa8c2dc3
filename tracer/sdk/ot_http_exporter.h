/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_http_exporter.h: what the HTTP-based tracer plugins (OTLP/HTTP,
 * Zipkin) share: their JSON configuration (endpoint, headers, compression,
 * timeout, TLS), the OpenTelemetry environment variables, one HTTP
 * connection per child, encoding a batch and POSTing it.  A plugin is a
 * definition (ot_http_exporter_def: URLs, content types, encoder) and a
 * table of thin wrappers.
 */

#ifndef OT_HTTP_EXPORTER_H
#define OT_HTTP_EXPORTER_H

#include "ot_buf.h"
#include "ot_logger.h"
#include "ot_tracer.h"

typedef struct ot_http_exporter ot_http_exporter;

typedef struct ot_http_exporter_def {
    const char *name;               /* "otlp" */
    /* OTLP style: "endpoint" is a base URL to which url_suffix is added,
     * "traces_endpoint" a full URL, "protocol" picks an encoding, and the
     * OTEL_EXPORTER_OTLP_* variables apply.  Otherwise "endpoint" is the
     * full URL and there is one encoding. */
    int otlp;
    const char *default_endpoint;
    const char *url_suffix;
    const char *const *protocols;   /* NULL-terminated; [0] the default */
    const char *const *content_types; /* one per protocol */
    /* Encode n spans in the given protocol (index) into b; 0 or -1. */
    int (*encode)(ot_buf *b, const ot_span_record *const *spans, size_t n,
                  int protocol);
    /* Optional: look at a 2xx response body (OTLP partial success). */
    void (*on_success)(ot_http_exporter *x, int protocol, const char *body,
                       size_t len);
} ot_http_exporter_def;

int ot_http_exporter_create(const ot_http_exporter_def *def,
                            const ot_tracer_host *host, const char *json,
                            size_t len, void **handle, char *err,
                            size_t errlen);
int ot_http_exporter_child_init(void *handle, char *err, size_t errlen);
ot_export_result ot_http_exporter_export(void *handle,
                                         const ot_span_record *const *spans,
                                         size_t count, uint32_t timeout_ms,
                                         uint32_t *retry_after_ms);
void ot_http_exporter_cancel(void *handle);
void ot_http_exporter_child_exit(void *handle);
void ot_http_exporter_destroy(void *handle);
/* The plugin's describe(): the origin spans go to (scheme://host:port). */
int ot_http_exporter_describe(void *handle, char *buf, size_t len);

/* The URL spans are POSTed to (for logs and tests). */
const char *ot_http_exporter_url(const ot_http_exporter *x);

/* The exporter's logger (ot_logger.h): through the host, "<name> tracer: "
 * after the tag (OT02000-02999 for the SDK and the HTTP plugins), warnings
 * and errors at most once a minute.  NULL without a host log function. */
ot_logger *ot_http_exporter_logger(ot_http_exporter *x);

/*
 * The plugin of a definition: its create() and table, and the entry point
 * (OT_HTTP_EXPORTER_PLUGIN(otlp_def, "otlp") in the plugin's one file).
 */
#define OT_HTTP_EXPORTER_PLUGIN(def, plugin_name)                           \
    static int http_plugin_create(const ot_tracer_host *host,               \
                                  const char *json, size_t len,             \
                                  void **handle, char *err, size_t errlen)  \
    {                                                                       \
        return ot_http_exporter_create(&(def), host, json, len, handle,     \
                                       err, errlen);                        \
    }                                                                       \
    static const ot_tracer_plugin http_plugin = {                           \
        OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), (plugin_name),     \
        OT_VERSION, http_plugin_create, NULL, ot_http_exporter_child_init,  \
        ot_http_exporter_export, NULL, ot_http_exporter_child_exit,         \
        ot_http_exporter_destroy, ot_http_exporter_cancel,                  \
        ot_http_exporter_describe, OT_PLUGIN_READS_FACTS                    \
    };                                                                      \
    OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);         \
    OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)          \
    {                                                                       \
        return &http_plugin;                                                \
    }

#endif /* OT_HTTP_EXPORTER_H */
