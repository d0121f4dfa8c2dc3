/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_url.h"

#include <string.h>

/* One pass over the URL, character by character: the library's strstr
 * and strcspn cost more than these few bytes (strcspn builds a table on
 * every call). */
int ot_url_parse(const char *url, ot_url *out)
{
    const char *s, *a, *end, *at = NULL, *colon, *c;
    long port = 0;

    for (s = url; *s && *s != ':'; s++) {
        continue;
    }
    if (s == url || s[0] != ':' || s[1] != '/' || s[2] != '/') {
        return -1;
    }
    out->scheme = url;
    out->scheme_len = (size_t)(s - url);
    a = s + 3;
    /* the authority; userinfo up to its last "@" */
    for (end = a; *end && *end != '/' && *end != '?' && *end != '#'; end++) {
        if (*end == '@') {
            at = end;
        }
    }
    if (at) {
        a = at + 1;
    }
    out->hostport = a;
    out->hostport_len = (size_t)(end - a);
    if (*a == '[') {
        /* an IPv6 literal */
        const char *close = memchr(a, ']', (size_t)(end - a));

        if (!close) {
            return -1;
        }
        out->host = a + 1;
        out->host_len = (size_t)(close - a - 1);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (close + 1 < end && !colon) {
            return -1;
        }
    }
    else {
        colon = memchr(a, ':', (size_t)(end - a));
        out->host = a;
        out->host_len = (size_t)((colon ? colon : end) - a);
    }
    if (out->host_len == 0) {
        return -1;
    }
    if (colon) {
        for (c = colon + 1; c < end; c++) {
            if (*c < '0' || *c > '9' || port > 65535) {
                return -1;
            }
            port = port * 10 + (*c - '0');
        }
        if (port < 1 || port > 65535) {
            return -1;
        }
    }
    out->port = (int)port;
    out->path = end;
    for (c = end; *c && *c != '?' && *c != '#'; c++) {
        continue;
    }
    out->path_len = (size_t)(c - end);
    out->query = NULL;
    out->query_len = 0;
    if (*c == '?') {
        out->query = ++c;
        while (*c && *c != '#') {
            c++;
        }
        out->query_len = (size_t)(c - out->query);
    }
    return 0;
}
