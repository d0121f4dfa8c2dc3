/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_zipkin_json.h: the Zipkin v2 JSON encoder: the ListOfSpans body that
 * a Zipkin server takes on POST /api/v2/spans (zipkin-api,
 * zipkin2-api.yaml), mapped from OpenTelemetry spans as the OpenTelemetry
 * specification's "OpenTelemetry to Zipkin Transformation" says
 * (trace/sdk_exporters/zipkin.md, with common/mapping-to-non-otlp.md).
 *
 * Every string goes through ot_json_put_string(): escaped per RFC 8259,
 * invalid UTF-8 repaired to U+FFFD.
 */

#ifndef OT_ZIPKIN_JSON_H
#define OT_ZIPKIN_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "ot_buf.h"
#include "ot_tracer.h"

typedef struct ot_zipkin_options {
    /* String tag values (string attributes, the error description) longer
     * than this many bytes are cut at a UTF-8 character boundary; 0 means
     * no limit. */
    uint32_t max_value_len;
} ot_zipkin_options;

/*
 * Append a Zipkin v2 JSON array (no newline) holding the n spans to b;
 * NULL entries are skipped, n == 0 gives "[]".  opt may be NULL.
 * Returns 0, or -1 when the buffer failed (out of memory or over its limit).
 */
int ot_zipkin_json_encode(ot_buf *b, const ot_span_record *const *spans,
                          size_t n, const ot_zipkin_options *opt);

#endif /* OT_ZIPKIN_JSON_H */
