/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * test_otlp_proto.c: the OTLP/protobuf encoder, byte for byte against
 * vectors worked out by hand from opentelemetry-proto's field numbers, and
 * random batches read back by a small schema-aware protobuf reader of the
 * test's own (wire types, field order, bounds, UTF-8, omitted defaults),
 * with strings and flags compared against the JSON encoder.
 *
 * "test_otlp_proto --dump FILE" writes the rich batch of test_rich_batch
 * to FILE instead of running the tests, for a decode with an independent
 * protobuf implementation (t/tools/otlp-decode.js).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot_buf.h"
#include "ot_otlp_json.h"
#include "ot_otlp_proto.h"
#include "ot_tracer.h"

#define S(lit) { (lit), (uint32_t)(sizeof(lit) - 1) }

/* Hex of the ids, and the two fields every span and link starts with:
 * trace_id (1, LEN, 16 bytes), span_id (2, LEN, 8 bytes): 28 bytes. */
#define TID "0102030405060708090a0b0c0d0e0f10"
#define SID "a1a2a3a4a5a6a7a8"
#define PID "b1b2b3b4b5b6b7b8"
#define IDS "0a10" TID "1208" SID

/* Hex digits (spaces ignored) to bytes; returns the count. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *h; h++) {
        int d;

        if (*h == ' ') {
            continue;
        }
        if (*h >= '0' && *h <= '9') {
            d = *h - '0';
        }
        else if (*h >= 'a' && *h <= 'f') {
            d = *h - 'a' + 10;
        }
        else {
            fail_msg("bad hex digit '%c'", *h);
            return 0;
        }
        if (hi < 0) {
            hi = d;
        }
        else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

static void dump_diff(const uint8_t *got, size_t got_len,
                      const uint8_t *want, size_t want_len)
{
    size_t i, first = 0;

    while (first < got_len && first < want_len && got[first] == want[first]) {
        first++;
    }
    print_error("length %zu, want %zu; first difference at byte %zu\n",
                got_len, want_len, first);
    print_error("got: ");
    for (i = first > 8 ? first - 8 : 0; i < got_len && i < first + 24; i++) {
        print_error("%02x ", got[i]);
    }
    print_error("\nwant:");
    for (i = first > 8 ? first - 8 : 0; i < want_len && i < first + 24; i++) {
        print_error(" %02x", want[i]);
    }
    print_error("\n");
}

/* Encode, and compare with want (want_len bytes). */
static void check_bytes(const ot_span_record *const *spans, size_t n,
                        uint32_t max, const uint8_t *want, size_t want_len)
{
    ot_proto_options opt = { max };
    ot_buf b;

    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, n, &opt), 0);
    assert_false(ot_buf_failed(&b));
    if (b.len != want_len || memcmp(b.data, want, want_len) != 0) {
        dump_diff((const uint8_t *)b.data, b.len, want, want_len);
        fail_msg("encoding differs");
    }
    ot_buf_free(&b);
}

static void check_hex(const ot_span_record *const *spans, size_t n,
                      uint32_t max, const char *hex)
{
    uint8_t want[1024];
    size_t len = unhex(hex, want, sizeof(want));

    check_bytes(spans, n, max, want, len);
}

/* ---- a protobuf reader of the test's own ------------------------------ */

typedef struct pb {
    const uint8_t *p;
    const uint8_t *end;
} pb;

typedef struct pb_field {
    uint32_t num;
    uint32_t wt;
    uint64_t v;         /* varint, fixed64, fixed32 */
    pb sub;             /* LEN content */
    size_t varint_len;  /* bytes of the varint (wire type 0) */
} pb_field;

static int pb_varint(pb *r, uint64_t *v, size_t *nbytes)
{
    uint64_t x = 0;
    unsigned shift = 0;
    size_t n = 0;

    while (r->p < r->end && n < 10) {
        uint8_t c = *r->p++;

        x |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
        n++;
        if (c < 0x80) {
            /* canonical: no trailing zero byte */
            if (n > 1 && c == 0) {
                return -1;
            }
            *v = x;
            if (nbytes) {
                *nbytes = n;
            }
            return 0;
        }
    }
    return -1;
}

/* 1 a field, 0 the end, -1 malformed. */
static int pb_next(pb *r, pb_field *f)
{
    uint64_t tag, len;
    int i;

    if (r->p == r->end) {
        return 0;
    }
    if (pb_varint(r, &tag, NULL) != 0 || (tag >> 3) == 0 || tag > UINT32_MAX) {
        return -1;
    }
    f->num = (uint32_t)(tag >> 3);
    f->wt = (uint32_t)(tag & 7);
    f->v = 0;
    switch (f->wt) {
    case 0:
        return pb_varint(r, &f->v, &f->varint_len) == 0 ? 1 : -1;
    case 1:
    case 5:
        if ((size_t)(r->end - r->p) < (f->wt == 1 ? 8u : 4u)) {
            return -1;
        }
        for (i = (f->wt == 1 ? 8 : 4) - 1; i >= 0; i--) {
            f->v = f->v << 8 | r->p[i];
        }
        r->p += f->wt == 1 ? 8 : 4;
        return 1;
    case 2:
        if (pb_varint(r, &len, NULL) != 0
            || len > (uint64_t)(r->end - r->p)) {
            return -1;
        }
        f->sub.p = r->p;
        f->sub.end = r->p + len;
        r->p += len;
        return 1;
    default:
        return -1;
    }
}

