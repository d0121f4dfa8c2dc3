/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_opentracing_config.c: the directives, and the server and directory
 * configuration records: each made with "unset" values, merged so that
 * the more specific one wins where it is set.  Everything is checked here,
 * so that apachectl configtest catches it.
 */

#include <stddef.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "http_core.h"
#include "http_main.h"

#include "mod_opentracing_private.h"

#include "ot_env.h"
#include "ot_log.h"
#include "ot_plugin.h"

void *ot_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ot_server_conf *c = apr_pcalloc(p, sizeof(*c));

    c->notes = OT_UNSET;
    return c;
}

void *ot_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    ot_server_conf *base = basev, *add = addv;
    ot_server_conf *c = apr_pcalloc(p, sizeof(*c));

    c->tracer = base->tracer;
    c->service_name = add->service_name ? add->service_name
                                        : base->service_name;
    c->names = add->names ? add->names : base->names;
    if (add->n_propagators) {
        memcpy(c->propagators, add->propagators, sizeof(c->propagators));
        c->n_propagators = add->n_propagators;
    }
    else {
        memcpy(c->propagators, base->propagators, sizeof(c->propagators));
        c->n_propagators = base->n_propagators;
    }
    return c;
}

void *ot_create_dir_conf(apr_pool_t *p, char *dir)
{
    ot_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->sample_rate = OT_UNSET;
    c->trace_request = OT_UNSET;
    c->trust_incoming = OT_UNSET;
    c->response_header = OT_UNSET;
    c->proxy_spans = OT_UNSET;
    c->backend_headers = OT_UNSET;
    return c;
}

/* The base's tags, then the added ones; an added tag replaces a base tag
 * with the same key. */
static apr_array_header_t *merge_tags(apr_pool_t *p, apr_array_header_t *base,
                                      apr_array_header_t *add)
{
    apr_array_header_t *m;
    int i, j;

    if (!base || !add) {
        return add ? add : base;
    }
    m = apr_array_copy(p, base);
    for (i = 0; i < add->nelts; i++) {
        const ot_tag *t = &APR_ARRAY_IDX(add, i, ot_tag);
        for (j = 0; j < m->nelts; j++) {
            if (strcmp(APR_ARRAY_IDX(m, j, ot_tag).key, t->key) == 0) {
                break;
            }
        }
        if (j < m->nelts) {
            APR_ARRAY_IDX(m, j, ot_tag) = *t;
        }
        else {
            APR_ARRAY_PUSH(m, ot_tag) = *t;
        }
    }
    return m;
}

/* The base's items, then the added ones (NULL: none). */
static apr_array_header_t *added(apr_pool_t *p, apr_array_header_t *base,
                                 apr_array_header_t *add)
{
    if (!base || !add) {
        return add ? add : base;
    }
    return apr_array_append(p, base, add);
}

/* Whether no directive of ours set anything in c: most sections merged
 * per request (<Directory />, other modules' <Location>s) are. */
static int dir_conf_empty(const ot_dir_conf *c)
{
    return c->trace_request == OT_UNSET && !c->operation_name && !c->route
           && c->trust_incoming == OT_UNSET && c->response_header == OT_UNSET
           && c->proxy_spans == OT_UNSET && c->sample_rate == OT_UNSET
           && !c->sample_rules && c->backend_headers == OT_UNSET && !c->tags
           && !c->capture[0] && !c->capture[1] && !c->redact_query;
}

void *ot_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    ot_dir_conf *base = basev, *add = addv;
    ot_dir_conf *c;

    /* The records are never changed after start-up: share, not copy. */
    if (dir_conf_empty(add)) {
        return base;
    }
    if (dir_conf_empty(base)) {
        return add;
    }
    c = apr_pcalloc(p, sizeof(*c));

    c->operation_name = add->operation_name ? add->operation_name
                                            : base->operation_name;
    c->route = add->route ? add->route : base->route;
