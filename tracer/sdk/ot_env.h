/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_env.h: the OpenTelemetry environment variables' list syntax, as in
 * OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES:
 * "key1=value1,key2=value2", values percent-encoded, whitespace around
 * keys and values ignored.
 */

#ifndef OT_ENV_H
#define OT_ENV_H

#include <stddef.h>

#include "ot_kv.h"

/* Parse s into a malloc'd array of *n pairs (free with ot_kv_free).
 * 0, or -1 with a reason in err (a member without "=", an empty key, a bad
 * percent escape). */
int ot_env_parse_list(const char *s, ot_kv **out, size_t *n, char *err,
                      size_t errlen);

/* getenv of the first of two names that is set and not empty: the
 * signal-specific one (OTEL_EXPORTER_OTLP_TRACES_X) before the general
 * one (OTEL_EXPORTER_OTLP_X).  NULL when neither is. */
const char *ot_env_get2(const char *specific, const char *general);

/* Percent-decode (RFC 3986) the n bytes of s into out (room for n bytes);
 * returns the length, or -1 on a "%" not followed by two hex digits.  The
 * one copy: the environment lists here, baggage and Jaeger's values in
 * the module's core. */
long ot_url_decode(const char *s, size_t n, char *out);

#endif /* OT_ENV_H */
