/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_facts.h: the HTTP facts of a span (ot_http_facts, see ot_tracer.h)
 * for the encoders and the module: their keys, their values as
 * attributes, and the facts written out as ordinary attributes, which is
 * what an encoder that writes them directly must produce.
 */

#ifndef OT_FACTS_H
#define OT_FACTS_H

#include <stddef.h>

#include "ot_tracer.h"

/* X(fact, current key, old key, member, STR or INT), in the facts' order
 * (OT_FACT_*); "" where a fact has no key under those names.  Encoders
 * build their keys, encoded in advance, from it. */
#define OT_FACTS_TABLE(X)                                                   \
    X(METHOD, "http.request.method", "", method, STR)                       \
    X(METHOD_ORIGINAL, "http.request.method_original", "", method_original, \
      STR)                                                                  \
    X(METHOD_OLD, "", "http.method", method_original, STR)                  \
    X(URL_PATH, "url.path", "", url_path, STR)                              \
    X(URL_QUERY, "url.query", "", url_query, STR)                           \
    X(TARGET, "", "http.target", target, STR)                               \
    X(URL_SCHEME, "url.scheme", "http.scheme", url_scheme, STR)             \
    X(SERVER_ADDRESS, "server.address", "net.host.name", server_address,    \
      STR)                                                                  \
    X(SERVER_PORT, "server.port", "net.host.port", server_port, INT)        \
    X(CLIENT_ADDRESS, "client.address", "http.client_ip", client_address,   \
      STR)                                                                  \
    X(PEER_ADDRESS, "network.peer.address", "net.sock.peer.addr",           \
      peer_address, STR)                                                    \
    X(PEER_PORT, "network.peer.port", "net.sock.peer.port", peer_port, INT) \
    X(PROTOCOL_VERSION, "network.protocol.version", "net.protocol.version", \
      protocol_version, STR)                                                \
    X(USER_AGENT, "user_agent.original", "http.user_agent", user_agent,     \
      STR)                                                                  \
    X(REQUEST_BODY_SIZE, "http.request.body.size",                          \
      "http.request_content_length", request_body_size, INT)                \
    X(STATUS_CODE, "http.response.status_code", "http.status_code",         \
      status_code, INT)                                                     \
    X(RESPONSE_BODY_SIZE, "http.response.body.size",                        \
      "http.response_content_length", response_body_size, INT)

/* The longest key of a fact (the encoders write each as a short key, of
 * at most OT_KEY_SHORT bytes), and how many attributes the facts make at
 * most (every fact under both names). */
#define OT_FACT_KEY_MAX 32
#define OT_FACTS_MAX_ATTRS (2 * OT_FACT_COUNT)

typedef struct ot_fact_def {
    ot_str key[2];              /* current, old; len 0: none */
    uint32_t is_int;
    uint32_t offset;            /* of the value in ot_http_facts */
} ot_fact_def;

extern const ot_fact_def ot_fact_defs[OT_FACT_COUNT];

/* rec's facts, when its module has the member, it is set and any fact
 * is: else NULL. */
static inline const ot_http_facts *ot_record_facts(const ot_span_record *rec)
{
    return OT_HAS_MEMBER(ot_span_record, rec, http) && rec->http
           && rec->http->present ? rec->http : NULL;
}

/* The string value of fact f (a STR one). */
static inline ot_str ot_fact_str(const ot_http_facts *h, unsigned f)
{
    return *(const ot_str *)(const void *)((const char *)h
                                           + ot_fact_defs[f].offset);
}

/* The integer value of fact f (an INT one). */
static inline int64_t ot_fact_int(const ot_http_facts *h, unsigned f)
{
    return *(const int64_t *)(const void *)((const char *)h
                                            + ot_fact_defs[f].offset);
}

/* Fact f under name (0: current, 1: old) as an attribute. */
void ot_fact_attr(const ot_http_facts *h, unsigned f, unsigned name,
                  ot_attribute *a);

/* The facts of h as attributes, in their order, into out (at most max):
 * returns how many were written; those left out are added to *dropped. */
uint32_t ot_facts_expand(const ot_http_facts *h, ot_attribute *out,
                         uint32_t max, uint32_t *dropped);

/* src as a plugin that does not read facts must see it: when it has
 * facts, a copy in dst whose attributes (in attrs, room for max) are its
 * facts then its attributes, those that do not fit counted as dropped,
 * and no facts; else src itself.  Strings are not copied. */
const ot_span_record *ot_facts_flatten(const ot_span_record *src,
                                       ot_span_record *dst,
                                       ot_attribute *attrs, uint32_t max);

/* Which facts are integers, which have a key under the current names,
 * which under the old ones: OT_FACT_BIT()s. */
#define OT_FACT_TYPE_STR 0u
#define OT_FACT_TYPE_INT 1u
#define OT_FACT_INT_BIT_(f, cur, old, member, type)                         \
    | (OT_FACT_TYPE_##type << OT_FACT_##f)
#define OT_FACT_CUR_BIT_(f, cur, old, member, type)                         \
    | ((sizeof(cur) > 1 ? 1u : 0u) << OT_FACT_##f)
#define OT_FACT_OLD_BIT_(f, cur, old, member, type)                         \
    | ((sizeof(old) > 1 ? 1u : 0u) << OT_FACT_##f)
#define OT_FACTS_INT (0u OT_FACTS_TABLE(OT_FACT_INT_BIT_))
#define OT_FACTS_CUR (0u OT_FACTS_TABLE(OT_FACT_CUR_BIT_))
#define OT_FACTS_OLD (0u OT_FACTS_TABLE(OT_FACT_OLD_BIT_))

/* How many attributes the facts of h make. */
static inline uint32_t ot_facts_count(const ot_http_facts *h)
{
    return ((h->names & OT_FACT_NAMES_CURRENT)
            ? (uint32_t)__builtin_popcount(h->present & OT_FACTS_CUR) : 0)
           + ((h->names & OT_FACT_NAMES_OLD)
              ? (uint32_t)__builtin_popcount(h->present & OT_FACTS_OLD) : 0);
}

/* An upper bound of the bytes an encoder writes for the facts of h: per
 * attribute attr_room (an encoder's OT_ATTR_ROOM), twice (an encoder
 * checks for the room of all but its long values before each long one),
 * and for each string value longer than OT_VALUE_SHORT once cut to lim
 * bytes, OT_STR_ROOM() of it. */
uint64_t ot_facts_bound(const ot_http_facts *h, size_t lim, unsigned esc,
                        uint64_t attr_room);

/* The fact of h written under key (n bytes) with the names h has, or -1;
 * *name tells which of its keys (0: current, 1: old). */
int ot_fact_by_key(const ot_http_facts *h, const char *key, size_t n,
                   unsigned *name);

/* X(member) for each string member of ot_http_facts (a string may be the
 * value of two facts: it is listed once). */
#define OT_FACT_STR_MEMBERS(X)                                              \
    X(method) X(method_original) X(url_path) X(url_query) X(target)         \
    X(url_scheme) X(server_address) X(client_address) X(peer_address)       \
    X(protocol_version) X(user_agent)

#endif /* OT_FACTS_H */
