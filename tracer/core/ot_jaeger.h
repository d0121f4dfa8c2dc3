/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_jaeger.h: Jaeger's uber-trace-id header
 * (https://www.jaegertracing.io/docs/latest/client-libraries/#propagation-format):
 * {trace-id}:{span-id}:{parent-span-id}:{flags}, hex of variable length,
 * possibly URL-encoded.  Its uberctx-* baggage is ot_baggage's.  Pure code:
 * libc only.
 */

#ifndef OT_JAEGER_H
#define OT_JAEGER_H

#include <stddef.h>

#include "ot_propagation.h"

/* 32 hex ":" 16 hex ":0:" flags */
#define OT_JAEGER_MAX (32 + 1 + 16 + 3 + 1)

/*
 * Parse an uber-trace-id value of len bytes.  Trace ids of up to 16 hex
 * digits are 64-bit (OT_CTX_TRACE_ID_64); flags bit 1 is sampled, bit 2
 * debug (OT_CTX_DEBUG, and sampled).  Returns OT_EXTRACT_CONTEXT, or -1
 * when it is malformed (then *out is untouched).
 */
int ot_jaeger_parse(const char *value, size_t len, ot_span_context *out);

/* Write ctx as an uber-trace-id and a NUL into out (OT_JAEGER_MAX + 1
 * bytes): full-width lowercase ids, parent 0, flags 0, 1 or 3 (debug). */
size_t ot_jaeger_format(const ot_span_context *ctx,
                        char out[OT_JAEGER_MAX + 1]);

#endif /* OT_JAEGER_H */
