/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_config.h: JSON configuration of tracers (TraceTracer's second
 * argument), read through a declarative table of the keys a reader
 * accepts.  Wrong types and out-of-range numbers are errors naming the key.
 * The only file that uses jansson.
 *
 * The core reads its own keys (batch processor, resource attributes: see
 * core/ot_settings.h) and hands the rest of the object to the plugin,
 * which reads it with the same function.
 */

#ifndef OT_CONFIG_H
#define OT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ot_kv.h"

typedef enum ot_cfg_type {
    OT_CFG_STRING = 1,      /* char * (malloc'd; ot_config_free frees) */
    OT_CFG_UINT = 2,        /* uint32_t, within [min, max] */
    OT_CFG_BOOL = 3,        /* int */
    OT_CFG_ENUM = 4,        /* int: index in the NULL-terminated choices */
    OT_CFG_HEADERS = 5,     /* char **: {"Name": "value"} as "Name: value",
                             * NULL-terminated (malloc'd) */
    OT_CFG_KV = 6           /* ot_kv_list: an object of strings (malloc'd) */
} ot_cfg_type;

typedef struct ot_cfg_field {
    const char *key;
    ot_cfg_type type;
    size_t offset;          /* in the target struct */
    uint32_t min, max;      /* OT_CFG_UINT */
    const char *const *choices; /* OT_CFG_ENUM */
    int required;
} ot_cfg_field;

/* Read the JSON object json (len bytes) into target per fields; a key
 * that is absent leaves its target as it was.  With rest NULL an unknown
 * key is an error; otherwise the object of the unknown keys is written,
 * compact, to *rest (malloc'd: the caller frees it).  0, or -1 with a
 * one-line reason in err (and whatever the fields held freed). */
int ot_config_parse(const char *json, size_t len, const ot_cfg_field *fields,
                    size_t nfields, void *target, char **rest, char *err,
                    size_t errlen);
void ot_config_free(const ot_cfg_field *fields, size_t nfields, void *target);

#endif /* OT_CONFIG_H */
