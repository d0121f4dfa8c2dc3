/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_sampler.h: sampling decisions.  Parent-based: a span with a parent
 * follows the parent's sampled flag; a root span is sampled with a
 * probability, derived from its trace id so that every service using the
 * same ratio (and the same rule: the trace id's last 8 bytes, as an
 * unsigned big-endian number, below ratio * 2^64) decides alike.
 */

#ifndef OT_SAMPLER_H
#define OT_SAMPLER_H

#include <stdint.h>

typedef struct ot_sampler {
    uint64_t threshold;     /* sample when the id's value is below */
    int always;             /* ratio 1 */
} ot_sampler;

/* ratio in [0, 1] */
void ot_sampler_init(ot_sampler *s, double ratio);

/* 1: record the root span with this trace id. */
int ot_sampler_root(const ot_sampler *s, const uint8_t trace_id[16]);

#endif /* OT_SAMPLER_H */
