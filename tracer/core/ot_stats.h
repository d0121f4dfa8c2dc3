/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_stats.h: the health counters of the tracer in every child process,
 * in one block of memory that the glue shares between processes (an
 * anonymous shared memory segment made in the parent), so that one
 * request to the status page sees every child.
 *
 * The block has one slot per child process that can exist at once
 * (ServerLimit), and the totals of the children that have exited.  A
 * child claims a free slot when it starts (or one whose process is gone:
 * a child that crashed), and folds its counters into the totals when it
 * exits, so that the totals only ever grow (Prometheus counters).  The
 * counters are C11 atomics: the request threads (queued, dropped) and the
 * exporter thread (the rest) bump them with no lock.  A sequence number
 * around each fold lets a reader sum the block without counting a child
 * twice or not at all.
 *
 * Pure code: C11 atomics and libc.
 */

#ifndef OT_STATS_H
#define OT_STATS_H

#include <stddef.h>
#include <stdint.h>

#define OT_STATS_ERROR_LEN 160

/* A snapshot of the counters of one child, or of all. */
typedef struct ot_counters {
    uint64_t queued;            /* spans accepted into the queue */
    uint64_t exported;          /* spans the plugin took */
    uint64_t dropped_full;      /* queue full */
    uint64_t dropped_too_big;   /* one span larger than the queue allows */
    uint64_t failed;            /* spans in batches the plugin failed */
    uint64_t retries;           /* export attempts repeated */
    uint64_t batches;           /* export calls that succeeded */
    uint64_t queue_depth;       /* spans in the queue now: queued, not
                                 * yet exported nor failed */
    int64_t pid;                /* the child's; 0 in totals */
    int64_t started_us;         /* when the child claimed its slot */
    int64_t last_error_us;      /* 0: none yet */
    char last_error[OT_STATS_ERROR_LEN];
} ot_counters;

typedef enum ot_stat {
    OT_STAT_QUEUED,
    OT_STAT_EXPORTED,
    OT_STAT_DROPPED_FULL,
    OT_STAT_DROPPED_TOO_BIG,
    OT_STAT_FAILED,
    OT_STAT_RETRIES,
    OT_STAT_BATCHES,
    OT_STAT_COUNT
} ot_stat;

typedef struct ot_stats ot_stats;           /* the shared block */
typedef struct ot_stats_slot ot_stats_slot; /* one child's counters */

/* Whether process pid still runs (the glue's kill(pid, 0)). */
typedef int (*ot_stats_alive_fn)(int64_t pid);

/* Bytes a block of n_slots takes. */
size_t ot_stats_size(unsigned n_slots);
/* Lay out an empty block in mem (ot_stats_size(n_slots) bytes, aligned
 * for 64-bit atomics). */
ot_stats *ot_stats_init(void *mem, unsigned n_slots);
/* The block laid out at mem by ot_stats_init, or NULL when mem holds
 * something else (a block of another layout). */
ot_stats *ot_stats_attach(void *mem);
unsigned ot_stats_n_slots(const ot_stats *st);

/* Child process pid: claim a free slot, or one whose process alive()
 * says is gone (its counters go to the totals first).  NULL when every
 * slot is taken by a live process. */
ot_stats_slot *ot_stats_claim(ot_stats *st, int64_t pid, int64_t now_us,
                              ot_stats_alive_fn alive);
/* Child exit, once no thread of the child counts any more: its counters
 * go to the totals and the slot is free. */
void ot_stats_release(ot_stats *st, ot_stats_slot *slot);

/* A slot of its own in memory of the caller's (sizeof: ot_stats_slot_size),
 * for an exporter whose counters nobody else reads. */
size_t ot_stats_slot_size(void);
ot_stats_slot *ot_stats_slot_init(void *mem);

void ot_stats_add(ot_stats_slot *slot, ot_stat which, uint64_t n);
/* The last warning or error of this child, cut to OT_STATS_ERROR_LEN - 1
 * bytes.  Any thread; when two write at once, one of them is kept. */
void ot_stats_note_error(ot_stats_slot *slot, int64_t now_us,
                         const char *msg);
void ot_stats_read(const ot_stats_slot *slot, ot_counters *out);

/* Slot i, when a child holds it (then 1; *out its counters), else 0. */
int ot_stats_child(const ot_stats *st, unsigned i, ot_counters *out);
/* The children that exited and the live ones, summed; the last error
 * the newest of the live children's. */
void ot_stats_totals(const ot_stats *st, ot_counters *out);

#endif /* OT_STATS_H */
