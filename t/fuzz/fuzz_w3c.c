/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for tracer/ot_w3c.c.  The input is fed to both parsers
 * and the invariants of formatting and normalizing are checked:
 *  - a parsed traceparent formats to a 55-character version-00 value that
 *    parses back to the same fields;
 *  - a normalized tracestate normalizes to itself.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ot_w3c.h"

#define TS_CAP (OT_TRACESTATE_MAX_MEMBERS * 513 + 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

static void fuzz_traceparent(const char *s, size_t n)
{
    uint8_t tid[16], sid[8], fl, tid2[16], sid2[8], fl2;
    char out[OT_TRACEPARENT_LEN + 1];
    size_t i;

    if (ot_w3c_traceparent_parse(s, n, tid, sid, &fl) != 0) {
        return;
    }
    ot_w3c_traceparent_format(tid, sid, fl, out);
    check(strlen(out) == OT_TRACEPARENT_LEN);
    check(out[0] == '0' && out[1] == '0');
    for (i = 0; i < OT_TRACEPARENT_LEN; i++) {
        check((out[i] >= '0' && out[i] <= '9')
              || (out[i] >= 'a' && out[i] <= 'f') || out[i] == '-');
    }
    check(ot_w3c_traceparent_parse(out, OT_TRACEPARENT_LEN, tid2, sid2,
                                   &fl2) == 0);
    check(memcmp(tid, tid2, 16) == 0);
    check(memcmp(sid, sid2, 8) == 0);
    check(fl == fl2);
}

static void fuzz_tracestate(const char *s, size_t n)
{
    static char once[TS_CAP], twice[TS_CAP];
    int r1, r2, r3;
    size_t i, members;

    r1 = ot_w3c_tracestate_normalize(s, n, once, sizeof(once));
    if (r1 < 0) {
        check(once[0] == '\0');
        return;
    }
    check((size_t)r1 == strlen(once));

    /* Normalized output: no OWS around members, no empty members, at most
     * 32 members. */
    members = r1 > 0;
    for (i = 0; i < (size_t)r1; i++) {
        if (once[i] == ',') {
            members++;
            check(i > 0 && i + 1 < (size_t)r1);
            check(once[i - 1] != ' ' && once[i + 1] != ' '
                  && once[i + 1] != ',');
        }
        check(once[i] != '\t');
    }
    check(members <= OT_TRACESTATE_MAX_MEMBERS);
    if (r1 > 0) {
        check(once[0] != ' ' && once[r1 - 1] != ' ');
    }

    r2 = ot_w3c_tracestate_normalize(once, (size_t)r1, twice, sizeof(twice));
    check(r2 == r1);
    check(memcmp(once, twice, (size_t)r1 + 1) == 0);

    /* The fit check is exact: length + 1 fits, length does not. */
    r3 = ot_w3c_tracestate_normalize(s, n, twice, (size_t)r1 + 1);
    check(r3 == r1);
    r3 = ot_w3c_tracestate_normalize(s, n, twice, (size_t)r1);
    check(r3 == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copy into an exactly sized heap buffer so that ASan catches any read
     * past the given length (the parsers must not need a NUL). */
    char *s = malloc(size ? size : 1);

    if (s == NULL) {
        return 0;
    }
    if (size) {
        memcpy(s, data, size);
    }
    fuzz_traceparent(s, size);
    fuzz_tracestate(s, size);
    free(s);
    return 0;
}
