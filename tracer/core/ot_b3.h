/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_b3.h: Zipkin's B3 propagation (https://github.com/openzipkin/
 * b3-propagation): the single b3 header and the X-B3-* headers.  Trace
 * ids of 64 bits are kept left-padded to 128 with OT_CTX_TRACE_ID_64 set,
 * and written back 16 hex digits wide.  Pure code: libc only.
 */

#ifndef OT_B3_H
#define OT_B3_H

#include <stddef.h>

#include "ot_propagation.h"

/* {TraceId}-{SpanId}-{SamplingState} */
#define OT_B3_MAX (32 + 1 + 16 + 2)

/*
 * Parse a b3 value of len bytes: {TraceId}-{SpanId}[-{SamplingState}
 * [-{ParentSpanId}]], or a {SamplingState} alone ("0", "1", "d").
 * Returns OT_EXTRACT_CONTEXT (ids, flags, origin set; OT_CTX_DEFERRED
 * without a sampling state), OT_EXTRACT_DECISION (flags and origin only),
 * or -1 when the value is malformed; *out is written only on success.
 */
int ot_b3_parse(const char *value, size_t len, ot_span_context *out);

/* Write ctx as a b3 value and a NUL into out (OT_B3_MAX + 1 bytes), with
 * its decision ("1", "0", or "d" for debug); returns the length. */
size_t ot_b3_format(const ot_span_context *ctx, char out[OT_B3_MAX + 1]);

/* The X-B3-* values (each NULL when absent). */
typedef struct ot_b3multi {
    const char *trace_id, *span_id, *parent_span_id, *sampled, *flags;
} ot_b3multi;

/*
 * Parse the X-B3-* headers: the ids with X-B3-Sampled ("1", "0", or the
 * older "true", "false") and X-B3-Flags ("1": debug), or a decision
 * alone.  Returns as ot_b3_parse, or OT_EXTRACT_NONE when none is there.
 */
int ot_b3multi_parse(const ot_b3multi *in, ot_span_context *out);

/* The X-B3-* values of ctx, formatted into buf (OT_B3_MAX + 1 bytes):
 * trace and span id, and X-B3-Flags "1" for debug, else X-B3-Sampled. */
void ot_b3multi_format(const ot_span_context *ctx, ot_b3multi *out,
                       char buf[OT_B3_MAX + 1]);

#endif /* OT_B3_H */
