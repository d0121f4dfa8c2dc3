/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_logger.h: the one rate limiter for log messages of the exporters (the
 * core's exporter thread, the HTTP exporter, the file tracer).  A logger
 * writes through a host log function (ot_tracer_host's, or the core's) and
 * puts a prefix ("otlp tracer: ") after each message's tag.  Warnings and
 * errors go out at most once per interval (one minute by default); those
 * held back are counted, and the next one that goes out says
 * "(N similar messages suppressed)".  Notices, info and debug are never
 * held back.  Thread-safe: any thread may log through one logger.
 *
 * Every message begins with its own tag:
 *     ot_logger_log(l, OT_LOG_WARNING, OT_LOGNO(02002) "POST %s: %s", ...);
 */

#ifndef OT_LOGGER_H
#define OT_LOGGER_H

#include <stdint.h>

#include "ot_tracer.h"

#define OT_LOGGER_INTERVAL_MS 60000

typedef void (*ot_logger_fn)(void *ctx, ot_log_level level, const char *msg);

typedef struct ot_logger ot_logger;

/* A logger writing through fn(ctx, ...) (fn may be NULL: messages are
 * dropped), with prefix (copied; NULL for none) after the tag, limiting
 * warnings and errors to one per interval_ms.  NULL when out of memory;
 * every function accepts a NULL logger and does nothing. */
ot_logger *ot_logger_create(ot_logger_fn fn, void *ctx, const char *prefix,
                            uint32_t interval_ms);
void ot_logger_destroy(ot_logger *l);

/* Log, rate-limited for warnings and errors.  Returns 1 when the message
 * went out, 0 when it was held back (and counted). */
int ot_logger_log(ot_logger *l, ot_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Log and never hold back, for what happens once (at shutdown).  It also
 * says how many messages were held back since the last one went out. */
void ot_logger_always(ot_logger *l, ot_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Whether a warning logged now would go out (for a summary that is only
 * worth computing when it will be seen). */
int ot_logger_due(ot_logger *l);

/* Tests: the clock, in milliseconds (default: CLOCK_MONOTONIC). */
void ot_logger_set_clock(ot_logger *l, int64_t (*now_ms)(void));

#endif /* OT_LOGGER_H */
