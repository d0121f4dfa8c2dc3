/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A plugin that misbehaves as its JSON config says, for the fault tests
 * (t/55): "export": "fail" (every export fails for good), "slow" (every
 * export takes delay_ms, or the timeout_ms it is given when shorter, then
 * succeeds), anything else succeeds at once; "child_init": "fail" makes
 * it refuse to start in a child.  Spans it accepts are counted in the
 * file at "count_path" (one line per export: the number of spans), so a
 * test sees that the module went on calling it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ot_tracer.h"

typedef struct fault {
    int export_fails;
    int export_slow;
    int child_init_fails;
    long delay_ms;
    char count_path[512];
} fault;

/* The string value of "key" in json, copied to out (no escapes: a test
 * config); 0 when absent. */
static int json_string(const char *json, const char *key, char *out,
                       size_t outlen)
{
    char pat[64];
    const char *p, *end;

    snprintf(pat, sizeof(pat), "\"%s\"", key);
    if (!(p = strstr(json, pat)) || !(p = strchr(p + strlen(pat), '"'))
        || !(end = strchr(++p, '"')) || (size_t)(end - p) >= outlen) {
        return 0;
    }
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

static int fault_create(const ot_tracer_host *host, const char *json,
                        size_t len, void **handle, char *err, size_t errlen)
{
    fault *f = calloc(1, sizeof(*f));
    char v[32];
    const char *d;

    if (!f) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    f->export_fails = json_string(json, "export", v, sizeof(v))
        && strcmp(v, "fail") == 0;
    f->export_slow = json_string(json, "export", v, sizeof(v))
        && strcmp(v, "slow") == 0;
    f->child_init_fails = json_string(json, "child_init", v, sizeof(v))
        && strcmp(v, "fail") == 0;
    f->delay_ms = (d = strstr(json, "\"delay_ms\"")) && (d = strchr(d, ':'))
        ? strtol(d + 1, NULL, 10) : 0;
    json_string(json, "count_path", f->count_path, sizeof(f->count_path));
    *handle = f;
    return 0;
}

static int fault_child_init(void *handle, char *err, size_t errlen)
{
    fault *f = handle;

    if (f->child_init_fails) {
        snprintf(err, errlen, "the fault plugin was told to fail");
        return 1;
    }
    return 0;
}

static ot_export_result fault_export(void *handle,
                                     const ot_span_record *const *spans,
                                     size_t count, uint32_t timeout_ms,
                                     uint32_t *retry_after_ms)
{
    fault *f = handle;
    FILE *out;

    if (f->export_fails) {
        return OT_EXPORT_FAIL;
    }
    if (f->export_slow) {
        /* A plugin without cancel keeps to the timeout it is given. */
        long ms = f->delay_ms < (long)timeout_ms ? f->delay_ms
            : (long)timeout_ms;
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
    }
    if (f->count_path[0] && (out = fopen(f->count_path, "a"))) {
        fprintf(out, "%zu\n", count);
        fclose(out);
    }
    return OT_EXPORT_OK;
}

static void fault_destroy(void *handle)
{
    free(handle);
}

static const ot_tracer_plugin fault_plugin = {
    OT_TRACER_ABI_VERSION, sizeof(ot_tracer_plugin), "fault", "1",
    fault_create, NULL, fault_child_init, fault_export, NULL, NULL,
    fault_destroy, NULL, NULL, 0
};

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void);

OT_TRACER_EXPORT const ot_tracer_plugin *ot_tracer_entry(void)
{
    return &fault_plugin;
}