/* The content of the first LEN field numbered num in m. */
static pb pb_find(pb m, uint32_t num)
{
    pb_field f;
    int rc;

    while ((rc = pb_next(&m, &f)) == 1) {
        if (f.num == num && f.wt == 2) {
            return f.sub;
        }
    }
    assert_int_equal(rc, 0);
    fail_msg("field %u not found", num);
    return m;
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or > U+10FFFF. */
static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint32_t c = s[i], cp;
        size_t k, len;

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        }
        else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        }
        else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        }
        else {
            return 0;
        }
        if (n - i < len) {
            return 0;
        }
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
            || (len == 4 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

/* What a walk of a whole request found. */
typedef struct pb_stats {
    size_t resource_spans;
    size_t spans;
    size_t attributes;  /* KeyValues, everywhere */
    size_t events;
    size_t links;
    size_t max_value;   /* the longest string_value */
} pb_stats;

/* Each message type: field number -> wire type (0: unknown field), and
 * how to check a field. */
enum { K_NONE, K_MSG, K_STR, K_BYTES, K_NUM };

typedef struct pb_rule {
    uint32_t wt;
    int kind;
    int msg;            /* for K_MSG: index in rules[] */
    int repeated;
    size_t id_len;      /* for K_BYTES: exact length */
} pb_rule;

enum {
    M_REQ, M_RS, M_RES, M_SS, M_SCOPE, M_SPAN, M_EVENT, M_LINK, M_STATUS,
    M_KV, M_ANY, M_ARRAY, M_COUNT
};

#define MAX_FIELD 17
static pb_rule rules[M_COUNT][MAX_FIELD];

static void rule(int m, uint32_t num, uint32_t wt, int kind, int msg,
                 int repeated, size_t id_len)
{
    pb_rule r;

    r.wt = wt;
    r.kind = kind;
    r.msg = msg;
    r.repeated = repeated;
    r.id_len = id_len;
    rules[m][num] = r;
}

/* Field numbers and types of opentelemetry-proto, as the task states
 * them, written down a second time, independently of the encoder. */
static void rules_init(void)
{
    memset(rules, 0, sizeof(rules));
    rule(M_REQ, 1, 2, K_MSG, M_RS, 1, 0);
    rule(M_RS, 1, 2, K_MSG, M_RES, 0, 0);
    rule(M_RS, 2, 2, K_MSG, M_SS, 1, 0);
    rule(M_RS, 3, 2, K_STR, 0, 0, 0);
    rule(M_RES, 1, 2, K_MSG, M_KV, 1, 0);
    rule(M_RES, 2, 0, K_NUM, 0, 0, 0);
    rule(M_SS, 1, 2, K_MSG, M_SCOPE, 0, 0);
    rule(M_SS, 2, 2, K_MSG, M_SPAN, 1, 0);
    rule(M_SS, 3, 2, K_STR, 0, 0, 0);
    rule(M_SCOPE, 1, 2, K_STR, 0, 0, 0);
    rule(M_SCOPE, 2, 2, K_STR, 0, 0, 0);
    rule(M_SPAN, 1, 2, K_BYTES, 0, 0, 16);
    rule(M_SPAN, 2, 2, K_BYTES, 0, 0, 8);
    rule(M_SPAN, 3, 2, K_STR, 0, 0, 0);
    rule(M_SPAN, 4, 2, K_BYTES, 0, 0, 8);
    rule(M_SPAN, 5, 2, K_STR, 0, 0, 0);
    rule(M_SPAN, 6, 0, K_NUM, 0, 0, 0);
    rule(M_SPAN, 7, 1, K_NUM, 0, 0, 0);
    rule(M_SPAN, 8, 1, K_NUM, 0, 0, 0);
    rule(M_SPAN, 9, 2, K_MSG, M_KV, 1, 0);
    rule(M_SPAN, 10, 0, K_NUM, 0, 0, 0);
    rule(M_SPAN, 11, 2, K_MSG, M_EVENT, 1, 0);
    rule(M_SPAN, 12, 0, K_NUM, 0, 0, 0);
    rule(M_SPAN, 13, 2, K_MSG, M_LINK, 1, 0);
    rule(M_SPAN, 14, 0, K_NUM, 0, 0, 0);
    rule(M_SPAN, 15, 2, K_MSG, M_STATUS, 0, 0);
    rule(M_SPAN, 16, 5, K_NUM, 0, 0, 0);
    rule(M_EVENT, 1, 1, K_NUM, 0, 0, 0);
    rule(M_EVENT, 2, 2, K_STR, 0, 0, 0);
    rule(M_EVENT, 3, 2, K_MSG, M_KV, 1, 0);
    rule(M_EVENT, 4, 0, K_NUM, 0, 0, 0);
    rule(M_LINK, 1, 2, K_BYTES, 0, 0, 16);
    rule(M_LINK, 2, 2, K_BYTES, 0, 0, 8);
    rule(M_LINK, 3, 2, K_STR, 0, 0, 0);
    rule(M_LINK, 4, 2, K_MSG, M_KV, 1, 0);
    rule(M_LINK, 5, 0, K_NUM, 0, 0, 0);
    rule(M_LINK, 6, 5, K_NUM, 0, 0, 0);
    rule(M_STATUS, 2, 2, K_STR, 0, 0, 0);
    rule(M_STATUS, 3, 0, K_NUM, 0, 0, 0);
    rule(M_KV, 1, 2, K_STR, 0, 0, 0);
    rule(M_KV, 2, 2, K_MSG, M_ANY, 0, 0);
    rule(M_ANY, 1, 2, K_STR, 0, 0, 0);
    rule(M_ANY, 2, 0, K_NUM, 0, 0, 0);
    rule(M_ANY, 3, 0, K_NUM, 0, 0, 0);
    rule(M_ANY, 4, 1, K_NUM, 0, 0, 0);
    rule(M_ANY, 5, 2, K_MSG, M_ARRAY, 0, 0);
    rule(M_ARRAY, 1, 2, K_MSG, M_ANY, 1, 0);
}

/*
 * Check message m of type t: known fields with their wire types, in
 * ascending field order, singular fields at most once, lengths within
 * bounds, strings valid UTF-8, ids of the right length, and (outside
 * AnyValue, a oneof) no field holding its default value.
 */
static void pb_check(pb m, int t, pb_stats *st)
{
    uint32_t last = 0;
    int n_any = 0;
    pb_field f;
    int rc;

    while ((rc = pb_next(&m, &f)) == 1) {
        const pb_rule *r;
        size_t len;

        assert_true(f.num < MAX_FIELD);
        r = &rules[t][f.num];
        if (r->kind == K_NONE) {
            fail_msg("message %d: unknown field %u", t, f.num);
        }
        assert_int_equal(f.wt, r->wt);
        if (r->repeated) {
            assert_true(f.num >= last);
        }
        else {
            assert_true(f.num > last);
        }
        last = f.num;
        len = (size_t)(f.sub.end - f.sub.p);
        switch (r->kind) {
        case K_MSG:
            if (r->msg == M_RS) {
                st->resource_spans++;
            }
            else if (r->msg == M_SPAN) {
                st->spans++;
            }
            else if (r->msg == M_KV) {
                st->attributes++;
            }
            else if (r->msg == M_EVENT) {
                st->events++;
            }
            else if (r->msg == M_LINK) {
                st->links++;
            }
            if (r->msg == M_RES || r->msg == M_SCOPE || r->msg == M_STATUS) {
                assert_true(len > 0);   /* left out when empty */
            }
            pb_check(f.sub, r->msg, st);
            break;
        case K_STR:
            assert_true(utf8_ok(f.sub.p, len));
            if (t == M_ANY) {
                if (len > st->max_value) {
                    st->max_value = len;
                }
            }
            else {
                assert_true(len > 0);
            }
            break;
        case K_BYTES:
            assert_int_equal(len, r->id_len);
            break;
        default:
            if (t != M_ANY) {
                assert_true(f.v != 0);
            }
            if (f.num == 16 && t == M_SPAN) {
                assert_true((f.v & ~(uint64_t)0x3ff) == 0);
            }
            break;
        }
        if (t == M_ANY) {
            n_any++;
        }
    }
    assert_int_equal(rc, 0);
    assert_true(n_any <= 1);
}

static void check_valid(const ot_buf *b, size_t from, pb_stats *st)
{
    pb m;

    memset(st, 0, sizeof(*st));
    m.p = (const uint8_t *)b->data + from;
    m.end = (const uint8_t *)b->data + b->len;
    pb_check(m, M_REQ, st);
}

/* ---- hand-checked vectors --------------------------------------------- */

static void test_empty_batch(void **state)
{
    const ot_span_record *none[2] = { NULL, NULL };
    ot_buf b;

    (void)state;
    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, NULL, 0, NULL), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, none, 2, NULL), 0);
    assert_int_equal(b.len, 0);
    assert_false(ot_buf_failed(&b));
    ot_buf_free(&b);
}

static void test_minimal_span(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    span_init(&s);
    /* request.resource_spans(1) 32 bytes: ResourceSpans.scope_spans(2)
     * 30: ScopeSpans.spans(2) 28: the ids, nothing else. */
    check_hex(spans, 1, 0, "0a20 121e 121c" IDS);
}

static void test_root_span(void **state)
{
    ot_attribute ra[1], sa[1];
    ot_resource res;
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    ra[0] = attr_str("service.name", "svc", 3);
    memset(&res, 0, sizeof(res));
    res.attributes = ra;
    res.n_attributes = 1;
    res.scope_name = (ot_str)S("ot");
    res.scope_version = (ot_str)S("1");

    sa[0] = attr_str("m", "GET", 3);
    span_init(&s);
    s.flags = OT_FLAG_SAMPLED;
    s.name = (ot_str)S("GET /");
    s.kind = OT_SPAN_KIND_SERVER;
    s.start_ns = INT64_C(0x0102030405060708);
    s.end_ns = INT64_C(0x0102030405060808);
    s.attributes = sa;
    s.n_attributes = 1;
    s.resource = &res;

    check_hex(spans, 1, 0,
              "0a6f"                            /* ResourceSpans, 111 */
              "0a17"                            /* .resource, 23 */
              "  0a15"                          /* Resource.attributes, 21 */
              "    0a0c 736572766963652e6e616d65" /* key "service.name" */
              "    1205 0a03 737663"            /* value: string "svc" */
              "1254"                            /* .scope_spans, 84 */
              "  0a07"                          /* ScopeSpans.scope, 7 */
              "    0a02 6f74 1201 31"           /* name "ot", version "1" */
              "  1249"                          /* ScopeSpans.spans, 73 */
              IDS
              "    2a05 474554202f"             /* name (5) "GET /" */
              "    3002"                        /* kind (6) = 2 */
              "    39 0807060504030201"         /* start (7), fixed64 */
              "    41 0808060504030201"         /* end (8), fixed64 */
              "    4a0a 0a016d 1205 0a03 474554" /* attributes (9) m=GET */
              "    8501 01000000");             /* flags (16), fixed32 */
}

