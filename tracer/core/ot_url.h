/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_url: the parts of a backend's absolute URL a CLIENT span records,
 * "scheme://[userinfo@]host[:port][path][?query][#fragment]", found in
 * one pass without copying (apr_uri_parse and apr_uri_unparse cost about
 * 3,200 instructions a call, most of a span's budget).  The URLs come
 * from mod_proxy, possibly built from the request (mod_rewrite [P]): any
 * bytes, never trusted.  Pure code: libc only.
 */

#ifndef OT_URL_H
#define OT_URL_H

#include <stddef.h>

typedef struct ot_url {
    const char *scheme;         /* up to the first ":", which "//"
                                 * must follow */
    size_t scheme_len;
    const char *hostport;       /* host[:port], the userinfo left out */
    size_t hostport_len;
    const char *host;           /* the host, without an IPv6 literal's [] */
    size_t host_len;
    int port;                   /* the port given, else 0 */
    const char *path;           /* from the first "/" after the authority
                                 * to "?" or "#", possibly empty */
    size_t path_len;
    const char *query;          /* after "?", to "#"; NULL when none */
    size_t query_len;
} ot_url;

/*
 * Split the NUL-terminated url.  Returns 0, or -1 when it is not an
 * absolute URL of that form (no "://", an empty scheme or host, a port
 * that is not 1 to 65535 digits' worth).
 */
int ot_url_parse(const char *url, ot_url *out);

#endif /* OT_URL_H */
