/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_baggage.h"

#include <string.h>

#include "ot_env.h"        /* ot_url_decode (sdk) */
#include "ot_fields.h"     /* ot_ows_trim */

/*
 * Character classes: RFC 7230 tchar (keys); the W3C baggage-octet, %x21 /
 * %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (values); RFC 3986 unreserved
 * (what a URI component keeps unencoded).
 */
#define C_TOKEN 0x01
#define C_OCTET 0x02
#define C_UNRES 0x04

static unsigned class_of(unsigned char c)
{
    unsigned k = 0;

    if (c == '-' || c == '.' || c == '_' || c == '~'
        || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')) {
        k |= C_UNRES;
    }
    if (ot_is_tchar(c)) {
        k |= C_TOKEN;
    }
    if (ot_is_baggage_octet(c)) {
        k |= C_OCTET;
    }
    return k;
}

static const char hexdig[] = "0123456789ABCDEF";

/* Percent-encode the n bytes of s that are not of class keep into out
 * (room for 3n bytes); returns the length written. */
static size_t pct_encode(const char *s, size_t n, unsigned keep, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((class_of(c) & keep) && c != '%') {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '%';
            out[o++] = hexdig[c >> 4];
            out[o++] = hexdig[c & 15];
        }
    }
    return o;
}

char *ot_url_encode(apr_pool_t *p, const char *s, size_t n)
{
    char *out = apr_palloc(p, 3 * n + 1);

    out[pct_encode(s, n, C_UNRES, out)] = '\0';
    return out;
}

void ot_baggage_init(ot_baggage *b, apr_pool_t *p)
{
    b->pool = p;
    b->buf = NULL;
    b->len = 0;
    b->members = 0;
    b->invalid = 0;
    b->truncated = 0;
}

const char *ot_baggage_get(const ot_baggage *b)
{
    return b->len ? b->buf : NULL;
}

static int all_of(const char *s, size_t n, unsigned cls)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!(class_of((unsigned char)s[i]) & cls)) {
            return 0;
        }
    }
    return 1;
}

/*
 * Make room for a member of n bytes with key k (klen): the place to write
 * it (after the "," that joins it), or NULL when the key is already there
 * (the first one wins) or the member does not fit (the list ends).
 */
static char *member_room(ot_baggage *b, const char *k, size_t klen,
                         size_t n)
{
    size_t need = n + (b->len > 0);
    unsigned i;
    char *at;

    if (b->truncated) {
        return NULL;
    }
    for (i = 0; i < b->members; i++) {
        if (b->keys[i].len == klen
            && memcmp(b->buf + b->keys[i].off, k, klen) == 0) {
            return NULL;
        }
    }
    if (b->members == OT_BAGGAGE_MAX_MEMBERS
        || need > OT_BAGGAGE_MAX_BYTES - b->len) {
        b->truncated = 1;
        return NULL;
    }
    if (!b->buf) {
        b->buf = apr_palloc(b->pool, OT_BAGGAGE_MAX_BYTES + 1);
    }
    at = b->buf + b->len;
    if (b->len) {
        *at++ = ',';
    }
    b->keys[b->members].off = (unsigned short)(at - b->buf);
    b->keys[b->members].len = (unsigned short)klen;
    b->members++;
    b->len += need;
    b->buf[b->len] = '\0';
    return at;
}

/* Trim OWS from both ends of [*s, *e). */
static void trim(const char **s, const char **e)
{
    size_t n = (size_t)(*e - *s);

    ot_ows_trim(s, &n);
    *e = *s + n;
}

/*
 * One list-member or property in [s, e):
 *   key OWS "=" OWS value   (value = *baggage-octet)
 *   key OWS                 (a property only: need_value == 0)
 * Sets the key and value (value NULL for a bare key); 0 when valid.
 */