static void test_child_spans(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    /* remote parent, tracestate: flags 0x301 */
    span_init(&s);
    memcpy(s.parent_span_id, parent_id, sizeof(parent_id));
    s.parent_is_remote = 1;
    s.flags = OT_FLAG_SAMPLED;
    s.trace_state = (ot_str)S("a=b");
    s.name = (ot_str)S("c");
    check_hex(spans, 1, 0,
              "0a38 1236 1234" IDS
              "1a03 613d62"                     /* trace_state (3) */
              "2208" PID                        /* parent_span_id (4) */
              "2a01 63"                         /* name */
              "8501 01030000");                 /* 0x301 */

    /* local parent: 0x101 */
    s.parent_is_remote = 0;
    s.trace_state = (ot_str){ NULL, 0 };
    check_hex(spans, 1, 0,
              "0a33 1231 122f" IDS "2208" PID "2a01 63" "8501 01010000");

    /* local parent, not sampled: 0x100 is still written */
    s.flags = 0;
    check_hex(spans, 1, 0,
              "0a33 1231 122f" IDS "2208" PID "2a01 63" "8501 00010000");

    /* root, not sampled, parent_is_remote ignored: no flags at all */
    memset(s.parent_span_id, 0, sizeof(s.parent_span_id));
    s.parent_is_remote = 1;
    check_hex(spans, 1, 0, "0a23 1221 121f" IDS "2a01 63");
}

static void test_value_types(void **state)
{
    ot_attribute a[11];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    a[0] = attr_str("s", "", 0);
    a[1] = attr_bool("t", 1);
    a[2] = attr_bool("f", 0);
    a[3] = attr_int("z", 0);
    a[4] = attr_int("n", -1);
    a[5] = attr_int("m", INT64_MIN);
    a[6] = attr_int("x", INT64_MAX);
    a[7] = attr_dbl("d", 1.5);
    a[8] = attr_dbl("e", -0.0);
    a[9] = attr_int("u", 7);
    a[9].type = 99;                             /* unknown: empty AnyValue */
    a[10] = attr_int("", 5);                    /* empty key: left out */
    span_init(&s);
    s.attributes = a;
    s.n_attributes = 11;
    /* A oneof member is written even when it holds its default. */
    check_hex(spans, 1, 0,
              "0aa801 12a501 12a201" IDS
              "4a07 0a0173 1202 0a00"
              "4a07 0a0174 1202 1001"
              "4a07 0a0166 1202 1000"
              "4a07 0a017a 1202 1800"
              "4a10 0a016e 120b 18 ffffffffffffffffff01"
              "4a10 0a016d 120b 18 80808080808080808001"
              "4a0f 0a0178 120a 18 ffffffffffffffff7f"
              "4a0e 0a0164 1209 21 000000000000f83f"
              "4a0e 0a0165 1209 21 0000000000000080"
              "4a05 0a0175 1200"
              "4a04 1202 1805");
}

/* String arrays: AnyValue.array_value (5), ArrayValue.values (1), each an
 * AnyValue with a string_value, repaired and cut as string values are. */
static void test_string_arrays(void **state)
{
    static const ot_str items[] = { S("a"), S(""), S("\xff"), S("abc") };
    ot_attribute a[2];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    a[0] = attr_of("h", OT_VALUE_STRING_ARRAY);
    a[0].v.sa.items = items;
    a[0].v.sa.n = 3;
    a[1] = attr_of("e", OT_VALUE_STRING_ARRAY);  /* empty: items NULL */
    span_init(&s);
    s.attributes = a;
    s.n_attributes = 2;
    check_hex(spans, 1, 0,
              "0a42 1240 123e" IDS
              "4a17 0a0168 1212 2a10"           /* value, array_value */
              "  0a03 0a0161"                   /* "a" */
              "  0a02 0a00"                     /* "" */
              "  0a05 0a03 efbfbd"              /* 0xff repaired */
              "4a07 0a0165 1202 2a00");         /* [] */
    /* each item cut to max (2): "abc" to "ab", U+FFFD (3 bytes) to "" */
    a[0].v.sa.items = items + 2;
    a[0].v.sa.n = 2;
    s.n_attributes = 1;
    check_hex(spans, 1, 2,
              "0a33 1231 122f" IDS
              "4a11 0a0168 120c 2a0a 0a02 0a00 0a04 0a02 6162");
}

/* One string attribute "k" of len bytes of 'x': every length prefix
 * around it, worked out by hand, crosses a varint boundary somewhere. */
static void test_varint_boundaries(void **state)
{
    static const struct {
        size_t len;
        const char *head;
    } cases[] = {
        /* span 127 (7f): attr 99, kv 97, value 92 */
        { 90, "0a8401 128101 127f" IDS "4a61 0a016b 125c 0a5a" },
        /* span 128 (80 01) */
        { 91, "0a8601 128301 128001" IDS "4a62 0a016b 125d 0a5b" },
        /* string 127 (7f), value 129 (81 01), kv 135, span 166 */
        { 127, "0aac01 12a901 12a601" IDS "4a8701 0a016b 128101 0a7f" },
        /* string 128 (80 01) */
        { 128, "0aae01 12ab01 12a801" IDS "4a8901 0a016b 128301 0a8001" },
        /* string 16383 (ff 7f), value 16386 (82 80 01) */
        { 16383, "0ab18001 12ad8001 12a98001" IDS
                 "4a898001 0a016b 12828001 0aff7f" },
        /* string 16384 (80 80 01) */
        { 16384, "0ab38001 12af8001 12ab8001" IDS
                 "4a8b8001 0a016b 12848001 0a808001" }
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].len, hlen;
        uint8_t *want = malloc(len + 64);
        char *val = malloc(len);
        ot_attribute a[1];
        ot_span_record s;
        const ot_span_record *spans[1] = { &s };

        assert_non_null(want);
        assert_non_null(val);
        memset(val, 'x', len);
        a[0] = attr_str("k", val, len);
        span_init(&s);
        s.attributes = a;
        s.n_attributes = 1;
        hlen = unhex(cases[i].head, want, 64);
        memset(want + hlen, 'x', len);
        check_bytes(spans, 1, 0, want, hlen + len);
        /* a limit at the length changes nothing */
        check_bytes(spans, 1, (uint32_t)len, want, hlen + len);
        free(val);
        free(want);
    }
}

static void test_numbers(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    span_init(&s);
    s.kind = 200;                               /* two-byte varint */
    s.start_ns = INT64_C(1700000000123456789);  /* 0x17979cfe3d85cd15 */
    s.end_ns = INT64_MAX;
    s.dropped_attributes = UINT32_MAX;
    s.dropped_events = 127;
    s.dropped_links = 128;
    check_hex(spans, 1, 0,
              "0a40 123e 123c" IDS
              "30c801"
              "39 15cd853dfe9c9717"
              "41 ffffffffffffff7f"
              "50ffffffff0f"
              "607f"
              "708001");
}

static void test_events_links(void **state)
{
    ot_attribute ea[1], la[1];
    ot_event ev[2];
    ot_link ln[2];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    ea[0] = attr_int("k", 7);
    la[0] = attr_bool("k", 1);
    memset(ev, 0, sizeof(ev));
    ev[0].time_ns = 0x10;
    ev[0].name = (ot_str)S("ev");
    ev[0].attributes = ea;
    ev[0].n_attributes = 1;
    memset(ln, 0, sizeof(ln));
    memcpy(ln[0].trace_id, trace_id, sizeof(trace_id));
    memcpy(ln[0].span_id, parent_id, sizeof(parent_id));
    ln[0].trace_state = (ot_str)S("x=1");
    ln[0].attributes = la;
    ln[0].n_attributes = 1;
    ln[0].flags = 1;
    memcpy(ln[1].trace_id, trace_id, sizeof(trace_id));
    memcpy(ln[1].span_id, span_id, sizeof(span_id));

    span_init(&s);
    s.dropped_attributes = 200;
    s.events = ev;
    s.n_events = 2;
    s.dropped_events = 3;
    s.links = ln;
    s.n_links = 2;
    s.dropped_links = 1;
    s.status_code = OT_STATUS_ERROR;
    s.status_message = (ot_str)S("boom");
    check_hex(spans, 1, 0,
              "0a9c01 129901 129601" IDS
              "50c801"                          /* dropped_attributes (10) */
              "5a16"                            /* events (11), 22 */
              "  09 1000000000000000"           /* time (1), fixed64 */
              "  1202 6576"                     /* name (2) */
              "  1a07 0a016b 1202 1807"         /* attributes (3) */
              "5a00"                            /* an empty event */
              "6003"                            /* dropped_events (12) */
              "6a2f"                            /* links (13), 47 */
              "  0a10" TID "1208" PID
              "  1a03 783d31"                   /* trace_state (3) */
              "  2207 0a016b 1202 1001"         /* attributes (4) */
              "  35 01000000"                   /* flags (6), fixed32 */
              "6a1c 0a10" TID "1208" SID
              "7001"                            /* dropped_links (14) */
              "7a08 1204 626f6f6d 1802");       /* status (15) */
}

