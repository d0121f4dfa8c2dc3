/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_backend.h"

#include <string.h>
#include <strings.h>

#include "ot_env.h"         /* ot_url_decode (sdk) */
#include "ot_fields.h"      /* ot_ows_trim, ot_hex_decode, classes */
#include "ot_span.h"        /* ot_span_module_key */

/* A member's parameters: at most this many ";"-separated parts (the name,
 * the attributes, start, dur, id, kind, error). */
#define MAX_PARTS (1 + OT_BACKEND_MAX_ATTRS + 5)

ot_backend_field ot_backend_field_of(const char *name)
{
    /* The common case, a header that is not ours, in one or two
     * compares. */
    if ((name[0] != 'T' && name[0] != 't')
        || strncasecmp(name, "Trace-", 6) != 0) {
        return OT_BACKEND_NONE;
    }
    name += 6;
    if (strcasecmp(name, "Tag") == 0) {
        return OT_BACKEND_TAG;
    }
    if (strcasecmp(name, "Operation") == 0) {
        return OT_BACKEND_OPERATION;
    }
    if (strcasecmp(name, "Error") == 0) {
        return OT_BACKEND_ERROR;
    }
    if (strcasecmp(name, "Event") == 0) {
        return OT_BACKEND_EVENT;
    }
    if (strcasecmp(name, "Span") == 0) {
        return OT_BACKEND_SPAN;
    }
    return OT_BACKEND_NONE;
}

void ot_backend_init(ot_backend *b, apr_pool_t *p)
{
    b->pool = p;
    b->operation.ptr = b->error.ptr = NULL;
    b->operation.len = b->error.len = 0;
    b->n_tags = b->n_events = b->n_spans = 0;
    b->fields = b->malformed = b->over_limit = 0;
}

/* A control character (CTL but HTAB): never in a field value. */
static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}


/* A name or value: baggage-octets, percent-decoded.  A name (1 to
 * OT_BACKEND_MAX_NAME bytes) may not decode to a control character, a
 * value not to NUL.  Returns non-zero when malformed. */
static int decode(ot_backend *b, const char *s, size_t n, int is_name,
                  ot_str *out)
{
    int pct = 0;
    char *buf;
    long len;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!ot_is_baggage_octet((unsigned char)s[i])) {
            return 1;
        }
        pct |= s[i] == '%';
    }
    out->ptr = s;
    out->len = (uint32_t)n;
    if (pct) {
        buf = apr_palloc(b->pool, n + 1);
        if ((len = ot_url_decode(s, n, buf)) < 0) {
            return 1;
        }
        out->ptr = buf;
        out->len = (uint32_t)len;
        for (i = 0; i < (size_t)len; i++) {
            if (buf[i] == '\0' || (is_name && is_ctl((unsigned char)buf[i]))) {
                return 1;
            }
        }
    }
    return is_name && (out->len == 0 || out->len > OT_BACKEND_MAX_NAME);
}

/* "key OWS = OWS value": the key a token of at most OT_BACKEND_MAX_KEY
 * bytes, the value not yet decoded.  Non-zero when malformed. */
static int split_param(const char *s, size_t n, const char **k, size_t *kl,
                       const char **v, size_t *vl)
{
    const char *eq = memchr(s, '=', n);
    size_t i;

    if (!eq) {
        return 1;
    }
    *k = s;
    *kl = (size_t)(eq - s);
    *v = eq + 1;
    *vl = n - *kl - 1;
    ot_ows_trim(k, kl);
    ot_ows_trim(v, vl);
    if (*kl == 0 || *kl > OT_BACKEND_MAX_KEY) {
        return 1;
    }
    for (i = 0; i < *kl; i++) {
        if (!ot_is_tchar((unsigned char)(*k)[i])) {
            return 1;
        }
    }
    return 0;
}

static int key_is(const char *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* 1*19DIGIT with a unit (ns, us, ms, s), or none when a default is
 * allowed (def_ns non-zero); the result in ns must fit.  Non-zero when
 * malformed. */
static int parse_time(const char *s, size_t n, int64_t def_ns, int64_t *out)
{
    int64_t v = 0, unit;
    size_t i;

    for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (i == 19 || v > (INT64_MAX - (s[i] - '0')) / 10) {
            return 1;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0) {
        return 1;
    }
    s += i;
    n -= i;
    if (n == 0 && def_ns) {
        unit = def_ns;
    }
    else if (n == 2 && memcmp(s, "ns", 2) == 0) {
        unit = 1;
    }
    else if (n == 2 && memcmp(s, "us", 2) == 0) {
        unit = 1000;
    }
    else if (n == 2 && memcmp(s, "ms", 2) == 0) {
        unit = 1000000;
    }
    else if (n == 1 && s[0] == 's') {
        unit = 1000000000;
    }
    else {
        return 1;
    }
    if (v > INT64_MAX / unit) {
        return 1;
    }
    *out = v * unit;
    return 0;
}

static int parse_kind(const char *s, size_t n, ot_span_kind *kind)
{
    static const struct {
        const char *name;
        ot_span_kind kind;
    } kinds[] = {
        { "internal", OT_SPAN_KIND_INTERNAL },
        { "server", OT_SPAN_KIND_SERVER },
        { "client", OT_SPAN_KIND_CLIENT },
        { "producer", OT_SPAN_KIND_PRODUCER },
        { "consumer", OT_SPAN_KIND_CONSUMER },
    };
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (key_is(s, n, kinds[i].name)) {
            *kind = kinds[i].kind;
            return 0;
        }
    }
    return 1;
}

