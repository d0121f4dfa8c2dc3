/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_intern.h: one lasting copy of each attribute key that other modules
 * hand to the span API (mod_opentracing.h).  An interned key outlives the
 * queue as the module's own constant keys do, so a span carries it as it
 * is: no copy into the request pool nor into the queue, and the same
 * address on every span, which the encoders' key memos (a key's encoded
 * form remembered by its address) need in order to hit.
 *
 * A module uses a handful of keys: a fixed table of static slots holds
 * them for the life of the process, with no allocation.  When the key's
 * slots are full, or one is being written by another thread, the caller
 * copies the key as it would without the table.  Lookups take no lock: a
 * slot is claimed by compare-and-swap, written, then published.
 */

#ifndef OT_INTERN_H
#define OT_INTERN_H

#include <stddef.h>

#define OT_INTERN_SLOTS 256     /* keys a process keeps */
#define OT_INTERN_KEY_MAX 128   /* bytes of a key it keeps */

/* The lasting copy of key (len bytes, no NUL needed; a NUL follows the
 * copy), or NULL: then the caller copies the key itself. */
const char *ot_intern(const char *key, size_t len);

#endif /* OT_INTERN_H */
