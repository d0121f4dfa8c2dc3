/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_plugin.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <apr_dso.h>

int ot_plugin_load(apr_pool_t *p, const char *path,
                   const ot_tracer_plugin **out, char *err, size_t errlen)
{
    apr_dso_handle_t *dso;
    apr_dso_handle_sym_t sym;
    const ot_tracer_plugin *pl;
    ot_tracer_plugin *copy;
    char msg[256];
    apr_status_t rv;

    rv = apr_dso_load(&dso, path, p);
    if (rv != APR_SUCCESS) {
        snprintf(err, errlen, "cannot load tracer plugin %s: %s", path,
                 apr_dso_error(dso, msg, sizeof(msg)));
        return -1;
    }
    rv = apr_dso_sym(&sym, dso, OT_TRACER_ENTRY_SYMBOL);
    if (rv != APR_SUCCESS) {
        snprintf(err, errlen, "%s is not a mod_opentracing tracer plugin: "
                 "it has no symbol %s", path, OT_TRACER_ENTRY_SYMBOL);
        return -1;
    }
    pl = ((ot_tracer_entry_fn)(void (*)(void))sym)();
    if (!pl) {
        snprintf(err, errlen, "tracer plugin %s returned no table", path);
        return -1;
    }
    if (pl->abi_version != OT_TRACER_ABI_VERSION) {
        snprintf(err, errlen, "tracer plugin %s was built for plugin ABI "
                 "version %u, this module speaks version %u: rebuild it "
                 "against this module's ot_tracer.h", path,
                 pl->abi_version, OT_TRACER_ABI_VERSION);
        return -1;
    }
    if (pl->struct_size < offsetof(ot_tracer_plugin, destroy)
                          + sizeof(pl->destroy)
        || !pl->name || !pl->create || !pl->export_spans || !pl->destroy) {
        snprintf(err, errlen, "tracer plugin %s has an incomplete function "
                 "table", path);
        return -1;
    }
    /* The host's own, zeroed, table: what an older (shorter) table lacks
     * is NULL, never read from past the plugin's table. */
    copy = apr_pcalloc(p, sizeof(*copy));
    memcpy(copy, pl, pl->struct_size < sizeof(*copy) ? pl->struct_size
                                                     : sizeof(*copy));
    copy->struct_size = sizeof(*copy);
    *out = copy;
    return 0;
}
