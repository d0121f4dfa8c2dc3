/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_config.h: JSON configuration of tracers (TraceTracer's second
 * argument).  The only file that uses jansson.
 *
 * The core takes the batch keys (ot_batch_config) out of the object and
 * hands the rest to the plugin, which reads it with ot_config_parse():
 * a declarative table of the keys it accepts.  Unknown keys, wrong types
 * and out-of-range numbers are errors naming the key.
 */

#ifndef OT_CONFIG_H
#define OT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ot_env.h"
#include "ot_exporter.h"

typedef enum ot_cfg_type {
    OT_CFG_STRING = 1,      /* char * (malloc'd; ot_config_free frees) */
    OT_CFG_UINT = 2,        /* uint32_t, within [min, max] */
    OT_CFG_BOOL = 3,        /* int */
    OT_CFG_ENUM = 4,        /* int: index in the NULL-terminated choices */
    OT_CFG_HEADERS = 5      /* char **: {"Name": "value"} as "Name: value",
                             * NULL-terminated (malloc'd) */
} ot_cfg_type;

typedef struct ot_cfg_field {
    const char *key;
    ot_cfg_type type;
    size_t offset;          /* in the target struct */
    uint32_t min, max;      /* OT_CFG_UINT */
    const char *const *choices; /* OT_CFG_ENUM */
    int required;
} ot_cfg_field;

/*
 * Parse the JSON object json (len bytes): take the batch-processor keys
 * into cfg (which holds defaults on entry), the object
 * "resource_attributes" (string values) into *res / *n_res (malloc'd, free
 * with ot_kv_free), and write the remaining object, compact, to *rest
 * (malloc'd: the caller frees it).  0, or -1 with a one-line reason in err.
 */
int ot_config_split(const char *json, size_t len, ot_batch_config *cfg,
                    ot_kv **res, size_t *n_res, char **rest, char *err,
                    size_t errlen);

/* The OpenTelemetry batch span processor's environment variables
 * (OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT,
 * OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE) into cfg.
 * 0, or -1 with a reason naming the variable. */
int ot_batch_config_env(ot_batch_config *cfg, char *err, size_t errlen);

/* Read json into target per fields.  0, or -1 with a reason in err (and
 * whatever strings were set freed). */
int ot_config_parse(const char *json, size_t len, const ot_cfg_field *fields,
                    size_t nfields, void *target, char *err, size_t errlen);
void ot_config_free(const ot_cfg_field *fields, size_t nfields, void *target);

#endif /* OT_CONFIG_H */
