/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_stats.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#define OT_STATS_MAGIC 0x4f545331u     /* "OTS1" */

struct ot_stats_slot {
    _Atomic int64_t pid;        /* 0: free */
    _Atomic int64_t started_us;
    _Atomic uint64_t v[OT_STAT_COUNT];
    _Atomic uint32_t error_seq; /* odd while the error is written */
    int64_t error_us;
    char error[OT_STATS_ERROR_LEN];
};

struct ot_stats {
    uint32_t magic;
    uint32_t n_slots;
    _Atomic uint32_t fold_seq;  /* odd while a fold moves counters */
    _Atomic uint64_t retired[OT_STAT_COUNT];
    ot_stats_slot slots[];
};

size_t ot_stats_size(unsigned n_slots)
{
    return sizeof(ot_stats) + (size_t)n_slots * sizeof(ot_stats_slot);
}

size_t ot_stats_slot_size(void)
{
    return sizeof(ot_stats_slot);
}

ot_stats_slot *ot_stats_slot_init(void *mem)
{
    memset(mem, 0, sizeof(ot_stats_slot));
    return mem;
}

ot_stats *ot_stats_init(void *mem, unsigned n_slots)
{
    ot_stats *st = mem;

    memset(mem, 0, ot_stats_size(n_slots));
    st->n_slots = n_slots;
    st->magic = OT_STATS_MAGIC;
    return st;
}

ot_stats *ot_stats_attach(void *mem)
{
    ot_stats *st = mem;

    return st->magic == OT_STATS_MAGIC ? st : NULL;
}

unsigned ot_stats_n_slots(const ot_stats *st)
{
    return st->n_slots;
}

/* Folds are rare (a child starts after a crash, a child exits) and take
 * a few instructions: writers take turns by spinning; readers only
 * compare the sequence.  A process killed inside a fold leaves the
 * sequence odd: after FOLD_SPINS tries the others go on without it (a sum
 * may then be off once), rather than wait for ever. */
#define FOLD_SPINS 10000

static void fold_begin(ot_stats *st)
{
    uint32_t seq;
    int tries;

    for (tries = 0; tries < FOLD_SPINS; tries++) {
        seq = atomic_load(&st->fold_seq);
        if (!(seq & 1)
            && atomic_compare_exchange_weak(&st->fold_seq, &seq, seq + 1)) {
            return;
        }
        sched_yield();
    }
    /* the holder is gone: take over its odd sequence */
    atomic_store(&st->fold_seq, atomic_load(&st->fold_seq) | 1);
}

static void fold_end(ot_stats *st)
{
    atomic_store(&st->fold_seq, (atomic_load(&st->fold_seq) | 1) + 1);
}

/* Move slot's counters to the totals: under fold_begin. */
static void fold(ot_stats *st, ot_stats_slot *slot)
{
    int i;

    for (i = 0; i < OT_STAT_COUNT; i++) {
        atomic_fetch_add(&st->retired[i], atomic_exchange(&slot->v[i], 0));
    }
}

static void set_error(ot_stats_slot *slot, int64_t now_us, const char *msg)
{
    uint32_t seq = atomic_load(&slot->error_seq);

    /* Another thread writes: keep its message rather than wait. */
    if ((seq & 1)
        || !atomic_compare_exchange_strong(&slot->error_seq, &seq, seq + 1)) {
        return;
    }
    slot->error_us = now_us;
    strncpy(slot->error, msg, sizeof(slot->error) - 1);
    slot->error[sizeof(slot->error) - 1] = '\0';
    atomic_store(&slot->error_seq, seq + 2);
}

ot_stats_slot *ot_stats_claim(ot_stats *st, int64_t pid, int64_t now_us,
                              ot_stats_alive_fn alive)
{
    ot_stats_slot *slot = NULL;
    unsigned i;
    int64_t holder;

    for (i = 0; i < st->n_slots && !slot; i++) {
        holder = 0;
        if (atomic_compare_exchange_strong(&st->slots[i].pid, &holder, pid)) {
            slot = &st->slots[i];
        }
    }
    for (i = 0; i < st->n_slots && !slot; i++) {
        holder = atomic_load(&st->slots[i].pid);
        if (holder == 0 || alive(holder)) {
            continue;
        }
        fold_begin(st);
        if (atomic_compare_exchange_strong(&st->slots[i].pid, &holder, pid)) {
            slot = &st->slots[i];
            fold(st, slot);
        }
        fold_end(st);
    }
    if (slot) {
        atomic_store(&slot->started_us, now_us);
        set_error(slot, 0, "");
    }
    return slot;
}

