/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static json_t *load_object(const char *json, size_t len, char *err,
                           size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!root) {
        snprintf(err, errlen, "invalid JSON at line %d, column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the configuration must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

static int get_uint(json_t *v, const char *key, uint32_t min, uint32_t max,
                    uint32_t *out, char *err, size_t errlen)
{
    json_int_t i;

    if (!json_is_integer(v)) {
        snprintf(err, errlen, "key \"%s\": expected an integer", key);
        return -1;
    }
    i = json_integer_value(v);
    if (i < (json_int_t)min || i > (json_int_t)max) {
        snprintf(err, errlen, "key \"%s\": %lld is out of range %u..%u", key,
                 (long long)i, min, max);
        return -1;
    }
    *out = (uint32_t)i;
    return 0;
}

static const struct {
    const char *key;
    size_t offset;
    uint32_t min, max;
} batch_keys[] = {
    { "max_queue_size", offsetof(ot_batch_config, max_queue_size),
      1, 1000000 },
    { "max_export_batch_size",
      offsetof(ot_batch_config, max_export_batch_size), 1, 100000 },
    { "schedule_delay_ms", offsetof(ot_batch_config, schedule_delay_ms),
      1, 3600000 },
    { "export_timeout_ms", offsetof(ot_batch_config, export_timeout_ms),
      1, 3600000 },
    { "shutdown_timeout_ms", offsetof(ot_batch_config, shutdown_timeout_ms),
      0, 600000 },
    { "max_queue_bytes", offsetof(ot_batch_config, max_queue_bytes),
      65536, 1u << 30 },
    { "max_attribute_length",
      offsetof(ot_batch_config, max_attribute_length), 16, 1u << 20 },
};

int ot_config_split(const char *json, size_t len, ot_batch_config *cfg,
                    char **rest, char *err, size_t errlen)
{
    json_t *root = load_object(json, len, err, errlen);
    json_t *v;
    size_t i;

    if (!root) {
        return -1;
    }
    for (i = 0; i < sizeof(batch_keys) / sizeof(batch_keys[0]); i++) {
        v = json_object_get(root, batch_keys[i].key);
        if (!v) {
            continue;
        }
        if (get_uint(v, batch_keys[i].key, batch_keys[i].min,
                     batch_keys[i].max,
                     (uint32_t *)((char *)cfg + batch_keys[i].offset),
                     err, errlen) != 0) {
            json_decref(root);
            return -1;
        }
        json_object_del(root, batch_keys[i].key);
    }
    if (cfg->max_export_batch_size > cfg->max_queue_size) {
        snprintf(err, errlen, "key \"max_export_batch_size\": %u is larger "
                 "than max_queue_size %u", cfg->max_export_batch_size,
                 cfg->max_queue_size);
        json_decref(root);
        return -1;
    }
    *rest = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!*rest) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static const ot_cfg_field *find_field(const ot_cfg_field *fields, size_t n,
                                      const char *key)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(fields[i].key, key) == 0) {
            return &fields[i];
        }
    }
    return NULL;
}

static int set_field(const ot_cfg_field *f, json_t *v, void *target,
                     char *err, size_t errlen)
{
    char *at = (char *)target + f->offset;
    const char *s;
    size_t i;

    switch (f->type) {
    case OT_CFG_STRING:
        if (!json_is_string(v)) {
            snprintf(err, errlen, "key \"%s\": expected a string", f->key);
            return -1;
        }
        /* No NUL inside: json_loadb() rejects \u0000 (no JSON_ALLOW_NUL). */
        free(*(char **)at);
        *(char **)at = strdup(json_string_value(v));
        if (!*(char **)at) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    case OT_CFG_UINT:
        return get_uint(v, f->key, f->min, f->max, (uint32_t *)at, err,
                        errlen);
    case OT_CFG_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "key \"%s\": expected true or false",
                     f->key);
            return -1;
        }
        *(int *)at = json_is_true(v);
        return 0;
    case OT_CFG_ENUM:
        s = json_is_string(v) ? json_string_value(v) : NULL;
        for (i = 0; s && f->choices[i]; i++) {
            if (strcmp(s, f->choices[i]) == 0) {
                *(int *)at = (int)i;
                return 0;
            }
        }
        {
            char list[256] = "";
            size_t used = 0;
            for (i = 0; f->choices[i] && used < sizeof(list); i++) {
                used += (size_t)snprintf(list + used, sizeof(list) - used,
                                         "%s\"%s\"", i ? ", " : "",
                                         f->choices[i]);
            }
            snprintf(err, errlen, "key \"%s\": expected one of %s", f->key,
                     list);
        }
        return -1;
    }
    snprintf(err, errlen, "key \"%s\": unsupported type", f->key);
    return -1;
}

int ot_config_parse(const char *json, size_t len, const ot_cfg_field *fields,
                    size_t nfields, void *target, char *err, size_t errlen)
{
    json_t *root = load_object(json, len, err, errlen);
    const char *key;
    json_t *v;
    const ot_cfg_field *f;
    size_t i;

    if (!root) {
        return -1;
    }
    json_object_foreach(root, key, v) {
        f = find_field(fields, nfields, key);
        if (!f) {
            snprintf(err, errlen, "unknown key \"%s\"", key);
            goto fail;
        }
        if (set_field(f, v, target, err, errlen) != 0) {
            goto fail;
        }
    }
    for (i = 0; i < nfields; i++) {
        if (fields[i].required && !json_object_get(root, fields[i].key)) {
            snprintf(err, errlen, "key \"%s\" is required", fields[i].key);
            goto fail;
        }
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    ot_config_free(fields, nfields, target);
    return -1;
}

void ot_config_free(const ot_cfg_field *fields, size_t nfields, void *target)
{
    size_t i;

    for (i = 0; i < nfields; i++) {
        if (fields[i].type == OT_CFG_STRING) {
            char **at = (char **)((char *)target + fields[i].offset);
            free(*at);
            *at = NULL;
        }
    }
}
