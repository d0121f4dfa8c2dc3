/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What the glue files share: the module record, the configuration records
 * (mod_opentracing_config.c makes and merges them) and the log tags.
 */

#ifndef MOD_OPENTRACING_PRIVATE_H
#define MOD_OPENTRACING_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_expr.h"

#include "ot_api.h"
#include "ot_exporter.h"
#include "ot_kv.h"
#include "ot_propagation.h"
#include "ot_sampler.h"
#include "ot_settings.h"
#include "ot_span.h"
#include "ot_tagexpr.h"
#include "ot_tracer.h"

/* Everything else in the DSO is hidden (-fvisibility=hidden). */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
extern module AP_MODULE_DECLARE_DATA opentracing_module;

APLOG_USE_MODULE(opentracing);

/* Our own log tags: OTnnnnn, never reused (AHnnnnn belong to httpd).
 * 00001-00999 the glue, 01000-01999 the core, 02000-02999 the SDK and the
 * HTTP plugins, 03000-03999 the file plugin. */
#define OTLOGNO(n) "OT" #n ": "

#define OT_UNSET (-1)
#define OT_MAX_PROPAGATORS 8

/* One per configuration generation: the tracer and its settings. */
typedef struct ot_tracer_conf {
    const char *plugin_path;
    const char *config_source;      /* file name, or "inline JSON" */
    const ot_tracer_plugin *plugin;
    void *handle;
    ot_batch_config batch;
    ot_tracer_host host;
    ot_kv_list resource_attrs;      /* OTEL_RESOURCE_ATTRIBUTES, then
                                     * "resource_attributes" */
    ot_sampler sampler;             /* OTEL_TRACES_SAMPLER(_ARG): where no
                                     * TraceSampleRate applies */
} ot_tracer_conf;

typedef struct ot_server_conf {
    ot_tracer_conf *tracer;         /* the main server's, shared */
    const char *service_name;
    const ot_propagator *propagators[OT_MAX_PROPAGATORS];
    int n_propagators;              /* 0: unset (w3c) */
    int names;                      /* TraceSemanticConventions:
                                     * OT_NAMES_* bits; 0: unset
                                     * (current) */
    int notes;                      /* TraceNotes (main server): On,
                                     * Off; OT_UNSET: when the
                                     * configuration reads them */
    ot_resource *resource;          /* built in each child */
} ot_server_conf;

/* TraceTag: a span attribute from an ap_expr string, of a type.  The
 * forms of ot_tagexpr.h are evaluated here, anything else by ap_expr. */
typedef struct ot_tag {
    const char *key;
    size_t klen;
    int may_be_fixed;               /* the key is in a namespace of the
                                     * module's own attributes */
    ot_value_type type;             /* OT_VALUE_STRING, _INT or _BOOL */
    ot_tagexpr_form form;
    const char *arg;                /* the name looked up, or the
                                     * constant (a string) */
    size_t arg_len;
    int64_t constant;               /* a constant -int or -bool */
    ap_expr_info_t *expr;           /* parsed (what OT_TAGEXPR_GENERAL
                                     * evaluates) */
} ot_tag;

/* TraceCaptureRequestHeaders, TraceCaptureResponseHeaders: a header and
 * its attribute keys. */
typedef struct ot_capture {
    const char *header;
    const char *key;                /* http.request.header.<lowercase> */
    const char *old_key;            /* the same with '-' as '_' (v1.20.0) */
} ot_capture;

/* TraceSampleExpr: when expr is true, record (always) or not (never). */
typedef struct ot_sample_rule {
    int record;
    ap_expr_info_t *expr;
} ot_sample_rule;

/* The On|Off directives are OT_UNSET, 0 or 1 (ap_set_flag_slot). */
typedef struct ot_dir_conf {
    int trace_request;              /* TraceRequest */
    ap_expr_info_t *operation_name; /* TraceOperationName; NULL: unset */
    const char *route;              /* the path (or pattern) of the
                                     * <Location> that set TraceRequest or
                                     * TraceOperationName; NULL: none */
    int trust_incoming;             /* TraceTrustIncoming (unset: On) */
    int response_header;            /* TraceResponseHeader (unset: Off) */
    int proxy_spans;                /* TraceProxySpans (unset: On) */
    double sample_rate;             /* TraceSampleRate; OT_UNSET: the
                                     * tracer's sampler */
    ot_sampler sampler;             /* from sample_rate, when set */
    apr_array_header_t *sample_rules;   /* TraceSampleExpr, of
                                         * ot_sample_rule, the most
                                         * specific first; NULL: none */
    int backend_headers;            /* TraceBackendHeaders (unset: On) */
    apr_array_header_t *tags;       /* of ot_tag; NULL: none here */
    apr_array_header_t *capture[2]; /* [0] TraceCaptureRequestHeaders,
                                     * [1] ...ResponseHeaders: of
                                     * ot_capture, added to the parent's;
                                     * NULL: none */
    apr_array_header_t *redact_query;   /* TraceRedactQuery keys (const
                                         * char *), added to the defaults;
                                         * NULL: none here */
} ot_dir_conf;


/* mod_opentracing_config.c */
extern const command_rec ot_cmds[];
void *ot_create_server_conf(apr_pool_t *p, server_rec *s);
void *ot_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *ot_create_dir_conf(apr_pool_t *p, char *dir);
void *ot_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* mod_opentracing.c: the configuration as read (ap_conftree:
 * <VirtualHost> sections as children, <IfModule>, <IfDefine> and Include
 * resolved), every directive given to visit. */
