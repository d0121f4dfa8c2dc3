/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_facts.h"

#include <string.h>

#include "ot_write.h"       /* OT_STR_ROOM, OT_VALUE_SHORT */

#define KEY_OF(lit) { (lit), (uint32_t)(sizeof(lit) - 1) }
#define DEF(f, cur, old, member, type)                                      \
    { { KEY_OF(cur), KEY_OF(old) }, OT_FACT_TYPE_##type,                  \
      (uint32_t)offsetof(ot_http_facts, member) },

const ot_fact_def ot_fact_defs[OT_FACT_COUNT] = { OT_FACTS_TABLE(DEF) };

/* The table's order is the enum's. */
#define CHECK(f, cur, old, member, type)                                    \
    _Static_assert(sizeof(cur) <= OT_FACT_KEY_MAX + 1                       \
                   && sizeof(old) <= OT_FACT_KEY_MAX + 1, "key too long");
OT_FACTS_TABLE(CHECK)
_Static_assert(OT_FACT_KEY_MAX <= OT_KEY_SHORT, "keys written as short ones");
#define ONE(f, cur, old, member, type) +1
_Static_assert(0 OT_FACTS_TABLE(ONE) == OT_FACT_COUNT, "a fact missing");

void ot_fact_attr(const ot_http_facts *h, unsigned f, unsigned name,
                  ot_attribute *a)
{
    const ot_fact_def *d = &ot_fact_defs[f];

    a->key = d->key[name];
    if (d->is_int) {
        a->type = OT_VALUE_INT;
        a->v.i = ot_fact_int(h, f);
    }
    else {
        a->type = OT_VALUE_STRING;
        a->v.s = ot_fact_str(h, f);
    }
}

uint32_t ot_facts_expand(const ot_http_facts *h, ot_attribute *out,
                         uint32_t max, uint32_t *dropped)
{
    uint32_t n = 0;
    unsigned f, name;

    for (f = 0; f < OT_FACT_COUNT; f++) {
        if (!(h->present & OT_FACT_BIT(f))) {
            continue;
        }
        for (name = 0; name < 2; name++) {
            if (!(h->names & (1u << name)) || !ot_fact_defs[f].key[name].len) {
                continue;
            }
            if (n < max) {
                ot_fact_attr(h, f, name, &out[n++]);
            }
            else {
                (*dropped)++;
            }
        }
    }
    return n;
}

uint64_t ot_facts_bound(const ot_http_facts *h, size_t lim, unsigned esc,
                        uint64_t attr_room)
{
    uint64_t n = 2 * (uint64_t)ot_facts_count(h) * attr_room;
    unsigned f, name;

    for (f = 0; f < OT_FACT_COUNT; f++) {
        if (!(h->present & OT_FACT_BIT(f))
            || (OT_FACTS_INT & OT_FACT_BIT(f))) {
            continue;
        }
        for (name = 0; name < 2; name++) {
            size_t len = ot_fact_str(h, f).len;

            if ((h->names & (1u << name)) && ot_fact_defs[f].key[name].len
                && (len < lim ? len : lim) > OT_VALUE_SHORT) {
                n += OT_STR_ROOM(len < lim ? len : lim, esc);
            }
        }
    }
    return n;
}

int ot_fact_by_key(const ot_http_facts *h, const char *key, size_t n,
                   unsigned *name)
{
    unsigned f, k;

    for (f = 0; f < OT_FACT_COUNT; f++) {
        for (k = 0; k < 2; k++) {
            const ot_str *s = &ot_fact_defs[f].key[k];

            if ((h->names & (1u << k)) && n && s->len == n
                && memcmp(s->ptr, key, n) == 0) {
                *name = k;
                return (int)f;
            }
        }
    }
    return -1;
}

const ot_span_record *ot_facts_flatten(const ot_span_record *src,
                                       ot_span_record *dst,
                                       ot_attribute *attrs, uint32_t max)
{
    const ot_http_facts *h = ot_record_facts(src);
    uint32_t n, room;

    if (!h) {
        return src;
    }
    *dst = *src;
    dst->http = NULL;
    n = ot_facts_expand(h, attrs, max, &dst->dropped_attributes);
    room = max - n;
    if (src->n_attributes > room) {
        dst->dropped_attributes += src->n_attributes - room;
    }
    if (src->attributes && src->n_attributes) {
        memcpy(attrs + n, src->attributes,
               (src->n_attributes < room ? src->n_attributes : room)
               * sizeof(*attrs));
        n += src->n_attributes < room ? src->n_attributes : room;
    }
    dst->attributes = n ? attrs : NULL;
    dst->n_attributes = n;
    return dst;
}
