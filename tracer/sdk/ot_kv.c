/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_kv.h"

#include <stdlib.h>

void ot_kv_free(ot_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}
