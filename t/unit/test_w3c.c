/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Unit tests for tracer/ot_w3c.c (W3C Trace Context Level 1). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ot_fields.h"
#include "ot_w3c.h"

#define TID_SPEC "4bf92f3577b34da6a3ce929d0e0e4736"
#define SID_SPEC "00f067aa0ba902b7"
#define TID_H "12345678901234567890123456789012"
#define SID_H "1234567890123456"
#define TP_H "00-" TID_H "-" SID_H "-01"

/* Big enough for any normalized tracestate: 32 * (256 + 1 + 256) + 31. */
#define TS_CAP (OT_TRACESTATE_MAX_MEMBERS * 513 + 32)

static void hex2bin(const char *hex, uint8_t *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
        out[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
}

static char *repeat(char *p, char c, size_t n)
{
    memset(p, c, n);
    return p + n;
}

/* ------------------------------------------------------------------ */
/* traceparent                                                         */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *in;
    size_t len;         /* 0: strlen(in) */
    int ok;
    const char *tid;    /* expected when ok */
    const char *sid;
    uint8_t flags;
} tp_case;

static const tp_case tp_cases[] = {
    /* The spec's examples, verbatim. */
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 0, 1,
      TID_SPEC, SID_SPEC, 0x01 },
    { "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", 0, 1,
      TID_SPEC, SID_SPEC, 0x00 },
    { "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 0, 1,
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x01 },
    { "00-0af7651916cd43dd8448eb211c80319c-b9c7c989f97918e1-01", 0, 1,
      "0af7651916cd43dd8448eb211c80319c", "b9c7c989f97918e1", 0x01 },
    /* Flags are a bit field: unknown bits are accepted and passed on. */
    { "00-" TID_H "-" SID_H "-ff", 0, 1, TID_H, SID_H, 0xff },
    { "00-" TID_H "-" SID_H "-09", 0, 1, TID_H, SID_H, 0x09 },
    /* Not all zero is enough. */
    { "00-00000000000000000000000000000001-0000000000000001-00", 0, 1,
      "00000000000000000000000000000001", "0000000000000001", 0x00 },
    { "00-10000000000000000000000000000000-1000000000000000-00", 0, 1,
      "10000000000000000000000000000000", "1000000000000000", 0x00 },
    /* OWS around the value. */
    { " " TP_H, 0, 1, TID_H, SID_H, 0x01 },
    { "\t" TP_H, 0, 1, TID_H, SID_H, 0x01 },
    { TP_H " ", 0, 1, TID_H, SID_H, 0x01 },
    { TP_H "\t", 0, 1, TID_H, SID_H, 0x01 },
    { "\t " TP_H " \t", 0, 1, TID_H, SID_H, 0x01 },
    /* Higher versions: parse the version-00 fields. */
    { "cc-" TID_H "-" SID_H "-01", 0, 1, TID_H, SID_H, 0x01 },
    { "cc-" TID_H "-" SID_H "-01-what-the-future-will-be-like", 0, 1,
      TID_H, SID_H, 0x01 },
    { "01-" TID_H "-" SID_H "-00-", 0, 1, TID_H, SID_H, 0x00 },
    { "fe-" TID_H "-" SID_H "-01-x", 0, 1, TID_H, SID_H, 0x01 },
    { " 01-" TID_H "-" SID_H "-01-x\t", 0, 1, TID_H, SID_H, 0x01 },

    /* Version ff is forbidden, in any shape. */
    { "ff-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "ff-" TID_H "-" SID_H "-01-future", 0, 0, NULL, NULL, 0 },
    /* Version 00 must be exactly 55 characters. */
    { TP_H ".", 0, 0, NULL, NULL, 0 },
    { TP_H "-", 0, 0, NULL, NULL, 0 },
    { TP_H "-what-the-future-will-be-like", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-0", 0, 0, NULL, NULL, 0 },
    /* Higher version longer than 55: a dash must follow the flags. */
    { "cc-" TID_H "-" SID_H "-01.what-the-future-will-be-like", 0, 0,
      NULL, NULL, 0 },
    { "cc-" TID_H "-" SID_H "-012", 0, 0, NULL, NULL, 0 },
    { "cc-" TID_H "-" SID_H "-01 ", 0, 1, TID_H, SID_H, 0x01 },
    { "cc-" TID_H "-" SID_H "-01 -x", 0, 0, NULL, NULL, 0 },
    { "cc-" TID_H "-" SID_H "-1", 0, 0, NULL, NULL, 0 },
    /* Version characters. */
    { ".0-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "0.-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "0A-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "CC-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "FF-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "g0-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "000-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "0000-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "0-" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    /* trace-id. */
    { "00-00000000000000000000000000000000-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "cc-00000000000000000000000000000000-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-4BF92F3577B34DA6A3CE929D0E0E4736-" SID_SPEC "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-4bf92f3577b34da6a3ce929d0e0e473A-" SID_SPEC "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-.2345678901234567890123456789012-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-1234567890123456789012345678901.-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-123456789012345678901234567890123-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "00-1234567890123456789012345678901-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "cc-123456789012345678901234567890123-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    /* parent-id. */
    { "00-" TID_H "-0000000000000000-01", 0, 0, NULL, NULL, 0 },
    { "cc-" TID_H "-0000000000000000-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_SPEC "-00F067AA0BA902B7-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-.234567890123456-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-123456789012345.-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-12345678901234567-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-123456789012345-01", 0, 0, NULL, NULL, 0 },
    /* trace-flags. */
    { "00-" TID_H "-" SID_H "-.0", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-0.", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-0A", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-001", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-1", 0, 0, NULL, NULL, 0 },
    /* Separators. */
    { "00_" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "_" SID_H "-01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "_01", 0, 0, NULL, NULL, 0 },
    { "00 " TID_H " " SID_H " 01", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "--" SID_H "01", 0, 0, NULL, NULL, 0 },
    { "00 -" TID_H "-" SID_H "-01", 0, 0, NULL, NULL, 0 },
    /* Several header fields combined by httpd ("a, b") or a proxy. */
    { TP_H ", " TP_H, 0, 0, NULL, NULL, 0 },
    { TP_H "," TP_H, 0, 0, NULL, NULL, 0 },
    { "00-12345678901234567890123456789011-" SID_H "-01, " TP_H, 0, 0,
      NULL, NULL, 0 },
    { "cc-" TID_H "-" SID_H "-01,cc-" TID_H "-" SID_H "-01", 0, 0, NULL,
      NULL, 0 },
    { "cc-" TID_H "-" SID_H "-01-x, cc-" TID_H "-" SID_H "-01-x", 0, 0,
      NULL, NULL, 0 },
    /* Empty, whitespace, short, embedded NUL, other whitespace. */
    { "", 0, 0, NULL, NULL, 0 },
    { " \t ", 0, 0, NULL, NULL, 0 },
    { "00", 0, 0, NULL, NULL, 0 },
    { "00-" TID_H "-" SID_H "-0\0" "1", 55, 0, NULL, NULL, 0 },
    { "00-" TID_H "\0" SID_H "-01", 55, 0, NULL, NULL, 0 },
    { "\n" TP_H, 0, 0, NULL, NULL, 0 },
    { TP_H "\r\n", 0, 0, NULL, NULL, 0 },
};

static void test_traceparent_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tp_cases) / sizeof(tp_cases[0]); i++) {
        const tp_case *c = &tp_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        uint8_t tid[16], sid[8], fl = 0xaa;
        int r;

        memset(tid, 0xaa, sizeof(tid));
        memset(sid, 0xaa, sizeof(sid));
        r = ot_w3c_traceparent_parse(c->in, len, tid, sid, &fl);
        if (r != (c->ok ? 0 : -1)) {
            print_error("traceparent case %zu: \"%s\": got %d\n", i, c->in, r);
        }
        assert_int_equal(r, c->ok ? 0 : -1);
        if (c->ok) {
            uint8_t want_tid[16], want_sid[8];

            hex2bin(c->tid, want_tid, 16);
            hex2bin(c->sid, want_sid, 8);
            assert_memory_equal(tid, want_tid, 16);
            assert_memory_equal(sid, want_sid, 8);
            assert_int_equal(fl, c->flags);
        }
        else {
            /* Outputs are left untouched on failure. */
            uint8_t aa[16];

            memset(aa, 0xaa, sizeof(aa));
            assert_memory_equal(tid, aa, 16);
            assert_memory_equal(sid, aa, 8);
            assert_int_equal(fl, 0xaa);
        }
    }
}

/* Every byte value in every hex position: only [0-9a-f] is accepted. */
static void test_traceparent_every_byte(void **state)
{
    static const size_t pos[] = { 0, 1, 3, 20, 34, 36, 51, 53, 54 };
    size_t p;
    unsigned c;

    (void)state;
    for (p = 0; p < sizeof(pos) / sizeof(pos[0]); p++) {
        for (c = 0; c < 256; c++) {
            char buf[OT_TRACEPARENT_LEN];
            uint8_t tid[16], sid[8], fl;
            int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

            memcpy(buf, "01-" TID_H "-" SID_H "-01", sizeof(buf));
            buf[pos[p]] = (char)c;
            assert_int_equal(ot_w3c_traceparent_parse(buf, sizeof(buf), tid,
                                                      sid, &fl),
                             hex ? 0 : -1);
        }
    }
}

/* Every byte in place of each dash: only '-' is accepted. */
static void test_traceparent_separators(void **state)
{
    static const size_t pos[] = { 2, 35, 52 };
    size_t p;
    unsigned c;

    (void)state;
    for (p = 0; p < sizeof(pos) / sizeof(pos[0]); p++) {
        for (c = 0; c < 256; c++) {
            char buf[OT_TRACEPARENT_LEN];
            uint8_t tid[16], sid[8], fl;

            memcpy(buf, TP_H, sizeof(buf));
            buf[pos[p]] = (char)c;
            assert_int_equal(ot_w3c_traceparent_parse(buf, sizeof(buf), tid,
                                                      sid, &fl),
                             c == '-' ? 0 : -1);
        }
    }
}

/* Every version: 00-fe accepted, ff refused; the length rules differ. */
static void test_traceparent_versions(void **state)
{
    unsigned v;

    (void)state;
    for (v = 0; v < 256; v++) {
        char buf[80];
        uint8_t tid[16], sid[8], fl;
        static const char hx[] = "0123456789abcdef";
        int want = v == 0xff ? -1 : 0;

        memcpy(buf, TP_H "-future", sizeof(TP_H "-future"));
        buf[0] = hx[v >> 4];
        buf[1] = hx[v & 15];
        assert_int_equal(ot_w3c_traceparent_parse(buf, OT_TRACEPARENT_LEN,
                                                  tid, sid, &fl), want);
        assert_int_equal(ot_w3c_traceparent_parse(buf, strlen(buf), tid,
                                                  sid, &fl),
                         v == 0 ? -1 : want);
    }
}

static void test_traceparent_format(void **state)
{
    uint8_t tid[16], sid[8], tid2[16], sid2[8], fl2;
    char out[OT_TRACEPARENT_LEN + 1];

    (void)state;
    hex2bin(TID_SPEC, tid, 16);
    hex2bin(SID_SPEC, sid, 8);
    memset(out, 'x', sizeof(out));
    ot_w3c_traceparent_format(tid, sid, 0x01, out);
    assert_string_equal(out,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ot_w3c_traceparent_format(tid, sid, 0x00, out);
    assert_string_equal(out,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");

    memset(tid, 0xff, sizeof(tid));
    memset(sid, 0xab, sizeof(sid));
    ot_w3c_traceparent_format(tid, sid, 0xff, out);
    assert_string_equal(out,
        "00-ffffffffffffffffffffffffffffffff-abababababababab-ff");
    assert_int_equal(strlen(out), OT_TRACEPARENT_LEN);
    assert_int_equal(ot_w3c_traceparent_parse(out, strlen(out), tid2, sid2,
                                              &fl2), 0);
    assert_memory_equal(tid, tid2, 16);
    assert_memory_equal(sid, sid2, 8);
    assert_int_equal(fl2, 0xff);
}

/* Round trips: every valid table entry formats to a 00 value that parses
 * back to the same fields (a higher version is downgraded to 00). */
static void test_traceparent_round_trip(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(tp_cases) / sizeof(tp_cases[0]); i++) {
        const tp_case *c = &tp_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        uint8_t tid[16], sid[8], fl, tid2[16], sid2[8], fl2;
        char out[OT_TRACEPARENT_LEN + 1];

        if (ot_w3c_traceparent_parse(c->in, len, tid, sid, &fl) != 0) {
            continue;
        }
        ot_w3c_traceparent_format(tid, sid, fl, out);
        assert_int_equal(strlen(out), OT_TRACEPARENT_LEN);
        assert_true(out[0] == '0' && out[1] == '0');
        assert_int_equal(ot_w3c_traceparent_parse(out, strlen(out), tid2,
                                                  sid2, &fl2), 0);
        assert_memory_equal(tid, tid2, 16);
        assert_memory_equal(sid, sid2, 8);
        assert_int_equal(fl, fl2);
    }
}

/* ------------------------------------------------------------------ */
/* tracestate                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *in;
    size_t len;         /* 0: strlen(in) */
    const char *want;   /* NULL: invalid */
} ts_case;

static const ts_case ts_cases[] = {
    /* The spec's examples, verbatim. */
    { "congo=t61rcWkgMzE", 0, "congo=t61rcWkgMzE" },
    { "rojo=00f067aa0ba902b7", 0, "rojo=00f067aa0ba902b7" },
    { "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", 0,
      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
    { "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7", 0,
      "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7" },
    { "vendorname1=opaqueValue1,vendorname2=opaqueValue2", 0,
      "vendorname1=opaqueValue1,vendorname2=opaqueValue2" },
    { "congo=congosSecondPosition,rojo=rojosFirstPosition", 0,
      "congo=congosSecondPosition,rojo=rojosFirstPosition" },
    { "my-tracing-system=x", 0, "my-tracing-system=x" },
    /* Multi-tenant keys (tenant-id "@" system-id). */
    { "fw529a3039@dt=fw4;5;9d4a7d4e;0;0;0;0;2b7;8eae;2h01", 0,
      "fw529a3039@dt=fw4;5;9d4a7d4e;0;0;0;0;2b7;8eae;2h01" },
    { "tenant@xyz=1,other@xyz=2,xyz=3", 0,
      "tenant@xyz=1,other@xyz=2,xyz=3" },
    { "1tenant@sys=1", 0, "1tenant@sys=1" },
    { "t@s=1", 0, "t@s=1" },
    { "a_-*/@b_-*/9=1", 0, "a_-*/@b_-*/9=1" },
    /* Values: leading spaces and inner spaces belong to the value. */
    { "foo= 1", 0, "foo= 1" },
    { "foo=  a b  c", 0, "foo=  a b  c" },
    { "foo=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~", 0,
      "foo=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~" },
    /* Empty lists and empty members. */
    { "", 0, "" },
    { " ", 0, "" },
    { " \t ", 0, "" },
    { ",", 0, "" },
    { ",,,", 0, "" },
    { " , \t, ", 0, "" },
    { "foo=1,", 0, "foo=1" },
    { ",foo=1", 0, "foo=1" },
    { "foo=1, ", 0, "foo=1" },
    { ", foo=1", 0, "foo=1" },
    { "foo=1,,bar=2", 0, "foo=1,bar=2" },
    { "foo=1, ,\t,bar=2", 0, "foo=1,bar=2" },
    /* OWS around members is dropped. */
    { "foo=1 \t , \t bar=2, \t baz=3", 0, "foo=1,bar=2,baz=3" },
    { "foo=1\t \t,\t \tbar=2,\t \tbaz=3", 0, "foo=1,bar=2,baz=3" },
    { " foo=1", 0, "foo=1" },
    { "\tfoo=1", 0, "foo=1" },
    { "foo=1 ", 0, "foo=1" },
    { "foo=1\t", 0, "foo=1" },
    { "\t foo=1 \t", 0, "foo=1" },
    { "foo=a b ,bar=2", 0, "foo=a b,bar=2" },
    /* Several header fields combined by httpd. */
    { "foo=1,bar=2, rojo=1,congo=2, baz=3", 0,
      "foo=1,bar=2,rojo=1,congo=2,baz=3" },

    /* Duplicate keys (level 2): the first stays, later ones go. */
    { "foo=1,foo=1", 0, "foo=1" },
    { "foo=1,foo=2", 0, "foo=1" },
    { "foo=1, foo=2", 0, "foo=1" },
    { "a@b=1,c=2,a@b=3", 0, "a@b=1,c=2" },
    { "foo=1,bar=2,foo=3,bar=4,baz=5", 0, "foo=1,bar=2,baz=5" },
    /* A duplicate must still be valid, and does not count. */
    { "foo=1,foo=", 0, NULL },
    /* Keys: ( lcalpha / DIGIT ) 0*255( keychar ), "@" a keychar. */
    { "1foo=1", 0, "1foo=1" },
    { "0=1", 0, "0=1" },
    { "foo@=1,bar=2", 0, "foo@=1,bar=2" },
    { "foo@@bar=1,bar=2", 0, "foo@@bar=1,bar=2" },
    { "foo@bar@baz=1,bar=2", 0, "foo@bar@baz=1,bar=2" },
    { "foo@1bar=1", 0, "foo@1bar=1" },
    { "foo@_bar=1", 0, "foo@_bar=1" },
    { "foo =1", 0, NULL },
    { " foo =1", 0, NULL },
    { "FOO=1", 0, NULL },
    { "Foo=1", 0, NULL },
    { "foo.bar=1", 0, NULL },
    { "_foo=1", 0, NULL },
    { "-foo=1", 0, NULL },
    { "*foo=1", 0, NULL },
    { "/foo=1", 0, NULL },
    { "foo\tbar=1", 0, NULL },
    { "=1", 0, NULL },
    { "@foo=1,bar=2", 0, NULL },
    { "_foo@bar=1", 0, NULL },
    { "foo@Bar=1", 0, NULL },
    /* Values. */
    { "foo", 0, NULL },
    { "foo=", 0, NULL },
    { "foo= ", 0, NULL },
    { "foo=,bar=3", 0, NULL },
    { "foo=bar=baz", 0, NULL },
    { "foo=1 bar=2", 0, NULL },
    { "foo=a,b", 0, NULL },
    { "foo=a\tb", 0, NULL },
    { "foo=a\x7f", 0, NULL },
    { "foo=a\x80", 0, NULL },
    { "foo=\xc3\xa9", 0, NULL },
    { "foo=a\r\n", 0, NULL },
    { "foo=a\0b", 7, NULL },
    { "bar=1,foo=a\0", 12, NULL },
    /* One bad member spoils the whole list. */
    { "rojo=00f067aa0ba902b7,CONGO=t61rcWkgMzE", 0, NULL },
    { "rojo=00f067aa0ba902b7,congo=", 0, NULL },
};

static void check_ts(size_t i, const char *in, size_t len, const char *want)
{
    static char out[TS_CAP];
    int r;

    memset(out, 'x', 16);
    r = ot_w3c_tracestate_normalize(in, len, out, sizeof(out));
    if (want == NULL) {
        if (r != -1) {
            print_error("tracestate case %zu: \"%.80s\": got %d \"%.80s\"\n",
                        i, in, r, out);
        }
        assert_int_equal(r, -1);
        assert_int_equal(out[0], '\0');
        return;
    }
    if (r < 0 || strcmp(out, want) != 0) {
        print_error("tracestate case %zu: \"%.80s\": got %d\n", i, in, r);
    }
    assert_int_equal(r, (int)strlen(want));
    assert_string_equal(out, want);
}

/* ot_hex_decode (a word at a time, then byte by byte) against a plain
 * model: every byte value at every position of inputs of 1 to 12 bytes,
 * around valid lowercase digits, and the bytes decoded when all are. */
static int model_digit(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void test_hex_decode_model(void **state)
{
    static const char digits[] = "0123456789abcdef";
    char in[24];
    uint8_t out[12], want[12];
    size_t n, pos, i;
    unsigned c;
    int bad;

    (void)state;
    for (n = 1; n <= 12; n++) {
        for (pos = 0; pos < 2 * n; pos++) {
            for (c = 0; c < 256; c++) {
                for (i = 0; i < 2 * n; i++) {
                    in[i] = digits[(i * 7 + n) % 16];
                }
                in[pos] = (char)c;
                bad = 0;
                for (i = 0; i < n; i++) {
                    int hi = model_digit((unsigned char)in[2 * i]);
                    int lo = model_digit((unsigned char)in[2 * i + 1]);

                    bad |= hi < 0 || lo < 0;
                    want[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 0xf));
                }
                assert_int_equal(ot_hex_decode(in, out, n) != 0, bad);
                if (!bad) {
                    assert_memory_equal(out, want, n);
                }
            }
        }
    }
}

static void test_tracestate_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
        const ts_case *c = &ts_cases[i];

        check_ts(i, c->in, c->len ? c->len : strlen(c->in), c->want);
    }
}

/* Build "barFF=FF,...,barTT=TT" (two-digit numbers) with sep between
 * members; returns the length. */
static size_t members(char *p, unsigned from, unsigned to, const char *sep)
{
    char *s = p;
    size_t seplen = strlen(sep);
    unsigned i;

    for (i = from; i <= to; i++) {
        char d1 = (char)('0' + i / 10), d2 = (char)('0' + i % 10);

        if (i > from) {
            memcpy(s, sep, seplen);
            s += seplen;
        }
        s[0] = 'b';
        s[1] = 'a';
        s[2] = 'r';
        s[3] = d1;
        s[4] = d2;
        s[5] = '=';
        s[6] = d1;
        s[7] = d2;
        s += 8;
    }
    *s = '\0';
    return (size_t)(s - p);
}

static void test_tracestate_member_limit(void **state)
{
    static char in[4096], want[4096];
    size_t n;

    (void)state;
    members(want, 1, 32, ",");
    assert_string_equal(want + strlen(want) - 8, "bar32=32");

    /* 32 members: valid, as one field or as combined fields. */
    members(in, 1, 32, ",");
    check_ts(0, in, strlen(in), want);
    members(in, 1, 32, " , ");
    check_ts(1, in, strlen(in), want);

    /* Empty members do not count (they come from empty header fields). */
    n = members(in, 1, 32, ",,");
    memcpy(in + n, ", ,", 4);
    check_ts(2, in, strlen(in), want);

    /* 33 members: the whole list is invalid. */
    members(in, 1, 33, ",");
    check_ts(3, in, strlen(in), NULL);
    members(in, 1, 33, ", ");
    check_ts(4, in, strlen(in), NULL);
}

static void test_tracestate_lengths(void **state)
{
    static char in[1024], want[1024];
    char *p;

    (void)state;
    /* key = ( lcalpha / DIGIT ) 0*255( keychar ): up to 256 characters,
     * "@" anywhere after the first */
    p = repeat(in, 'z', 256);
    strcpy(p, "=1");
    check_ts(0, in, strlen(in), in);
    p = repeat(in, 'z', 257);
    strcpy(p, "=1");
    check_ts(1, in, strlen(in), NULL);
    strcpy(in, "foo=1,");
    p = repeat(in + 6, 'z', 257);
    strcpy(p, "=1");
    check_ts(2, in, strlen(in), NULL);
    p = repeat(in, 't', 241);
    *p++ = '@';
    p = repeat(p, 'v', 14);
    strcpy(p, "=1");
    check_ts(3, in, strlen(in), in);
    p = repeat(in, '1', 250);
    *p++ = '@';
    p = repeat(p, 'v', 5);
    strcpy(p, "=1");
    check_ts(4, in, strlen(in), in);
    p = repeat(in, '1', 250);
    *p++ = '@';
    p = repeat(p, 'v', 6);
    strcpy(p, "=1");
    check_ts(5, in, strlen(in), NULL);

    /* value = 0*255(chr) nblk-chr: up to 256 characters */
    strcpy(in, "foo=");
    p = repeat(in + 4, 'v', 256);
    *p = '\0';
    check_ts(8, in, strlen(in), in);
    p = repeat(in + 4, 'v', 257);
    *p = '\0';
    check_ts(9, in, strlen(in), NULL);
    /* 255 spaces then a non-blank: valid */
    p = repeat(in + 4, ' ', 255);
    strcpy(p, "v");
    check_ts(10, in, strlen(in), in);
    /* 256 value characters plus trailing OWS: the OWS is not the value */
    strcpy(in, "foo=");
    p = repeat(in + 4, 'v', 256);
    strcpy(p, "  \t,bar=2");
    strcpy(want, "foo=");
    p = repeat(want + 4, 'v', 256);
    strcpy(p, ",bar=2");
    check_ts(11, in, strlen(in), want);
}

/* Every byte in a key and in a value. */
static void test_tracestate_every_byte(void **state)
{
    unsigned c;

    (void)state;
    for (c = 0; c < 256; c++) {
        char in[8], out[16];
        int keych = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-' || c == '*' || c == '/';
        int valch = c >= 0x20 && c <= 0x7e && c != ',' && c != '=';

        /* "a<c>b=1": '@' is a keychar too */
        memcpy(in, "a?b=1", 5);
        in[1] = (char)c;
        assert_int_equal(ot_w3c_tracestate_normalize(in, 5, out,
                                                     sizeof(out)),
                         keych || c == '@' ? 5 : -1);
        /* "<c>a=1": a key starts with lcalpha or DIGIT */
        memcpy(in, "?a=1", 4);
        in[0] = (char)c;
        assert_int_equal(ot_w3c_tracestate_normalize(in, 4, out,
                                                     sizeof(out)),
                         ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                         ? 4
                         : (c == ' ' || c == '\t' || c == ',') ? 3 : -1);
        /* "k=a<c>b" */
        memcpy(in, "k=a?b", 5);
        in[3] = (char)c;
        assert_int_equal(ot_w3c_tracestate_normalize(in, 5, out,
                                                     sizeof(out)),
                         valch ? 5 : -1);
        /* "k=<c>": a lone blank is not a value */
        memcpy(in, "k=?", 3);
        in[2] = (char)c;
        assert_int_equal(ot_w3c_tracestate_normalize(in, 3, out,
                                                     sizeof(out)),
                         valch && c != ' ' ? 3 : -1);
    }
}

static void test_tracestate_capacity(void **state)
{
    static const char in[] = " rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE ";
    static const char want[] = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    char out[sizeof(want) + 4];

    (void)state;
    /* Exact fit: the length plus the NUL. */
    assert_int_equal(ot_w3c_tracestate_normalize(in, strlen(in), out,
                                                 sizeof(want)),
                     (int)strlen(want));
    assert_string_equal(out, want);
    /* One byte short. */
    out[0] = 'x';
    assert_int_equal(ot_w3c_tracestate_normalize(in, strlen(in), out,
                                                 sizeof(want) - 1), -1);
    assert_int_equal(out[0], '\0');
    out[0] = 'x';
    assert_int_equal(ot_w3c_tracestate_normalize(in, strlen(in), out, 1),
                     -1);
    assert_int_equal(out[0], '\0');
    /* An empty list needs only the NUL; no room at all is a failure. */
    out[0] = 'x';
    assert_int_equal(ot_w3c_tracestate_normalize(" , ", 3, out, 1), 0);
    assert_int_equal(out[0], '\0');
    assert_int_equal(ot_w3c_tracestate_normalize("", 0, out, 0), -1);
    assert_int_equal(ot_w3c_tracestate_normalize(NULL, 0, out, 1), 0);
    /* A value need not be NUL-terminated. */
    assert_int_equal(ot_w3c_tracestate_normalize("foo=1,bar=2XXX", 11, out,
                                                 sizeof(out)), 11);
    assert_string_equal(out, "foo=1,bar=2");
}

/* Normalizing is idempotent: every valid case normalizes to itself. */
static void test_tracestate_idempotent(void **state)
{
    static char once[TS_CAP], twice[TS_CAP];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
        const ts_case *c = &ts_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        int r1, r2;

        r1 = ot_w3c_tracestate_normalize(c->in, len, once, sizeof(once));
        if (r1 < 0) {
            continue;
        }
        r2 = ot_w3c_tracestate_normalize(once, (size_t)r1, twice,
                                         sizeof(twice));
        assert_int_equal(r1, r2);
        assert_string_equal(once, twice);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent_table),
        cmocka_unit_test(test_traceparent_every_byte),
        cmocka_unit_test(test_traceparent_separators),
        cmocka_unit_test(test_traceparent_versions),
        cmocka_unit_test(test_traceparent_format),
        cmocka_unit_test(test_traceparent_round_trip),
        cmocka_unit_test(test_hex_decode_model),
        cmocka_unit_test(test_tracestate_table),
        cmocka_unit_test(test_tracestate_member_limit),
        cmocka_unit_test(test_tracestate_lengths),
        cmocka_unit_test(test_tracestate_every_byte),
        cmocka_unit_test(test_tracestate_capacity),
        cmocka_unit_test(test_tracestate_idempotent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
