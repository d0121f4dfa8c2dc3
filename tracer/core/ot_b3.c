/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_b3.h"

#include <string.h>

#include "ot_fields.h"
#include "ot_write.h"       /* ot_w_hex, ot_id_is_zero */

/* A trace id of 16 or 32 lowercase hex digits into ctx (64-bit ones
 * left-padded, OT_CTX_TRACE_ID_64); 0 when valid and not all zero. */
static int trace_id_parse(const char *s, size_t n, ot_span_context *ctx)
{
    memset(ctx->trace_id, 0, 16);
    if (n == 32) {
        ctx->origin = 0;
    }
    else if (n == 16) {
        ctx->origin = OT_CTX_TRACE_ID_64;
    }
    else {
        return -1;
    }
    if (ot_hex_decode(s, ctx->trace_id + 16 - n / 2, n / 2)) {
        return -1;
    }
    return ot_id_is_zero(ctx->trace_id, 16) ? -1 : 0;
}

static int span_id_parse(const char *s, size_t n, uint8_t id[8])
{
    if (n != 16 || ot_hex_decode(s, id, 8)) {
        return -1;
    }
    return ot_id_is_zero(id, 8) ? -1 : 0;
}

/* A SamplingState ("1", "0", "d") into ctx; -1 for anything else. */
static int state_parse(const char *s, size_t n, ot_span_context *ctx)
{
    if (n != 1) {
        return -1;
    }
    switch (s[0]) {
    case '1':
        ctx->flags = OT_FLAG_SAMPLED;
        return 0;
    case '0':
        ctx->flags = 0;
        return 0;
    case 'd':
        ctx->flags = OT_FLAG_SAMPLED;
        ctx->origin |= OT_CTX_DEBUG;
        return 0;
    }
    return -1;
}

int ot_b3_parse(const char *value, size_t len, ot_span_context *out)
{
    ot_span_context c;
    const char *f[4];
    size_t n[4];
    uint8_t parent[8];
    int nf;

    memset(&c, 0, sizeof(c));
    ot_ows_trim(&value, &len);
    nf = ot_split(value, len, '-', 4, f, n);
    if (nf < 0) {
        return -1;
    }
    if (nf == 1) {
        /* a decision alone */
        if (state_parse(f[0], n[0], &c) != 0) {
            return -1;
        }
        memcpy(out, &c, sizeof(c));
        return OT_EXTRACT_DECISION;
    }
    if (trace_id_parse(f[0], n[0], &c) != 0
        || span_id_parse(f[1], n[1], c.span_id) != 0
        || (nf > 2 && state_parse(f[2], n[2], &c) != 0)
        || (nf > 3 && span_id_parse(f[3], n[3], parent) != 0)) {
        return -1;
    }
    if (nf == 2) {
        c.origin |= OT_CTX_DEFERRED;
    }
    memcpy(out, &c, sizeof(c));
    return OT_EXTRACT_CONTEXT;
}

size_t ot_b3_format(const ot_span_context *ctx, char out[OT_B3_MAX + 1])
{
    char *o = ot_trace_id_write(out, ctx);

    *o++ = '-';
    o = ot_w_hex(o, ctx->span_id, 8);
    *o++ = '-';
    *o++ = (ctx->origin & OT_CTX_DEBUG) ? 'd'
           : (ctx->flags & OT_FLAG_SAMPLED) ? '1' : '0';
    *o = '\0';
    return (size_t)(o - out);
}

/* X-B3-Sampled: "1", "0", and the "true", "false" of older tracers. */
static int sampled_parse(const char *s, ot_span_context *ctx)
{
    size_t n = strlen(s);

    ot_ows_trim(&s, &n);
    if ((n == 1 && s[0] == '1') || (n == 4 && strncmp(s, "true", 4) == 0)) {
        ctx->flags = OT_FLAG_SAMPLED;
        return 0;
    }
    if ((n == 1 && s[0] == '0') || (n == 5 && strncmp(s, "false", 5) == 0)) {
        ctx->flags = 0;
        return 0;
    }
    return -1;
}

/* A header's value without surrounding OWS, for the id parsers. */
static void field(const char *v, const char **s, size_t *n)
{
    *s = v;
    *n = strlen(v);
    ot_ows_trim(s, n);
}

int ot_b3multi_parse(const ot_b3multi *in, ot_span_context *out)
{
    ot_span_context c;
    const char *s;
    size_t n;
    uint8_t parent[8];
    int debug = 0;

    memset(&c, 0, sizeof(c));
    if (in->flags) {
        /* "Debug is encoded as X-B3-Flags: 1"; other values mean nothing */
        field(in->flags, &s, &n);
        if (n != 1 || (s[0] != '1' && s[0] != '0')) {
            return -1;
        }
        debug = s[0] == '1';
    }
    if (!in->trace_id && !in->span_id) {
        if (in->parent_span_id) {
            return -1;
        }
        if (debug) {
            c.flags = OT_FLAG_SAMPLED;
            c.origin = OT_CTX_DEBUG;
        }
        else if (!in->sampled) {
            return in->flags ? -1 : OT_EXTRACT_NONE;
        }
        else if (sampled_parse(in->sampled, &c) != 0) {
            return -1;
        }
        memcpy(out, &c, sizeof(c));
        return OT_EXTRACT_DECISION;
    }
    if (!in->trace_id || !in->span_id) {
        return -1;
    }
    field(in->trace_id, &s, &n);
    if (trace_id_parse(s, n, &c) != 0) {
        return -1;
    }
    field(in->span_id, &s, &n);
    if (span_id_parse(s, n, c.span_id) != 0) {
        return -1;
    }
    if (in->parent_span_id) {
        field(in->parent_span_id, &s, &n);
        if (span_id_parse(s, n, parent) != 0) {
            return -1;
        }
    }
    if (in->sampled && sampled_parse(in->sampled, &c) != 0) {
        return -1;
    }
    if (debug) {
        /* debug implies an accept decision */
        c.flags = OT_FLAG_SAMPLED;
        c.origin |= OT_CTX_DEBUG;
    }
    else if (!in->sampled) {
        c.origin |= OT_CTX_DEFERRED;
    }
    memcpy(out, &c, sizeof(c));
    return OT_EXTRACT_CONTEXT;
}

void ot_b3multi_format(const ot_span_context *ctx, ot_b3multi *out,
                       char buf[OT_B3_MAX + 1])
{
    char *o = ot_trace_id_write(buf, ctx);

    *o++ = '\0';
    out->trace_id = buf;
    out->span_id = o;
    o = ot_w_hex(o, ctx->span_id, 8);
    *o = '\0';
    out->parent_span_id = NULL;
    /* "Debug implies an accept decision, so don't also send the
     * X-B3-Sampled header." */
    if (ctx->origin & OT_CTX_DEBUG) {
        out->flags = "1";
        out->sampled = NULL;
    }
    else {
        out->flags = NULL;
        out->sampled = (ctx->flags & OT_FLAG_SAMPLED) ? "1" : "0";
    }
}
