/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_plugin.h: loading a tracer plugin (apr_dso_load) and checking that it
 * speaks our ABI.  The DSO stays loaded for the life of pool p.
 */

#ifndef OT_PLUGIN_H
#define OT_PLUGIN_H

#include <apr_pools.h>

#include "ot_tracer.h"

/* Load the plugin at path: *out is a copy of its table, in p, of this
 * module's size (members a shorter table lacks are NULL).  0, or -1 with
 * a one-line reason (naming path) in err. */
int ot_plugin_load(apr_pool_t *p, const char *path,
                   const ot_tracer_plugin **out, char *err, size_t errlen);

#endif /* OT_PLUGIN_H */
