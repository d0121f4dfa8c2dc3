/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_logger.h"

#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NEVER LLONG_MIN

struct ot_logger {
    ot_logger_fn fn;
    void *ctx;
    char *prefix;
    long long interval_ms;
    int64_t (*now_ms)(void);
    atomic_llong last_ms;       /* when a limited message last went out */
    atomic_ulong suppressed;    /* held back since then */
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ot_logger *ot_logger_create(ot_logger_fn fn, void *ctx, const char *prefix,
                            uint32_t interval_ms)
{
    ot_logger *l = calloc(1, sizeof(*l));

    if (!l) {
        return NULL;
    }
    if (prefix && !(l->prefix = strdup(prefix))) {
        free(l);
        return NULL;
    }
    l->fn = fn;
    l->ctx = ctx;
    l->interval_ms = interval_ms;
    l->now_ms = monotonic_ms;
    atomic_init(&l->last_ms, NEVER);
    atomic_init(&l->suppressed, 0);
    return l;
}

void ot_logger_destroy(ot_logger *l)
{
    if (l) {
        free(l->prefix);
        free(l);
    }
}

void ot_logger_set_clock(ot_logger *l, int64_t (*now_ms)(void))
{
    if (l) {
        l->now_ms = now_ms ? now_ms : monotonic_ms;
    }
}

static int is_due(const ot_logger *l, long long last, long long now)
{
    return last == NEVER || now - last >= l->interval_ms;
}

int ot_logger_due(ot_logger *l)
{
    return l && is_due(l, atomic_load(&l->last_ms), (long long)l->now_ms());
}

/* Claim the interval for one message; 0 when another went out in it. */
static int take_slot(ot_logger *l)
{
    long long now = (long long)l->now_ms();
    long long last = atomic_load(&l->last_ms);

    while (is_due(l, last, now)) {
        if (atomic_compare_exchange_weak(&l->last_ms, &last, now)) {
            return 1;
        }
    }
    return 0;
}

/* Tag (an "OTnnnnn: " at the start of the message), prefix, the rest, and
 * how many were held back. */
static void emit(ot_logger *l, ot_log_level level, unsigned long held,
                 const char *fmt, va_list ap)
{
    char text[1024], msg[1200];
    const char *rest = text;
    int tag = 0, n;

    vsnprintf(text, sizeof(text), fmt, ap);
    if (strncmp(text, "OT", 2) == 0 && strlen(text) >= 9
        && strspn(text + 2, "0123456789") == 5
        && text[7] == ':' && text[8] == ' ') {
        tag = 9;
        rest = text + 9;
    }
    n = snprintf(msg, sizeof(msg), "%.*s%s%s", tag, text,
                 l->prefix ? l->prefix : "", rest);
    if (held && n > 0 && (size_t)n < sizeof(msg)) {
        snprintf(msg + n, sizeof(msg) - (size_t)n,
                 " (%lu similar messages suppressed)", held);
    }
    l->fn(l->ctx, level, msg);
}

int ot_logger_log(ot_logger *l, ot_log_level level, const char *fmt, ...)
{
    unsigned long held = 0;
    va_list ap;

    if (!l || !l->fn) {
        return 0;
    }
    if (level <= OT_LOG_WARNING) {
        if (!take_slot(l)) {
            atomic_fetch_add(&l->suppressed, 1);
            return 0;
        }
        held = atomic_exchange(&l->suppressed, 0);
    }
    va_start(ap, fmt);
    emit(l, level, held, fmt, ap);
    va_end(ap);
    return 1;
}

void ot_logger_always(ot_logger *l, ot_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (!l || !l->fn) {
        return;
    }
    va_start(ap, fmt);
    emit(l, level, atomic_exchange(&l->suppressed, 0), fmt, ap);
    va_end(ap);
}
