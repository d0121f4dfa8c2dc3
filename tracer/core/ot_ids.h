/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_ids.h: trace and span ids.  A xoshiro256** generator per thread, seeded
 * from the operating system's entropy source (APR's apr_generate_random_bytes)
 * the first time a thread asks, and again after ot_ids_reseed() (called in
 * every child process after fork, so that no two children share a stream).
 * Ids are never all zero.
 */

#ifndef OT_IDS_H
#define OT_IDS_H

#include <stddef.h>
#include <stdint.h>

void ot_ids_reseed(void);
void ot_ids_trace_id(uint8_t out[16]);
void ot_ids_span_id(uint8_t out[8]);
/* 32 random bits from the same per-thread generator (retry jitter). */
uint32_t ot_ids_random32(void);

#endif /* OT_IDS_H */
