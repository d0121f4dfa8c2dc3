/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_fields.h: what the parsers and writers of the propagation formats
 * (ot_w3c, ot_b3, ot_jaeger, ot_baggage) share: optional whitespace, hex,
 * splitting a value at a separator, trace ids in the width they arrived.
 * Pure code: libc only.
 */

#ifndef OT_FIELDS_H
#define OT_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ot_propagation.h"

/* OWS (RFC 7230): SP, HTAB. */
static inline int ot_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 tchar: what a token (a header name, a baggage key) is made
 * of. */
static inline int ot_is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z')
           || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The W3C baggage-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
 * (printable ASCII but DQUOTE, ",", ";" and "\"). */
static inline int ot_is_baggage_octet(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';'
           && c != '\\';
}

/* Step *value and *len past leading and trailing OWS. */
void ot_ows_trim(const char **value, size_t *len);

/* Decode n bytes from 2n lowercase hex digits (HEXDIGLC) at s; non-zero
 * when one is not. */
int ot_hex_decode(const char *s, uint8_t *out, size_t n);

/*
 * Split the len bytes of value at every sep into at most max fields
 * (start in f, length in n).  Returns the number of fields, or -1 when
 * there are more than max.
 */
int ot_split(const char *value, size_t len, char sep, size_t max,
             const char **f, size_t *n);

/* Write ctx's trace id as lowercase hex, 16 digits wide when it arrived
 * 64 bits wide (OT_CTX_TRACE_ID_64), else 32; returns the end. */
char *ot_trace_id_write(char *o, const ot_span_context *ctx);

#endif /* OT_FIELDS_H */
