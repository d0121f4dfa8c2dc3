/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_tracer.h: the tracer plugin ABI of mod_opentracing.
 *
 * A tracer plugin is a shared object that exports one function,
 * OT_TRACER_ENTRY_SYMBOL, returning a pointer to a constant
 * ot_tracer_plugin table.  The module loads it with TraceTracer, checks
 * abi_version, and drives it through the life of httpd:
 *
 *   parent (root)   create()        parse and validate the JSON config; no
 *                                   side effects: this runs under configtest
 *   parent (root)   open()          open files, sockets... (optional)
 *   each child      child_init()    per-process set-up after fork (optional)
 *   exporter thread export_spans()  batches of finished spans, never from a
 *                                   request thread
 *   exporter thread flush()         at child exit and graceful restart
 *   any thread      cancel()        make a running export_spans() return
 *                                   soon: the child is shutting down
 *   each child      child_exit()    per-process tear-down (optional)
 *   parent          destroy()       config pool cleanup (restart, stop)
 *
 * export_spans() is only ever called from one thread at a time per process.
 * Everything a plugin receives is plain C data; it must copy what it keeps.
 *
 * The ABI is versioned with OT_TRACER_ABI_VERSION: any incompatible change
 * to this file bumps it and the module refuses plugins built for another
 * version.  Within a version, the rules are:
 *
 *   - Structs grow only at their end.  ot_tracer_plugin, ot_tracer_host and
 *     ot_span_record begin with (or hold) struct_size, the sizeof() of the
 *     side that made them.  The module copies a plugin's table into a
 *     zeroed table of its own size, so a member that a shorter (older)
 *     table lacks reads as NULL and is not called.  A plugin that reads a
 *     member added after it was first released checks OT_HAS_MEMBER(rec,
 *     type, rec, member) first: an older module does not fill it.
 *   - New attribute value types may appear: a plugin skips an attribute
 *     whose type it does not know (it neither fails nor guesses).  So
 *     OT_VALUE_STRING_ARRAY came within version 2, without a bump: a
 *     plugin built before it leaves those attributes out.
 *   - New span kinds and status codes may appear: a plugin passes the
 *     number on or maps it to "unspecified".
 *   - ot_span_record.http (the HTTP facts of a server span) and
 *     ot_tracer_plugin.flags came within version 2, without a bump: the
 *     module gives the facts only to a plugin whose flags say
 *     OT_PLUGIN_READS_FACTS; for any other (built before them, or one that
 *     does not care) its exporter thread writes them out as ordinary
 *     attributes first, so that plugin sees the attributes it always saw.
 *     A fact added later comes with a new flag bit: a plugin that does not
 *     set that bit gets the facts as attributes.
 *
 * How this maps onto OpenTelemetry's SpanExporter: export_spans is
 * Export(), flush is ForceFlush(), child_exit/destroy are Shutdown() (per
 * child process, then per configuration).  Unlike an SDK's exporter, a
 * plugin does not batch, queue or retry: the module's exporter thread
 * batches (max_export_batch_size, schedule_delay_ms), bounds the queue,
 * retries OT_EXPORT_RETRY with exponential backoff, jitter and the
 * receiver's Retry-After (retry_after_ms) within export_timeout_ms, and
 * counts drops.  What has no counterpart models httpd's processes: create
 * (parse only, so that configtest runs it), open (in the parent, as root:
 * files a child may not open), child_init (after fork: sockets, handles)
 * and cancel (from another thread, at shutdown).
 */

#ifndef OT_TRACER_H
#define OT_TRACER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OT_TRACER_ABI_VERSION 2u

/* The one symbol a plugin exports; its type is ot_tracer_entry_fn. */
#define OT_TRACER_ENTRY_SYMBOL "ot_tracer_entry"

#if defined(__GNUC__)
#define OT_TRACER_EXPORT __attribute__((visibility("default")))
#else
#define OT_TRACER_EXPORT
#endif

