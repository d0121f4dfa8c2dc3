/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_settings.h"

#include <stdio.h>
#include <stdlib.h>

#include "ot_config.h"

typedef struct setting {
    const char *key;            /* in TraceTracer's JSON */
    const char *env;            /* OpenTelemetry's variable, or NULL */
    size_t offset;              /* in ot_batch_config */
    uint32_t min, max, dflt;
} setting;

#define AT(field) offsetof(ot_batch_config, field)

static const setting settings[] = {
    { "max_queue_size", "OTEL_BSP_MAX_QUEUE_SIZE", AT(max_queue_size),
      1, 1000000, 2048 },
    { "max_export_batch_size", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
      AT(max_export_batch_size), 1, 100000, 512 },
    { "schedule_delay_ms", "OTEL_BSP_SCHEDULE_DELAY", AT(schedule_delay_ms),
      1, 3600000, 5000 },
    { "export_timeout_ms", "OTEL_BSP_EXPORT_TIMEOUT", AT(export_timeout_ms),
      1, 3600000, 30000 },
    { "shutdown_timeout_ms", NULL, AT(shutdown_timeout_ms),
      0, OT_SHUTDOWN_TIMEOUT_MAX_MS, 5000 },
    { "max_queue_bytes", NULL, AT(max_queue_bytes), 65536, 1u << 30, 0 },
    { "max_attribute_length", NULL, AT(max_attribute_length),
      16, 1u << 20, 4096 },
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static uint32_t *field_of(ot_batch_config *c, const setting *s)
{
    return (uint32_t *)((char *)c + s->offset);
}

void ot_batch_config_defaults(ot_batch_config *c)
{
    size_t i;

    for (i = 0; i < N_SETTINGS; i++) {
        *field_of(c, &settings[i]) = settings[i].dflt;
    }
}

int ot_batch_config_env(ot_batch_config *cfg, char *err, size_t errlen)
{
    const char *v;
    char *end;
    unsigned long n;
    size_t i;

    for (i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];

        if (!s->env || !(v = getenv(s->env)) || !*v) {
            continue;
        }
        n = strtoul(v, &end, 10);
        if (*end || n < s->min || n > s->max) {
            snprintf(err, errlen, "environment variable %s=\"%s\" is not "
                     "a number in %u..%u", s->env, v, s->min, s->max);
            return -1;
        }
        *field_of(cfg, s) = (uint32_t)n;
    }
    return 0;
}

/* What the module reads of the JSON: the batch settings and the resource
 * attributes, in one struct for ot_config_parse's offsets. */
typedef struct module_keys {
    ot_batch_config batch;
    ot_kv_list resource;
} module_keys;

int ot_settings_split(const char *json, size_t len, ot_batch_config *cfg,
                      ot_kv_list *res, char **rest, char *err,
                      size_t errlen)
{
    ot_cfg_field fields[N_SETTINGS + 1];
    module_keys k;
    size_t i;

    for (i = 0; i < N_SETTINGS; i++) {
        fields[i] = (ot_cfg_field){ settings[i].key, OT_CFG_UINT,
                                    offsetof(module_keys, batch)
                                    + settings[i].offset,
                                    settings[i].min, settings[i].max, NULL,
                                    0 };
    }
    fields[N_SETTINGS] = (ot_cfg_field){ "resource_attributes", OT_CFG_KV,
                                         offsetof(module_keys, resource), 0,
                                         0, NULL, 0 };
    k.batch = *cfg;
    k.resource.items = NULL;
    k.resource.n = 0;
    if (ot_config_parse(json, len, fields, N_SETTINGS + 1, &k, rest, err,
                        errlen) != 0) {
        return -1;
    }
    if (k.batch.max_export_batch_size > k.batch.max_queue_size) {
        snprintf(err, errlen, "key \"max_export_batch_size\": %u is larger "
                 "than max_queue_size %u", k.batch.max_export_batch_size,
                 k.batch.max_queue_size);
        ot_kv_free(k.resource.items, k.resource.n);
        free(*rest);
        *rest = NULL;
        return -1;
    }
    *cfg = k.batch;
    *res = k.resource;
    return 0;
}