static void test_status(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    span_init(&s);
    s.status_code = OT_STATUS_OK;
    check_hex(spans, 1, 0, "0a24 1222 1220" IDS "7a02 1801");
    s.status_code = OT_STATUS_UNSET;
    s.status_message = (ot_str)S("m");
    check_hex(spans, 1, 0, "0a25 1223 1221" IDS "7a03 12016d");
    s.status_message = (ot_str){ "x", 0 };
    check_hex(spans, 1, 0, "0a20 121e 121c" IDS);
}

static void test_resources(void **state)
{
    ot_attribute ra[1];
    ot_resource r1, r2;
    ot_span_record a, c, d;
    const ot_span_record *spans[6] = { &a, NULL, &a, &c, &d, NULL };

    (void)state;
    memset(&r1, 0, sizeof(r1));
    r1.scope_name = (ot_str)S("a");             /* no attributes */
    ra[0] = attr_str("k", "v", 1);
    memset(&r2, 0, sizeof(r2));
    r2.attributes = ra;                         /* no scope */
    r2.n_attributes = 1;
    span_init(&a);
    a.resource = &r1;
    c = a;
    c.resource = &r2;
    d = a;
    /* [a, NULL, a] share one ResourceSpans; c has its own; d goes back
     * to r1 in a third one. */
    check_hex(spans, 6, 0,
              "0a43 1241 0a03 0a0161"
              "  121c" IDS "121c" IDS
              "0a2c 0a0a 0a08 0a016b 1203 0a0176"
              "  121e 121c" IDS
              "0a25 1223 0a03 0a0161 121c" IDS);
}

static void test_utf8_repair(void **state)
{
    ot_attribute a[1];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    /* key: "k" 0xff -> "k" U+FFFD; value: a truncated sequence at the
     * end is one U+FFFD; a surrogate is three (no valid prefix). */
    a[0] = attr_str("k\xff", "\xc3\xa9\xe2\x82", 4);
    span_init(&s);
    s.attributes = a;
    s.n_attributes = 1;
    s.name = (ot_str)S("\xed\xa0\x80");
    s.trace_state = (ot_str)S("\xf4\x90\x80\x80!");
    check_hex(spans, 1, 0,
              "0a4b 1249 1247" IDS
              "1a0d efbfbd efbfbd efbfbd efbfbd 21"
              "2a09 efbfbd efbfbd efbfbd"
              "4a0f 0a04 6befbfbd 1207 0a05 c3a9 efbfbd");
}

static void test_truncation(void **state)
{
    ot_attribute a[1];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };

    (void)state;
    span_init(&s);
    s.attributes = a;
    s.n_attributes = 1;
    s.name = (ot_str)S("abcdef");               /* names are not cut */

    a[0] = attr_str("kkkkkk", "abcdef", 6);
    check_hex(spans, 1, 4, "0a3a 1238 1236" IDS "2a06 616263646566"
              "4a10 0a06 6b6b6b6b6b6b 1206 0a04 61626364");
    /* never inside a character */
    a[0] = attr_str("k", "ab\xc3\xa9" "cd", 6);
    check_hex(spans, 1, 3, "0a33 1231 122f" IDS "2a06 616263646566"
              "4a09 0a016b 1204 0a02 6162");
    check_hex(spans, 1, 4, "0a35 1233 1231" IDS "2a06 616263646566"
              "4a0b 0a016b 1206 0a04 6162c3a9");
    /* a replacement counts as its 3 bytes */
    a[0] = attr_str("k", "\xff\xff", 2);
    check_hex(spans, 1, 4, "0a34 1232 1230" IDS "2a06 616263646566"
              "4a0a 0a016b 1205 0a03 efbfbd");
    check_hex(spans, 1, 2, "0a31 122f 122d" IDS "2a06 616263646566"
              "4a07 0a016b 1202 0a00");
}

/* ---- the same answers as the JSON encoder ----------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32) % n;
}

/* Random bytes made of pieces: ASCII, valid multi-byte characters and
 * broken ones; with_json_specials adds '"', '\\' and control bytes. */
static size_t rnd_string(char *out, size_t cap, int with_json_specials)
{
    static const char *const pieces[] = {
        "a", "b", "Z", "0", " ", "/", "~", "\x7f",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbd",
        "\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80",
        "\xc0\xaf", "\xf4\x90\x80\x80", "\x80", "\xbf", "\xf8\x88\x80\x80",
        "\"", "\\", "\n", "\x01"
    };
    size_t npieces = sizeof(pieces) / sizeof(pieces[0]) - 4;
    size_t len = 0, want = rnd(40);

    if (with_json_specials) {
        npieces += 4;
    }
    while (len < want) {
        const char *p = pieces[rnd((uint32_t)npieces)];
        size_t n = strlen(p);

        if (len + n > cap) {
            break;
        }
        memcpy(out + len, p, n);
        len += n;
    }
    return len;
}

/* The string_value of the first attribute of the first span. */
static pb proto_first_value(const ot_buf *b)
{
    pb m;

    m.p = (const uint8_t *)b->data;
    m.end = m.p + b->len;
    m = pb_find(m, 1);          /* resource_spans */
    m = pb_find(m, 2);          /* scope_spans */
    m = pb_find(m, 2);          /* spans */
    m = pb_find(m, 9);          /* attributes */
    m = pb_find(m, 2);          /* value */
    return pb_find(m, 1);       /* string_value */
}

/* The same from the JSON encoder's output: the bytes between the quotes
 * (the strings used have nothing JSON escapes). */
static void json_first_value(const ot_buf *b, const char **p, size_t *len)
{
    static const char field[] = "\"stringValue\":\"";
    const char *s = NULL, *e;
    size_t i;

    for (i = 0; i + sizeof(field) - 1 <= b->len; i++) {
        if (memcmp(b->data + i, field, sizeof(field) - 1) == 0) {
            s = b->data + i + sizeof(field) - 1;
            break;
        }
    }
    assert_non_null(s);
    e = memchr(s, '"', (size_t)(b->data + b->len - s));
    assert_non_null(e);
    *p = s;
    *len = (size_t)(e - s);
}

static void test_strings_match_json(void **state)
{
    char val[64];
    ot_attribute a[1];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf pj, pp;
    int round;

    (void)state;
    ot_buf_init(&pj, 0, 0);
    ot_buf_init(&pp, 0, 0);
    span_init(&s);
    s.attributes = a;
    s.n_attributes = 1;
    for (round = 0; round < 3000; round++) {
        size_t len = rnd_string(val, sizeof(val), 0), jlen;
        uint32_t max = rnd(3) ? rnd(20) : 0;
        ot_json_options jo = { max };
        ot_proto_options po = { max };
        const char *jp;
        pb v;

        a[0] = attr_str("k", val, len);
        ot_buf_reset(&pj);
        ot_buf_reset(&pp);
        assert_int_equal(ot_otlp_json_encode(&pj, spans, 1, &jo), 0);
        assert_int_equal(ot_otlp_proto_encode(&pp, spans, 1, &po), 0);
        json_first_value(&pj, &jp, &jlen);
        v = proto_first_value(&pp);
        assert_int_equal((size_t)(v.end - v.p), jlen);
        assert_memory_equal(v.p, jp, jlen);
        assert_true(utf8_ok(v.p, jlen));
        if (max) {
            assert_true(jlen <= max);
        }
    }
    ot_buf_free(&pj);
    ot_buf_free(&pp);
}

