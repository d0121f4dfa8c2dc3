/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Span records for the encoders' tests: fixed ids and attribute makers. */

#ifndef OT_TEST_RECORDS_H
#define OT_TEST_RECORDS_H

#include <stdint.h>
#include <string.h>

#include "ot_tracer.h"

static const uint8_t trace_id[16] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
};
static const uint8_t span_id[8] = {
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8
};
static const uint8_t parent_id[8] = {
    0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8
};

static inline void span_init(ot_span_record *s)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->trace_id, trace_id, sizeof(trace_id));
    memcpy(s->span_id, span_id, sizeof(span_id));
}

static inline ot_attribute attr_of(const char *k, uint32_t type)
{
    ot_attribute a;

    memset(&a, 0, sizeof(a));
    a.key.ptr = k;
    a.key.len = (uint32_t)strlen(k);
    a.type = type;
    return a;
}

static inline ot_attribute attr_str(const char *k, const char *v, size_t vlen)
{
    ot_attribute a = attr_of(k, OT_VALUE_STRING);

    a.v.s.ptr = v;
    a.v.s.len = (uint32_t)vlen;
    return a;
}

static inline ot_attribute attr_int(const char *k, int64_t v)
{
    ot_attribute a = attr_of(k, OT_VALUE_INT);

    a.v.i = v;
    return a;
}

static inline ot_attribute attr_dbl(const char *k, double v)
{
    ot_attribute a = attr_of(k, OT_VALUE_DOUBLE);

    a.v.d = v;
    return a;
}

static inline ot_attribute attr_bool(const char *k, int v)
{
    ot_attribute a = attr_of(k, OT_VALUE_BOOL);

    a.v.b = v;
    return a;
}

#endif /* OT_TEST_RECORDS_H */