void ot_config_each(const ap_directive_t *d,
                    void (*visit)(const ap_directive_t *d, void *data),
                    void *data);

/* mod_opentracing.c: the request's span, for the proxy glue. */
/* Whether r's call to a backend has a CLIENT span (fixups found so),
 * whose response filter reads the backend's span headers
 * (ot_backend_read). */
int ot_proxy_reads_response(request_rec *r);
/* The context of the server span of r's request when r is traced (also
 * when it is not sampled: see flags), else NULL; *call: the request's
 * slot for the proxy glue's state (one call at a time: subrequests and
 * internal redirects share it, and run one after the other). */
const ot_span_context *ot_traced_context(request_rec *r, void ***call);
/* Write ctx into headers (values from the table's pool) in
 * TracePropagation's formats for r, replacing theirs. */
void ot_inject_headers(request_rec *r, const ot_span_context *ctx,
                       apr_table_t *headers);
/* Write ctx into r->headers_in in TracePropagation's formats, replacing
 * theirs; with_env: into the CGI environment too (TRACEPARENT...). */
void ot_inject(request_rec *r, const ot_span_context *ctx, int with_env);
/* A constant attribute key and its length, known at compile time. */
#define KEY(k) k, sizeof(k) - 1

/* TraceSemanticConventions: the attribute names written, bits. */
#define OT_NAMES_CURRENT 1          /* the stable HTTP conventions */
#define OT_NAMES_OLD 2              /* those of v1.20.0 */

/* The names for r's spans. */
int ot_names(request_rec *r);
/* Whether traced requests get the notes (TraceNotes). */
int ot_notes_wanted(void);
/* An attribute under its current name cur and its v1.20.0 name old, as
 * names says: ot_attr_str(s, names, NAMES("url.scheme", "http.scheme"),
 * v, len). */
#define NAMES(cur, old) cur, sizeof(cur) - 1, old, sizeof(old) - 1
void ot_attr_str(ot_span *s, int names, const char *cur, size_t clen,
                 const char *old, size_t olen, const char *v, size_t vlen);
void ot_attr_int(ot_span *s, int names, const char *cur, size_t clen,
                 const char *old, size_t olen, int64_t v);
/* http.request.method (and _original) of s for method (NULL: a request
 * line httpd could not parse), or http.method; returns the name the
 * semantic conventions give such a span: the method, or "HTTP" for one
 * they do not know. */
const char *ot_record_method(ot_span *s, int names, const char *method);
/* query with the values of the keys to redact (the semantic conventions'
 * and TraceRedactQuery's for r) replaced; *len its length. */
const char *ot_redacted_query(request_rec *r, const char *query, size_t *len);
/* Hand the finished span s of r's request to this child's exporter. */
void ot_submit(request_rec *r, ot_span *s);
/* The server span of r's request while it is recorded (traced, sampled,
 * not yet finished), else NULL. */
ot_span *ot_server_span(request_rec *r);

/* For the span API (mod_opentracing_api.c), once TraceRequest is
 * settled and r (not NULL) is traced: the API's state of r's request
 * while its server span (*server) is recorded and not yet submitted,
 * made on the first call; else NULL. */
ot_api_request *ot_api_state(request_rec *r, ot_span **server);
/* The context of the server span of r's request, also when it is not
 * sampled, else NULL; *server: the server span while it is recorded (NULL:
 * not sampled, or submitted already); *api: the request's API state (the
 * one its child spans belong to; NULL: none made yet, and no child). */
const ot_span_context *ot_api_context(request_rec *r, ot_span **server,
                                      const ot_api_request **api);

/* mod_opentracing_proxy.c */
void ot_proxy_register_hooks(apr_pool_t *p);
/* Whether mod_proxy will call a backend for r with a CLIENT span, whose
 * context then replaces the server span's in r's headers and environment
 * (fixups need not write the server span's first). */
int ot_proxy_injects(request_rec *r, const ot_span_context *server);
/* The CLIENT span of the backend call r is making, while it is open,
 * else NULL. */
ot_span *ot_proxy_client_span(request_rec *r);


/* mod_opentracing_backend.c */
void ot_backend_register_hooks(apr_pool_t *p);
/* Read the span headers (Trace-*) of r's response into its span, and
 * remove them: once its headers are final (TraceBackendHeaders). */
void ot_backend_read(request_rec *r);

/* mod_opentracing_status.c */
void ot_status_register_hooks(apr_pool_t *p);
/* child_init, before the exporter starts: this child's slot for its
 * counters in the shared memory of the status pages. */
void ot_status_child_init(apr_pool_t *pchild, server_rec *s);
/* The exporter counts into that slot and summarizes traces for the
 * status page. */
void ot_status_share(ot_exporter *e);
/* A tracer warning or error in this child: the last error shown. */
void ot_status_note(ot_log_level level, const char *msg);

/* mod_opentracing_api.c */
void ot_api_register_hooks(apr_pool_t *p);
/* At log_transaction, before the server span (recorded) of initial is
 * ended and submitted: end the child spans left open, apply what the API
 * set for the server span (api: the request's API state, made). */
void ot_api_request_done(request_rec *initial, ot_api_request *api,
                         ot_span *server);

static inline ot_server_conf *ot_server_conf_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &opentracing_module);
}

static inline ot_dir_conf *ot_dir_conf_get(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &opentracing_module);
}

#endif /* MOD_OPENTRACING_PRIVATE_H */
