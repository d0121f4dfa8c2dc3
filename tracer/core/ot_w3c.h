/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_w3c.h: W3C Trace Context level 2 (https://www.w3.org/TR/trace-context-2/):
 * parsing and formatting of the traceparent and tracestate header values.
 * Pure code: libc only.
 */

#ifndef OT_W3C_H
#define OT_W3C_H

#include <stddef.h>
#include <stdint.h>

/* "00-" 32 hex "-" 16 hex "-" 2 hex */
#define OT_TRACEPARENT_LEN 55
/* A normalized tracestate never exceeds 32 members of at most
 * 256 (key) + 1 ("=") + 256 (value) bytes, joined by ",". */
#define OT_TRACESTATE_MAX_MEMBERS 32

/*
 * Parse a traceparent value of len bytes (need not be NUL-terminated).
 * Leading and trailing optional whitespace (SP, HTAB) is ignored.
 * Returns 0 and fills trace_id, span_id (the parent-id field) and flags when
 * the value is valid per the spec, including the rules for versions other
 * than 00 (parse the version-00 fields of a longer future-version value);
 * returns -1 otherwise and leaves the outputs untouched.
 */
int ot_w3c_traceparent_parse(const char *value, size_t len,
                             uint8_t trace_id[16], uint8_t span_id[8],
                             uint8_t *flags);

/* Write "00-<trace-id>-<span-id>-<flags>" and a NUL into out
 * (OT_TRACEPARENT_LEN + 1 bytes). Lowercase hex. */
void ot_w3c_traceparent_format(const uint8_t trace_id[16],
                               const uint8_t span_id[8], uint8_t flags,
                               char out[OT_TRACEPARENT_LEN + 1]);

/*
 * Validate a tracestate value of len bytes (possibly several header lines
 * joined with ","), and write its normalized form into out: list-members
 * without surrounding whitespace joined by ",", empty members dropped.
 * Returns the length written (excluding the terminating NUL, which is always
 * written when outcap > 0), 0 for an empty list, or -1 when the value is
 * invalid and must be discarded as a whole (bad key or value grammar,
 * more than 32 members) or does not fit in outcap.  Of members with the
 * same key, the first is kept.
 */
int ot_w3c_tracestate_normalize(const char *value, size_t len,
                                char *out, size_t outcap);

#endif /* OT_W3C_H */