/* A string that need not be NUL-terminated.  Attribute values may hold any
 * bytes, including invalid UTF-8: encoders must repair or escape them. */
typedef struct ot_str {
    const char *ptr;
    uint32_t len;
} ot_str;

/* n strings, as OpenTelemetry's string[] attributes (one captured header
 * line per item, for instance).  items is NULL when n is 0.  The same
 * layout as ot_str: it takes no more room in ot_attribute's union. */
typedef struct ot_str_array {
    const ot_str *items;
    uint32_t n;
} ot_str_array;

typedef enum ot_value_type {
    OT_VALUE_STRING = 1,
    OT_VALUE_BOOL = 2,
    OT_VALUE_INT = 3,
    OT_VALUE_DOUBLE = 4,
    OT_VALUE_STRING_ARRAY = 5   /* within ABI 2: older plugins skip it */
} ot_value_type;

typedef struct ot_attribute {
    ot_str key;
    uint32_t type;              /* ot_value_type */
    union {
        ot_str s;
        int64_t i;
        double d;
        int b;
        ot_str_array sa;        /* OT_VALUE_STRING_ARRAY */
    } v;
} ot_attribute;

/* OTLP's SpanKind values. */
typedef enum ot_span_kind {
    OT_SPAN_KIND_UNSPECIFIED = 0,
    OT_SPAN_KIND_INTERNAL = 1,
    OT_SPAN_KIND_SERVER = 2,
    OT_SPAN_KIND_CLIENT = 3,
    OT_SPAN_KIND_PRODUCER = 4,
    OT_SPAN_KIND_CONSUMER = 5
} ot_span_kind;

/* OTLP's Status.StatusCode values. */
typedef enum ot_status_code {
    OT_STATUS_UNSET = 0,
    OT_STATUS_OK = 1,
    OT_STATUS_ERROR = 2
} ot_status_code;

/* W3C trace-flags bits: sampled, and (level 2) random: the trace id's
 * right-most 7 bytes are random. */
#define OT_FLAG_SAMPLED 0x01u
#define OT_FLAG_RANDOM  0x02u

typedef struct ot_event {
    ot_str name;
    int64_t time_ns;            /* Unix epoch, nanoseconds */
    const ot_attribute *attributes;
    uint32_t n_attributes;
} ot_event;

typedef struct ot_link {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;
    ot_str trace_state;
    const ot_attribute *attributes;
    uint32_t n_attributes;
} ot_link;

/* Resource and instrumentation scope: one per virtual host and process;
 * they outlive every span that points to them. */
typedef struct ot_resource {
    const ot_attribute *attributes;
    uint32_t n_attributes;
    ot_str scope_name;
    ot_str scope_version;
} ot_resource;

/*
 * The HTTP facts of a server span: the fields every request has, recorded
 * by the module in this fixed layout instead of as a dozen key/value
 * attributes, and written by an encoder with its keys encoded in advance.
 * Each fact is one value under a key of the stable HTTP semantic
 * conventions (names has OT_FACT_NAMES_CURRENT), of those of v1.20.0
 * (OT_FACT_NAMES_OLD), or both (the module's TraceSemanticConventions); a
 * fact has no key of one of them where the list below says "-", and is then
 * not written under those names.  A fact is set when its bit (OT_FACT_BIT)
 * is in present; its value is the member the list names.  Facts come before
 * the record's attributes, in the order of the list, each under its current
 * key, then its old key.  Strings are cut as attribute values are
 * (max_attribute_length) and may hold any bytes, as attribute values.  No
 * key of a fact that is set is among the record's attributes.  Strings are
 * OT_VALUE_STRING values, the rest (ports, sizes, the status) OT_VALUE_INT.
 */
