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

static int set_kv(const ot_cfg_field *f, json_t *obj, ot_kv_list *out,
                  char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    ot_kv *kv;
    size_t i = 0;

    if (!json_is_object(obj)) {
        snprintf(err, errlen, "key \"%s\": expected an object of strings",
                 f->key);
        return -1;
    }
    kv = calloc(json_object_size(obj) + 1, sizeof(*kv));
    if (!kv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_object_foreach(obj, key, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "key \"%s\": \"%s\" must be a string",
                     f->key, key);
            ot_kv_free(kv, i);
            return -1;
        }
        kv[i].key = strdup(key);
        kv[i].value = strdup(json_string_value(v));
        i++;
        if (!kv[i - 1].key || !kv[i - 1].value) {
            snprintf(err, errlen, "out of memory");
            ot_kv_free(kv, i);
            return -1;
        }
    }
    ot_kv_free(out->items, out->n);
    out->items = kv;
    out->n = i;
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

static void free_headers(char **h)
{
    char **p;

    for (p = h; p && *p; p++) {
        free(*p);
    }
    free(h);
}

/* RFC 9110 token characters, for header names. */
static int is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || strchr(extra, *s))) {
            return 0;
        }
    }
    return 1;
}

/* {"Name": "value", ...} as "Name: value" lines: names are tokens, values
 * one line each. */
static int set_headers(const ot_cfg_field *f, json_t *obj, char ***out,
                       char *err, size_t errlen)
{
    ot_kv_list kv = { NULL, 0 };
    char **h = NULL;
    size_t i, n;

    if (set_kv(f, obj, &kv, err, errlen) != 0) {
        return -1;
    }
    if (!(h = calloc(kv.n + 1, sizeof(*h)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (i = 0; i < kv.n; i++) {
        if (!is_token(kv.items[i].key)) {
            snprintf(err, errlen, "key \"%s\": \"%s\" is not a valid "
                     "header name", f->key, kv.items[i].key);
            goto fail;
        }
        if (strpbrk(kv.items[i].value, "\r\n")) {
            snprintf(err, errlen, "key \"%s\": the value of \"%s\" must "
                     "be on one line", f->key, kv.items[i].key);
            goto fail;
        }
        n = strlen(kv.items[i].key) + strlen(kv.items[i].value) + 3;
        if (!(h[i] = malloc(n))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        snprintf(h[i], n, "%s: %s", kv.items[i].key, kv.items[i].value);
    }
    ot_kv_free(kv.items, kv.n);
    free_headers(*out);
    *out = h;
    return 0;
fail:
    ot_kv_free(kv.items, kv.n);
    free_headers(h);
    return -1;
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
    case OT_CFG_HEADERS:
        return set_headers(f, v, (char ***)at, err, errlen);
    case OT_CFG_KV:
        return set_kv(f, v, (ot_kv_list *)at, err, errlen);
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
                    size_t nfields, void *target, char **rest, char *err,
                    size_t errlen)
{
    json_t *root = load_object(json, len, err, errlen);
    const char *key;
    json_t *v, *tmp;
    const ot_cfg_field *f;
    size_t i;

    if (rest) {
        *rest = NULL;
    }
    if (!root) {
        return -1;
    }
    for (i = 0; i < nfields; i++) {
        if (fields[i].required && !json_object_get(root, fields[i].key)) {
            snprintf(err, errlen, "key \"%s\" is required", fields[i].key);
            goto fail;
        }
    }
    json_object_foreach_safe(root, tmp, key, v) {
        f = find_field(fields, nfields, key);
        if (!f && !rest) {
            snprintf(err, errlen, "unknown key \"%s\"", key);
            goto fail;
        }
        if (f && set_field(f, v, target, err, errlen) != 0) {
            goto fail;
        }
        if (f && rest) {
            json_object_del(root, key);
        }
    }
    if (rest && !(*rest = json_dumps(root, JSON_COMPACT))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
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
        else if (fields[i].type == OT_CFG_HEADERS) {
            char ***at = (char ***)((char *)target + fields[i].offset);
            free_headers(*at);
            *at = NULL;
        }
        else if (fields[i].type == OT_CFG_KV) {
            ot_kv_list *at = (ot_kv_list *)((char *)target + fields[i].offset);
            ot_kv_free(at->items, at->n);
            at->items = NULL;
            at->n = 0;
        }
    }
}
