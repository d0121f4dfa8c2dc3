/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_baggage.h: W3C Baggage (https://www.w3.org/TR/baggage/) lists, built
 * from the baggage header and from Jaeger's uberctx-* fields, and the
 * percent-encoding that moves values between the two (decoding is the
 * SDK's ot_url_decode, ot_env.h).  Pure code: APR
 * pools and libc only.
 *
 * A list is kept normalized: members "key=value[;property]..." without
 * whitespace, joined by ",", the first member of a key winning, within the
 * spec's limits (OT_BAGGAGE_MAX_BYTES, OT_BAGGAGE_MAX_MEMBERS).  A member
 * that does not fit ends the list there: it is never cut, and nothing
 * after it is added (the list is truncated at a member boundary).
 */

#ifndef OT_BAGGAGE_H
#define OT_BAGGAGE_H

#include <stddef.h>

#include <apr_pools.h>

#define OT_BAGGAGE_MAX_BYTES   8192
#define OT_BAGGAGE_MAX_MEMBERS 180

typedef struct ot_baggage {
    apr_pool_t *pool;
    char *buf;                  /* OT_BAGGAGE_MAX_BYTES + 1, on first use */
    size_t len;
    unsigned members;
    unsigned invalid;           /* members dropped as malformed */
    int truncated;              /* a member did not fit: the list ends */
    struct {
        unsigned short off, len;
    } keys[OT_BAGGAGE_MAX_MEMBERS];
} ot_baggage;

/* An empty list whose buffer, when needed, comes from p. */
void ot_baggage_init(ot_baggage *b, apr_pool_t *p);

/* Add the members of a baggage header value of len bytes (several header
 * lines joined by ","); malformed members are skipped and counted. */
void ot_baggage_add_header(ot_baggage *b, const char *value, size_t len);

/* Add one member from a key (an RFC 7230 token, else the member is
 * invalid) and a raw value of vlen bytes, percent-encoded here. */
void ot_baggage_add_raw(ot_baggage *b, const char *key, size_t klen,
                        const char *value, size_t vlen);

/* The list, NULL-terminated, or NULL when it is empty. */
const char *ot_baggage_get(const ot_baggage *b);

/* Call fn for each member of a normalized list: its key, and its value
 * percent-decoded into raw bytes (properties are left out); key and value
 * are valid only during the call. */
typedef void (*ot_baggage_fn)(void *arg, const char *key, size_t klen,
                              const char *value, size_t vlen);
void ot_baggage_each(const char *list, ot_baggage_fn fn, void *arg);

/*
 * Percent-encode n bytes of s for a URI component (RFC 3986: all but
 * ALPHA, DIGIT, "-", ".", "_", "~"), as Jaeger's uberctx-* values are.
 * Returns a new string from p.
 */
char *ot_url_encode(apr_pool_t *p, const char *s, size_t n);

#endif /* OT_BAGGAGE_H */
