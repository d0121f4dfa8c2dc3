/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_http_exporter.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ot_config.h"
#include "ot_env.h"
#include "ot_http.h"
#include "ot_logger.h"

typedef struct http_config {
    char *endpoint;
    char *traces_endpoint;
    int protocol;
    int compression;            /* 0 none, 1 gzip */
    char **headers;
    uint32_t timeout_ms;        /* per request */
    char *ca_file;
    char *client_cert;
    char *client_key;
    int insecure;
} http_config;

struct ot_http_exporter {
    const ot_http_exporter_def *def;
    const ot_tracer_host *host;
    http_config cfg;
    ot_http_config http;        /* what the connection is made of */
    char **all_headers;         /* environment + config */
    char *url;
    char *user_agent;
    ot_http *conn;              /* per child */
    ot_buf body;                /* exporter thread only */
    atomic_int cancelled;       /* set from another thread */
    ot_logger *log;             /* "<name> tracer: ", rate-limited */
};

static const char *const compressions[] = { "none", "gzip", NULL };

/* "traces_endpoint" and "protocol" only for OTLP: a second table. */
#define COMMON_FIELDS \
    { "endpoint", OT_CFG_STRING, offsetof(http_config, endpoint), 0, 0, \
      NULL, 0 }, \
    { "compression", OT_CFG_ENUM, offsetof(http_config, compression), 0, 0, \
      compressions, 0 }, \
    { "headers", OT_CFG_HEADERS, offsetof(http_config, headers), 0, 0, \
      NULL, 0 }, \
    { "timeout_ms", OT_CFG_UINT, offsetof(http_config, timeout_ms), 1, \
      600000, NULL, 0 }, \
    { "ca_file", OT_CFG_STRING, offsetof(http_config, ca_file), 0, 0, NULL, \
      0 }, \
    { "client_cert", OT_CFG_STRING, offsetof(http_config, client_cert), 0, \
      0, NULL, 0 }, \
    { "client_key", OT_CFG_STRING, offsetof(http_config, client_key), 0, 0, \
      NULL, 0 }, \
    { "insecure", OT_CFG_BOOL, offsetof(http_config, insecure), 0, 0, NULL, \
      0 }

static const ot_cfg_field plain_fields[] = { COMMON_FIELDS };

static const ot_cfg_field otlp_fields[] = {
    COMMON_FIELDS,
    { "traces_endpoint", OT_CFG_STRING,
      offsetof(http_config, traces_endpoint), 0, 0, NULL, 0 },
    { "protocol", OT_CFG_ENUM, offsetof(http_config, protocol), 0, 0, NULL,
      0 },
};

#define N_PLAIN (sizeof(plain_fields) / sizeof(plain_fields[0]))
#define N_OTLP (sizeof(otlp_fields) / sizeof(otlp_fields[0]))

ot_logger *ot_http_exporter_logger(ot_http_exporter *x)
{
    return x->log;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *r = malloc(la + lb + 1);

    if (r) {
        /* no double slash between a base URL and the suffix */
        if (la && a[la - 1] == '/' && *b == '/') {
            la--;
        }
        memcpy(r, a, la);
        memcpy(r + la, b, lb + 1);
    }
    return r;
}

static int env_choice(const char *var, const char *value,
                      const char *const *choices, int *out, char *err,
                      size_t errlen)
{
    int i;

    for (i = 0; choices[i]; i++) {
        if (strcmp(value, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    snprintf(err, errlen, "environment variable %s=\"%s\" is not supported "
             "here (use %s%s%s)", var, value, choices[0],
             choices[1] ? " or " : "", choices[1] ? choices[1] : "");
    return -1;
}

/* Defaults from OTEL_EXPORTER_OTLP_* (the config file wins). */
static int apply_otlp_env(ot_http_exporter *x, char *err, size_t errlen)
{
    http_config *c = &x->cfg;
    const char *v;
    char *end;
    unsigned long n;

    if (!c->traces_endpoint && !c->endpoint) {
        if ((v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL))) {
            c->traces_endpoint = strdup(v);
        }
        else if ((v = ot_env_get2("OTEL_EXPORTER_OTLP_ENDPOINT", NULL))) {
            c->endpoint = strdup(v);
        }
    }
    if (c->protocol < 0) {
        c->protocol = 0;
        if ((v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                             "OTEL_EXPORTER_OTLP_PROTOCOL"))
            && env_choice("OTEL_EXPORTER_OTLP_PROTOCOL", v,
                          x->def->protocols, &c->protocol, err, errlen)) {
            return -1;
        }
    }
    if (c->compression < 0) {
        c->compression = 0;
        if ((v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                             "OTEL_EXPORTER_OTLP_COMPRESSION"))
            && env_choice("OTEL_EXPORTER_OTLP_COMPRESSION", v, compressions,
                          &c->compression, err, errlen)) {
            return -1;
        }
    }
    if (!c->timeout_ms
        && (v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                            "OTEL_EXPORTER_OTLP_TIMEOUT"))) {
        n = strtoul(v, &end, 10);
        if (*end || n < 1 || n > 600000) {
            snprintf(err, errlen, "environment variable "
                     "OTEL_EXPORTER_OTLP_TIMEOUT=\"%s\" is not a number of "
                     "milliseconds in 1..600000", v);
            return -1;
        }
        c->timeout_ms = (uint32_t)n;
    }
    if (!c->ca_file && (v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                                        "OTEL_EXPORTER_OTLP_CERTIFICATE"))) {
        c->ca_file = strdup(v);
    }
    if (!c->client_cert
        && (v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"))) {
        c->client_cert = strdup(v);
    }
    if (!c->client_key
        && (v = ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                            "OTEL_EXPORTER_OTLP_CLIENT_KEY"))) {
        c->client_key = strdup(v);
    }
    return 0;
}

/* OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, then the config's headers (which
 * come later, so that they win in libcurl). */
static int collect_headers(ot_http_exporter *x, char *err, size_t errlen)
{
    const char *v = x->def->otlp
        ? ot_env_get2("OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                      "OTEL_EXPORTER_OTLP_HEADERS") : NULL;
    ot_kv *kv = NULL;
    size_t n = 0, m = 0, i, k = 0, len;
    char **h;

    if (v && ot_env_parse_list(v, &kv, &n, err, errlen)) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "environment variable "
                 "OTEL_EXPORTER_OTLP_HEADERS: %s", err);
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    for (i = 0; x->cfg.headers && x->cfg.headers[i]; i++) {
        m++;
    }
    h = calloc(n + m + 1, sizeof(*h));
    if (!h) {
        ot_kv_free(kv, n);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        len = strlen(kv[i].key) + strlen(kv[i].value) + 3;
        if ((h[k] = malloc(len))) {
            snprintf(h[k++], len, "%s: %s", kv[i].key, kv[i].value);
        }
    }
    for (i = 0; i < m; i++) {
        h[k++] = strdup(x->cfg.headers[i]);
    }
    ot_kv_free(kv, n);
    x->all_headers = h;
    return 0;
}

static int check_file(const char *key, const char *path, char *err,
                      size_t errlen)
{
    if (path && access(path, R_OK) != 0) {
        snprintf(err, errlen, "key \"%s\": cannot read %s", key, path);
        return -1;
    }
    return 0;
}

static void free_all(ot_http_exporter *x)
{
    char **p;

    ot_config_free(x->def->otlp ? otlp_fields : plain_fields,
                   x->def->otlp ? N_OTLP : N_PLAIN, &x->cfg);
    for (p = x->all_headers; p && *p; p++) {
        free(*p);
    }
    free(x->all_headers);
    free(x->url);
    free(x->user_agent);
    ot_buf_free(&x->body);
    ot_logger_destroy(x->log);
    free(x);
}

int ot_http_exporter_create(const ot_http_exporter_def *def,
                            const ot_tracer_host *host, const char *json,
                            size_t len, void **handle, char *err,
                            size_t errlen)
{
    ot_http_exporter *x = calloc(1, sizeof(*x));
    int rc;

    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    x->def = def;
    x->host = host;
    if (host && host->log) {
        char prefix[64];

        snprintf(prefix, sizeof(prefix), "%s tracer: ", def->name);
        x->log = ot_logger_create(host->log, host->log_ctx, prefix,
                                  OT_LOGGER_INTERVAL_MS);
    }
    x->cfg.protocol = -1;
    x->cfg.compression = -1;
    ot_http_global_init();
    if (def->otlp) {
        ot_cfg_field fields[N_OTLP];

        memcpy(fields, otlp_fields, sizeof(fields));
        fields[N_OTLP - 1].choices = def->protocols;
        rc = ot_config_parse(json, len, fields, N_OTLP, &x->cfg, NULL, err,
                             errlen);
    }
    else {
        rc = ot_config_parse(json, len, plain_fields, N_PLAIN, &x->cfg, NULL,
                             err, errlen);
    }
    if (rc != 0) {
        ot_logger_destroy(x->log);
        free(x);
        return -1;
    }
    if (def->otlp && apply_otlp_env(x, err, errlen) != 0) {
        goto fail;
    }
    if (x->cfg.protocol < 0) {
        x->cfg.protocol = 0;
    }
    if (x->cfg.compression < 0) {
        x->cfg.compression = 0;
    }
    if (!x->cfg.timeout_ms) {
        x->cfg.timeout_ms = 10000;
    }
    if (x->cfg.traces_endpoint) {
        x->url = strdup(x->cfg.traces_endpoint);
    }
    else if (def->url_suffix) {
        x->url = join(x->cfg.endpoint ? x->cfg.endpoint
                      : def->default_endpoint, def->url_suffix);
    }
    else {
        x->url = strdup(x->cfg.endpoint ? x->cfg.endpoint
                        : def->default_endpoint);
    }
    if (!x->url) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (ot_http_check_url(x->url, err, errlen) != 0
        || check_file("ca_file", x->cfg.ca_file, err, errlen) != 0
        || check_file("client_cert", x->cfg.client_cert, err, errlen) != 0
        || check_file("client_key", x->cfg.client_key, err, errlen) != 0
        || collect_headers(x, err, errlen) != 0) {
        goto fail;
    }
    if ((x->cfg.client_cert == NULL) != (x->cfg.client_key == NULL)) {
        snprintf(err, errlen, "keys \"client_cert\" and \"client_key\" go "
                 "together");
        goto fail;
    }
    len = strlen(def->name) + 64;
    if ((x->user_agent = malloc(len))) {
        snprintf(x->user_agent, len, "mod_opentracing/%s (%s exporter)",
                 host && host->module_version ? host->module_version : "?",
                 def->name);
    }
    x->http.url = x->url;
    x->http.headers = x->all_headers;
    x->http.gzip = x->cfg.compression == 1;
    x->http.ca_file = x->cfg.ca_file;
    x->http.client_cert = x->cfg.client_cert;
    x->http.client_key = x->cfg.client_key;
    x->http.insecure = x->cfg.insecure;
    x->http.user_agent = x->user_agent;
    x->http.content_type = def->content_types[x->cfg.protocol];
    ot_buf_init(&x->body, 0, 256u << 20);
    *handle = x;
    return 0;
fail:
    free_all(x);
    return -1;
}

