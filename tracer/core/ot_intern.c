/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_intern.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "ot_write.h"       /* OT_NOINLINE (sdk) */

/* Slots looked at from the key's own on: a full run of them, and the key
 * is copied by the caller. */
#define PROBES 8

enum { SLOT_FREE, SLOT_WRITING, SLOT_READY };

typedef struct slot {
    _Atomic unsigned state;
    uint32_t len;               /* these set before SLOT_READY, then constant */
    uint64_t head, tail;        /* see key_words() */
    char text[OT_INTERN_KEY_MAX + 1];
} slot;

static slot slots[OT_INTERN_SLOTS];

/* Two words that, with its length, are the whole key when it has at most
 * 16 bytes, as most have: its first and last eight bytes (overlapping
 * below 16), or for a shorter key its first and last four (overlapping
 * below 8), or its first, middle and last byte (below 4; 0 for tail).
 * They hash the key and compare it, a word at a time: a lookup runs on
 * every call of the span API.  No call to memcpy for the short ones: these
 * are loads. */
static inline void key_words(const char *key, size_t len, uint64_t *head,
                             uint64_t *tail)
{
    const unsigned char *k = (const unsigned char *)key;
    uint32_t h, t;

    if (len >= 8) {
        memcpy(head, key, 8);
        memcpy(tail, key + len - 8, 8);
    }
    else if (len >= 4) {
        memcpy(&h, key, 4);
        memcpy(&t, key + len - 4, 4);
        *head = h;
        *tail = t;
    }
    else {
        *head = len ? (uint64_t)k[0] | (uint64_t)k[len / 2] << 8
                          | (uint64_t)k[len - 1] << 16
                    : 0;
        *tail = 0;
    }
}

/* The first slot to look at, from the words and the length: the high
 * half folded onto the low one (keys that differ only in their last byte
 * differ only in the top bits of tail), then a multiply carries every bit
 * into the upper half.  No defence against chosen collisions is needed: a
 * run of them only means copies. */
static inline unsigned first_slot(uint64_t head, uint64_t tail, size_t len)
{
    uint64_t h = head * 0x9e3779b97f4a7c15u ^ tail ^ len;

    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdu;
    return (unsigned)(h >> 32) % OT_INTERN_SLOTS;
}

static int same_key(const slot *s, const char *key, size_t len,
                    uint64_t head, uint64_t tail)
{
    return s->len == len && s->head == head && s->tail == tail
           && (len <= 16 || memcmp(s->text + 8, key + 8, len - 16) == 0);
}

/* ot_intern() past its first look: the key's slots from at on. */
static OT_NOINLINE const char *probe(const char *key, size_t len,
                                     uint64_t head, uint64_t tail,
                                     unsigned at)
{
    unsigned i, state;
    slot *s;

    for (i = 0; i < PROBES; i++) {
        s = &slots[(at + i) % OT_INTERN_SLOTS];
        state = atomic_load_explicit(&s->state, memory_order_acquire);
        if (state == SLOT_READY) {
            if (same_key(s, key, len, head, tail)) {
                return s->text;
            }
            continue;
        }
        if (state == SLOT_FREE
            && atomic_compare_exchange_strong(&s->state, &state,
                                              SLOT_WRITING)) {
            memcpy(s->text, key, len);
            s->text[len] = '\0';
            s->len = (uint32_t)len;
            s->head = head;
            s->tail = tail;
            atomic_store_explicit(&s->state, SLOT_READY,
                                  memory_order_release);
            return s->text;
        }
        /* being written by another thread (maybe with this very key), or
         * taken by one since the load: the key is copied this once */
        return NULL;
    }
    return NULL;
}

const char *ot_intern(const char *key, size_t len)
{
    uint64_t head, tail;
    unsigned at;
    const slot *s;

    if (len > OT_INTERN_KEY_MAX) {
        return NULL;
    }
    key_words(key, len, &head, &tail);
    at = first_slot(head, tail, len);
    s = &slots[at];
    /* The common case, a short key found at its first slot, with nothing
     * to save or restore: the rest out of line. */
    if (len <= 16
        && atomic_load_explicit(&s->state, memory_order_acquire) == SLOT_READY
        && s->len == len && s->head == head && s->tail == tail) {
        return s->text;
    }
    return probe(key, len, head, tail, at);
}