/* The number after "flags": in the JSON encoder's output, or 0. */
static uint64_t json_flags(const ot_buf *b)
{
    static const char field[] = "\"flags\":";
    size_t i;

    for (i = 0; i + sizeof(field) - 1 <= b->len; i++) {
        if (memcmp(b->data + i, field, sizeof(field) - 1) == 0) {
            return strtoull(b->data + i + sizeof(field) - 1, NULL, 10);
        }
    }
    return 0;
}

static void test_flags_match_json(void **state)
{
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf pj, pp;
    unsigned combo;

    (void)state;
    ot_buf_init(&pj, 0, 0);
    ot_buf_init(&pp, 0, 0);
    for (combo = 0; combo < 32; combo++) {
        uint64_t pf = 0;
        pb_field f;
        pb m;
        int rc;

        span_init(&s);
        s.flags = (uint8_t)((combo & 3) == 3 ? 0xff : combo & 3);
        if (combo & 4) {
            memcpy(s.parent_span_id, parent_id, sizeof(parent_id));
        }
        else if (combo & 16) {
            s.parent_span_id[7] = 1;            /* one non-zero byte */
        }
        s.parent_is_remote = (uint8_t)((combo >> 3) & 1);
        ot_buf_reset(&pj);
        ot_buf_reset(&pp);
        assert_int_equal(ot_otlp_json_encode(&pj, spans, 1, NULL), 0);
        assert_int_equal(ot_otlp_proto_encode(&pp, spans, 1, NULL), 0);
        m.p = (const uint8_t *)pp.data;
        m.end = m.p + pp.len;
        m = pb_find(pb_find(pb_find(m, 1), 2), 2);
        while ((rc = pb_next(&m, &f)) == 1) {
            if (f.num == 16) {
                assert_int_equal(f.wt, 5);
                pf = f.v;
            }
        }
        assert_int_equal(rc, 0);
        assert_int_equal(pf, json_flags(&pj));
    }
    ot_buf_free(&pj);
    ot_buf_free(&pp);
}

/* ---- random batches --------------------------------------------------- */

#define R_SPANS 40
#define R_ATTRS 8
#define R_ITEMS 4

typedef struct rspan {
    ot_span_record rec;
    ot_attribute attrs[R_ATTRS];
    ot_event events[2];
    ot_attribute event_attrs[2][2];
    ot_link links[2];
    ot_attribute link_attrs[2][2];
    ot_str items[R_ATTRS + 8][R_ITEMS];
    char text[R_ATTRS * 2 + 16][64];
} rspan;

static ot_str rnd_str(char *buf)
{
    ot_str s;

    s.len = (uint32_t)rnd_string(buf, 64, 1);
    s.ptr = rnd(10) ? buf : NULL;
    return s;
}

/* A string array of up to R_ITEMS pieces of one random string in buf
 * (items NULL at times, and an item's pointer). */
static ot_str_array rnd_str_array(ot_str *items, char *buf)
{
    ot_str all = rnd_str(buf);
    ot_str_array sa;
    uint32_t k;

    sa.n = rnd(R_ITEMS + 1);
    sa.items = rnd(10) ? items : NULL;
    for (k = 0; k < sa.n; k++) {
        uint32_t from = rnd(all.len + 1);

        items[k].ptr = all.ptr ? buf + from : NULL;
        items[k].len = rnd(all.len - from + 1);
    }
    return sa;
}

static void rnd_attr(ot_attribute *a, char *kbuf, char *vbuf, ot_str *items)
{
    memset(a, 0, sizeof(*a));
    a->key = rnd_str(kbuf);
    a->type = rnd(6) + 1;                       /* 6: unknown */
    switch (a->type) {
    case OT_VALUE_STRING:
        a->v.s = rnd_str(vbuf);
        break;
    case OT_VALUE_STRING_ARRAY:
        a->v.sa = rnd_str_array(items, vbuf);
        break;
    case OT_VALUE_BOOL:
        a->v.b = (int)rnd(2);
        break;
    case OT_VALUE_INT:
        a->v.i = (int64_t)(((uint64_t)rnd(0xffffffffu) << 32 | rnd(0xffffffffu))
                           >> rnd(64));
        if (rnd(2)) {
            a->v.i = (int64_t)(0 - (uint64_t)a->v.i);
        }
        break;
    case OT_VALUE_DOUBLE:
        a->v.d = (double)rnd(100000) / 7.0 - 5000.0;
        break;
    default:
        break;
    }
}

static void rnd_span(rspan *r, const ot_resource *res)
{
    ot_span_record *s = &r->rec;
    int t = 0;
    uint32_t i, j;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < 16; i++) {
        s->trace_id[i] = (uint8_t)rnd(256);
    }
    for (i = 0; i < 8; i++) {
        s->span_id[i] = (uint8_t)rnd(256);
        s->parent_span_id[i] = rnd(2) ? (uint8_t)rnd(256) : 0;
    }
    s->flags = (uint8_t)rnd(256);
    s->kind = (uint8_t)rnd(7);
    s->status_code = (uint8_t)rnd(3);
    s->parent_is_remote = (uint8_t)rnd(2);
    s->trace_state = rnd_str(r->text[t++]);
    s->name = rnd_str(r->text[t++]);
    s->status_message = rnd_str(r->text[t++]);
    s->start_ns = rnd(4) ? (int64_t)rnd(0xffffffffu) << 20 : 0;
    s->end_ns = rnd(4) ? s->start_ns + rnd(1000000) : 0;
    s->n_attributes = rnd(R_ATTRS + 1);
    s->attributes = rnd(8) ? r->attrs : NULL;
    for (i = 0; i < s->n_attributes; i++) {
        rnd_attr(&r->attrs[i], r->text[t], r->text[t + 1], r->items[i]);
        t += 2;
    }
    s->dropped_attributes = rnd(3) ? 0 : rnd(0xffffffffu);
    s->n_events = rnd(3);
    s->events = r->events;
    for (i = 0; i < s->n_events; i++) {
        ot_event *e = &r->events[i];

        memset(e, 0, sizeof(*e));
        e->name = rnd_str(r->text[t++]);
        e->time_ns = rnd(2) ? (int64_t)rnd(0xffffffffu) : 0;
        e->n_attributes = rnd(3);
        e->attributes = r->event_attrs[i];
        for (j = 0; j < e->n_attributes; j++) {
            rnd_attr(&r->event_attrs[i][j], r->text[t], r->text[t],
                     r->items[R_ATTRS + 2 * i + j]);
        }
        t++;
    }
    s->dropped_events = rnd(2) ? 0 : rnd(300);
    s->n_links = rnd(3);
    s->links = r->links;
    for (i = 0; i < s->n_links; i++) {
        ot_link *l = &r->links[i];

        memset(l, 0, sizeof(*l));
        memcpy(l->trace_id, s->trace_id, sizeof(l->trace_id));
        l->span_id[0] = (uint8_t)rnd(256);
        l->flags = (uint8_t)rnd(3);
        l->trace_state = rnd_str(r->text[t++]);
        l->n_attributes = rnd(3);
        l->attributes = r->link_attrs[i];
        for (j = 0; j < l->n_attributes; j++) {
            rnd_attr(&r->link_attrs[i][j], r->text[t], r->text[t],
                     r->items[R_ATTRS + 4 + 2 * i + j]);
        }
        t++;
    }
    s->dropped_links = rnd(2) ? 0 : rnd(70000);
    s->resource = res;
}