#define MERGE_FLAG(f) c->f = add->f != OT_UNSET ? add->f : base->f
    MERGE_FLAG(trace_request);
    MERGE_FLAG(trust_incoming);
    MERGE_FLAG(response_header);
    MERGE_FLAG(proxy_spans);
    MERGE_FLAG(backend_headers);
#undef MERGE_FLAG
    if (add->sample_rate != OT_UNSET) {
        c->sample_rate = add->sample_rate;
        c->sampler = add->sampler;
    }
    else {
        c->sample_rate = base->sample_rate;
        c->sampler = base->sampler;
    }
    /* TraceSampleExpr: the more specific section's rules first */
    c->sample_rules = !base->sample_rules || !add->sample_rules
                      ? (add->sample_rules ? add->sample_rules
                                           : base->sample_rules)
                      : apr_array_append(p, add->sample_rules,
                                         base->sample_rules);
    c->tags = merge_tags(p, base->tags, add->tags);
    /* The child's keys and headers add to the parent's. */
    c->redact_query = added(p, base->redact_query, add->redact_query);
    c->capture[0] = added(p, base->capture[0], add->capture[0]);
    c->capture[1] = added(p, base->capture[1], add->capture[1]);
    return c;
}

static apr_status_t destroy_tracer(void *data)
{
    ot_tracer_conf *t = data;

    if (t->plugin && t->handle) {
        t->plugin->destroy(t->handle);
        t->handle = NULL;
    }
    ot_kv_free(t->resource_attrs.items, t->resource_attrs.n);
    t->resource_attrs.items = NULL;
    return APR_SUCCESS;
}

/* OTEL_RESOURCE_ATTRIBUTES, then the config's resource_attributes (which
 * win): one list, in pconf. */
static const char *resource_attributes(cmd_parms *cmd, ot_tracer_conf *t,
                                       ot_kv_list cfg)
{
    const char *env = getenv("OTEL_RESOURCE_ATTRIBUTES");
    ot_kv *env_attrs = NULL, *all;
    size_t n_env = 0, i, n = 0;
    char msg[256];

    if (env && *env
        && ot_env_parse_list(env, &env_attrs, &n_env, msg, sizeof(msg))) {
        ot_kv_free(cfg.items, cfg.n);
        return apr_psprintf(cmd->pool, "TraceTracer: environment variable "
                            "OTEL_RESOURCE_ATTRIBUTES: %s", msg);
    }
    all = calloc(n_env + cfg.n + 1, sizeof(*all));
    if (!all) {
        ot_kv_free(env_attrs, n_env);
        ot_kv_free(cfg.items, cfg.n);
        return "TraceTracer: out of memory";
    }
    for (i = 0; i < n_env; i++) {
        all[n++] = env_attrs[i];
    }
    for (i = 0; i < cfg.n; i++) {
        all[n++] = cfg.items[i];
    }
    free(env_attrs);
    free(cfg.items);
    t->resource_attrs.items = all;
    t->resource_attrs.n = n;
    return NULL;
}

/* Read TraceTracer's second argument: inline JSON or a file. */
static const char *read_tracer_config(cmd_parms *cmd, const char *arg,
                                      const char **text, apr_size_t *len,
                                      const char **source)
{
    const char *path;
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_status_t rv;

    if (*arg == '{') {
        *text = arg;
        *len = strlen(arg);
        *source = "inline JSON";
        return NULL;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (!path) {
        return apr_psprintf(cmd->pool, "TraceTracer: invalid config file "
                            "path %s", arg);
    }
    *source = path;
    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    }
    if (rv == APR_SUCCESS && fi.size > 1024 * 1024) {
        return apr_psprintf(cmd->pool, "TraceTracer: config file %s is "
                            "larger than 1 MiB", path);
    }
    if (rv == APR_SUCCESS) {
        buf = apr_palloc(cmd->temp_pool, (apr_size_t)fi.size + 1);
        rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, len);
        buf[*len] = '\0';
        *text = buf;
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "TraceTracer: cannot read config "
                            "file %s: %pm", path, &rv);
    }
    return NULL;
}

