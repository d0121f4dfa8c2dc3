/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_settings.h: the module's own keys in TraceTracer's JSON: the batch
 * span processor of each child (queue, batches, timeouts) and the resource
 * attributes.  Each setting is one row of a table in ot_settings.c: its
 * JSON key, its OpenTelemetry environment variable, its range and its
 * default, the OpenTelemetry batch span processor's.
 */

#ifndef OT_SETTINGS_H
#define OT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "ot_kv.h"

/* httpd's parent sends SIGKILL to children that have not exited about
 * 9 s after it asked them to (ap_reclaim_child_processes(), server/
 * mpm_unix.c); a child's flush must end well before that. */
#define OT_SHUTDOWN_TIMEOUT_MAX_MS 8000

typedef struct ot_batch_config {
    uint32_t max_queue_size;        /* spans; default 2048 */
    uint32_t max_export_batch_size; /* spans; default 512 */
    uint32_t schedule_delay_ms;     /* default 5000 */
    uint32_t export_timeout_ms;     /* default 30000 */
    uint32_t shutdown_timeout_ms;   /* flush at child exit; default 5000,
                                     * at most OT_SHUTDOWN_TIMEOUT_MAX_MS */
    uint32_t max_queue_bytes;       /* 0 (default): max_queue_size * 1 KiB */
    uint32_t max_attribute_length;  /* string values; default 4096 */
} ot_batch_config;

void ot_batch_config_defaults(ot_batch_config *c);

/* The OpenTelemetry batch span processor's environment variables
 * (OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT,
 * OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE) into cfg.
 * 0, or -1 with a reason naming the variable. */
int ot_batch_config_env(ot_batch_config *cfg, char *err, size_t errlen);

/*
 * Read the module's keys of the JSON object json (len bytes): the batch
 * keys into cfg (which holds defaults and the environment's values on
 * entry), "resource_attributes" (string values) into *res, and write the
 * remaining object, the plugin's, compact, to *rest (malloc'd: the caller
 * frees it, and res's items with ot_kv_free).  0, or -1 with a one-line
 * reason in err.
 */
int ot_settings_split(const char *json, size_t len, ot_batch_config *cfg,
                      ot_kv_list *res, char **rest, char *err,
                      size_t errlen);

#endif /* OT_SETTINGS_H */
