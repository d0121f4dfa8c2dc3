/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz.h: what every libFuzzer target shares.  A failed invariant aborts,
 * which libFuzzer reports as a crash and the replay driver (replay.c) as a
 * signal; an input gets a pool of its own.  Static inline: each target
 * uses a part of it.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_check(int cond)
{
    if (!cond) {
        abort();
    }
}

/* A fresh pool for one input (destroy it at the end of the run). */
static inline apr_pool_t *fuzz_pool(void)
{
    static apr_pool_t *root;
    apr_pool_t *p;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    return p;
}

/* The input up to its first NUL, as a string of exactly that size. */
static inline char *fuzz_cstr(apr_pool_t *p, const uint8_t *data,
                              size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);

    return apr_pstrmemdup(p, (const char *)data,
                          nul ? (size_t)(nul - data) : size);
}

#endif /* FUZZ_H */
