/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_retry.h: the retry schedule of exports that failed transiently (the
 * OTLP specification's retryable responses: 429, 502, 503, 504, and
 * connection failures): exponential backoff with jitter, at least what the
 * receiver asked for in Retry-After.
 */

#ifndef OT_RETRY_H
#define OT_RETRY_H

#include <stdint.h>

#define OT_RETRY_INITIAL_MS 1000u
#define OT_RETRY_MAX_MS 5000u
/* Per attempt the delay grows by 3/2, within +-20% jitter. */

/* Delay in ms before retry number attempt (1 for the first retry); rnd is
 * any random 32-bit value; retry_after_ms is the receiver's hint (0: none),
 * which wins when longer. */
uint32_t ot_retry_delay_ms(uint32_t attempt, uint32_t retry_after_ms,
                           uint32_t rnd);

#endif /* OT_RETRY_H */