static const char *cmd_tracer(cmd_parms *cmd, void *dummy, const char *so,
                              const char *config)
{
    ot_server_conf *sc = ot_server_conf_get(cmd->server);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    ot_tracer_conf *t;
    const char *text = NULL, *path;
    apr_size_t len = 0;
    char *rest;
    ot_kv_list res;
    char msg[512];

    if (err) {
        return err;
    }
    if (sc->tracer) {
        return "TraceTracer may be given only once";
    }
    t = apr_pcalloc(cmd->pool, sizeof(*t));
    path = ap_server_root_relative(cmd->pool, so);
    if (!path) {
        return apr_psprintf(cmd->pool, "TraceTracer: invalid plugin path %s",
                            so);
    }
    if (ot_plugin_load(cmd->pool, path, &t->plugin, msg, sizeof(msg))) {
        return apr_pstrcat(cmd->pool, "TraceTracer: ", msg, NULL);
    }
    if ((err = read_tracer_config(cmd, config, &text, &len,
                                  &t->config_source))) {
        return err;
    }
    ot_batch_config_defaults(&t->batch);
    if (ot_batch_config_env(&t->batch, msg, sizeof(msg))
        || ot_sampler_from_env(&t->sampler, getenv("OTEL_TRACES_SAMPLER"),
                               getenv("OTEL_TRACES_SAMPLER_ARG"), msg,
                               sizeof(msg))) {
        return apr_pstrcat(cmd->pool, "TraceTracer: ", msg, NULL);
    }
    if (ot_settings_split(text, len, &t->batch, &res, &rest, msg,
                        sizeof(msg))) {
        return apr_psprintf(cmd->pool, "TraceTracer: %s: %s",
                            t->config_source, msg);
    }
    /* From here on, t owns what it holds: the cleanup frees it. */
    apr_pool_cleanup_register(cmd->pool, t, destroy_tracer,
                              apr_pool_cleanup_null);
    if ((err = resource_attributes(cmd, t, res))) {
        free(rest);
        return err;
    }
    t->plugin_path = path;
    t->host.abi_version = OT_TRACER_ABI_VERSION;
    t->host.struct_size = sizeof(t->host);
    t->host.module_version = OT_VERSION;
    t->host.server_root = ap_server_root;
    t->host.log = ot_log_host;
    if (t->plugin->create(&t->host, rest, strlen(rest), &t->handle, msg,
                          sizeof(msg))) {
        free(rest);
        return apr_psprintf(cmd->pool, "TraceTracer: %s tracer, %s: %s",
                            t->plugin->name, t->config_source, msg);
    }
    free(rest);
    /* The DSO was loaded into the same pool before the cleanup was
     * registered, so it is unloaded after destroy() has run. */
    sc->tracer = t;
    return NULL;
}

static const char *cmd_service_name(cmd_parms *cmd, void *dummy,
                                    const char *name)
{
    if (!*name) {
        return "TraceServiceName must not be empty";
    }
    ot_server_conf_get(cmd->server)->service_name = name;
    return NULL;
}

static const char *cmd_propagation(cmd_parms *cmd, void *dummy,
                                   const char *name)
{
    ot_server_conf *sc = ot_server_conf_get(cmd->server);
    const ot_propagator *p = ot_propagator_find(name);
    const char *const *names;
    const char *known = "";
    int i;

    if (!p) {
        for (names = ot_propagator_names(); *names; names++) {
            known = apr_pstrcat(cmd->temp_pool, known, *known ? ", " : "",
                                *names, NULL);
        }
        return apr_psprintf(cmd->pool, "TracePropagation: unknown format "
                            "'%s' (known: %s)", name, known);
    }
    for (i = 0; i < sc->n_propagators; i++) {
        if (sc->propagators[i] == p) {
            return NULL;
        }
    }
    if (sc->n_propagators >= OT_MAX_PROPAGATORS) {
        return "TracePropagation: too many formats";
    }
    sc->propagators[sc->n_propagators++] = p;
    return NULL;
}

