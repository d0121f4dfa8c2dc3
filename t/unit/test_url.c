/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_url_parse: the parts of a backend URL a CLIENT span records. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ot_url.h"

typedef struct url_case {
    const char *url;
    int ok;
    const char *scheme, *hostport, *host;
    int port;
    const char *path, *query;   /* query NULL: none */
} url_case;

static const url_case cases[] = {
    { "http://127.0.0.1:8080/a/b?x=1&y=2", 1, "http", "127.0.0.1:8080",
      "127.0.0.1", 8080, "/a/b", "x=1&y=2" },
    { "http://example.test", 1, "http", "example.test", "example.test", 0,
      "", NULL },
    { "https://user:pw@h.test:8443/p", 1, "https", "h.test:8443", "h.test",
      8443, "/p", NULL },
    /* the last "@" of the authority ends the userinfo */
    { "http://a@b@h.test/", 1, "http", "h.test", "h.test", 0, "/", NULL },
    /* an "@" after the authority is the path's */
    { "http://h.test/x@y", 1, "http", "h.test", "h.test", 0, "/x@y", NULL },
    { "http://[::1]:81/q?", 1, "http", "[::1]:81", "::1", 81, "/q", "" },
    { "http://[2001:db8::1]/", 1, "http", "[2001:db8::1]", "2001:db8::1", 0,
      "/", NULL },
    { "fcgi://127.0.0.1:9000/app.php?a=b#frag", 1, "fcgi", "127.0.0.1:9000",
      "127.0.0.1", 9000, "/app.php", "a=b" },
    { "http://h.test?q=1", 1, "http", "h.test", "h.test", 0, "", "q=1" },
    { "http://h.test#f", 1, "http", "h.test", "h.test", 0, "", NULL },
    { "h2c://h.test:65535/", 1, "h2c", "h.test:65535", "h.test", 65535, "/",
      NULL },
    /* not what a CLIENT span can use */
    { "/relative/path", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "://h.test/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http:///path", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://user@/path", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://h.test:/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://h.test:0/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://h.test:65536/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://h.test:99999999999999999999/", 0, NULL, NULL, NULL, 0, NULL,
      NULL },
    { "http://h.test:8x/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://[::1/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "http://[::1]x/", 0, NULL, NULL, NULL, 0, NULL, NULL },
    { "", 0, NULL, NULL, NULL, 0, NULL, NULL },
};

static int same(const char *p, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(p, want, n) == 0;
}

static void test_cases(void **state)
{
    size_t i;
    ot_url u;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const url_case *c = &cases[i];
        int r = ot_url_parse(c->url, &u);

        if ((r == 0) != c->ok) {
            print_error("case %zu (%s): got %d\n", i, c->url, r);
            fail();
        }
        if (!c->ok) {
            continue;
        }
        if (!same(u.scheme, u.scheme_len, c->scheme)
            || !same(u.hostport, u.hostport_len, c->hostport)
            || !same(u.host, u.host_len, c->host) || u.port != c->port
            || !same(u.path, u.path_len, c->path)
            || (c->query == NULL) != (u.query == NULL)
            || (c->query && !same(u.query, u.query_len, c->query))) {
            print_error("case %zu (%s): %.*s | %.*s | %.*s | %d | %.*s\n", i,
                        c->url, (int)u.scheme_len, u.scheme,
                        (int)u.hostport_len, u.hostport, (int)u.host_len,
                        u.host, u.port, (int)u.path_len, u.path);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
