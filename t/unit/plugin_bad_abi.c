/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A plugin built for another ABI version: the loader must refuse it. */

#include "ot_tracer.h"

static const ot_tracer_plugin future = {
    OT_TRACER_ABI_VERSION + 1, sizeof(ot_tracer_plugin), "future", "9",
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &future;
}
