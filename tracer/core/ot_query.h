/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_query: redaction of url.query, per the OpenTelemetry semantic
 * conventions: the values of the query keys AWSAccessKeyId, Signature,
 * sig and X-Goog-Signature, and of the keys the caller adds, are replaced
 * by "REDACTED".
 *
 * The query is split at '&'; a parameter's key is what precedes its first
 * '='.  Keys are compared exactly as they appear (case-sensitive, not
 * percent-decoded), as the semantic conventions name them.  A parameter
 * without '=' is kept, and so is an empty value ("sig=" stays "sig="):
 * there is nothing to hide.
 */

#ifndef OT_QUERY_H
#define OT_QUERY_H

#include <stddef.h>

#include "apr_pools.h"

#define OT_QUERY_REDACTED "REDACTED"

/* The query keys always redacted, NULL-terminated. */
extern const char *const ot_query_default_keys[];

/* query with the values of the default keys and of keys[0..n_keys-1]
 * replaced by REDACTED.  Returns query itself, without allocating, when
 * nothing is to be replaced (one pass over it); else a copy in p.  *len
 * (when len is not NULL) is set to the result's length. */
const char *ot_query_redact(apr_pool_t *p, const char *query,
                            const char *const *keys, size_t n_keys,
                            size_t *len);

#endif /* OT_QUERY_H */