static void test_random_batches(void **state)
{
    static rspan rs[R_SPANS];
    const ot_span_record *spans[R_SPANS];
    ot_attribute ra[2];
    ot_resource res[3];
    ot_buf b;
    int round;

    (void)state;
    memset(res, 0, sizeof(res));
    ra[0] = attr_str("service.name", "s\xff", 2);
    ra[1] = attr_int("pid", 42);
    res[0].attributes = ra;
    res[0].n_attributes = 2;
    res[0].scope_name = (ot_str)S("scope\xc3");
    res[1].scope_version = (ot_str)S("1.0");
    ot_buf_init(&b, 0, 0);
    for (round = 0; round < 300; round++) {
        uint32_t max = rnd(2) ? rnd(24) : 0;
        ot_proto_options opt = { max };
        size_t n = rnd(R_SPANS + 1), i, expect_spans = 0, expect_attrs = 0;
        size_t prefix = rnd(4);
        pb_stats st;

        for (i = 0; i < n; i++) {
            int which = (int)rnd(4);

            rnd_span(&rs[i], which == 3 ? NULL : &res[which]);
            spans[i] = rnd(10) ? &rs[i].rec : NULL;
        }
        ot_buf_reset(&b);
        for (i = 0; i < prefix; i++) {
            ot_buf_putc(&b, 'p');               /* appended after this */
        }
        assert_int_equal(ot_otlp_proto_encode(&b, spans, n, &opt), 0);
        assert_memory_equal(b.data, "ppp", prefix);
        check_valid(&b, prefix, &st);
        for (i = 0; i < n; i++) {
            const ot_span_record *s = spans[i];
            uint32_t k;

            if (!s) {
                continue;
            }
            expect_spans++;
            if (s->attributes) {
                expect_attrs += s->n_attributes;
            }
            for (k = 0; k < s->n_events; k++) {
                expect_attrs += s->events[k].n_attributes;
            }
            for (k = 0; k < s->n_links; k++) {
                expect_attrs += s->links[k].n_attributes;
            }
            if (s->resource == &res[0]) {
                expect_attrs += 2;              /* counted per group below */
            }
        }
        assert_int_equal(st.spans, expect_spans);
        if (max) {
            assert_true(st.max_value <= max);
        }
        /* resource attributes appear once per group, not per span */
        assert_true(st.attributes <= expect_attrs);
    }
    ot_buf_free(&b);
}

/* More spans in one group than the size cache holds. */
static void test_large_group(void **state)
{
    enum { N = 1300 };
    static ot_span_record s[N];
    static const ot_span_record *spans[N];
    ot_attribute a[1];
    uint8_t head[16], one[80];
    size_t hlen, olen, i;
    ot_buf b;

    (void)state;
    a[0] = attr_str("k", "v", 1);
    for (i = 0; i < N; i++) {
        span_init(&s[i]);
        if (i % 2) {
            s[i].attributes = a;
            s[i].n_attributes = 1;
        }
        spans[i] = &s[i];
    }
    /* 650 spans of 30 bytes, 650 of 30 + 10: 45500 bytes of ScopeSpans
     * (bc e3 02), 45504 of ResourceSpans (c0 e3 02). */
    hlen = unhex("0ac0e302 12bce302", head, sizeof(head));
    olen = unhex("121c" IDS "1226" IDS "4a08 0a016b 1203 0a0176",
                 one, sizeof(one));
    assert_int_equal(olen, 70);
    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, N, NULL), 0);
    assert_int_equal(b.len, hlen + 45500);
    assert_memory_equal(b.data, head, hlen);
    for (i = 0; i < N / 2; i++) {
        assert_memory_equal(b.data + hlen + i * olen, one, olen);
    }
    ot_buf_free(&b);
}

static void test_append_and_fail(void **state)
{
    char val[200];
    ot_attribute a[1];
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf b;

    (void)state;
    span_init(&s);
    ot_buf_init(&b, 0, 0);
    ot_buf_append(&b, "xy", 2);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
    assert_int_equal(b.len, 2 + 34);
    assert_memory_equal(b.data, "xy\x0a\x20\x12\x1e\x12\x1c", 8);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
    assert_int_equal(b.len, 2 + 68);
    ot_buf_free(&b);

    /* over the limit: 249 bytes fit in 300, twice that does not */
    memset(val, 'x', sizeof(val));
    a[0] = attr_str("k", val, sizeof(val));
    s.attributes = a;
    s.n_attributes = 1;
    ot_buf_init(&b, 0, 300);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
    assert_int_equal(b.len, 249);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), -1);
    assert_true(ot_buf_failed(&b));
    assert_int_equal(b.len, 249);
    /* a failed buffer stays failed */
    assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), -1);
    ot_buf_free(&b);
}

/* ---- the rich batch, also written out by --dump ----------------------- */

typedef struct rich {
    ot_resource res[2];
    ot_attribute res_attrs[3];
    ot_attribute res2_attrs[1];
    ot_attribute attrs[13];
    ot_attribute ev_attrs[1];
    ot_attribute link_attrs[1];
    ot_event events[2];
    ot_link links[1];
    ot_span_record s[4];
    const ot_span_record *spans[5];
} rich;

/* Captured header lines: one cut to RICH_MAX, one repaired. */
static const ot_str rich_accept[] = {
    S("text/html"), S("application/xhtml+xml;q=0.9"), S("x\xffy")
};

static void rich_init(rich *r)
{
    ot_span_record *s;

    memset(r, 0, sizeof(*r));
    r->res_attrs[0] = attr_str("service.name", "httpd-test", 10);
    r->res_attrs[1] = attr_str("host.name", "h1", 2);
    r->res_attrs[2] = attr_int("process.pid", 1234);
    r->res[0].attributes = r->res_attrs;
    r->res[0].n_attributes = 3;
    r->res[0].scope_name = (ot_str)S("mod_opentracing");
    r->res[0].scope_version = (ot_str)S("0.1.0");
    r->res2_attrs[0] = attr_str("service.name", "other", 5);
    r->res[1].attributes = r->res2_attrs;
    r->res[1].n_attributes = 1;

    r->attrs[0] = attr_str("http.request.method", "GET", 3);
    r->attrs[1] = attr_str("url.path", "/index.html", 11);
    r->attrs[2] = attr_int("http.response.status_code", 200);
    r->attrs[3] = attr_int("server.port", 8080);
    r->attrs[4] = attr_bool("tls", 0);
    r->attrs[5] = attr_dbl("ratio", 0.25);
    r->attrs[6] = attr_int("neg", -42);
    r->attrs[7] = attr_int("min", INT64_MIN);
    r->attrs[8] = attr_str("empty", "", 0);
    r->attrs[9] = attr_str("utf8", "caf\xc3\xa9", 5);
    r->attrs[10] = attr_str("bad", "a\xff" "b", 3);
    r->attrs[11] = attr_str("long", "0123456789abcdefXYZ", 19);
    r->attrs[12] = attr_of("http.request.header.accept",
                           OT_VALUE_STRING_ARRAY);
    r->attrs[12].v.sa.items = rich_accept;
    r->attrs[12].v.sa.n = 3;
    r->ev_attrs[0] = attr_str("exception.message", "boom", 4);
    r->link_attrs[0] = attr_bool("sampled", 1);

    r->events[0].name = (ot_str)S("exception");
    r->events[0].time_ns = INT64_C(1700000000123500000);
    r->events[0].attributes = r->ev_attrs;
    r->events[0].n_attributes = 1;
    memcpy(r->links[0].trace_id, parent_id, sizeof(parent_id));
    memcpy(r->links[0].trace_id + 8, span_id, sizeof(span_id));
    memcpy(r->links[0].span_id, parent_id, sizeof(parent_id));
    r->links[0].flags = 1;
    r->links[0].trace_state = (ot_str)S("k=v");
    r->links[0].attributes = r->link_attrs;
    r->links[0].n_attributes = 1;

    s = &r->s[0];                               /* a rich root span */
    span_init(s);
    s->flags = OT_FLAG_SAMPLED;
    s->kind = OT_SPAN_KIND_SERVER;
    s->name = (ot_str)S("GET /index.html");
    s->start_ns = INT64_C(1700000000123456789);
    s->end_ns = INT64_C(1700000000123956789);
    s->attributes = r->attrs;
    s->n_attributes = 13;
    s->dropped_attributes = 2;
    s->events = r->events;
    s->n_events = 2;
    s->dropped_events = 1;
    s->links = r->links;
    s->n_links = 1;
    s->status_code = OT_STATUS_ERROR;
    s->status_message = (ot_str)S("boom");
    s->resource = &r->res[0];

    s = &r->s[1];                               /* child of a remote parent */
    span_init(s);
    s->span_id[7] = 0xa9;
    memcpy(s->parent_span_id, parent_id, sizeof(parent_id));
    s->parent_is_remote = 1;
    s->flags = OT_FLAG_SAMPLED;
    s->trace_state = (ot_str)S("congo=t61rcWkgMzE");
    s->kind = OT_SPAN_KIND_CLIENT;
    s->name = (ot_str)S("proxy");
    s->start_ns = INT64_C(1700000000123460000);
    s->end_ns = INT64_C(1700000000123470000);
    s->status_code = OT_STATUS_OK;
    s->resource = &r->res[0];

    s = &r->s[2];                               /* bare, other resource */
    span_init(s);
    s->span_id[7] = 0xaa;
    s->resource = &r->res[1];

    s = &r->s[3];                               /* back to the first */
    span_init(s);
    s->span_id[7] = 0xab;
    memcpy(s->parent_span_id, span_id, sizeof(span_id));
    s->name = (ot_str)S("local child");
    s->kind = OT_SPAN_KIND_INTERNAL;
    s->resource = &r->res[0];

    r->spans[0] = &r->s[0];
    r->spans[1] = &r->s[1];
    r->spans[2] = &r->s[2];
    r->spans[3] = NULL;
    r->spans[4] = &r->s[3];
}

