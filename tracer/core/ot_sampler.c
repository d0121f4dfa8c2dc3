/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_sampler.h"

#include <string.h>

void ot_sampler_init(ot_sampler *s, double ratio)
{
    s->always = ratio >= 1.0;
    if (ratio <= 0.0 || ratio != ratio) {
        s->threshold = 0;
    }
    else if (s->always) {
        s->threshold = UINT64_MAX;
    }
    else {
        /* 2^64 * ratio, exact for the ratios people write (0.1, 0.25...)
         * to within one part in 2^53 */
        s->threshold = (uint64_t)(ratio * 18446744073709551616.0);
    }
}

int ot_sampler_root(const ot_sampler *s, const uint8_t trace_id[16])
{
    uint64_t v;

    if (s->always) {
        return 1;
    }
    memcpy(&v, trace_id + 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v < s->threshold;
}
