/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* libFuzzer target for the Trace-Event parser of tracer/core/ot_backend.c:
 * the invariants are in fuzz_backend.h. */

#include "fuzz_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_backend(OT_BACKEND_EVENT, data, size);
}