typedef enum ot_http_fact {
    /* current key, old key: the member, where it is not the fact's name
     * in lower case (OT_FACT_URL_SCHEME: url_scheme) */
    OT_FACT_METHOD = 0,         /* http.request.method, -: method (a
                                 * known method or "_OTHER") */
    OT_FACT_METHOD_ORIGINAL,    /* http.request.method_original, -:
                                 * method_original (the method as sent) */
    OT_FACT_METHOD_OLD,         /* -, http.method: method_original */
    OT_FACT_URL_PATH,           /* url.path, -: url_path */
    OT_FACT_URL_QUERY,          /* url.query, -: url_query (redacted) */
    OT_FACT_TARGET,             /* -, http.target: target (path?query) */
    OT_FACT_URL_SCHEME,         /* url.scheme, http.scheme */
    OT_FACT_SERVER_ADDRESS,     /* server.address, net.host.name */
    OT_FACT_SERVER_PORT,        /* server.port, net.host.port */
    OT_FACT_CLIENT_ADDRESS,     /* client.address, http.client_ip */
    OT_FACT_PEER_ADDRESS,       /* network.peer.address,
                                 * net.sock.peer.addr */
    OT_FACT_PEER_PORT,          /* network.peer.port, net.sock.peer.port */
    OT_FACT_PROTOCOL_VERSION,   /* network.protocol.version,
                                 * net.protocol.version */
    OT_FACT_USER_AGENT,         /* user_agent.original, http.user_agent */
    OT_FACT_REQUEST_BODY_SIZE,  /* http.request.body.size,
                                 * http.request_content_length */
    OT_FACT_STATUS_CODE,        /* http.response.status_code,
                                 * http.status_code */
    OT_FACT_RESPONSE_BODY_SIZE, /* http.response.body.size,
                                 * http.response_content_length */
    OT_FACT_COUNT               /* facts of this revision of the ABI */
} ot_http_fact;

#define OT_FACT_BIT(f) (1u << (f))
#define OT_FACT_NAMES_CURRENT 1u
#define OT_FACT_NAMES_OLD 2u

typedef struct ot_http_facts {
    uint32_t struct_size;       /* sizeof(ot_http_facts) of the module */
    uint32_t present;           /* OT_FACT_BIT of each fact set */
    uint32_t names;             /* OT_FACT_NAMES_*: the keys to write */
    ot_str method;
    ot_str method_original;
    ot_str url_path;
    ot_str url_query;
    ot_str target;
    ot_str url_scheme;
    ot_str server_address;
    ot_str client_address;
    ot_str peer_address;
    ot_str protocol_version;
    ot_str user_agent;
    int64_t server_port;
    int64_t peer_port;
    int64_t request_body_size;
    int64_t status_code;
    int64_t response_body_size;
} ot_http_facts;

/* Whether *s, a struct of type T made by the other side of the ABI, has
 * member m: OT_HAS_MEMBER(ot_span_record, rec, resource). */
#define OT_HAS_MEMBER(T, s, m)                                              \
    ((s)->struct_size >= offsetof(T, m) + sizeof((s)->m))

typedef struct ot_span_record {
    uint32_t struct_size;       /* sizeof(ot_span_record) of the module */
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_span_id[8];  /* all zero: a root span */
    uint8_t flags;              /* W3C trace-flags */
    uint8_t kind;               /* ot_span_kind */
    uint8_t status_code;        /* ot_status_code */
    uint8_t parent_is_remote;   /* parent came from another process */
    ot_str trace_state;
    ot_str name;
    ot_str status_message;
    int64_t start_ns;           /* Unix epoch, nanoseconds */
    int64_t end_ns;
    const ot_attribute *attributes;
    uint32_t n_attributes;
    uint32_t dropped_attributes;
    const ot_event *events;
    uint32_t n_events;
    uint32_t dropped_events;
    const ot_link *links;
    uint32_t n_links;
    uint32_t dropped_links;
    const ot_resource *resource;
    /* Added within ABI 2: the span's HTTP facts, NULL when it has none.
     * Only a plugin with OT_PLUGIN_READS_FACTS is given a record where it
     * is set (see ot_http_facts). */
    const ot_http_facts *http;
} ot_span_record;

