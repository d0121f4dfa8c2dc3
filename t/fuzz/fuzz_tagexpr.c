/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for tracer/core/ot_tagexpr.c.  The input is a value
 * (what a -int or -bool tag reads from a request), and, up to its first
 * NUL, an expression; checked:
 *  - ot_tagexpr_int accepts exactly an optional sign and decimal digits
 *    within int64, and gives what strtoll gives;
 *  - ot_tagexpr_bool accepts exactly its six words, in any case;
 *  - ot_tagexpr_form_of: a constant has none of % $ \ " ', any other
 *    recognised form is "%{...}" and its argument lies inside it (or is a
 *    header's name for an HTTP_* variable).
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ot_tagexpr.h"

#include "fuzz.h"

static int is_decimal(const char *s, size_t n)
{
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

    if (i == n) {
        return 0;
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static void check_int(const char *s, size_t n)
{
    int64_t v = 0;
    long long want;
    char *end;
    int ok = ot_tagexpr_int(s, n, &v) == 0;

    if (!is_decimal(s, n)) {
        fuzz_check(!ok);
        return;
    }
    /* s is NUL-terminated at n by the caller */
    errno = 0;
    want = strtoll(s, &end, 10);
    fuzz_check(end == s + n);
    fuzz_check(ok == (errno != ERANGE));
    if (ok) {
        fuzz_check(v == (int64_t)want);
    }
}

static void check_bool(const char *s, size_t n)
{
    static const char *const words[] = { "true", "on", "1",
                                         "false", "off", "0" };
    int v = -1, want = -1;
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strlen(words[i]) == n && strncasecmp(words[i], s, n) == 0) {
            want = i < 3;
        }
    }
    fuzz_check((ot_tagexpr_bool(s, n, &v) == 0) == (want >= 0));
    fuzz_check(v == want);
}

static void check_form(const char *e)
{
    size_t n = strlen(e), len;
    const char *arg;
    ot_tagexpr_form f = ot_tagexpr_form_of(e, &arg, &len);

    if (f == OT_TAGEXPR_CONSTANT) {
        fuzz_check(!strpbrk(e, "%$\\\"'") && arg == e && len == n);
        return;
    }
    fuzz_check(strpbrk(e, "%$\\\"'") != NULL);
    if (f == OT_TAGEXPR_GENERAL) {
        return;
    }
    fuzz_check(n > 3 && strncmp(e, "%{", 2) == 0 && e[n - 1] == '}');
    fuzz_check(len > 0);
    if (arg >= e && arg < e + n) {
        fuzz_check(arg + len < e + n);
    }
    else {
        /* an HTTP_* variable: the header's name */
        fuzz_check(f == OT_TAGEXPR_REQ_HEADER && strlen(arg) == len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (!memchr(s, '\0', size)) {
        check_int(s, size);
    }
    check_bool(s, size);
    check_form(s);
    free(s);
    return 0;
}
