/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_response.h: reading an OTLP/HTTP ExportTraceServiceResponse, the
 * body of a successful export, for its partial_success (how many spans
 * the receiver rejected, and why).  Input from the network: bounded,
 * never trusted, fuzzed.
 */

#ifndef OT_OTLP_RESPONSE_H
#define OT_OTLP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

/* Protobuf: ExportTraceServiceResponse { ExportTracePartialSuccess
 * partial_success = 1 { int64 rejected_spans = 1; string error_message =
 * 2; } }.  Returns the rejected count (0 when absent or malformed) and
 * copies the message (cut, NUL-terminated) to msg. */
int64_t ot_otlp_partial_proto(const uint8_t *body, size_t len, char *msg,
                              size_t msglen);

/* JSON: {"partialSuccess": {"rejectedSpans": "3" (or 3),
 * "errorMessage": "..."}}. */
int64_t ot_otlp_partial_json(const char *body, size_t len, char *msg,
                             size_t msglen);

#endif /* OT_OTLP_RESPONSE_H */
