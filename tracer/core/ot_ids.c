/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_ids.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>

/* Bumped by ot_ids_reseed(); a thread whose state is older reseeds. */
static volatile apr_uint32_t seed_epoch = 1;

typedef struct rng_state {
    uint64_t s[4];
    apr_uint32_t epoch;
} rng_state;

/* initial-exec: a direct access, not a __tls_get_addr call per id (the
 * state is small enough for the static TLS glibc keeps for dlopen). */
static _Thread_local rng_state rng
#if defined(__GNUC__)
    __attribute__((tls_model("initial-exec")))
#endif
    ;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void seed(rng_state *st, apr_uint32_t epoch)
{
    uint64_t mix[4] = { 0, 0, 0, 0 };
    uint64_t x;
    struct timespec ts;
    int i;

    if (apr_generate_random_bytes((unsigned char *)mix, sizeof(mix))
        != APR_SUCCESS) {
        /* No entropy source: fall back on what differs between threads
         * and processes.  Still unique, if not unpredictable. */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        mix[0] = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        mix[1] = (uint64_t)getpid();
        mix[2] = (uint64_t)(uintptr_t)st;
    }
    /* Run the seed through splitmix64 as xoshiro's authors recommend, so
     * that the state is never all zero. */
    x = mix[0] ^ mix[1] ^ mix[2] ^ mix[3];
    for (i = 0; i < 4; i++) {
        st->s[i] = splitmix64(&x) ^ mix[i];
    }
    if (!(st->s[0] | st->s[1] | st->s[2] | st->s[3])) {
        st->s[0] = 1;
    }
    st->epoch = epoch;
}

static uint64_t next64(void)
{
    rng_state *st = &rng;
#if defined(__GNUC__)
    /* inline: APR's is a call into the library for a plain load */
    apr_uint32_t epoch = __atomic_load_n(&seed_epoch, __ATOMIC_RELAXED);
#else
    apr_uint32_t epoch = apr_atomic_read32(&seed_epoch);
#endif
    uint64_t result, t;

    if (st->epoch != epoch) {
        seed(st, epoch);
    }
    result = rotl(st->s[1] * 5, 7) * 9;
    t = st->s[1] << 17;
    st->s[2] ^= st->s[0];
    st->s[3] ^= st->s[1];
    st->s[1] ^= st->s[2];
    st->s[0] ^= st->s[3];
    st->s[2] ^= t;
    st->s[3] = rotl(st->s[3], 45);
    return result;
}

void ot_ids_reseed(void)
{
    apr_atomic_inc32(&seed_epoch);
}

void ot_ids_trace_id(uint8_t out[16])
{
    uint64_t a, b;

    do {
        a = next64();
        b = next64();
    } while (!(a | b));
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
}

uint32_t ot_ids_random32(void)
{
    return (uint32_t)(next64() >> 32);
}

void ot_ids_span_id(uint8_t out[8])
{
    uint64_t a;

    do {
        a = next64();
    } while (!a);
    memcpy(out, &a, 8);
}
