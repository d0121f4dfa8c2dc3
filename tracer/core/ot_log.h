/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_log.h: logging for the pure core.  The core never calls httpd; the glue
 * installs a callback (ap_log_error in the module) and the core logs through
 * it.  Without a callback, messages are dropped.
 */

#ifndef OT_LOG_H
#define OT_LOG_H

#include "ot_tracer.h"

typedef void (*ot_log_fn)(void *ctx, ot_log_level level, const char *msg);

void ot_log_set(ot_log_fn fn, void *ctx);
void ot_log(ot_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The callback as an ot_tracer_host log function, for plugins. */
void ot_log_host(void *ctx, ot_log_level level, const char *msg);

#endif /* OT_LOG_H */