typedef enum ot_export_result {
    OT_EXPORT_OK = 0,           /* delivered (or written) */
    OT_EXPORT_RETRY = 1,        /* transient failure: the batch may be retried */
    OT_EXPORT_FAIL = 2          /* permanent failure: the batch is dropped */
} ot_export_result;

/* Log levels, numbered like syslog and httpd's APLOG_*. */
typedef enum ot_log_level {
    OT_LOG_ERR = 3,
    OT_LOG_WARNING = 4,
    OT_LOG_NOTICE = 5,
    OT_LOG_INFO = 6,
    OT_LOG_DEBUG = 7
} ot_log_level;

/* A message tag, as the module and its shipped plugins begin their
 * messages: ot_log(..., OT_LOGNO(01001) "text").  The module logs a
 * plugin's message that has no tag with its own tag for plugin messages. */
#define OT_LOGNO(n) "OT" #n ": "

/* What the module offers a plugin.  Valid until destroy(). */
typedef struct ot_tracer_host {
    uint32_t abi_version;
    uint32_t struct_size;
    const char *module_version;
    const char *server_root;    /* relative paths in configs resolve here */
    void *log_ctx;
    void (*log)(void *log_ctx, ot_log_level level, const char *msg);
} ot_tracer_host;

typedef struct ot_tracer_plugin {
    uint32_t abi_version;       /* OT_TRACER_ABI_VERSION */
    uint32_t struct_size;       /* sizeof(ot_tracer_plugin) */
    const char *name;           /* "file", "otlp", ... */
    const char *version;

    /* Parse and validate json (a JSON object, len bytes, NUL-terminated).
     * On failure return non-zero and write one line to err. */
    int (*create)(const ot_tracer_host *host, const char *json, size_t len,
                  void **handle, char *err, size_t errlen);
    /* Optional, in the parent as root after every (re)start. */
    int (*open)(void *handle, char *err, size_t errlen);
    /* Optional, in each child process after fork. */
    int (*child_init)(void *handle, char *err, size_t errlen);
    /* Deliver count spans; give up after timeout_ms.  On OT_EXPORT_RETRY,
     * *retry_after_ms may carry the receiver's hint (0: none); the module
     * retries with exponential backoff and jitter within its deadline. */
    ot_export_result (*export_spans)(void *handle,
                                     const ot_span_record *const *spans,
                                     size_t count, uint32_t timeout_ms,
                                     uint32_t *retry_after_ms);
    /* Optional: push out anything buffered. */
    int (*flush)(void *handle, uint32_t timeout_ms);
    /* Optional, in each child process before it exits. */
    void (*child_exit)(void *handle);
    /* Release everything create() and open() acquired. */
    void (*destroy)(void *handle);
    /* Optional, from another thread: abort a running export_spans() (it
     * then returns OT_EXPORT_FAIL) and make later ones fail at once. */
    void (*cancel)(void *handle);
    /* Optional (added within ABI 2: NULL in older plugins' tables, which
     * the module reads as absent): where spans go, in one line that the
     * module shows on its status page (SetHandler opentracing-status) to
     * whoever may read it: for an HTTP exporter scheme://host:port, for a
     * file its path.  Never credentials, headers, tokens, a URL's user,
     * path or query, nor the JSON config.  Write a NUL-terminated line
     * into buf (len bytes); return 0, or non-zero to show nothing. */
    int (*describe)(void *handle, char *buf, size_t len);
    /* Added within ABI 2 (0 in older plugins' tables): OT_PLUGIN_* bits. */
    uint32_t flags;
} ot_tracer_plugin;

/* The plugin reads ot_span_record.http (the facts up to OT_FACT_COUNT of
 * this header): the module gives it records with their facts as they
 * are; without it, the facts come as ordinary attributes. */
#define OT_PLUGIN_READS_FACTS 0x1u

typedef const ot_tracer_plugin *(*ot_tracer_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* OT_TRACER_H */
