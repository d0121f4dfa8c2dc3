/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_log.h"

#include <stdarg.h>
#include <stdio.h>

static ot_log_fn log_fn;
static void *log_ctx;

void ot_log_set(ot_log_fn fn, void *ctx)
{
    log_fn = fn;
    log_ctx = ctx;
}

void ot_log(ot_log_level level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!log_fn) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fn(log_ctx, level, msg);
}

void ot_log_host(void *ctx, ot_log_level level, const char *msg)
{
    (void)ctx;
    if (log_fn) {
        log_fn(log_ctx, level, msg);
    }
}
