/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_headers.h: what the propagation fuzz targets share, besides
 * fuzz.h.  Inputs become an exactly sized copy (so ASan sees a read past
 * the end), one header value, or a table of header lines
 * merged as httpd merges headers_in; what a format injects is checked
 * against what may go on the wire.  Static inline: each target uses a
 * part of it.
 */

#ifndef FUZZ_HEADERS_H
#define FUZZ_HEADERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ot_baggage.h"
#include "ot_propagation.h"

#include "fuzz.h"

/* The input in a buffer of exactly its size, not NUL-terminated. */
static inline char *fuzz_exact(apr_pool_t *p, const uint8_t *data,
                               size_t size)
{
    char *s = apr_palloc(p, size ? size : 1);

    if (size) {
        memcpy(s, data, size);
    }
    return s;
}

/* The input as one header value, when it can be one (no NUL in it). */
static inline const char *fuzz_value(apr_pool_t *p, const uint8_t *data,
                                     size_t size)
{
    return memchr(data, '\0', size) ? NULL
                                    : apr_pstrmemdup(p, (const char *)data,
                                                     size);
}

/* "name: value" lines (name and value up to their first NUL; one SP after
 * the colon is not part of the value), repeated names merged with ", "
 * as httpd's headers_in has them. */
static inline apr_table_t *fuzz_header_lines(apr_pool_t *p, const char *data,
                                             size_t size)
{
    apr_table_t *in = apr_table_make(p, 8);
    char *text = apr_pstrmemdup(p, data, size), *line, *last, *colon;

    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        colon = strchr(line, ':');
        if (colon && colon > line) {
            *colon = '\0';
            apr_table_mergen(in, line, colon[1] == ' ' ? colon + 2
                                                       : colon + 1);
        }
    }
    return in;
}

/* RFC 7230 tchar, written apart from the parsers' own tables. */
static inline int fuzz_is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* W3C baggage-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
static inline int fuzz_is_baggage_octet(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';'
           && c != '\\';
}

/* A field as it may be written: a token name, a value of printable
 * US-ASCII (no CR, LF, NUL, other controls, DEL or bytes past 0x7e)
 * without surrounding spaces.  rec: the format's field names (a name
 * ending in "*" a prefix), NULL-terminated; fields of other names are
 * not the format's to check. */
static inline int fuzz_field_ok(void *rec, const char *name,
                                const char *value)
{
    const char *const *field = rec;
    size_t n = strlen(value), i, len;

    for (; *field; field++) {
        len = strlen(*field);
        if ((*field)[len - 1] == '*' ? strncasecmp(name, *field, len - 1) == 0
                                     : strcasecmp(name, *field) == 0) {
            break;
        }
    }
    if (!*field) {
        return 1;
    }
    fuzz_check(*name != '\0');
    for (i = 0; name[i]; i++) {
        fuzz_check(fuzz_is_tchar((unsigned char)name[i]));
    }
    for (i = 0; i < n; i++) {
        fuzz_check(value[i] >= 0x20 && value[i] <= 0x7e);
    }
    fuzz_check(n == 0 || (value[0] != ' ' && value[n - 1] != ' '));
    return 1;
}

/* Every field of t that belongs to format f may be written. */
static inline void fuzz_check_fields(const apr_table_t *t,
                                     const ot_propagator *f)
{
    apr_table_do(fuzz_field_ok, (void *)ot_propagator_fields(f), t, NULL);
}

/* Extract with the one format name from in (its result checked against
 * what ot_propagation_extract promises). */
static inline ot_extract_result fuzz_extract(apr_pool_t *p, const char *name,
                                             apr_table_t *in,
                                             ot_span_context *ctx)
{
    const ot_propagator *f = ot_propagator_find(name);
    ot_extract_result got;
    ot_carrier c;
    static const uint8_t zero[16];

    ot_carrier_table(&c, in);
    got = ot_propagation_extract(p, &f, 1, &c, ctx, NULL);
    fuzz_check(got == OT_EXTRACT_NONE || got == OT_EXTRACT_CONTEXT
               || got == OT_EXTRACT_DECISION);
    if (got != OT_EXTRACT_CONTEXT) {
        /* nothing of a refused or id-less value is kept */
        fuzz_check(memcmp(ctx->trace_id, zero, 16) == 0);
        fuzz_check(memcmp(ctx->span_id, zero, 8) == 0);
        fuzz_check(ctx->trace_state == NULL);
    }
    if (got == OT_EXTRACT_NONE) {
        fuzz_check(ctx->flags == 0 && ctx->origin == 0);
    }
    return got;
}

/* Inject ctx with the one format name into a copy of in (what arrived is
 * to be replaced), check every field of the format in the result, and
 * return it. */
static inline apr_table_t *fuzz_inject(apr_pool_t *p, const char *name,
                                       const apr_table_t *in,
                                       const ot_span_context *ctx)
{
    const ot_propagator *f = ot_propagator_find(name);
    apr_table_t *out = apr_table_copy(p, in);
    ot_carrier c;

    ot_carrier_table(&c, out);
    ot_propagation_inject(p, &f, 1, ctx, &c);
    fuzz_check_fields(out, f);
    return out;
}

/*
 * Check a normalized baggage list against the W3C grammar without OWS:
 * within OT_BAGGAGE_MAX_BYTES and OT_BAGGAGE_MAX_MEMBERS, members
 * key=value[;key[=value]]..., no two with the same key.  from_uberctx:
 * the list came from uberctx-* fields alone (lowercase keys, no
 * properties).  Returns the number of members.
 */
static inline size_t fuzz_check_baggage(const char *list, int from_uberctx)
{
    const char *keys[OT_BAGGAGE_MAX_MEMBERS];
    size_t klens[OT_BAGGAGE_MAX_MEMBERS];
    size_t members = 0, j, klen;
    const char *s = list;
    int first;

    fuzz_check(list == NULL || *list != '\0');
    if (!list) {
        return 0;
    }
    fuzz_check(strlen(list) <= OT_BAGGAGE_MAX_BYTES);
    for (;;) {
        fuzz_check(members < OT_BAGGAGE_MAX_MEMBERS);
        for (first = 1;; first = 0) {
            /* a pair: token [ "=" *baggage-octet ] */
            for (klen = 0; fuzz_is_tchar((unsigned char)s[klen]); klen++) {
                fuzz_check(!from_uberctx || s[klen] < 'A' || s[klen] > 'Z');
            }
            fuzz_check(klen > 0);
            if (first) {
                for (j = 0; j < members; j++) {
                    fuzz_check(klens[j] != klen
                               || memcmp(keys[j], s, klen) != 0);
                }
                keys[members] = s;
                klens[members] = klen;
            }
            s += klen;
            fuzz_check(*s == '=' || !first);
            if (*s == '=') {
                for (s++; fuzz_is_baggage_octet((unsigned char)*s); s++) {
                }
            }
            if (*s != ';') {
                break;
            }
            fuzz_check(!from_uberctx);
            s++;
        }
        members++;
        if (*s == '\0') {
            return members;
        }
        fuzz_check(*s == ',');
        s++;
    }
}

#endif /* FUZZ_HEADERS_H */
