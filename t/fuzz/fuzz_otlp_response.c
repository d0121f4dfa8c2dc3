/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* libFuzzer target: OTLP/HTTP response bodies (from the network). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ot_otlp_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[32];
    size_t i;

    ot_otlp_partial_proto(data, size, msg, sizeof(msg));
    if (strlen(msg) >= sizeof(msg)) {
        abort();
    }
    for (i = 0; msg[i]; i++) {
        if (msg[i] < 0x20 || msg[i] > 0x7e) {
            abort();
        }
    }
    ot_otlp_partial_json((const char *)data, size, msg, sizeof(msg));
    if (strlen(msg) >= sizeof(msg)) {
        abort();
    }
    return 0;
}