void ot_stats_release(ot_stats *st, ot_stats_slot *slot)
{
    fold_begin(st);
    fold(st, slot);
    atomic_store(&slot->pid, 0);
    fold_end(st);
}

void ot_stats_add(ot_stats_slot *slot, ot_stat which, uint64_t n)
{
    atomic_fetch_add_explicit(&slot->v[which], n, memory_order_relaxed);
}

void ot_stats_note_error(ot_stats_slot *slot, int64_t now_us,
                         const char *msg)
{
    set_error(slot, now_us, msg);
}

/* The error as it was between two writes; empty when a writer kept it
 * busy for every try. */
static void read_error(const ot_stats_slot *slot, ot_counters *out)
{
    uint32_t before, after;
    int tries;

    for (tries = 0; tries < 100; tries++) {
        before = atomic_load((_Atomic uint32_t *)&slot->error_seq);
        if (before & 1) {
            sched_yield();
            continue;
        }
        out->last_error_us = slot->error_us;
        memcpy(out->last_error, slot->error, sizeof(out->last_error));
        atomic_thread_fence(memory_order_acquire);
        after = atomic_load((_Atomic uint32_t *)&slot->error_seq);
        if (before == after) {
            out->last_error[sizeof(out->last_error) - 1] = '\0';
            return;
        }
    }
    out->last_error_us = 0;
    out->last_error[0] = '\0';
}

void ot_stats_read(const ot_stats_slot *slot, ot_counters *out)
{
    ot_stats_slot *s = (ot_stats_slot *)slot;

    out->queued = atomic_load(&s->v[OT_STAT_QUEUED]);
    out->exported = atomic_load(&s->v[OT_STAT_EXPORTED]);
    out->dropped_full = atomic_load(&s->v[OT_STAT_DROPPED_FULL]);
    out->dropped_too_big = atomic_load(&s->v[OT_STAT_DROPPED_TOO_BIG]);
    out->failed = atomic_load(&s->v[OT_STAT_FAILED]);
    out->retries = atomic_load(&s->v[OT_STAT_RETRIES]);
    out->batches = atomic_load(&s->v[OT_STAT_BATCHES]);
    /* read one after the other: a span may move in between */
    out->queue_depth = out->queued > out->exported + out->failed
        ? out->queued - out->exported - out->failed : 0;
    out->pid = atomic_load(&s->pid);
    out->started_us = atomic_load(&s->started_us);
    read_error(slot, out);
}

int ot_stats_child(const ot_stats *st, unsigned i, ot_counters *out)
{
    if (i >= st->n_slots
        || atomic_load((_Atomic int64_t *)&st->slots[i].pid) == 0) {
        return 0;
    }
    ot_stats_read(&st->slots[i], out);
    return out->pid != 0;
}

static void add_counters(ot_counters *sum, const ot_counters *c)
{
    sum->queued += c->queued;
    sum->exported += c->exported;
    sum->dropped_full += c->dropped_full;
    sum->dropped_too_big += c->dropped_too_big;
    sum->failed += c->failed;
    sum->retries += c->retries;
    sum->batches += c->batches;
    sum->queue_depth += c->queue_depth;
}

void ot_stats_totals(const ot_stats *st, ot_counters *out)
{
    ot_stats *s = (ot_stats *)st;
    ot_counters c;
    uint32_t before;
    unsigned i;
    int tries = 0;

    do {
        while (((before = atomic_load(&s->fold_seq)) & 1)
               && tries++ < FOLD_SPINS) {
            sched_yield();
        }
        memset(out, 0, sizeof(*out));
        out->queued = atomic_load(&s->retired[OT_STAT_QUEUED]);
        out->exported = atomic_load(&s->retired[OT_STAT_EXPORTED]);
        out->dropped_full = atomic_load(&s->retired[OT_STAT_DROPPED_FULL]);
        out->dropped_too_big =
            atomic_load(&s->retired[OT_STAT_DROPPED_TOO_BIG]);
        out->failed = atomic_load(&s->retired[OT_STAT_FAILED]);
        out->retries = atomic_load(&s->retired[OT_STAT_RETRIES]);
        out->batches = atomic_load(&s->retired[OT_STAT_BATCHES]);
        for (i = 0; i < s->n_slots; i++) {
            if (ot_stats_child(s, i, &c)) {
                add_counters(out, &c);
                if (c.last_error_us > out->last_error_us) {
                    out->last_error_us = c.last_error_us;
                    memcpy(out->last_error, c.last_error,
                           sizeof(out->last_error));
                }
            }
        }
    } while (atomic_load(&s->fold_seq) != before && tries++ < FOLD_SPINS);
}
