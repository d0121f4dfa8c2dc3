/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_otlp_response.h"

#include <stdio.h>
#include <string.h>

/* Read a varint at *p (< end); -1 when truncated or too long. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    int shift = 0;

    *v = 0;
    while (*p < end && shift < 64) {
        uint8_t c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* Copy a string for a log line: printable ASCII, others as '?'. */
static void copy_msg(char *msg, size_t msglen, const char *s, size_t n)
{
    size_t i;

    if (!msglen) {
        return;
    }
    if (n > msglen - 1) {
        n = msglen - 1;
    }
    for (i = 0; i < n; i++) {
        msg[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }
    msg[n] = '\0';
}

/* Skip or read the fields of [p, end); depth 0 is the response, 1 the
 * partial_success message. */
static int64_t walk(const uint8_t *p, const uint8_t *end, char *msg,
                    size_t msglen, int depth)
{
    uint64_t key, v;
    int64_t rejected = 0;

    while (p < end) {
        if (get_varint(&p, end, &key) != 0) {
            return rejected;
        }
        switch (key & 7) {
        case 0:     /* varint */
            if (get_varint(&p, end, &v) != 0) {
                return rejected;
            }
            if (depth == 1 && (key >> 3) == 1) {
                rejected = (int64_t)v;
            }
            break;
        case 2:     /* length-delimited */
            if (get_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) {
                return rejected;
            }
            if (depth == 0 && (key >> 3) == 1) {
                return walk(p, p + v, msg, msglen, 1);
            }
            if (depth == 1 && (key >> 3) == 2) {
                copy_msg(msg, msglen, (const char *)p, (size_t)v);
            }
            p += v;
            break;
        case 1:     /* fixed64 */
            if (end - p < 8) {
                return rejected;
            }
            p += 8;
            break;
        case 5:     /* fixed32 */
            if (end - p < 4) {
                return rejected;
            }
            p += 4;
            break;
        default:    /* groups and invalid wire types: stop */
            return rejected;
        }
    }
    return rejected;
}

int64_t ot_otlp_partial_proto(const uint8_t *body, size_t len, char *msg,
                              size_t msglen)
{
    if (msglen) {
        msg[0] = '\0';
    }
    return walk(body, body + len, msg, msglen, 0);
}

/* The position just after "key" and the colon after it, or NULL. */
static const char *find_key(const char *b, const char *end, const char *key)
{
    size_t kl = strlen(key);
    const char *p;

    for (p = b; p + kl <= end; p++) {
        if (memcmp(p, key, kl) == 0) {
            p += kl;
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'
                               || *p == '\r' || *p == ':')) {
                p++;
            }
            return p;
        }
    }
    return NULL;
}

int64_t ot_otlp_partial_json(const char *body, size_t len, char *msg,
                             size_t msglen)
{
    const char *end = body + len, *p, *q;
    int64_t n = 0;

    if (msglen) {
        msg[0] = '\0';
    }
    /* A scan is enough for two scalar fields; the count is an int64, so a
     * string or a number in OTLP/JSON. */
    if ((p = find_key(body, end, "\"errorMessage\"")) && p < end
        && *p == '"') {
        for (q = ++p; q < end && *q != '"'; q++) {
            if (*q == '\\' && q + 1 < end) {
                q++;
            }
        }
        copy_msg(msg, msglen, p, (size_t)(q - p));
    }
    if ((p = find_key(body, end, "\"rejectedSpans\""))) {
        if (p < end && *p == '"') {
            p++;
        }
        while (p < end && *p >= '0' && *p <= '9'
               && n < (INT64_MAX - 9) / 10) {
            n = n * 10 + (*p++ - '0');
        }
    }
    return n;
}
