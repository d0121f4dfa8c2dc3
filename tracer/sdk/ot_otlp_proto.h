/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_proto.h: the OTLP/protobuf encoder: one serialized
 * opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, as the
 * OTLP/HTTP (application/x-protobuf) and OTLP/gRPC receivers read it.
 *
 * The protobuf twin of ot_otlp_json.h: the same spans give the same
 * fields (flags, omitted defaults, cut string values), in binary.  Fields
 * are written in field-number order, default-valued (proto3) fields left
 * out, every length as a minimal varint, so the output is the canonical
 * encoding a generated serializer would produce and tests can compare it
 * byte for byte.
 *
 * Hand-written rather than generated: it runs for every span, writes
 * straight into the buffer and allocates nothing beyond the buffer's own
 * growth (but a scratch copy of a resource group close to the buffer's
 * limit).
 */

#ifndef OT_OTLP_PROTO_H
#define OT_OTLP_PROTO_H

#include "ot_buf.h"
#include "ot_tracer.h"

typedef struct ot_proto_options {
    /* String attribute values longer than this many bytes are cut at a
     * UTF-8 character boundary; 0 means no limit. */
    uint32_t max_value_len;
} ot_proto_options;

/*
 * Append one serialized ExportTraceServiceRequest holding the n spans to
 * b (no framing: an empty batch appends zero bytes).  Consecutive spans
 * with the same resource pointer share one ResourceSpans with one
 * ScopeSpans, whose scope name and version come from the ot_resource.
 * Strings are made valid UTF-8: invalid sequences become U+FFFD.
 * NULL entries in spans are skipped.
 * Returns 0, or -1 when the buffer failed (out of memory or over its
 * limit); b->len is then left where it was before the failing resource
 * group, with the buffer marked failed.
 */
int ot_otlp_proto_encode(ot_buf *b, const ot_span_record *const *spans,
                         size_t n, const ot_proto_options *opt);

#endif /* OT_OTLP_PROTO_H */
