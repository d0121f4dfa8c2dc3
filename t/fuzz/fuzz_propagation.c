/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer target for the propagation formats (tracer/core/ot_propagation.c
 * over ot_w3c, ot_b3, ot_jaeger, ot_baggage).  The input is header lines,
 * "name: value\n" (name and value up to their first NUL), merged like
 * httpd's headers_in.  They are extracted with every format, in an order
 * the first byte picks, and the context injected into a fresh carrier:
 *  - nothing injected has a control character, and the baggage is within
 *    the W3C limits;
 *  - each format alone extracts from what was injected the same ids,
 *    flags and origin (as far as the format carries them);
 *  - the baggage header extracted again is the same list (it is
 *    normalized).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_lib.h"
#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ot_baggage.h"
#include "ot_propagation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

static int clean(void *rec, const char *key, const char *value)
{
    const char *s;

    for (s = key; *s; s++) {
        check(!apr_iscntrl(*s) && *s != ':' && *s != ' ');
    }
    for (s = value; *s; s++) {
        check(!apr_iscntrl(*s));
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static const char *const orders[4][5] = {
        { "w3c", "b3", "b3multi", "jaeger", "baggage" },
        { "b3", "b3multi", "jaeger", "w3c", "baggage" },
        { "jaeger", "baggage", "w3c", "b3", "b3multi" },
        { "b3multi", "w3c", "jaeger", "b3", "baggage" },
    };
    const ot_propagator *list[5];
    ot_span_context ctx, again;
    ot_extract_result got, got2;
    apr_table_t *in, *out;
    ot_carrier c;
    apr_pool_t *p;
    char *text, *line, *last, *colon;
    size_t i;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size == 0) {
        return 0;
    }
    apr_pool_create(&p, root);
    for (i = 0; i < 5; i++) {
        list[i] = ot_propagator_find(orders[data[0] & 3][i]);
    }
    text = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    in = apr_table_make(p, 8);
    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        colon = strchr(line, ':');
        if (colon && colon > line) {
            *colon = '\0';
            apr_table_mergen(in, line, colon[1] == ' ' ? colon + 2
                                                       : colon + 1);
        }
    }
    ot_carrier_table(&c, in);
    got = ot_propagation_extract(p, list, 5, &c, &ctx, NULL);
    check(got == OT_EXTRACT_NONE || got == OT_EXTRACT_CONTEXT
          || got == OT_EXTRACT_DECISION);
    if (ctx.baggage) {
        check(strlen(ctx.baggage) <= OT_BAGGAGE_MAX_BYTES);
    }
    if (got != OT_EXTRACT_CONTEXT) {
        apr_pool_destroy(p);
        return 0;
    }

    out = apr_table_make(p, 8);
    c.data = out;
    ot_propagation_inject(p, list, 5, &ctx, &c);
    apr_table_do(clean, NULL, out, NULL);
    /* each format alone reads back what it wrote */
    for (i = 0; i < 5; i++) {
        const char *name = ot_propagator_name(list[i]);
        int w3c = strcmp(name, "w3c") == 0;

        if (strcmp(name, "baggage") == 0) {
            /* the W3C header carries the list as it is */
            ot_propagation_extract(p, &list[i], 1, &c, &again, NULL);
            check((again.baggage == NULL) == (ctx.baggage == NULL));
            check(!ctx.baggage || strcmp(again.baggage, ctx.baggage) == 0);
            continue;
        }
        got2 = ot_propagation_extract(p, &list[i], 1, &c, &again, NULL);
        check(got2 == OT_EXTRACT_CONTEXT);
        check(memcmp(again.trace_id, ctx.trace_id, 16) == 0);
        check(memcmp(again.span_id, ctx.span_id, 8) == 0);
        /* W3C keeps the random flag and has no debug or width */
        check(again.flags == (w3c ? ctx.flags : ctx.flags & 0x01));
        check(again.origin == (w3c ? 0 : ctx.origin & (OT_CTX_TRACE_ID_64
                                                       | OT_CTX_DEBUG)));
    }
    apr_pool_destroy(p);
    return 0;
}
