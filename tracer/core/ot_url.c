/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_url.h"

#include <string.h>

int ot_url_parse(const char *url, ot_url *out)
{
    const char *s = strstr(url, "://"), *a, *end, *at, *colon, *c;
    long port = 0;

    if (!s || s == url) {
        return -1;
    }
    out->scheme = url;
    out->scheme_len = (size_t)(s - url);
    a = s + 3;
    end = a + strcspn(a, "/?#");
    /* userinfo: up to the last "@" of the authority */
    for (at = NULL, c = a; c < end; c++) {
        if (*c == '@') {
            at = c;
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
    out->path_len = strcspn(end, "?#");
    if (end[out->path_len] == '?') {
        out->query = end + out->path_len + 1;
        out->query_len = strcspn(out->query, "#");
    }
    else {
        out->query = NULL;
        out->query_len = 0;
    }
    return 0;
}
