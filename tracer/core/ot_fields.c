/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_fields.h"

#include "ot_write.h"       /* ot_w_hex */

/* Lowercase hex digit value; 0xff for anything else (HEXDIGLC only). */
#define XX 0xff
#define XX8 XX, XX, XX, XX, XX, XX, XX, XX
#define XX16 XX8, XX8
static const uint8_t hexval[256] = {
    XX16, XX16, XX16,                                   /* 0x00-0x2f */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, XX, XX, XX, XX, XX, XX, /* 0x30-0x3f */
    XX16,                                               /* 0x40-0x4f */
    XX16,                                               /* 0x50-0x5f */
    XX, 10, 11, 12, 13, 14, 15, XX, XX8,                /* 0x60-0x6f */
    XX16,                                               /* 0x70-0x7f */
    XX16, XX16, XX16, XX16, XX16, XX16, XX16, XX16      /* 0x80-0xff */
};
#undef XX
#undef XX8
#undef XX16


void ot_ows_trim(const char **value, size_t *len)
{
    while (*len && ot_is_ows((*value)[0])) {
        (*value)++;
        (*len)--;
    }
    while (*len && ot_is_ows((*value)[*len - 1])) {
        (*len)--;
    }
}

int ot_hex_decode(const char *s, uint8_t *out, size_t n)
{
    unsigned bad = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned hi = hexval[(unsigned char)s[2 * i]];
        unsigned lo = hexval[(unsigned char)s[2 * i + 1]];

        bad |= hi | lo;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return (bad & 0xf0) != 0;
}

int ot_split(const char *value, size_t len, char sep, size_t max,
             const char **f, size_t *n)
{
    size_t i, nf = 0;

    f[0] = value;
    for (i = 0; i < len; i++) {
        if (value[i] == sep) {
            if (nf + 1 == max) {
                return -1;
            }
            n[nf] = (size_t)(value + i - f[nf]);
            f[++nf] = value + i + 1;
        }
    }
    n[nf] = (size_t)(value + len - f[nf]);
    return (int)nf + 1;
}

char *ot_trace_id_write(char *o, const ot_span_context *ctx)
{
    if (ctx->origin & OT_CTX_TRACE_ID_64) {
        return ot_w_hex(o, ctx->trace_id + 8, 8);
    }
    return ot_w_hex(o, ctx->trace_id, 16);
}
