/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_query: url.query with the values of secret-bearing keys redacted
 * (see ot_query.h). */

#include <string.h>

#include "ot_query.h"

#define REDACTED_LEN (sizeof(OT_QUERY_REDACTED) - 1)

const char *const ot_query_default_keys[] = {
    "AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature", NULL
};

static int key_in(const char *key, size_t n, const char *const *list,
                  size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (strncmp(list[i], key, n) == 0 && list[i][n] == '\0') {
            return 1;
        }
    }
    return 0;
}

static int redacted_key(const char *key, size_t n, const char *const *keys,
                        size_t n_keys)
{
    return key_in(key, n, ot_query_default_keys,
                  sizeof(ot_query_default_keys)
                  / sizeof(ot_query_default_keys[0]) - 1)
           || key_in(key, n, keys, n_keys);
}

const char *ot_query_redact(apr_pool_t *p, const char *query,
                            const char *const *keys, size_t n_keys,
                            size_t *len)
{
    const char *s = query, *amp, *eq, *value, *end;
    char *out = NULL, *o = NULL;
    size_t n;

    for (;;) {
        /* one parameter: [s, end) */
        amp = strchr(s, '&');
        end = amp ? amp : s + strlen(s);
        eq = memchr(s, '=', (size_t)(end - s));
        if (eq && eq + 1 < end && eq > s
            && redacted_key(s, (size_t)(eq - s), keys, n_keys)) {
            value = eq + 1;
            if (!out) {
                /* First match: everything before it is copied as is; each
                 * parameter from here on grows by REDACTED at most. */
                const char *q;
                size_t params = 1, before = (size_t)(value - query);

                for (q = end; (q = strchr(q, '&')); q++) {
                    params++;
                }
                out = apr_palloc(p, before + strlen(value)
                                    + params * REDACTED_LEN + 1);
                memcpy(out, query, before);
                o = out + before;
            }
            else {
                n = (size_t)(value - s);
                memcpy(o, s, n);
                o += n;
            }
            memcpy(o, OT_QUERY_REDACTED, REDACTED_LEN);
            o += REDACTED_LEN;
        }
        else if (out) {
            n = (size_t)(end - s);
            memcpy(o, s, n);
            o += n;
        }
        if (!amp) {
            break;
        }
        if (out) {
            *o++ = '&';
        }
        s = amp + 1;
    }
    if (!out) {
        if (len) {
            *len = (size_t)(end - query);
        }
        return query;
    }
    *o = '\0';
    if (len) {
        *len = (size_t)(o - out);
    }
    return out;
}
