/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_otlp_json.h: the OTLP/JSON encoder (ExportTraceServiceRequest), as the
 * OpenTelemetry Collector's file exporter writes it and its otlpjsonfile
 * receiver and OTLP/HTTP receiver (application/json) read it: ids in hex,
 * enums as integers, 64-bit integers as decimal strings, lowerCamelCase
 * field names, empty and default fields left out.
 *
 * Hand-written rather than built with jansson: it runs for every span, and
 * a DOM per span costs an allocation per node (see README, Dependencies).
 */

#ifndef OT_OTLP_JSON_H
#define OT_OTLP_JSON_H

#include "ot_buf.h"
#include "ot_tracer.h"
#include "ot_write.h"       /* ot_json_put_string() */

typedef struct ot_json_options {
    /* String attribute values longer than this many bytes are cut at a
     * UTF-8 character boundary; 0 means no limit. */
    uint32_t max_value_len;
} ot_json_options;

/*
 * Append one ExportTraceServiceRequest object (no newline) holding the n
 * spans to b.  Consecutive spans with the same resource pointer share one
 * resourceSpans entry (with one scopeSpans entry).  Strings are escaped per
 * RFC 8259; invalid UTF-8 sequences become U+FFFD.
 * Returns 0, or -1 when the buffer failed (out of memory or over its limit).
 */
int ot_otlp_json_encode(ot_buf *b, const ot_span_record *const *spans,
                        size_t n, const ot_json_options *opt);

#endif /* OT_OTLP_JSON_H */