static const char *cmd_semantic_conventions(cmd_parms *cmd, void *dummy,
                                            const char *arg)
{
    ot_server_conf *sc = ot_server_conf_get(cmd->server);

    if (strcasecmp(arg, "current") == 0) {
        sc->names = OT_NAMES_CURRENT;
    }
    else if (strcasecmp(arg, "old") == 0) {
        sc->names = OT_NAMES_OLD;
    }
    else if (strcasecmp(arg, "both") == 0) {
        sc->names = OT_NAMES_CURRENT | OT_NAMES_OLD;
    }
    else {
        return apr_psprintf(cmd->pool, "TraceSemanticConventions: '%s' is "
                            "not one of current, old, both", arg);
    }
    return NULL;
}

static const char *cmd_notes(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    ot_server_conf_get(cmd->server)->notes = on;
    return NULL;
}

static const char *cmd_sample_rate(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    ot_dir_conf *dc = dconf;
    char *end;
    double r = strtod(arg, &end);

    if (end == arg || *end || !(r >= 0.0 && r <= 1.0)) {
        return apr_psprintf(cmd->pool, "TraceSampleRate: '%s' is not a "
                            "number between 0 and 1", arg);
    }
    dc->sample_rate = r;
    ot_sampler_init(&dc->sampler, r);
    return NULL;
}

static const char *cmd_sample_expr(cmd_parms *cmd, void *dconf,
                                   const char *action, const char *expr)
{
    ot_dir_conf *dc = dconf;
    const char *err = NULL;
    ot_sample_rule *rule;
    int record;

    if (strcasecmp(action, "always") == 0) {
        record = 1;
    }
    else if (strcasecmp(action, "never") == 0) {
        record = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "TraceSampleExpr: '%s' is neither "
                            "always nor never", action);
    }
    if (!dc->sample_rules) {
        dc->sample_rules = apr_array_make(cmd->pool, 2,
                                          sizeof(ot_sample_rule));
    }
    rule = apr_array_push(dc->sample_rules);
    rule->record = record;
    rule->expr = ap_expr_parse_cmd(cmd, expr, 0, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "TraceSampleExpr: cannot parse "
                            "expression '%s': %s", expr, err);
    }
    return NULL;
}

/* The path (or pattern) of the <Location> or <LocationMatch> section a
 * directive is in; NULL elsewhere. */
static const char *location_of(cmd_parms *cmd)
{
    const ap_directive_t *section = cmd->directive->parent;

    if (section && cmd->path
        && (strcasecmp(section->directive, "<Location") == 0
            || strcasecmp(section->directive, "<LocationMatch") == 0)) {
        return cmd->path;
    }
    return NULL;
}

static const char *cmd_trace_request(cmd_parms *cmd, void *dconf, int on)
{
    ot_dir_conf *dc = dconf;

    dc->trace_request = on;
    dc->route = location_of(cmd);
    return NULL;
}

static const char *cmd_operation_name(cmd_parms *cmd, void *dconf,
                                      const char *expr)
{
    ot_dir_conf *dc = dconf;
    const char *err = NULL;

    dc->operation_name = ap_expr_parse_cmd(cmd, expr,
                                           AP_EXPR_FLAG_STRING_RESULT, &err,
                                           NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "TraceOperationName: cannot parse "
                            "expression '%s': %s", expr, err);
    }
    dc->route = location_of(cmd);
    return NULL;
}

