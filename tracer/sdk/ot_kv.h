/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_kv.h: a malloc'd list of string pairs, as the OpenTelemetry
 * environment variables (ot_env.h) and JSON objects of strings
 * (ot_config.h, OT_CFG_KV) give them.
 */

#ifndef OT_KV_H
#define OT_KV_H

#include <stddef.h>

typedef struct ot_kv {
    char *key;
    char *value;
} ot_kv;

typedef struct ot_kv_list {
    ot_kv *items;               /* malloc'd, as are the strings */
    size_t n;
} ot_kv_list;

/* Free the n pairs of kv and kv itself (NULL: nothing). */
void ot_kv_free(ot_kv *kv, size_t n);

#endif /* OT_KV_H */