/* The attributes of one event or span being read. */
typedef struct attr_list {
    ot_attribute a[OT_BACKEND_MAX_ATTRS];
    uint32_t n;
} attr_list;

/* Add key=value (value not yet decoded) to l; a key twice, or one too
 * many, is malformed. */
static int attr_add(ot_backend *b, attr_list *l, const char *k, size_t kl,
                    const char *v, size_t vl)
{
    ot_attribute *a;
    uint32_t i;

    for (i = 0; i < l->n; i++) {
        if (l->a[i].key.len == kl && memcmp(l->a[i].key.ptr, k, kl) == 0) {
            return 1;
        }
    }
    if (l->n == OT_BACKEND_MAX_ATTRS) {
        return 1;
    }
    a = &l->a[l->n];
    a->key.ptr = k;
    a->key.len = (uint32_t)kl;
    a->type = OT_VALUE_STRING;
    if (decode(b, v, vl, 0, &a->v.s)) {
        return 1;
    }
    l->n++;
    return 0;
}

/* l's attributes, in the pool. */
static ot_attribute *attr_keep(ot_backend *b, const attr_list *l)
{
    ot_attribute *a;

    if (!l->n) {
        return NULL;
    }
    a = apr_palloc(b->pool, l->n * sizeof(*a));
    memcpy(a, l->a, l->n * sizeof(*a));
    return a;
}

/* Split a member at ";" into its name and parameters, each trimmed.
 * Returns how many, or -1 when there are too many or one is empty. */
static int split_parts(const char *s, size_t n, const char **f, size_t *fl)
{
    int count = ot_split(s, n, ';', MAX_PARTS, f, fl), i;

    for (i = 0; i < count; i++) {
        ot_ows_trim(&f[i], &fl[i]);
        if (fl[i] == 0) {
            return -1;
        }
    }
    return count;
}

/* One Trace-Tag member. */
static void tag_member(ot_backend *b, const char *s, size_t n)
{
    const char *k, *v;
    size_t kl, vl;
    ot_str val;
    uint32_t i;

    if (split_param(s, n, &k, &kl, &v, &vl) || ot_span_module_key(k, kl)
        || decode(b, v, vl, 0, &val)) {
        b->malformed++;
        return;
    }
    for (i = 0; i < b->n_tags; i++) {
        if (b->tags[i].key.len == kl && memcmp(b->tags[i].key.ptr, k, kl) == 0) {
            b->tags[i].v.s = val;
            return;
        }
    }
    if (b->n_tags == OT_BACKEND_MAX_TAGS) {
        b->over_limit++;
        return;
    }
    b->tags[b->n_tags].key.ptr = k;
    b->tags[b->n_tags].key.len = (uint32_t)kl;
    b->tags[b->n_tags].type = OT_VALUE_STRING;
    b->tags[b->n_tags].v.s = val;
    b->n_tags++;
}

/* One Trace-Event member: name *( ";" ( "ts=" time / key=value ) ). */
static int event_member(ot_backend *b, const char *s, size_t n)
{
    const char *f[MAX_PARTS], *k, *v;
    size_t fl[MAX_PARTS], kl, vl;
    ot_backend_event ev;
    attr_list l;
    int count = split_parts(s, n, f, fl), i, have_ts = 0;

    if (count < 1 || decode(b, f[0], fl[0], 1, &ev.name)) {
        return 1;
    }
    ev.time_ns = 0;
    l.n = 0;
    for (i = 1; i < count; i++) {
        if (split_param(f[i], fl[i], &k, &kl, &v, &vl)) {
            return 1;
        }
        if (key_is(k, kl, "ts")) {
            if (have_ts++ || parse_time(v, vl, 1, &ev.time_ns)
                || ev.time_ns == 0) {
                return 1;
            }
        }
        else if (attr_add(b, &l, k, kl, v, vl)) {
            return 1;
        }
    }
    if (b->n_events == OT_BACKEND_MAX_EVENTS) {
        b->over_limit++;
        return 0;
    }
    ev.attrs = attr_keep(b, &l);
    ev.n_attrs = l.n;
    b->events[b->n_events++] = ev;
    return 0;
}

