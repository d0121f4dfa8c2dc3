/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_retry.h"

uint32_t ot_retry_delay_ms(uint32_t attempt, uint32_t retry_after_ms,
                           uint32_t rnd)
{
    uint64_t base = OT_RETRY_INITIAL_MS;
    uint64_t d;
    uint32_t i;

    for (i = 1; i < attempt && base < OT_RETRY_MAX_MS; i++) {
        base = base * 3 / 2;
    }
    if (base > OT_RETRY_MAX_MS) {
        base = OT_RETRY_MAX_MS;
    }
    /* jitter: base * [0.8, 1.2) */
    d = base * 4 / 5 + (base * 2 / 5) * (rnd % 1024) / 1024;
    if (retry_after_ms > d) {
        d = retry_after_ms;
    }
    return (uint32_t)d;
}
