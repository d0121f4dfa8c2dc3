/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * tracer_example.so: a complete third-party tracer plugin, built against
 * the installed SDK only (make install puts it in place):
 *
 *   cc -shared -fPIC $(pkg-config --cflags ottracer) tracer_example.c \
 *      $(pkg-config --libs ottracer) -o tracer_example.so
 *
 * It writes one line per span, "trace_id span_id name duration_us", to a
 * file the parent opens as root (like CustomLog).  Config:
 *   TraceTracer /usr/lib/apache2/modules/tracer_example.so \
 *       '{"path": "/var/log/apache2/spans.txt"}'
 */

#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ot_buf.h"
#include "ot_config.h"
#include "ot_tracer.h"

typedef struct example {
    char *path;
    int fd;
    ot_buf line;                /* exporter thread only */
} example;

static const ot_cfg_field fields[] = {
    { "path", OT_CFG_STRING, offsetof(example, path), 0, 0, NULL, 1 },
};

static int ex_create(const ot_tracer_host *host, const char *json,
                     size_t len, void **handle, char *err, size_t errlen)
{
    example *x = calloc(1, sizeof(*x));

    (void)host;
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    x->fd = -1;
    if (ot_config_parse(json, len, fields, 1, x, NULL, err, errlen) != 0) {
        free(x);
        return -1;
    }
    ot_buf_init(&x->line, 256, 1u << 20);
    *handle = x;
    return 0;
}

static int ex_open(void *handle, char *err, size_t errlen)
{
    example *x = handle;

    x->fd = open(x->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (x->fd < 0) {
        snprintf(err, errlen, "cannot open %s", x->path);
        return -1;
    }
    return 0;
}

static void hex(ot_buf *b, const uint8_t *id, size_t n)
{
    char two[3];
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(two, sizeof(two), "%02x", id[i]);
        ot_buf_append(b, two, 2);
    }
}

static ot_export_result ex_export(void *handle,
                                  const ot_span_record *const *spans,
                                  size_t count, uint32_t timeout_ms,
                                  uint32_t *retry_after_ms)
{
    example *x = handle;
    char num[32];
    size_t i;

    (void)timeout_ms;           /* a local write: never long */
    (void)retry_after_ms;
    ot_buf_reset(&x->line);
    for (i = 0; i < count; i++) {
        const ot_span_record *s = spans[i];

        hex(&x->line, s->trace_id, sizeof(s->trace_id));
        ot_buf_append(&x->line, " ", 1);
        hex(&x->line, s->span_id, sizeof(s->span_id));
        snprintf(num, sizeof(num), " %lld\n",
                 (long long)((s->end_ns - s->start_ns) / 1000));
        ot_buf_append(&x->line, " ", 1);
        ot_buf_append(&x->line, s->name.ptr, s->name.len);
        ot_buf_append(&x->line, num, strlen(num));
    }
    if (ot_buf_failed(&x->line)
        || write(x->fd, x->line.data, x->line.len) != (ssize_t)x->line.len) {
        return OT_EXPORT_FAIL;
    }
    return OT_EXPORT_OK;
}

static void ex_destroy(void *handle)
{
    example *x = handle;

    if (x->fd >= 0) {
        close(x->fd);
    }
    ot_buf_free(&x->line);
    ot_config_free(fields, 1, x);
    free(x);
}

static const ot_tracer_plugin example_plugin = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "example", "1.0",
    ex_create, ex_open, NULL, ex_export, NULL, NULL, ex_destroy, NULL,
    NULL,
    0   /* flags: no OT_PLUGIN_READS_FACTS, so a server span's HTTP facts
         * come as ordinary attributes */
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &example_plugin;
}