/* A constant of a typed tag, once. */
static const char *tag_constant(cmd_parms *cmd, ot_tag *t, const char *flag)
{
    int b;

    if (t->form != OT_TAGEXPR_CONSTANT || t->arg_len == 0
        || t->type == OT_VALUE_STRING) {
        return NULL;
    }
    if (t->type == OT_VALUE_INT
        && ot_tagexpr_int(t->arg, t->arg_len, &t->constant) != 0) {
        return apr_psprintf(cmd->pool, "TraceTag %s %s: '%s' is not a "
                            "decimal integer", flag, t->key, t->arg);
    }
    if (t->type == OT_VALUE_BOOL) {
        if (ot_tagexpr_bool(t->arg, t->arg_len, &b) != 0) {
            return apr_psprintf(cmd->pool, "TraceTag %s %s: '%s' is not "
                                "true, false, on, off, 1 or 0", flag, t->key,
                                t->arg);
        }
        t->constant = b;
    }
    return NULL;
}

/* The name t looks up, shared with an earlier tag of tags that looks up
 * the same (same form, same name: case-insensitive but for getenv()), so
 * that record_tags() sees by the pointer that the lookup is made. */
static const char *shared_arg(const apr_array_header_t *tags,
                              const ot_tag *t)
{
    int i;

    if (t->form == OT_TAGEXPR_CONSTANT || t->form == OT_TAGEXPR_GENERAL) {
        return t->arg;
    }
    for (i = 0; i < tags->nelts; i++) {
        const ot_tag *o = &APR_ARRAY_IDX(tags, i, ot_tag);
        if (o != t && o->form == t->form && o->arg_len == t->arg_len
            && (t->form == OT_TAGEXPR_ENV ? strcmp(o->arg, t->arg)
                                          : strcasecmp(o->arg, t->arg))
                   == 0) {
            return o->arg;
        }
    }
    return t->arg;
}

/* TraceTag [-int|-bool] key expr.  A later TraceTag for the same key in
 * the same section replaces the earlier one (keys are unique among tags,
 * which ot_span_tag_* relies on). */
static const char *cmd_tag(cmd_parms *cmd, void *dconf, const char *a1,
                           const char *a2, const char *a3)
{
    ot_dir_conf *dc = dconf;
    const char *flag = a3 ? a1 : "", *key = a3 ? a2 : a1;
    const char *expr = a3 ? a3 : a2, *err = NULL, *arg;
    ot_tag *t = NULL;
    int i;

    if (*a1 == '-') {
        if (strcmp(a1, "-int") != 0 && strcmp(a1, "-bool") != 0) {
            return apr_psprintf(cmd->pool, "TraceTag: unknown flag '%s' "
                                "(-int or -bool)", a1);
        }
        if (!a3) {
            return apr_psprintf(cmd->pool, "TraceTag %s: an attribute name "
                                "and an expression must follow", a1);
        }
    }
    else if (a3) {
        return apr_psprintf(cmd->pool, "TraceTag %s: a flag (-int or -bool) "
                            "comes first, or only a name and an expression",
                            a1);
    }
    if (!*key) {
        return "TraceTag: the attribute name must not be empty";
    }
    if (!dc->tags) {
        dc->tags = apr_array_make(cmd->pool, 4, sizeof(ot_tag));
    }
    for (i = 0; i < dc->tags->nelts && !t; i++) {
        if (strcmp(APR_ARRAY_IDX(dc->tags, i, ot_tag).key, key) == 0) {
            t = &APR_ARRAY_IDX(dc->tags, i, ot_tag);
        }
    }
    if (!t) {
        t = apr_array_push(dc->tags);
    }
    memset(t, 0, sizeof(*t));
    t->key = key;
    t->klen = strlen(key);
    t->may_be_fixed = ot_span_module_key(key, strlen(key));
    t->type = strcmp(flag, "-int") == 0    ? OT_VALUE_INT
              : strcmp(flag, "-bool") == 0 ? OT_VALUE_BOOL
                                           : OT_VALUE_STRING;
    /* Parsed whatever its form: ap_expr says what is valid. */
    t->expr = ap_expr_parse_cmd(cmd, expr,
                                AP_EXPR_FLAG_STRING_RESULT
                                | AP_EXPR_FLAG_DONT_VARY, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "TraceTag %s: cannot parse "
                            "expression '%s': %s", key, expr, err);
    }
    t->form = ot_tagexpr_form_of(expr, &arg, &t->arg_len);
    t->arg = apr_pstrmemdup(cmd->pool, arg, t->arg_len);
    t->arg = shared_arg(dc->tags, t);
    return tag_constant(cmd, t, flag);
}

