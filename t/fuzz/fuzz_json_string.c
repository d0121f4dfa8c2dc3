/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_json_string.c: libFuzzer target for ot_json_put_string.
 *
 * Arbitrary bytes go through the string encoder without a limit and with
 * one taken from the first two bytes.  Each output must be valid UTF-8 and
 * parse with jansson as one JSON string; without a limit, valid input reads
 * back unchanged; with one, the value is at most max bytes and a prefix of
 * the unlimited value.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Itracer -Itracer/sdk \
 *       t/fuzz/fuzz_json_string.c tracer/sdk/ot_otlp_json.c tracer/sdk/ot_buf.c \
 *       -ljansson -o fuzz_json_string
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ot_buf.h"
#include "ot_otlp_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 check (no overlongs, surrogates or code points past
 * U+10FFFF), written apart from the encoder's decoder. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        uint32_t cp;
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
            cp = (cp << 6) | (s[i + k] & 0x3f);
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

/* Encode, check the literal, return the parsed string (caller decrefs). */
static json_t *encode_check(const char *in, size_t len, uint32_t max)
{
    json_error_t err;
    json_t *v;
    ot_buf b;

    ot_buf_init(&b, 0, 0);
    ot_json_put_string(&b, in, len, max);
    if (ot_buf_failed(&b)) {
        abort();
    }
    if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"') {
        abort();
    }
    if (!utf8_ok((const unsigned char *)b.data, b.len)) {
        abort();
    }
    v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v || !json_is_string(v)) {
        abort();
    }
    if (max && json_string_length(v) > max) {
        abort();
    }
    ot_buf_free(&b);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    json_t *full, *cut;
    uint32_t max;

    full = encode_check(in, size, 0);
    /* valid input (jansson agrees) comes back byte for byte */
    if (utf8_ok(data, size)) {
        if (json_string_length(full) != size
            || memcmp(json_string_value(full), in, size) != 0) {
            abort();
        }
    }
    else if (json_string_length(full) < size) {
        abort();                /* a repair never shrinks the content */
    }

    max = size >= 2 ? (uint32_t)(data[0] | (data[1] << 8)) % 97 + 1 : 1;
    cut = encode_check(in, size, max);
    if (json_string_length(cut) > json_string_length(full)
        || memcmp(json_string_value(cut), json_string_value(full),
                  json_string_length(cut)) != 0) {
        abort();
    }
    /* the cut keeps as much as fits: what follows would not */
    if (json_string_length(cut) < json_string_length(full)
        && json_string_length(cut) + 4 <= max) {
        abort();
    }
    json_decref(cut);
    json_decref(full);
    return 0;
}