int ot_http_exporter_child_init(void *handle, char *err, size_t errlen)
{
    ot_http_exporter *x = handle;

    /* The connection is made after fork: one per child process. */
    return ot_http_create(&x->conn, &x->http, err, errlen);
}

ot_export_result ot_http_exporter_export(void *handle,
                                         const ot_span_record *const *spans,
                                         size_t count, uint32_t timeout_ms,
                                         uint32_t *retry_after_ms)
{
    ot_http_exporter *x = handle;
    ot_export_result r;
    const ot_buf *resp;
    struct timespec t0, t1;
    char gz[48] = "";

    if (!x->conn || atomic_load(&x->cancelled)) {
        return OT_EXPORT_FAIL;
    }
    ot_buf_reset(&x->body);
    if (x->def->encode(&x->body, spans, count, x->cfg.protocol) != 0) {
        ot_logger_log(x->log, OT_LOG_ERR, OT_LOGNO(02001) "cannot encode a "
                      "batch of %lu spans (out of memory?)",
                      (unsigned long)count);
        return OT_EXPORT_FAIL;
    }
    if (timeout_ms > x->cfg.timeout_ms) {
        timeout_ms = x->cfg.timeout_ms;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = ot_http_post(x->conn, x->body.data, x->body.len, timeout_ms,
                     retry_after_ms);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    resp = ot_http_response_body(x->conn);
    /* One line per export, with what only this layer knows. */
    if (x->http.gzip) {
        snprintf(gz, sizeof(gz), " (gzip %lu)",
                 (unsigned long)ot_http_sent_bytes(x->conn));
    }
    ot_logger_log(x->log, OT_LOG_DEBUG, OT_LOGNO(02003) "POST %s: %lu spans, "
                  "%lu bytes%s, %.1f ms: %s (HTTP status %ld)", x->url,
                  (unsigned long)count, (unsigned long)x->body.len, gz,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3
                  + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                  r == OT_EXPORT_OK ? "ok"
                  : r == OT_EXPORT_RETRY ? "retry" : "failed",
                  ot_http_status(x->conn));
    if (r == OT_EXPORT_OK) {
        if (x->def->on_success && resp->len) {
            x->def->on_success(x, x->cfg.protocol, resp->data, resp->len);
        }
    }
    else {
        ot_logger_log(x->log, r == OT_EXPORT_RETRY ? OT_LOG_WARNING
                      : OT_LOG_ERR, OT_LOGNO(02002) "POST %s: %s%s%.*s",
                      x->url, ot_http_error(x->conn), resp->len ? ": " : "",
                      (int)(resp->len > 200 ? 200 : resp->len),
                      resp->len ? resp->data : "");
    }
    /* Keep a large buffer from one burst from staying around. */
    if (x->body.cap > (4u << 20)) {
        ot_buf_free(&x->body);
    }
    return r;
}

void ot_http_exporter_cancel(void *handle)
{
    ot_http_exporter *x = handle;

    atomic_store(&x->cancelled, 1);
    if (x->conn) {
        ot_http_cancel(x->conn);
    }
}

void ot_http_exporter_child_exit(void *handle)
{
    ot_http_exporter *x = handle;

    ot_http_destroy(x->conn);
    x->conn = NULL;
}

void ot_http_exporter_destroy(void *handle)
{
    ot_http_exporter *x = handle;

    ot_http_destroy(x->conn);
    free_all(x);
}

int ot_http_exporter_describe(void *handle, char *buf, size_t len)
{
    const ot_http_exporter *x = handle;

    return ot_http_url_origin(x->url, buf, len);
}

const char *ot_http_exporter_url(const ot_http_exporter *x)
{
    return x->url;
}
