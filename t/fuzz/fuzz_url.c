/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for tracer/core/ot_url.c.  The input (up to its first
 * NUL) is a URL as mod_proxy may hand it over (mod_rewrite [P] builds them
 * from requests).  When it parses, every part lies inside the input, in
 * order, the host is inside hostport, the port is 1 to 65535 or absent,
 * and the parts joined again are a prefix of the input with the userinfo
 * left out.
 */

#include "ot_url.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *in = fuzz_cstr(p, data, size);
    const char *end = in + strlen(in);
    ot_url u;

    if (ot_url_parse(in, &u) == 0) {
        fuzz_check(u.scheme == in && u.scheme_len > 0);
        fuzz_check(memcmp(in + u.scheme_len, "://", 3) == 0);
        fuzz_check(u.hostport >= in + u.scheme_len + 3);
        fuzz_check(u.hostport + u.hostport_len == u.path);
        fuzz_check(u.host >= u.hostport && u.host_len > 0
              && u.host + u.host_len <= u.hostport + u.hostport_len);
        fuzz_check(u.port >= 0 && u.port <= 65535);
        fuzz_check(u.path + u.path_len <= end);
        fuzz_check(!memchr(u.path, '?', u.path_len)
              && !memchr(u.path, '#', u.path_len));
        fuzz_check(!memchr(u.hostport, '/', u.hostport_len)
              && !memchr(u.hostport, '@', u.hostport_len));
        if (u.query) {
            fuzz_check(u.query == u.path + u.path_len + 1);
            fuzz_check(u.query + u.query_len <= end);
            fuzz_check(!memchr(u.query, '#', u.query_len));
        }
    }
    apr_pool_destroy(p);
    return 0;
}
