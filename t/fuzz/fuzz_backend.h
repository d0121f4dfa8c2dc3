/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What the libFuzzer targets of tracer/core/ot_backend.c share (one target
 * per header: fuzz_backend_tag.c, ..._operation, ..._error, ..._event,
 * ..._span).  The input (up to its first NUL) is one field value, read
 * twice into one result; the invariants of the grammar are checked:
 *  - nothing beyond the limits; a value over OT_BACKEND_MAX_VALUE bytes or
 *    with a control character is taken as a whole as malformed;
 *  - what is taken obeys the grammar: tag keys are tokens of at most
 *    OT_BACKEND_MAX_KEY bytes outside the reserved prefixes, names are 1
 *    to OT_BACKEND_MAX_NAME bytes without control characters, values have
 *    no NUL, times are positive and spans end before INT64_MAX, kinds
 *    are OTLP's;
 *  - reading the same value again takes the same number of units.
 */

#ifndef FUZZ_BACKEND_H
#define FUZZ_BACKEND_H

#include "ot_backend.h"
#include "ot_fields.h"

#include "fuzz.h"

static int has_ctl(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 1;
        }
    }
    return 0;
}

static void check_name(const ot_str *s)
{
    fuzz_check(s->len >= 1 && s->len <= OT_BACKEND_MAX_NAME);
    fuzz_check(!has_ctl(s->ptr, s->len));
}

static void check_attrs(const ot_attribute *a, uint32_t n, int tags)
{
    uint32_t i, j;

    fuzz_check(n <= (tags ? OT_BACKEND_MAX_TAGS : OT_BACKEND_MAX_ATTRS));
    for (i = 0; i < n; i++) {
        fuzz_check(a[i].key.len >= 1 && a[i].key.len <= OT_BACKEND_MAX_KEY);
        for (j = 0; j < a[i].key.len; j++) {
            fuzz_check(ot_is_tchar((unsigned char)a[i].key.ptr[j]));
        }
        fuzz_check(a[i].type == OT_VALUE_STRING);
        fuzz_check(memchr(a[i].v.s.ptr, '\0', a[i].v.s.len) == NULL);
        for (j = 0; j < i; j++) {
            fuzz_check(a[j].key.len != a[i].key.len
                  || memcmp(a[j].key.ptr, a[i].key.ptr, a[i].key.len) != 0);
        }
        if (tags) {
            fuzz_check(!(a[i].key.len >= 5 && memcmp(a[i].key.ptr, "http.", 5) == 0));
        }
    }
}

static void check_result(const ot_backend *b)
{
    uint32_t i;

    fuzz_check(b->n_events <= OT_BACKEND_MAX_EVENTS);
    fuzz_check(b->n_spans <= OT_BACKEND_MAX_SPANS);
    check_attrs(b->tags, b->n_tags, 1);
    if (b->operation.ptr) {
        fuzz_check(b->operation.len >= 1 && b->operation.len <= OT_BACKEND_MAX_NAME);
        fuzz_check(memchr(b->operation.ptr, ',', b->operation.len) == NULL);
        fuzz_check(!has_ctl(b->operation.ptr, b->operation.len));
    }
    if (b->error.ptr) {
        fuzz_check(b->error.len >= 1 && b->error.len <= OT_BACKEND_MAX_ERROR);
        fuzz_check(!has_ctl(b->error.ptr, b->error.len));
    }
    for (i = 0; i < b->n_events; i++) {
        check_name(&b->events[i].name);
        fuzz_check(b->events[i].time_ns >= 0);
        check_attrs(b->events[i].attrs, b->events[i].n_attrs, 0);
    }
    for (i = 0; i < b->n_spans; i++) {
        const ot_backend_span *s = &b->spans[i];
        check_name(&s->name);
        fuzz_check(s->start_ns > 0 && s->duration_ns >= 0);
        fuzz_check(s->duration_ns <= INT64_MAX - s->start_ns);
        fuzz_check(s->kind >= OT_SPAN_KIND_INTERNAL
              && s->kind <= OT_SPAN_KIND_CONSUMER);
        fuzz_check(!s->error.ptr || memchr(s->error.ptr, '\0', s->error.len) == NULL);
        check_attrs(s->attrs, s->n_attrs, 0);
    }
}

/* Units taken so far. */
static unsigned taken(const ot_backend *b)
{
    return b->n_tags + b->n_events + b->n_spans + (b->operation.ptr != NULL)
           + (b->error.ptr != NULL);
}

static int fuzz_backend(ot_backend_field field, const uint8_t *data,
                        size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *in = fuzz_cstr(p, data, size);
    size_t n = strlen(in);
    ot_backend b;
    unsigned once, bad_once;

    ot_backend_init(&b, p);
    ot_backend_add(&b, field, in);
    check_result(&b);
    once = taken(&b);
    bad_once = b.malformed;
    if (n > OT_BACKEND_MAX_VALUE || has_ctl(in, n)) {
        fuzz_check(once == 0 && b.malformed == 1 && b.over_limit == 0);
    }
    /* again: the same units are malformed; list members already there
     * are replaced (tags) or counted (events, spans: over the limit or
     * taken twice) */
    ot_backend_add(&b, field, in);
    check_result(&b);
    fuzz_check(b.malformed == 2 * bad_once);
    if (field == OT_BACKEND_TAG || field == OT_BACKEND_OPERATION
        || field == OT_BACKEND_ERROR) {
        fuzz_check(taken(&b) == once);
    }
    else {
        fuzz_check(taken(&b) + b.over_limit >= 2 * once);
    }
    apr_pool_destroy(p);
    return 0;
}

#endif /* FUZZ_BACKEND_H */
