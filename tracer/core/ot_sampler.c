/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_ratio(ot_sampler *s, double ratio)
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

void ot_sampler_init(ot_sampler *s, double ratio)
{
    set_ratio(s, ratio);
    s->parent_based = 1;
}

int ot_sampler_from_env(ot_sampler *s, const char *name, const char *arg,
                        char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int parent_based;
        double ratio;           /* < 0: the argument's */
    } samplers[] = {
        { "always_on", 0, 1 }, { "always_off", 0, 0 },
        { "traceidratio", 0, -1 }, { "parentbased_always_on", 1, 1 },
        { "parentbased_always_off", 1, 0 },
        { "parentbased_traceidratio", 1, -1 },
    };
    double ratio;
    char *end;
    size_t i;

    if (!name || !*name) {
        ot_sampler_init(s, 1.0);
        return 0;
    }
    for (i = 0; i < sizeof(samplers) / sizeof(samplers[0]); i++) {
        if (strcmp(name, samplers[i].name) == 0) {
            break;
        }
    }
    if (i == sizeof(samplers) / sizeof(samplers[0])) {
        snprintf(err, errlen, "environment variable OTEL_TRACES_SAMPLER="
                 "\"%s\" is not supported here (supported: always_on, "
                 "always_off, traceidratio, parentbased_always_on, "
                 "parentbased_always_off, parentbased_traceidratio)", name);
        return 1;
    }
    ratio = samplers[i].ratio;
    if (ratio < 0) {
        ratio = 1.0;
        if (arg && *arg) {
            ratio = strtod(arg, &end);
            if (end == arg || *end || !(ratio >= 0.0 && ratio <= 1.0)) {
                snprintf(err, errlen, "environment variable "
                         "OTEL_TRACES_SAMPLER_ARG=\"%s\" is not a number "
                         "between 0 and 1", arg);
                return 1;
            }
        }
    }
    set_ratio(s, ratio);
    s->parent_based = samplers[i].parent_based;
    return 0;
}

int ot_sampler_decide(const ot_sampler *s, int parent_decision,
                      const uint8_t trace_id[16])
{
    uint64_t v;

    if (s->parent_based && parent_decision >= 0) {
        return parent_decision;
    }
    if (s->always) {
        return 1;
    }
    memcpy(&v, trace_id + 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v < s->threshold;
}
