/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_zipkin_json.c: the Zipkin v2 JSON encoder (see ot_zipkin_json.h).
 *
 * One Zipkin span per OpenTelemetry span, fields in this order, those
 * without a value left out (the OpenTelemetry mapping's "Request Payload":
 * absent fields SHOULD be omitted):
 *
 *   traceId         32 lowercase hex digits
 *   parentId        16 hex digits, only when the parent id is not zero
 *   id              16 hex digits
 *   kind            SERVER, CLIENT, PRODUCER, CONSUMER; left out for
 *                   INTERNAL and UNSPECIFIED ("must be omitted")
 *   name            as given, left out when empty (the Zipkin server
 *                   lowercases names itself)
 *   timestamp       start, epoch microseconds (truncated); left out when
 *                   the start is not after the epoch
 *   duration        (end - start) in microseconds, truncated ("1234
 *                   nanoseconds will be represented as 1 microsecond"),
 *                   at least 1 ("durations of less than one are rounded
 *                   up"); only with a timestamp and an end
 *   localEndpoint   {"serviceName": the resource's service.name}, or
 *                   "unknown_service", the SDK default, when it has none
 *   remoteEndpoint  the client of a server span: client.address (else
 *                   network.peer.address) as ipv4 or ipv6 when it is an IP
 *                   literal, IPv4-mapped IPv6 as ipv4 (the Zipkin API:
 *                   "prefer using the ipv4 field for mapped addresses"),
 *                   and network.peer.port as port when that port belongs
 *                   to that address
 *   annotations     one per event: the event time, and its name as value,
 *                   or with attributes "name":{"key":value,...} (the
 *                   mapping's "Events")
 *   tags            every span attribute as a string (ints in decimal,
 *                   bools "true"/"false", doubles in the shortest form that
 *                   reads back the same, string arrays as the text of a
 *                   JSON array: ["a","b"]), then the scope as otel.scope.name
 *                   and otel.scope.version with their deprecated aliases
 *                   otel.library.name and otel.library.version ("MUST also
 *                   be reported"), the status as otel.status_code "OK" or
 *                   "ERROR" and, for ERROR only, error = the description
 *                   ("use an empty string if Description has no value"),
 *                   and the non-zero dropped counts as
 *                   otel.dropped_{attributes,events,links}_count.
 *
 * Span attributes whose keys the encoder writes itself for that span are
 * left out, so that no key appears twice; an attribute named "error" is
 * always left out: "the error tag should only be set if Status is Error",
 * and Zipkin takes any span with an error tag as failed.
 *
 * Not mapped (the specification leaves them TBD or Zipkin has no field):
 * resource attributes other than service.name, trace state, links, flags;
 * debug and shared are never written.
 */

#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L     /* inet_pton */
#endif

#include "ot_zipkin_json.h"
#include "ot_write.h"
#include "ot_facts.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A string literal without its terminating NUL. */
#define PUT_LIT(b, s) ot_buf_append((b), (s), sizeof(s) - 1)

/* Whether the ot_str k is the string literal lit. */
#define KEY_IS(k, lit) key_is((k), (lit), sizeof(lit) - 1)

/* The service name of spans whose resource has no service.name: the
 * OpenTelemetry SDK's default resource when the executable is unknown. */
#define OT_ZIPKIN_DEFAULT_SERVICE "unknown_service"

static int key_is(ot_str k, const char *lit, size_t n)
{
    return k.len == n && (n == 0 || (k.ptr && memcmp(k.ptr, lit, n) == 0));
}

/* The first attribute of a[0..n) named key (klen bytes) with the type
 * type, or NULL. */
static const ot_attribute *find_attr(const ot_attribute *a, uint32_t n,
                                     const char *key, size_t klen,
                                     uint32_t type)
{
    uint32_t i;

    if (!a) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (a[i].type == type && key_is(a[i].key, key, klen)) {
            return &a[i];
        }
    }
    return NULL;
}

#define FIND_ATTR(a, n, lit, type) find_attr((a), (n), (lit), \
                                             sizeof(lit) - 1, (type))

/* Whether the encoder writes the tag key itself for span s. */
static int own_tag(const ot_span_record *s, ot_str key)
{
    const ot_resource *r = s->resource;

    if (key.len < 5 || !key.ptr) {
        return 0;
    }
    if (KEY_IS(key, "error")) {
        return 1;
    }
    if (key.len < sizeof("otel.scope.name") - 1
        || memcmp(key.ptr, "otel.", 5) != 0) {
        return 0;
    }
    if (KEY_IS(key, "otel.status_code")) {
        return s->status_code == OT_STATUS_OK
               || s->status_code == OT_STATUS_ERROR;
    }
    if (KEY_IS(key, "otel.scope.name") || KEY_IS(key, "otel.library.name")) {
        return r && ot_str_set(r->scope_name);
    }
    if (KEY_IS(key, "otel.scope.version")
        || KEY_IS(key, "otel.library.version")) {
        return r && ot_str_set(r->scope_version);
    }
    if (KEY_IS(key, "otel.dropped_attributes_count")) {
        return s->dropped_attributes != 0;
    }
    if (KEY_IS(key, "otel.dropped_events_count")) {
        return s->dropped_events != 0;
    }
    if (KEY_IS(key, "otel.dropped_links_count")) {
        return s->dropped_links != 0;
    }
    return 0;
}

/* ---- tags --------------------------------------------------------------- */

/* Before each tag: open the span's "tags" object at the first one (Zipkin
 * wants no empty object), a comma before the others. */
static void tag_sep(ot_buf *b, int *first)
{
    if (*first) {
        PUT_LIT(b, ",\"tags\":{");
        *first = 0;
    }
    else {
        ot_buf_putc(b, ',');
    }
}

/* A tag whose key is a literal with nothing to escape. */
#define TAG_LIT(b, first, lit) \
    (tag_sep((b), (first)), PUT_LIT((b), "\"" lit "\":"))

static int known_type(uint32_t type)
{
    return type >= OT_VALUE_STRING && type <= OT_VALUE_STRING_ARRAY;
}

/* A string array as a JSON array of strings, each cut to max. */
static void put_str_array(ot_buf *b, const ot_str_array *sa, uint32_t max)
{
    uint32_t k, n = ot_str_array_n(sa);

    ot_buf_putc(b, '[');
    for (k = 0; k < n; k++) {
        if (k) {
            ot_buf_putc(b, ',');
        }
        ot_json_put_string(b, sa->items[k].ptr, sa->items[k].len, max);
    }
    ot_buf_putc(b, ']');
}

/* A string array as a tag value: the text of its JSON array, built in
 * scratch (the mapping's "Array values MUST be serialized to string like
 * a JSON list"). */
static void put_str_array_tag(ot_buf *b, const ot_str_array *sa,
                              uint32_t max, ot_buf *scratch)
{
    ot_buf_reset(scratch);
    put_str_array(scratch, sa, max);
    if (ot_buf_failed(scratch)) {
        b->failed = 1;
        return;
    }
    ot_json_put_string(b, scratch->data, scratch->len, 0);
}

/* An attribute's value as JSON: a tag value is always a string (quoted;
 * string arrays: put_str_array_tag()); in an annotation's folded object
 * (quoted 0) numbers, bools and arrays stay numbers, bools and arrays, and
 * only non-finite doubles, which JSON lacks, are strings.  Unknown types
 * write nothing. */
static void put_value(ot_buf *b, const ot_attribute *a, uint32_t max,
                      int quoted)
{
    char tmp[OT_W_DOUBLE_MAX + 2] = "\"", *e = tmp + 1;

    if (a->type == OT_VALUE_STRING) {
        ot_json_put_string(b, a->v.s.ptr, a->v.s.len, max);
        return;
    }
    if (a->type == OT_VALUE_STRING_ARRAY) {
        put_str_array(b, &a->v.sa, max);
        return;
    }
    if (a->type == OT_VALUE_BOOL) {
        e = a->v.b ? OT_W_LIT(e, "true") : OT_W_LIT(e, "false");
    }
    else if (a->type == OT_VALUE_INT) {
        e = ot_w_i64(e, a->v.i);
    }
    else if (a->type == OT_VALUE_DOUBLE) {
        /* non-finite doubles come quoted */
        quoted = quoted && isfinite(a->v.d);
        e = ot_w_double(e, a->v.d);
    }
    else {
        return;
    }
    if (quoted) {
        *e++ = '"';
    }
    ot_buf_append(b, tmp + !quoted, (size_t)(e - tmp) - !quoted);
}

/* A count as a tag value. */
static void put_quoted_u32(ot_buf *b, uint32_t v)
{
    ot_buf_putc(b, '"');
    ot_buf_put_u64(b, v);
    ot_buf_putc(b, '"');
}

static void put_tags(ot_buf *b, const ot_span_record *s, uint32_t max,
                     ot_buf *scratch)
{
    const ot_resource *r = s->resource;
    int first = 1;
    uint32_t i;

    if (s->attributes) {
        for (i = 0; i < s->n_attributes; i++) {
            const ot_attribute *a = &s->attributes[i];

            if (!known_type(a->type) || own_tag(s, a->key)) {
                continue;
            }
            tag_sep(b, &first);
            ot_json_put_string(b, a->key.ptr, a->key.len, 0);
            ot_buf_putc(b, ':');
            if (a->type == OT_VALUE_STRING_ARRAY) {
                put_str_array_tag(b, &a->v.sa, max, scratch);
            }
            else {
                put_value(b, a, max, 1);
            }
        }
    }
    if (r && ot_str_set(r->scope_name)) {
        TAG_LIT(b, &first, "otel.scope.name");
        ot_json_put_string(b, r->scope_name.ptr, r->scope_name.len, 0);
    }
    if (r && ot_str_set(r->scope_version)) {
        TAG_LIT(b, &first, "otel.scope.version");
        ot_json_put_string(b, r->scope_version.ptr, r->scope_version.len, 0);
    }
    if (r && ot_str_set(r->scope_name)) {
        TAG_LIT(b, &first, "otel.library.name");
        ot_json_put_string(b, r->scope_name.ptr, r->scope_name.len, 0);
    }
    if (r && ot_str_set(r->scope_version)) {
        TAG_LIT(b, &first, "otel.library.version");
        ot_json_put_string(b, r->scope_version.ptr, r->scope_version.len, 0);
    }
    if (s->status_code == OT_STATUS_OK) {
        TAG_LIT(b, &first, "otel.status_code");
        PUT_LIT(b, "\"OK\"");
    }
    else if (s->status_code == OT_STATUS_ERROR) {
        TAG_LIT(b, &first, "otel.status_code");
        PUT_LIT(b, "\"ERROR\",\"error\":");
        ot_json_put_string(b, s->status_message.ptr,
                           s->status_message.len, max);
    }
    if (s->dropped_attributes) {
        TAG_LIT(b, &first, "otel.dropped_attributes_count");
        put_quoted_u32(b, s->dropped_attributes);
    }
    if (s->dropped_events) {
        TAG_LIT(b, &first, "otel.dropped_events_count");
        put_quoted_u32(b, s->dropped_events);
    }
    if (s->dropped_links) {
        TAG_LIT(b, &first, "otel.dropped_links_count");
        put_quoted_u32(b, s->dropped_links);
    }
    if (!first) {
        ot_buf_putc(b, '}');
    }
}

/* ---- endpoints ---------------------------------------------------------- */

static void put_local_endpoint(ot_buf *b, const ot_resource *r)
{
    const ot_attribute *a = NULL;

    if (r) {
        a = FIND_ATTR(r->attributes, r->n_attributes, "service.name",
                      OT_VALUE_STRING);
    }
    PUT_LIT(b, ",\"localEndpoint\":{\"serviceName\":");
    if (a && ot_str_set(a->v.s)) {
        ot_json_put_string(b, a->v.s.ptr, a->v.s.len, 0);
    }
    else {
        PUT_LIT(b, "\"" OT_ZIPKIN_DEFAULT_SERVICE "\"");
    }
    ot_buf_putc(b, '}');
}

/*
 * Whether the address s (len bytes) is an IP literal; 4 or 6 in *family.
 * An IPv4-mapped IPv6 address counts as IPv4: *skip is then the length of
 * its "::ffff:" prefix, else 0.
 */
static int ip_literal(const char *s, size_t len, int *family, size_t *skip)
{
    unsigned char bin[16];
    char tmp[64];

    *skip = 0;
    if (!s || len == 0 || len >= sizeof(tmp)) {
        return 0;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!memchr(tmp, ':', len)) {
        *family = 4;
        return inet_pton(AF_INET, tmp, bin) == 1;
    }
    if (len > 7 && strncasecmp(tmp, "::ffff:", 7) == 0
        && !memchr(tmp + 7, ':', len - 7)
        && inet_pton(AF_INET, tmp + 7, bin) == 1) {
        *family = 4;
        *skip = 7;
        return 1;
    }
    *family = 6;
    return inet_pton(AF_INET6, tmp, bin) == 1;
}

static void put_remote_endpoint(ot_buf *b, const ot_span_record *s)
{
    const ot_attribute *client, *peer, *port, *addr;
    int family = 0;
    size_t skip = 0;

    client = FIND_ATTR(s->attributes, s->n_attributes, "client.address",
                       OT_VALUE_STRING);
    peer = FIND_ATTR(s->attributes, s->n_attributes, "network.peer.address",
                     OT_VALUE_STRING);
    port = FIND_ATTR(s->attributes, s->n_attributes, "network.peer.port",
                     OT_VALUE_INT);
    addr = client ? client : peer;
    if (!addr || !ip_literal(addr->v.s.ptr, addr->v.s.len, &family, &skip)) {
        return;
    }
    if (family == 4) {
        PUT_LIT(b, ",\"remoteEndpoint\":{\"ipv4\":");
    }
    else {
        PUT_LIT(b, ",\"remoteEndpoint\":{\"ipv6\":");
    }
    ot_json_put_string(b, addr->v.s.ptr + skip, addr->v.s.len - skip, 0);
    /* The peer port is the port of the peer address: behind a proxy (a
     * client.address that differs from it) it is the proxy's. */
    if (port && port->v.i > 0 && port->v.i <= 65535
        && (addr == peer || !peer
            || (peer->v.s.len == addr->v.s.len
                && (addr->v.s.len == 0
                    || memcmp(peer->v.s.ptr, addr->v.s.ptr,
                              addr->v.s.len) == 0)))) {
        PUT_LIT(b, ",\"port\":");
        ot_buf_put_i64(b, port->v.i);
    }
    ot_buf_putc(b, '}');
}

/* ---- annotations -------------------------------------------------------- */


/*
 * One annotation.  An event with attributes gets the value
 * "name":{"key":value,...}, built in scratch and then written as one
 * JSON string.
 */
static void put_annotation(ot_buf *b, const ot_event *e, uint32_t max,
                           ot_buf *scratch)
{
    uint32_t i;
    int first = 1;

    PUT_LIT(b, "{\"timestamp\":");
    ot_buf_put_i64(b, e->time_ns > 0 ? e->time_ns / 1000 : 0);
    PUT_LIT(b, ",\"value\":");
    if (!e->attributes || e->n_attributes == 0) {
        ot_json_put_string(b, e->name.ptr, e->name.len, 0);
        ot_buf_putc(b, '}');
        return;
    }
    ot_buf_reset(scratch);
    ot_json_put_string(scratch, e->name.ptr, e->name.len, 0);
    PUT_LIT(scratch, ":{");
    for (i = 0; i < e->n_attributes; i++) {
        const ot_attribute *a = &e->attributes[i];

        if (!known_type(a->type)) {
            continue;
        }
        if (!first) {
            ot_buf_putc(scratch, ',');
        }
        first = 0;
        ot_json_put_string(scratch, a->key.ptr, a->key.len, 0);
        ot_buf_putc(scratch, ':');
        put_value(scratch, a, max, 0);
    }
    ot_buf_putc(scratch, '}');
    if (ot_buf_failed(scratch)) {
        b->failed = 1;
        return;
    }
    ot_json_put_string(b, scratch->data, scratch->len, 0);
    ot_buf_putc(b, '}');
}

/* ---- spans -------------------------------------------------------------- */

static void put_span(ot_buf *b, const ot_span_record *s, uint32_t max,
                     ot_buf *scratch)
{
    uint32_t i;

    PUT_LIT(b, "{\"traceId\":\"");
    ot_buf_put_hex(b, s->trace_id, sizeof(s->trace_id));
    if (!ot_id_is_zero(s->parent_span_id, sizeof(s->parent_span_id))) {
        PUT_LIT(b, "\",\"parentId\":\"");
        ot_buf_put_hex(b, s->parent_span_id, sizeof(s->parent_span_id));
    }
    PUT_LIT(b, "\",\"id\":\"");
    ot_buf_put_hex(b, s->span_id, sizeof(s->span_id));
    ot_buf_putc(b, '"');
    switch (s->kind) {
    case OT_SPAN_KIND_SERVER:
        PUT_LIT(b, ",\"kind\":\"SERVER\"");
        break;
    case OT_SPAN_KIND_CLIENT:
        PUT_LIT(b, ",\"kind\":\"CLIENT\"");
        break;
    case OT_SPAN_KIND_PRODUCER:
        PUT_LIT(b, ",\"kind\":\"PRODUCER\"");
        break;
    case OT_SPAN_KIND_CONSUMER:
        PUT_LIT(b, ",\"kind\":\"CONSUMER\"");
        break;
    default:
        break;
    }
    if (ot_str_set(s->name)) {
        PUT_LIT(b, ",\"name\":");
        ot_json_put_string(b, s->name.ptr, s->name.len, 0);
    }
    if (s->start_ns > 0) {
        PUT_LIT(b, ",\"timestamp\":");
        ot_buf_put_i64(b, s->start_ns / 1000);
        if (s->end_ns > 0) {
            uint64_t us = 0;

            if (s->end_ns > s->start_ns) {
                us = ((uint64_t)s->end_ns - (uint64_t)s->start_ns) / 1000;
            }
            PUT_LIT(b, ",\"duration\":");
            ot_buf_put_u64(b, us ? us : 1);
        }
    }
    put_local_endpoint(b, s->resource);
    put_remote_endpoint(b, s);
    if (s->events && s->n_events) {
        PUT_LIT(b, ",\"annotations\":[");
        for (i = 0; i < s->n_events; i++) {
            if (i) {
                ot_buf_putc(b, ',');
            }
            put_annotation(b, &s->events[i], max, scratch);
        }
        ot_buf_putc(b, ']');
    }
    put_tags(b, s, max, scratch);
    ot_buf_putc(b, '}');
}

/* s with its facts as attributes (Zipkin's tags and remote endpoint come
 * from the attributes), in *attrs (room for *cap, grown as needed): the
 * facts are few and this encoder is not the one traced requests pay
 * for.  NULL when out of memory. */
static const ot_span_record *flat_record(const ot_span_record *s,
                                         ot_span_record *flat,
                                         ot_attribute **attrs, size_t *cap)
{
    size_t need = (size_t)ot_facts_count(s->http) + s->n_attributes;

    if (need > *cap) {
        ot_attribute *a = realloc(*attrs, need * sizeof(*a));

        if (!a) {
            return NULL;
        }
        *attrs = a;
        *cap = need;
    }
    return ot_facts_flatten(s, flat, *attrs, (uint32_t)need);
}

int ot_zipkin_json_encode(ot_buf *b, const ot_span_record *const *spans,
                          size_t n, const ot_zipkin_options *opt)
{
    uint32_t max = opt ? opt->max_value_len : 0;
    ot_buf scratch;
    ot_span_record flat;
    ot_attribute *flat_attrs = NULL;
    size_t flat_cap = 0;
    int first = 1;
    size_t i;

    if (ot_buf_failed(b)) {
        return -1;
    }
    ot_buf_init(&scratch, 0, b->limit);
    ot_buf_putc(b, '[');
    for (i = 0; i < n && !ot_buf_failed(b); i++) {
        const ot_span_record *s = spans[i];

        if (!s) {
            continue;
        }
        if (!first) {
            ot_buf_putc(b, ',');
        }
        first = 0;
        if (ot_record_facts(s) && !(s = flat_record(s, &flat, &flat_attrs,
                                                     &flat_cap))) {
            b->failed = 1;
            break;
        }
        put_span(b, s, max, &scratch);
    }
    ot_buf_putc(b, ']');
    ot_buf_free(&scratch);
    free(flat_attrs);
    return ot_buf_failed(b) ? -1 : 0;
}