#define RICH_MAX 16

static void test_rich_batch(void **state)
{
    rich r;
    ot_proto_options opt = { RICH_MAX };
    pb_stats st;
    ot_buf b;

    (void)state;
    rich_init(&r);
    ot_buf_init(&b, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, r.spans, 5, &opt), 0);
    check_valid(&b, 0, &st);
    assert_int_equal(st.resource_spans, 3);
    assert_int_equal(st.spans, 4);
    assert_int_equal(st.events, 2);
    assert_int_equal(st.links, 1);
    /* resource 3 + 1 + 3, span 13, event 1, link 1 */
    assert_int_equal(st.attributes, 22);
    assert_int_equal(st.max_value, RICH_MAX);
    ot_buf_free(&b);
}

/* ---- room, lengths, keys ---------------------------------------------- */

/* The spans of the first ScopeSpans of every ResourceSpans of b, from the
 * offset from: their content in spans[], how many. */
static size_t spans_of(const ot_buf *b, size_t from, pb *spans, size_t cap)
{
    pb req, rs, ss;
    pb_field f, g;
    size_t n = 0;

    req.p = (const uint8_t *)b->data + from;
    req.end = (const uint8_t *)b->data + b->len;
    while (pb_next(&req, &f) == 1) {
        assert_int_equal(f.num, 1);
        rs = f.sub;
        ss = pb_find(rs, 2);
        while (pb_next(&ss, &g) == 1) {
            if (g.num == 2) {
                assert_true(n < cap);
                spans[n++] = g.sub;
            }
        }
    }
    return n;
}

/* The offsets where the groups (ResourceSpans) of b end. */
static size_t group_ends(const ot_buf *b, size_t *ends, size_t cap)
{
    pb req;
    pb_field f;
    size_t n = 0;

    req.p = (const uint8_t *)b->data;
    req.end = req.p + b->len;
    while (pb_next(&req, &f) == 1) {
        assert_true(n < cap);
        ends[n++] = (size_t)(req.p - (const uint8_t *)b->data);
    }
    return n;
}

/* A batch with everything: rich spans, long keys and values (repaired
 * the most: 0xff, three bytes each), string arrays of them, some alone in
 * their lists, more attributes than the encoder remembers keys for. */
typedef struct big_batch {
    rich r;
    char keys[40][200];
    char vals[40][300];
    ot_str items[40][5];
    ot_attribute at[40];
    ot_event ev[1];
    ot_span_record s[5];
    const ot_span_record *spans[10];
} big_batch;

static void big_batch_init(big_batch *g)
{
    size_t i, k;

    memset(g, 0, sizeof(*g));
    rich_init(&g->r);
    for (i = 0; i < 40; i++) {
        size_t klen = i % 9 == 4 ? 49 + i : i % 13 == 6 ? 128 + i : 1 + i;
        size_t vlen = i % 4 == 1 ? 126 + i : i % 7 == 3 ? 65 + i : i;

        for (k = 0; k < klen; k++) {
            g->keys[i][k] = (char)('a' + (i + k) % 26);
        }
        for (k = 0; k < vlen; k++) {
            g->vals[i][k] = (char)(i % 3 ? 'v' : 0xff);
        }
        if (i % 5 == 2) {
            g->keys[i][0] = (char)0xc3;         /* a key repaired */
        }
        if (i == 38) {                          /* all repaired, short */
            klen = 48;
            vlen = 125;
            memset(g->keys[i], 0xff, klen);
            memset(g->vals[i], 0xff, vlen);
        }
        g->at[i] = attr_str("", g->vals[i], vlen);
        g->at[i].key.ptr = g->keys[i];
        g->at[i].key.len = (uint32_t)klen;
        if (i % 8 == 7) {
            g->at[i] = attr_int("", -(int64_t)i);
            g->at[i].key.ptr = g->keys[i];
            g->at[i].key.len = (uint32_t)klen;
        }
        else if (i % 6 == 5 || i == 22 || i == 32) {
            /* items: the value, its halves, nothing, and the next one;
             * keys of 71 and 160 bytes at 22 and 32 */
            g->items[i][0] = g->at[i].v.s;
            g->items[i][1].ptr = g->vals[i];
            g->items[i][1].len = (uint32_t)(vlen / 2);
            g->items[i][2].ptr = g->vals[i] + vlen / 2;
            g->items[i][2].len = (uint32_t)(vlen - vlen / 2);
            g->items[i][3].ptr = NULL;
            g->items[i][3].len = 0;
            g->items[i][4].ptr = g->vals[(i + 1) % 40];
            g->items[i][4].len = 126;
            g->at[i].type = OT_VALUE_STRING_ARRAY;
            g->at[i].v.sa.items = g->items[i];
            g->at[i].v.sa.n = 5 - (uint32_t)(i % 5);
        }
    }
    g->ev[0].name = (ot_str)S("e");
    g->ev[0].attributes = g->at + 33;
    g->ev[0].n_attributes = 1;
    for (i = 0; i < 5; i++) {
        span_init(&g->s[i]);
        g->s[i].span_id[0] = (uint8_t)i;
        g->s[i].resource = &g->r.res[0];
    }
    g->s[0].attributes = g->at;             /* all of them */
    g->s[0].n_attributes = 40;
    g->s[0].events = g->ev;
    g->s[0].n_events = 1;
    for (i = 1; i < 5; i++) {               /* one each, the longest */
        static const size_t which[] = { 0, 3, 24, 35, 38 };

        g->s[i].attributes = g->at + which[i];
        g->s[i].n_attributes = 1;
    }
    /* the ones alone first, where every room is tried */
    for (i = 0; i < 5; i++) {
        g->spans[i] = &g->s[(i + 1) % 5];
        g->spans[5 + i] = g->r.spans[i];
    }
}

/* A span whose one attribute is a long string array, every byte repaired (U+FFFD): its
 * room is its own, not the slack of others.  The same bytes whatever room
 * the buffer has to begin with (every allocation size: 256, doubled). */
static void test_array_room(void **state)
{
    static char val[300];
    ot_str items[40];
    ot_attribute a;
    ot_span_record s;
    const ot_span_record *spans[1] = { &s };
    ot_buf ref, b;
    size_t cap, i;

    (void)state;
    memset(val, 0xff, sizeof(val));
    for (i = 0; i < 40; i++) {
        items[i].ptr = val;
        items[i].len = sizeof(val);
    }
    a = attr_of("h", OT_VALUE_STRING_ARRAY);
    a.v.sa.items = items;
    a.v.sa.n = 40;
    span_init(&s);
    s.attributes = &a;
    s.n_attributes = 1;
    ot_buf_init(&ref, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&ref, spans, 1, NULL), 0);
    assert_true(ref.len > 40 * sizeof(val) * 3);
    for (cap = 256; cap < 2 * ref.len; cap *= 2) {
        ot_buf_init(&b, cap, 0);
        assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
        assert_int_equal(b.len, ref.len);
        assert_memory_equal(b.data, ref.data, ref.len);
        ot_buf_free(&b);
    }
    ot_buf_free(&ref);
}

/* The same bytes whatever room the buffer has to begin with, and with a
 * limit: the groups that fit, and the buffer failed from the first one
 * that does not. */
