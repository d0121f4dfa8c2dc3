/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A plugin built when the table ended at destroy (no cancel yet): its
 * table is shorter than the module's, and what follows it in memory is
 * not a function.  The loader must not read past it. */

#include <stddef.h>

#include "ot_tracer.h"

static void *create_result;

static int short_create(const ot_tracer_host *host, const char *json,
                        size_t len, void **handle, char *err, size_t errlen)
{
    *handle = &create_result;
    return 0;
}

static ot_export_result short_export(void *h, const ot_span_record *const *s,
                                     size_t n, uint32_t timeout_ms,
                                     uint32_t *retry_after_ms)
{
    return OT_EXPORT_OK;
}

static void short_destroy(void *h)
{
}

/* The table, whose cancel, describe and flags (members it is too old to
 * have) hold words that would be taken for them if the loader copied
 * sizeof(ot_tracer_plugin) bytes. */
static const struct {
    ot_tracer_plugin t;
} padded = {
    { OT_TRACER_ABI_VERSION, offsetof(ot_tracer_plugin, cancel), "short",
      "1", short_create, NULL, NULL, short_export, NULL, NULL,
      short_destroy, (void (*)(void *))0x1,
      (int (*)(void *, char *, size_t))0x1, 0xffffffffu }
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &padded.t;
}