/* One Trace-Span member: name, then start= and dur= (once each),
 * optionally id=, kind=, error=, and attributes. */
static int span_member(ot_backend *b, const char *s, size_t n)
{
    const char *f[MAX_PARTS], *k, *v;
    size_t fl[MAX_PARTS], kl, vl;
    ot_backend_span sp;
    attr_list l;
    int count = split_parts(s, n, f, fl), i;
    int have_start = 0, have_dur = 0, have_kind = 0;

    memset(&sp, 0, sizeof(sp));
    if (count < 1 || decode(b, f[0], fl[0], 1, &sp.name)) {
        return 1;
    }
    sp.kind = OT_SPAN_KIND_INTERNAL;
    l.n = 0;
    for (i = 1; i < count; i++) {
        if (split_param(f[i], fl[i], &k, &kl, &v, &vl)) {
            return 1;
        }
        if (key_is(k, kl, "start")) {
            if (have_start++ || parse_time(v, vl, 1, &sp.start_ns)
                || sp.start_ns == 0) {
                return 1;
            }
        }
        else if (key_is(k, kl, "dur")) {
            if (have_dur++ || parse_time(v, vl, 0, &sp.duration_ns)) {
                return 1;
            }
        }
        else if (key_is(k, kl, "id")) {
            static const uint8_t zero[8];
            if (sp.has_span_id++ || vl != 16
                || ot_hex_decode(v, sp.span_id, 8)
                || memcmp(sp.span_id, zero, 8) == 0) {
                return 1;
            }
        }
        else if (key_is(k, kl, "kind")) {
            if (have_kind++ || parse_kind(v, vl, &sp.kind)) {
                return 1;
            }
        }
        else if (key_is(k, kl, "error")) {
            if (sp.error.ptr || decode(b, v, vl, 0, &sp.error)) {
                return 1;
            }
        }
        else if (attr_add(b, &l, k, kl, v, vl)) {
            return 1;
        }
    }
    if (!have_start || !have_dur
        || sp.duration_ns > INT64_MAX - sp.start_ns) {
        return 1;
    }
    if (b->n_spans == OT_BACKEND_MAX_SPANS) {
        b->over_limit++;
        return 0;
    }
    sp.attrs = attr_keep(b, &l);
    sp.n_attrs = l.n;
    b->spans[b->n_spans++] = sp;
    return 0;
}

/* Trace-Operation (no ",") and Trace-Error: visible text, SP and HTAB
 * inside, 1 to max bytes once trimmed. */
static int text_value(const char *v, size_t n, size_t max, int comma_ok,
                      ot_str *out)
{
    size_t i;

    ot_ows_trim(&v, &n);
    if (n == 0 || n > max) {
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (v[i] == ',' && !comma_ok) {
            return 1;
        }
    }
    out->ptr = v;
    out->len = (uint32_t)n;
    return 0;
}

void ot_backend_add(ot_backend *b, ot_backend_field field, const char *value)
{
    size_t n, i, start;

    if (++b->fields > OT_BACKEND_MAX_FIELDS) {
        b->over_limit++;
        return;
    }
    for (n = 0; value[n]; n++) {
        if (n == OT_BACKEND_MAX_VALUE || is_ctl((unsigned char)value[n])) {
            b->malformed++;
            return;
        }
    }
    switch (field) {
    case OT_BACKEND_OPERATION:
        if (text_value(value, n, OT_BACKEND_MAX_NAME, 0, &b->operation)) {
            b->malformed++;
        }
        return;
    case OT_BACKEND_ERROR:
        if (text_value(value, n, OT_BACKEND_MAX_ERROR, 1, &b->error)) {
            b->malformed++;
        }
        return;
    case OT_BACKEND_NONE:
        return;
    default:
        break;
    }
    /* A list: members between ",", empty ones skipped (RFC 9110 5.6.1). */
    for (start = 0, i = 0; i <= n; i++) {
        const char *m = value + start;
        size_t ml = i - start;

        if (i < n && value[i] != ',') {
            continue;
        }
        start = i + 1;
        ot_ows_trim(&m, &ml);
        if (ml == 0) {
            continue;
        }
        if (field == OT_BACKEND_TAG) {
            tag_member(b, m, ml);
        }
        else if (field == OT_BACKEND_EVENT ? event_member(b, m, ml)
                                           : span_member(b, m, ml)) {
            b->malformed++;
        }
    }
}