static void test_any_room(void **state)
{
    big_batch *g = malloc(sizeof(*g));
    ot_proto_options opt = { 0 };
    size_t ends[16], nends, cap, k, want;
    ot_buf ref, b;
    int round;

    (void)state;
    assert_non_null(g);
    big_batch_init(g);
    for (round = 0; round < 2; round++) {
        opt.max_value_len = round ? 100 : 0;
        ot_buf_init(&ref, 0, 0);
        assert_int_equal(ot_otlp_proto_encode(&ref, g->spans, 10, &opt), 0);
        nends = group_ends(&ref, ends, 16);
        for (cap = 0; cap <= ref.len + 64; cap += cap < 1024 ? 1 : 53) {
            ot_buf_init(&b, cap, 0);
            assert_int_equal(ot_otlp_proto_encode(&b, g->spans, 10, &opt), 0);
            assert_int_equal(b.len, ref.len);
            assert_memory_equal(b.data, ref.data, ref.len);
            ot_buf_free(&b);
            /* cap bytes and no more (the limit, 0 being none) */
            ot_buf_init(&b, cap, cap ? cap : 1);
            for (k = 0, want = 0; k < nends && ends[k] <= cap; k++) {
                want = ends[k];
            }
            assert_int_equal(ot_otlp_proto_encode(&b, g->spans, 10, &opt),
                             want == ref.len ? 0 : -1);
            assert_int_equal(b.len, want);
            assert_int_equal(ot_buf_failed(&b), want != ref.len);
            assert_memory_equal(b.data, ref.data, want);
            ot_buf_free(&b);
        }
        ot_buf_free(&ref);
    }
    free(g);
}

/* Lengths of one, two, three and four bytes: spans of 127, 128, 16383
 * and 16384 bytes and more, a KeyValue of 128 bytes, a group of 2 MiB. */
static void test_length_sizes(void **state)
{
    enum { NBIG = 520, VBIG = 4100 };
    static ot_span_record s[NBIG];
    static const ot_span_record *spans[NBIG];
    static ot_attribute a[NBIG];
    char *val = malloc(20000);
    /* a span of 28 bytes of ids and one KeyValue of 5 + (1 + n) bytes
     * and more: span, KeyValue, AnyValue, string lengths cross 127 */
    size_t sizes[] = { 89, 90, 91, 120, 121, 122, 125, 126, 127,
                       16342, 16343, 16344, 16345 };
    size_t i, t;
    pb got[NBIG];
    pb_stats st;
    ot_str item;
    ot_buf b;

    (void)state;
    assert_non_null(val);
    memset(val, 'x', 20000);
    ot_buf_init(&b, 0, 0);
    for (t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
        span_init(&s[0]);
        a[0] = attr_str("k", val, sizes[t]);
        s[0].attributes = a;
        s[0].n_attributes = 1;
        spans[0] = &s[0];
        ot_buf_reset(&b);
        assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
        check_valid(&b, 0, &st);
        assert_int_equal(spans_of(&b, 0, got, 1), 1);
        assert_int_equal(st.max_value, sizes[t]);
        /* the same string as the one item of an array: two lengths more */
        item.ptr = val;
        item.len = (uint32_t)sizes[t];
        a[0] = attr_of("k", OT_VALUE_STRING_ARRAY);
        a[0].v.sa.items = &item;
        a[0].v.sa.n = 1;
        ot_buf_reset(&b);
        assert_int_equal(ot_otlp_proto_encode(&b, spans, 1, NULL), 0);
        check_valid(&b, 0, &st);
        assert_int_equal(st.attributes, 1);
        assert_int_equal(st.max_value, sizes[t]);
    }
    for (i = 0; i < NBIG; i++) {
        span_init(&s[i]);
        a[i] = attr_str("k", val, VBIG + i % 3);
        s[i].attributes = &a[i];
        s[i].n_attributes = 1;
        spans[i] = &s[i];
    }
    ot_buf_reset(&b);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, NBIG, NULL), 0);
    check_valid(&b, 0, &st);
    assert_int_equal(st.spans, NBIG);
    /* ResourceSpans: tag, then a length of four bytes */
    assert_true(b.len > 1u << 21);
    assert_int_equal((uint8_t)b.data[0], 0x0a);
    assert_true((uint8_t)b.data[3] & 0x80);
    assert_false((uint8_t)b.data[4] & 0x80);
    assert_int_equal(spans_of(&b, 0, got, NBIG), NBIG);
    for (i = 0; i < NBIG; i++) {
        /* ids, then tag and length (3 bytes) of the KeyValue, the key
         * field (with its byte), the value and the string */
        assert_int_equal((size_t)(got[i].end - got[i].p),
                         28 + 3 + 3 + 3 + 3 + VBIG + i % 3);
    }
    ot_buf_free(&b);
    free(val);
}

/* Spans with the same keys, or keys at the same address with another
 * length, or other keys, in one batch: each span as if it were alone. */
static void test_keys_remembered(void **state)
{
    static const char text[] = "http.request.method.and.more.to.come.here"
                               ".so.keys.of.any.length.fit.in.this\xff";
    enum { NS = 6, NA = 40 };
    ot_attribute at[NS][NA];
    ot_span_record s[NS];
    const ot_span_record *spans[NS];
    pb together[NS], alone[1];
    size_t i, k;
    ot_buf b, one;

    (void)state;
    for (i = 0; i < NS; i++) {
        for (k = 0; k < NA; k++) {
            /* spans 0, 1: the same keys; 2: other lengths at the same
             * addresses; 3: other addresses; 4: fewer; 5: as 0 again */
            size_t klen = (k * 7) % 60 + (i == 2 ? 1 : 0);
            const char *kp = text + (i == 3 ? k % 5 + 1 : k % 5);

            at[i][k] = attr_int("", (int64_t)k);
            at[i][k].key.ptr = k == 9 ? NULL : kp;
            at[i][k].key.len = (uint32_t)klen;
        }
        span_init(&s[i]);
        s[i].attributes = at[i];
        s[i].n_attributes = i == 4 ? 3 : NA;
        spans[i] = &s[i];
    }
    ot_buf_init(&b, 0, 0);
    ot_buf_init(&one, 0, 0);
    assert_int_equal(ot_otlp_proto_encode(&b, spans, NS, NULL), 0);
    assert_int_equal(spans_of(&b, 0, together, NS), NS);
    for (i = 0; i < NS; i++) {
        ot_buf_reset(&one);
        assert_int_equal(ot_otlp_proto_encode(&one, &spans[i], 1, NULL), 0);
        assert_int_equal(spans_of(&one, 0, alone, 1), 1);
        assert_int_equal(together[i].end - together[i].p,
                         alone[0].end - alone[0].p);
        assert_memory_equal(together[i].p, alone[0].p,
                            (size_t)(alone[0].end - alone[0].p));
    }
    ot_buf_free(&b);
    ot_buf_free(&one);
}

static int dump_rich(const char *path)
{
    rich r;
    ot_proto_options opt = { RICH_MAX };
    ot_buf b;
    FILE *f;
    int rc = 1;

    rich_init(&r);
    ot_buf_init(&b, 0, 0);
    if (ot_otlp_proto_encode(&b, r.spans, 5, &opt) == 0) {
        f = fopen(path, "wb");
        if (f) {
            if (fwrite(b.data, 1, b.len, f) == b.len) {
                rc = 0;
            }
            if (fclose(f) != 0) {
                rc = 1;
            }
        }
    }
    ot_buf_free(&b);
    if (rc) {
        fprintf(stderr, "cannot write %s\n", path);
    }
    return rc;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_minimal_span),
        cmocka_unit_test(test_root_span),
        cmocka_unit_test(test_child_spans),
        cmocka_unit_test(test_value_types),
        cmocka_unit_test(test_string_arrays),
        cmocka_unit_test(test_varint_boundaries),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_events_links),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_strings_match_json),
        cmocka_unit_test(test_flags_match_json),
        cmocka_unit_test(test_random_batches),
        cmocka_unit_test(test_large_group),
        cmocka_unit_test(test_append_and_fail),
        cmocka_unit_test(test_rich_batch),
        cmocka_unit_test(test_array_room),
        cmocka_unit_test(test_any_room),
        cmocka_unit_test(test_length_sizes),
        cmocka_unit_test(test_keys_remembered),
    };

    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        return dump_rich(argv[2]);
    }
    rules_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
