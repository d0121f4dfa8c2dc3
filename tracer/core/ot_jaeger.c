/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_jaeger.h"

#include <string.h>

#include "ot_env.h"        /* ot_url_decode */
#include "ot_fields.h"
#include "ot_write.h"       /* ot_w_hex, ot_id_is_zero */

/* The longest valid value: 32 + 16 + 16 + 2 hex digits and 3 ":". */
#define VALUE_MAX (32 + 16 + 16 + 2 + 3)

/*
 * 1 to max hex digits of either case, left-padded with zeros to max, into
 * the max / 2 bytes of out; 0 when valid.
 */
static int hex_var(const char *s, size_t n, size_t max, uint8_t *out)
{
    char digits[32];
    size_t i;

    if (n == 0 || n > max) {
        return -1;
    }
    memset(digits, '0', max - n);
    for (i = 0; i < n; i++) {
        char c = s[i];

        digits[max - n + i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a')
                                                     : c;
    }
    return ot_hex_decode(digits, out, max / 2);
}

int ot_jaeger_parse(const char *value, size_t len, ot_span_context *out)
{
    ot_span_context c;
    char decoded[3 * VALUE_MAX];    /* decoding never lengthens */
    const char *f[4], *v = value;
    size_t n[4];
    uint8_t parent[8], flags;
    long dn;

    ot_ows_trim(&v, &len);
    if (memchr(v, '%', len)) {
        /* URL-encoded: "%3A" for ":" */
        if (len > sizeof(decoded)
            || (dn = ot_url_decode(v, len, decoded)) < 0) {
            return -1;
        }
        v = decoded;
        len = (size_t)dn;
    }
    if (len > VALUE_MAX) {
        return -1;
    }
    if (ot_split(v, len, ':', 4, f, n) != 4) {
        return -1;
    }
    memset(&c, 0, sizeof(c));
    /* "64-bit or 128-bit ... shorter values are 0-padded on the left" */
    if (hex_var(f[0], n[0], 32, c.trace_id) != 0
        || ot_id_is_zero(c.trace_id, 16)
        || hex_var(f[1], n[1], 16, c.span_id) != 0
        || ot_id_is_zero(c.span_id, 8)
        || hex_var(f[2], n[2], 16, parent) != 0
        || hex_var(f[3], n[3], 2, &flags) != 0) {
        return -1;
    }
    if (n[0] <= 16) {
        c.origin = OT_CTX_TRACE_ID_64;
    }
    if (flags & 0x02) {
        /* debug: "... also sampled" */
        c.origin |= OT_CTX_DEBUG;
        c.flags = OT_FLAG_SAMPLED;
    }
    else {
        c.flags = flags & 0x01 ? OT_FLAG_SAMPLED : 0;
    }
    memcpy(out, &c, sizeof(c));
    return OT_EXTRACT_CONTEXT;
}

size_t ot_jaeger_format(const ot_span_context *ctx,
                        char out[OT_JAEGER_MAX + 1])
{
    char *o = out;

    o = ot_trace_id_write(o, ctx);
    *o++ = ':';
    o = ot_w_hex(o, ctx->span_id, 8);
    memcpy(o, ":0:", 3);
    o += 3;
    *o++ = (ctx->origin & OT_CTX_DEBUG) ? '3'
           : (ctx->flags & OT_FLAG_SAMPLED) ? '1' : '0';
    *o = '\0';
    return (size_t)(o - out);
}