static int parse_pair(const char *s, const char *e, int need_value,
                      const char **k, size_t *klen, const char **v,
                      size_t *vlen)
{
    const char *eq = memchr(s, '=', (size_t)(e - s));
    const char *ke = eq ? eq : e, *vs;

    trim(&s, &ke);
    if (s == ke || !all_of(s, (size_t)(ke - s), C_TOKEN)) {
        return -1;
    }
    *k = s;
    *klen = (size_t)(ke - s);
    if (!eq) {
        *v = NULL;
        *vlen = 0;
        return need_value ? -1 : 0;
    }
    vs = eq + 1;
    trim(&vs, &e);
    if (!all_of(vs, (size_t)(e - vs), C_OCTET)) {
        return -1;
    }
    *v = vs;
    *vlen = (size_t)(e - vs);
    return 0;
}

/* Normalize the member in [s, e) into out (room for e - s bytes): the
 * pairs without OWS.  Returns the length, or 0 when it is malformed. */
static size_t normalize_member(const char *s, const char *e, char *out,
                               const char **key, size_t *klen)
{
    const char *k, *v, *semi;
    size_t kl, vl, o = 0;
    int first = 1;

    while (s <= e) {
        semi = memchr(s, ';', (size_t)(e - s));
        if (!semi) {
            semi = e;
        }
        if (parse_pair(s, semi, first, &k, &kl, &v, &vl) != 0) {
            return 0;
        }
        if (first) {
            *key = k;
            *klen = kl;
        }
        else {
            out[o++] = ';';
        }
        memcpy(out + o, k, kl);
        o += kl;
        if (v) {
            out[o++] = '=';
            memcpy(out + o, v, vl);
            o += vl;
        }
        first = 0;
        s = semi + 1;
    }
    return o;
}

void ot_baggage_add_header(ot_baggage *b, const char *value, size_t len)
{
    const char *s = value, *end = value + len, *e, *next, *key;
    char *tmp = NULL, *at;
    size_t n, klen;

    for (; s < end && !b->truncated; s = next) {
        e = memchr(s, ',', (size_t)(end - s));
        next = e ? e + 1 : end;
        if (!e) {
            e = end;
        }
        trim(&s, &e);
        if (s == e) {
            continue;           /* an empty member, as OWS "," OWS allows */
        }
        if (!tmp) {
            tmp = apr_palloc(b->pool, len);
        }
        n = normalize_member(s, e, tmp, &key, &klen);
        if (n == 0) {
            b->invalid++;
        }
        else if ((at = member_room(b, key, klen, n)) != NULL) {
            memcpy(at, tmp, n);
        }
    }
}

void ot_baggage_add_raw(ot_baggage *b, const char *key, size_t klen,
                        const char *value, size_t vlen)
{
    char *tmp, *at;
    size_t n;

    if (klen == 0 || !all_of(key, klen, C_TOKEN)) {
        b->invalid++;
        return;
    }
    tmp = apr_palloc(b->pool, klen + 1 + 3 * vlen);
    memcpy(tmp, key, klen);
    tmp[klen] = '=';
    n = klen + 1 + pct_encode(value, vlen, C_OCTET, tmp + klen + 1);
    if ((at = member_room(b, key, klen, n)) != NULL) {
        memcpy(at, tmp, n);
    }
}

void ot_baggage_each(const char *list, ot_baggage_fn fn, void *arg)
{
    const char *s = list, *e, *eq, *v, *ve;
    char buf[OT_BAGGAGE_MAX_BYTES];
    long n;

    while (s && *s) {
        e = strchr(s, ',');
        if (!e) {
            e = s + strlen(s);
        }
        eq = memchr(s, '=', (size_t)(e - s));
        if (eq && (size_t)(e - s) <= sizeof(buf)) {
            v = eq + 1;
            ve = memchr(v, ';', (size_t)(e - v));
            if (!ve) {
                ve = e;
            }
            /* a "%" without two hex digits stands for itself */
            n = ot_url_decode(v, (size_t)(ve - v), buf);
            if (n < 0) {
                memcpy(buf, v, (size_t)(ve - v));
                n = ve - v;
            }
            fn(arg, s, (size_t)(eq - s), buf, (size_t)n);
        }
        s = *e ? e + 1 : e;
    }
}
