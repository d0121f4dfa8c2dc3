/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_sampler.h: sampling decisions, as OpenTelemetry's samplers make them.
 * A ratio decides from the trace id, so that every service using the same
 * ratio (and the same rule: the trace id's last 8 bytes, as an unsigned
 * big-endian number, below ratio * 2^64) decides alike.  A parent-based
 * sampler follows the decision that came with the incoming context and
 * uses the ratio only for new traces (and contexts without a decision);
 * the others use the ratio for every span.
 */

#ifndef OT_SAMPLER_H
#define OT_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ot_sampler {
    uint64_t threshold;     /* sample when the id's value is below */
    int always;             /* ratio 1 */
    int parent_based;       /* a decision that came wins */
} ot_sampler;

/* Parent-based, ratio in [0, 1] for new decisions (TraceSampleRate; the
 * default is ratio 1: parentbased_always_on). */
void ot_sampler_init(ot_sampler *s, double ratio);

/* The sampler OTEL_TRACES_SAMPLER (name) and OTEL_TRACES_SAMPLER_ARG (arg)
 * name: always_on, always_off, traceidratio, parentbased_always_on,
 * parentbased_always_off, parentbased_traceidratio (arg: the ratio,
 * default 1).  NULL or empty name: parentbased_always_on.  Returns 0, or
 * non-zero with a message in err ("environment variable ...") for an
 * unknown name or a bad ratio. */
int ot_sampler_from_env(ot_sampler *s, const char *name, const char *arg,
                        char *err, size_t errlen);

/* 1: record the span with this trace id.  parent_decision: 1 or 0 when
 * the incoming context carried a sampling decision, -1 when none came
 * (a new trace, a B3 context without a decision). */
int ot_sampler_decide(const ot_sampler *s, int parent_decision,
                      const uint8_t trace_id[16]);

#endif /* OT_SAMPLER_H */
