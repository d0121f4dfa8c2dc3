/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* libFuzzer target: tracer JSON configs (TraceTracer's second argument),
 * through the core's split and a plugin-style field table. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ot_config.h"
#include "ot_settings.h"

typedef struct cfg {
    char *path;
    char **headers;
    uint32_t n;
    int flag;
    int choice;
} cfg;

static const char *const choices[] = { "a", "b", NULL };

static const ot_cfg_field fields[] = {
    { "path", OT_CFG_STRING, offsetof(cfg, path), 0, 0, NULL, 1 },
    { "n", OT_CFG_UINT, offsetof(cfg, n), 0, 100, NULL, 0 },
    { "flag", OT_CFG_BOOL, offsetof(cfg, flag), 0, 0, NULL, 0 },
    { "choice", OT_CFG_ENUM, offsetof(cfg, choice), 0, 0, choices, 0 },
    { "headers", OT_CFG_HEADERS, offsetof(cfg, headers), 0, 0, NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ot_batch_config b;
    char err[256];
    char *rest = NULL;
    ot_kv_list res;
    cfg c;

    ot_batch_config_defaults(&b);
    if (ot_settings_split((const char *)data, size, &b, &res, &rest, err,
                          sizeof(err)) == 0) {
        ot_kv_free(res.items, res.n);
        if (b.max_export_batch_size > b.max_queue_size) {
            abort();
        }
        memset(&c, 0, sizeof(c));
        if (ot_config_parse(rest, strlen(rest), fields, 5, &c, NULL, err,
                            sizeof(err)) == 0) {
            if (!c.path || c.n > 100) {
                abort();
            }
            ot_config_free(fields, 5, &c);
        }
        else if (c.path || c.headers) {
            abort();    /* failure must free what it set */
        }
        free(rest);
    }
    return 0;
}