/* Raw arguments: httpd's ITERATE stops, without a word, at an empty
 * argument (""), which must be an error here. */
static const char *cmd_redact_query(cmd_parms *cmd, void *dconf,
                                    const char *args)
{
    ot_dir_conf *dc = dconf;
    const char *key;

    while (apr_isspace(*args)) {
        args++;
    }
    if (!*args) {
        return "TraceRedactQuery: at least one query key is needed";
    }
    while (*args) {
        key = ap_getword_conf(cmd->pool, &args);
        if (!*key) {
            return "TraceRedactQuery: a query key must not be empty";
        }
        if (!dc->redact_query) {
            dc->redact_query = apr_array_make(cmd->pool, 4,
                                              sizeof(const char *));
        }
        APR_ARRAY_PUSH(dc->redact_query, const char *) = key;
    }
    return NULL;
}

/* Headers that carry credentials: never recorded, even when named. */
static int credentials(const char *header)
{
    static const char *const never[] = {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", NULL
    };
    const char *const *n;

    for (n = never; *n; n++) {
        if (strcasecmp(header, *n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* TraceCaptureRequestHeaders (cmd->info "request") and
 * TraceCaptureResponseHeaders ("response"). */
static const char *cmd_capture(cmd_parms *cmd, void *dconf,
                               const char *header)
{
    ot_dir_conf *dc = dconf;
    const char *which = cmd->info;
    apr_array_header_t **list = &dc->capture[strcmp(which, "response")
                                             == 0];
    ot_capture *c;
    const char *h;
    char *k, *o;

    for (h = header; *h; h++) {
        if (!apr_isgraph(*h) || strchr("()<>@,;:\\\"/[]?={}", *h)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a header name",
                                cmd->cmd->name, header);
        }
    }
    if (h == header) {
        return apr_psprintf(cmd->pool, "%s: a header name must not be "
                            "empty", cmd->cmd->name);
    }
    if (credentials(header)) {
        return apr_psprintf(cmd->pool, "%s: %s carries credentials and is "
                            "never recorded", cmd->cmd->name, header);
    }
    if (!*list) {
        *list = apr_array_make(cmd->pool, 4, sizeof(ot_capture));
    }
    c = apr_array_push(*list);
    c->header = header;
    c->key = k = apr_pstrcat(cmd->pool, "http.", which, ".header.", header,
                             NULL);
    c->old_key = o = apr_pstrdup(cmd->pool, k);
    for (; *k; k++, o++) {
        *k = apr_tolower(*k);
        *o = *k == '-' ? '_' : *k;
    }
    return NULL;
}

const command_rec ot_cmds[] = {
    AP_INIT_TAKE2("TraceTracer", cmd_tracer, NULL, RSRC_CONF,
                  "a tracer plugin (.so, relative to ServerRoot) and its "
                  "JSON configuration: a file name or inline '{...}'"),
    AP_INIT_TAKE1("TraceServiceName", cmd_service_name, NULL, RSRC_CONF,
                  "the service.name of spans (default: the ServerName)"),
    AP_INIT_ITERATE("TracePropagation", cmd_propagation, NULL, RSRC_CONF,
                    "trace context formats to read (in order) and write "
                    "(all); default w3c"),
    AP_INIT_TAKE1("TraceSemanticConventions", cmd_semantic_conventions,
                  NULL, RSRC_CONF,
                  "the attribute names of HTTP spans: current (the stable "
                  "semantic conventions, the default), old (those of "
                  "v1.20.0: http.method, http.target...) or both"),
    AP_INIT_FLAG("TraceNotes", cmd_notes, NULL, RSRC_CONF,
                 "set the notes ot-trace-id, ot-span-id, ot-traceparent, "
                 "ot-sampled, ot-incoming-* and ot-client-traceparent on "
                 "every traced request (default: when the configuration "
                 "names one of them)"),
    AP_INIT_TAKE1("TraceSampleRate", cmd_sample_rate, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "the share of new traces (no decision from a parent) to "
                  "record, 0 to 1; default 1 (or OTEL_TRACES_SAMPLER's)"),
    AP_INIT_TAKE2("TraceSampleExpr", cmd_sample_expr, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "always|never and an ap_expr: requests for which it is "
                  "true are recorded (always) or not (never), whatever "
                  "the parent or the rate says; the first rule that "
                  "matches decides"),
    AP_INIT_TAKE23("TraceTag", cmd_tag, NULL, RSRC_CONF | ACCESS_CONF,
                   "[-int|-bool] a span attribute and its value, an ap_expr "
                   "string such as \"%{HTTP:X-Tenant}\" (-int: a decimal "
                   "integer, -bool: true/false, on/off, 1/0; else not set); "
                   "an empty value sets nothing"),
    AP_INIT_ITERATE("TraceCaptureRequestHeaders", cmd_capture, "request",
                    RSRC_CONF | ACCESS_CONF,
                    "request headers recorded as http.request.header.<name> "
                    "(never Authorization, Proxy-Authorization, Cookie, "
                    "Set-Cookie)"),
    AP_INIT_ITERATE("TraceCaptureResponseHeaders", cmd_capture, "response",
                    RSRC_CONF | ACCESS_CONF,
                    "response headers recorded as http.response.header."
                    "<name> (never Set-Cookie and the other credentials)"),
    AP_INIT_RAW_ARGS("TraceRedactQuery", cmd_redact_query, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "query keys whose values url.query shows as REDACTED, "
                     "in addition to AWSAccessKeyId, Signature, sig and "
                     "X-Goog-Signature"),
    AP_INIT_FLAG("TraceRequest", cmd_trace_request, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "On: record a server span for requests here (default On "
                 "once a tracer is configured)"),
    AP_INIT_TAKE1("TraceOperationName", cmd_operation_name, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "the server span's name, an ap_expr string; default the "
                  "method and the path of the <Location> that sets "
                  "TraceRequest or TraceOperationName"),
    AP_INIT_FLAG("TraceTrustIncoming", ap_set_flag_slot,
                 (void *)offsetof(ot_dir_conf, trust_incoming),
                 RSRC_CONF | ACCESS_CONF,
                 "Off: an incoming trace context never becomes the parent "
                 "(a new trace, the incoming one as a link; its baggage "
                 "and tracestate are not passed on); default On"),
    AP_INIT_FLAG("TraceResponseHeader", ap_set_flag_slot,
                 (void *)offsetof(ot_dir_conf, response_header),
                 RSRC_CONF | ACCESS_CONF,
                 "On: send the W3C traceresponse header with the server "
                 "span's context; default Off"),
    AP_INIT_FLAG("TraceProxySpans", ap_set_flag_slot,
                 (void *)offsetof(ot_dir_conf, proxy_spans),
                 RSRC_CONF | ACCESS_CONF,
                 "On: a CLIENT span for every call mod_proxy makes to a "
                 "backend; default On"),
    AP_INIT_FLAG("TraceBackendHeaders", ap_set_flag_slot,
                 (void *)offsetof(ot_dir_conf, backend_headers),
                 RSRC_CONF | ACCESS_CONF,
                 "On: read the Trace-* headers of responses from CGI "
                 "scripts, FastCGI applications and proxied backends into "
                 "the span, and remove them; default On"),
    { NULL, { NULL }, NULL, 0, 0, NULL }
};

