/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

long ot_url_decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
            return -1;
        }
        out[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
        i += 2;
    }
    return (long)o;
}

/* Copy [b, e) trimmed of spaces and tabs, percent-decoded (a NUL is not
 * allowed in what it decodes to). */
static char *dup_trim_decode(const char *b, const char *e, int decode)
{
    char *out;
    long n;

    while (b < e && (*b == ' ' || *b == '\t')) {
        b++;
    }
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    out = malloc((size_t)(e - b) + 1);
    if (!out) {
        return NULL;
    }
    if (!decode) {
        n = e - b;
        memcpy(out, b, (size_t)n);
    }
    else if ((n = ot_url_decode(b, (size_t)(e - b), out)) < 0
             || memchr(out, '\0', (size_t)n)) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

int ot_env_parse_list(const char *s, ot_kv **out, size_t *n, char *err,
                      size_t errlen)
{
    const char *p, *end, *eq;
    size_t count = 1, i = 0;
    ot_kv *kv;

    *out = NULL;
    *n = 0;
    for (p = s; *p; p++) {
        count += *p == ',';
    }
    kv = calloc(count, sizeof(*kv));
    if (!kv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (p = s; ; p = end + 1) {
        end = strchr(p, ',');
        if (!end) {
            end = p + strlen(p);
        }
        eq = memchr(p, '=', (size_t)(end - p));
        if (!eq) {
            /* an empty member (",,", trailing ",") is allowed */
            const char *q = p;
            while (q < end && (*q == ' ' || *q == '\t')) {
                q++;
            }
            if (q != end) {
                snprintf(err, errlen, "\"%.*s\" is not key=value",
                         (int)(end - p), p);
                goto fail;
            }
        }
        else {
            kv[i].key = dup_trim_decode(p, eq, 0);
            kv[i].value = dup_trim_decode(eq + 1, end, 1);
            if (!kv[i].key || !kv[i].value) {
                free(kv[i].key);
                free(kv[i].value);
                snprintf(err, errlen, "bad percent-encoding in \"%.*s\"",
                         (int)(end - p), p);
                goto fail;
            }
            if (!*kv[i].key) {
                free(kv[i].key);
                free(kv[i].value);
                snprintf(err, errlen, "empty key in \"%.*s\"",
                         (int)(end - p), p);
                goto fail;
            }
            i++;
        }
        if (!*end) {
            break;
        }
    }
    *out = kv;
    *n = i;
    return 0;
fail:
    ot_kv_free(kv, i);
    return -1;
}

const char *ot_env_get2(const char *specific, const char *general)
{
    const char *v = specific ? getenv(specific) : NULL;

    if (v && *v) {
        return v;
    }
    v = general ? getenv(general) : NULL;
    return v && *v ? v : NULL;
}
