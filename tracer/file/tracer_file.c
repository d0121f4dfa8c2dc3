/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tracer_file.so: writes spans as OTLP/JSON lines, one
 * ExportTraceServiceRequest per line (a batch), the format the
 * OpenTelemetry Collector's file exporter writes and its otlpjsonfile
 * receiver reads.
 *
 * Like CustomLog, the file is opened by the parent process (as root) in
 * open(), so that it may live in a folder the children cannot write; the
 * children inherit the descriptor.  A graceful restart creates and opens a
 * new handle, which reopens the file: logrotate's usual postrotate works.
 * Each batch is one write() with O_APPEND, so lines of different children
 * never interleave.
 *
 * Config: {"path": "/var/log/apache2/spans.jsonl", "mode": "0640"}
 * (a relative path is relative to ServerRoot)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ot_buf.h"
#include "ot_config.h"
#include "ot_logger.h"
#include "ot_otlp_json.h"
#include "ot_tracer.h"

typedef struct file_config {
    char *path;
    char *mode;                 /* octal, as a string: "0640" */
    uint32_t max_line_bytes;
} file_config;

typedef struct file_tracer {
    file_config cfg;
    char *full_path;
    const ot_tracer_host *host;
    ot_logger *log;             /* "file tracer: ", rate-limited */
    mode_t mode;
    int fd;
    ot_buf buf;                 /* exporter thread only */
} file_tracer;

static const ot_cfg_field fields[] = {
    { "path", OT_CFG_STRING, offsetof(file_config, path), 0, 0, NULL, 1 },
    { "mode", OT_CFG_STRING, offsetof(file_config, mode), 0, 0, NULL, 0 },
    { "max_line_bytes", OT_CFG_UINT, offsetof(file_config, max_line_bytes),
      4096, 1u << 30, NULL, 0 },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int file_create(const ot_tracer_host *host, const char *json,
                       size_t len, void **handle, char *err, size_t errlen)
{
    file_tracer *ft = calloc(1, sizeof(*ft));
    const char *root;
    size_t n;

    if (!ft) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ft->fd = -1;
    ft->host = host;
    ft->mode = 0640;
    ft->cfg.max_line_bytes = 64u << 20;
    if (ot_config_parse(json, len, fields, NFIELDS, &ft->cfg, NULL, err,
                        errlen)) {
        free(ft);
        return -1;
    }
    if (!*ft->cfg.path) {
        snprintf(err, errlen, "key \"path\": must not be empty");
        goto fail;
    }
    if (ft->cfg.mode) {
        char *end;
        unsigned long m = strtoul(ft->cfg.mode, &end, 8);

        if (!*ft->cfg.mode || *end || m > 0777) {
            snprintf(err, errlen, "key \"mode\": \"%s\" is not an octal "
                     "file mode such as \"0640\"", ft->cfg.mode);
            goto fail;
        }
        ft->mode = (mode_t)m;
    }
    root = host && host->server_root ? host->server_root : "";
    if (ft->cfg.path[0] == '/' || !*root) {
        ft->full_path = strdup(ft->cfg.path);
    }
    else {
        n = strlen(root) + strlen(ft->cfg.path) + 2;
        ft->full_path = malloc(n);
        if (ft->full_path) {
            snprintf(ft->full_path, n, "%s/%s", root, ft->cfg.path);
        }
    }
    if (!ft->full_path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    ot_buf_init(&ft->buf, 0, ft->cfg.max_line_bytes);
    if (host && host->log) {
        ft->log = ot_logger_create(host->log, host->log_ctx, "file tracer: ",
                                   OT_LOGGER_INTERVAL_MS);
    }
    *handle = ft;
    return 0;
fail:
    ot_config_free(fields, NFIELDS, &ft->cfg);
    free(ft);
    return -1;
}

static int file_open(void *handle, char *err, size_t errlen)
{
    file_tracer *ft = handle;

    if (ft->fd >= 0) {
        close(ft->fd);
    }
    ft->fd = open(ft->full_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                  ft->mode);
    if (ft->fd < 0) {
        snprintf(err, errlen, "cannot open span file %s: %s", ft->full_path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static ot_export_result file_export(void *handle,
                                    const ot_span_record *const *spans,
                                    size_t count, uint32_t timeout_ms,
                                    uint32_t *retry_after_ms)
{
    file_tracer *ft = handle;
    ot_json_options opt = { 0 };
    const char *p;
    size_t left;
    ssize_t w;
    int ok = 0;
    struct timespec t0, t1;

    if (ft->fd < 0) {
        return OT_EXPORT_FAIL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ot_buf_reset(&ft->buf);
    if (ot_otlp_json_encode(&ft->buf, spans, count, &opt) != 0) {
        ot_logger_log(ft->log, OT_LOG_ERR, OT_LOGNO(03001) "a batch of %lu "
                      "spans does not fit in max_line_bytes %u; dropped",
                      (unsigned long)count, ft->cfg.max_line_bytes);
        goto done;
    }
    ot_buf_putc(&ft->buf, '\n');
    if (ot_buf_failed(&ft->buf)) {
        ot_logger_log(ft->log, OT_LOG_ERR, OT_LOGNO(03004) "a batch of %lu "
                      "spans: out of memory; dropped", (unsigned long)count);
        goto done;
    }
    p = ft->buf.data;
    left = ft->buf.len;
    while (left > 0) {
        w = write(ft->fd, p, left);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            ot_logger_log(ft->log, OT_LOG_ERR, OT_LOGNO(03002) "write to %s "
                          "failed: %s", ft->full_path, strerror(errno));
            goto done;
        }
        p += w;
        left -= (size_t)w;
    }
    ok = 1;
done:
    /* One line per export: spans, bytes, time, and how it went. */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ot_logger_log(ft->log, OT_LOG_DEBUG, OT_LOGNO(03003) "%s %lu spans, %lu "
                  "bytes, %.1f ms", ok ? "wrote" : "failed to write",
                  (unsigned long)count, (unsigned long)ft->buf.len,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3
                  + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    /* Keep a large buffer from one burst from staying around. */
    if (ft->buf.cap > (1u << 20)) {
        ot_buf_free(&ft->buf);
    }
    return ok ? OT_EXPORT_OK : OT_EXPORT_FAIL;
}

static void file_destroy(void *handle)
{
    file_tracer *ft = handle;

    if (ft->fd >= 0) {
        close(ft->fd);
    }
    ot_buf_free(&ft->buf);
    ot_logger_destroy(ft->log);
    ot_config_free(fields, NFIELDS, &ft->cfg);
    free(ft->full_path);
    free(ft);
}

/* The file is no secret: its path, as the status page shows it. */
static int file_describe(void *handle, char *buf, size_t len)
{
    const file_tracer *ft = handle;

    snprintf(buf, len, "%s", ft->full_path);
    return 0;
}

static const ot_tracer_plugin file_plugin = {
    OT_TRACER_ABI_VERSION,
    sizeof(ot_tracer_plugin),
    "file",
    OT_VERSION,
    file_create,
    file_open,
    NULL,
    file_export,
    NULL,
    NULL,
    file_destroy,
    NULL,
    file_describe,
    OT_PLUGIN_READS_FACTS,
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &file_plugin;
}
