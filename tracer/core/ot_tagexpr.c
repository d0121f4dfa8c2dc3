/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* ot_tagexpr: the TraceTag expressions evaluated without ap_expr, and the
 * typed values of tags (see ot_tagexpr.h). */

#include <string.h>
#include <strings.h>

#include "ot_tagexpr.h"

typedef struct named_form {
    const char *name;
    ot_tagexpr_form form;
    const char *header;         /* the HTTP_* variables: the header */
} named_form;

/* ap_expr's request variables whose value is one field of the request,
 * and its HTTP_* variables (one header each). */
static const named_form variables[] = {
    { "REQUEST_METHOD", OT_TAGEXPR_REQUEST_METHOD, NULL },
    { "REQUEST_SCHEME", OT_TAGEXPR_REQUEST_SCHEME, NULL },
    { "REQUEST_URI", OT_TAGEXPR_REQUEST_URI, NULL },
    { "REQUEST_FILENAME", OT_TAGEXPR_REQUEST_FILENAME, NULL },
    { "SCRIPT_FILENAME", OT_TAGEXPR_REQUEST_FILENAME, NULL },
    { "REMOTE_USER", OT_TAGEXPR_REMOTE_USER, NULL },
    { "SERVER_NAME", OT_TAGEXPR_SERVER_NAME, NULL },
    { "SERVER_PORT", OT_TAGEXPR_SERVER_PORT, NULL },
    { "SERVER_PROTOCOL", OT_TAGEXPR_SERVER_PROTOCOL, NULL },
    { "PATH_INFO", OT_TAGEXPR_PATH_INFO, NULL },
    { "QUERY_STRING", OT_TAGEXPR_QUERY_STRING, NULL },
    { "THE_REQUEST", OT_TAGEXPR_THE_REQUEST, NULL },
    { "CONTENT_TYPE", OT_TAGEXPR_CONTENT_TYPE, NULL },
    { "HANDLER", OT_TAGEXPR_HANDLER, NULL },
    { "REQUEST_LOG_ID", OT_TAGEXPR_REQUEST_LOG_ID, NULL },
    { "REQUEST_STATUS", OT_TAGEXPR_REQUEST_STATUS, NULL },
    { "REMOTE_ADDR", OT_TAGEXPR_REMOTE_ADDR, NULL },
    { "REMOTE_PORT", OT_TAGEXPR_REMOTE_PORT, NULL },
    { "HTTP_USER_AGENT", OT_TAGEXPR_REQ_HEADER, "User-Agent" },
    { "HTTP_PROXY_CONNECTION", OT_TAGEXPR_REQ_HEADER, "Proxy-Connection" },
    { "HTTP_REFERER", OT_TAGEXPR_REQ_HEADER, "Referer" },
    { "HTTP_COOKIE", OT_TAGEXPR_REQ_HEADER, "Cookie" },
    { "HTTP_FORWARDED", OT_TAGEXPR_REQ_HEADER, "Forwarded" },
    { "HTTP_HOST", OT_TAGEXPR_REQ_HEADER, "Host" },
    { "HTTP_ACCEPT", OT_TAGEXPR_REQ_HEADER, "Accept" },
    { NULL, OT_TAGEXPR_GENERAL, NULL }
};

/* ap_expr's string functions that look their argument up in a table. */
static const named_form lookups[] = {
    { "http", OT_TAGEXPR_REQ_HEADER, NULL },
    { "req", OT_TAGEXPR_REQ_HEADER, NULL },
    { "req_novary", OT_TAGEXPR_REQ_HEADER, NULL },
    { "resp", OT_TAGEXPR_RESP_HEADER, NULL },
    { "note", OT_TAGEXPR_NOTE, NULL },
    { "env", OT_TAGEXPR_ENV, NULL },
    { "reqenv", OT_TAGEXPR_REQENV, NULL },
    { NULL, OT_TAGEXPR_GENERAL, NULL }
};

static const named_form *find(const named_form *list, const char *name,
                              size_t len)
{
    for (; list->name; list++) {
        if (strncasecmp(list->name, name, len) == 0
            && list->name[len] == '\0') {
            return list;
        }
    }
    return NULL;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}

/* The length of the variable or function name at s, as ap_expr's lexer
 * reads one: a letter, then letters, digits and '_'. */
static size_t ident_span(const char *s)
{
    size_t n = 0;

    if (!is_alnum(*s) || (*s >= '0' && *s <= '9')) {
        return 0;
    }
    while (is_alnum(s[n]) || s[n] == '_') {
        n++;
    }
    return n;
}

/* The length of the looked-up name at s: letters, digits, '-', '_' and
 * '.', which mean nothing to ap_expr's lexer in an argument. */
static size_t arg_span(const char *s)
{
    size_t n = 0;

    while (is_alnum(s[n]) || s[n] == '-' || s[n] == '_' || s[n] == '.') {
        n++;
    }
    return n;
}

ot_tagexpr_form ot_tagexpr_form_of(const char *expr, const char **arg,
                                   size_t *arg_len)
{
    const named_form *f;
    const char *name = expr + 2;
    size_t n, m;

    *arg = expr;
    *arg_len = strlen(expr);
    /* What ap_expr's lexer reads as itself in a string expression. */
    if (!strpbrk(expr, "%$\\\"'")) {
        return OT_TAGEXPR_CONSTANT;
    }
    if (strncmp(expr, "%{", 2) != 0) {
        return OT_TAGEXPR_GENERAL;
    }
    n = ident_span(name);
    if (n == 0) {
        return OT_TAGEXPR_GENERAL;
    }
    if (name[n] == '}' && name[n + 1] == '\0') {
        if (!(f = find(variables, name, n))) {
            return OT_TAGEXPR_GENERAL;
        }
        *arg = f->header ? f->header : name;
        *arg_len = f->header ? strlen(f->header) : n;
        return f->form;
    }
    if (name[n] != ':' || !(f = find(lookups, name, n))) {
        return OT_TAGEXPR_GENERAL;
    }
    m = arg_span(name + n + 1);
    if (m == 0 || name[n + 1 + m] != '}' || name[n + 2 + m] != '\0') {
        return OT_TAGEXPR_GENERAL;
    }
    *arg = name + n + 1;
    *arg_len = m;
    return f->form;
}

int ot_tagexpr_int(const char *s, size_t len, int64_t *v)
{
    const char *end = s + len;
    int negative = 0;
    uint64_t u = 0, limit;

    if (s < end && (*s == '-' || *s == '+')) {
        negative = *s++ == '-';
    }
    if (s == end) {
        return -1;
    }
    limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9' || u > (limit - (uint64_t)(*s - '0')) / 10) {
            return -1;
        }
        u = u * 10 + (uint64_t)(*s - '0');
    }
    /* -(u - 1) - 1: no overflow for INT64_MIN */
    *v = negative ? (u ? -(int64_t)(u - 1) - 1 : 0) : (int64_t)u;
    return 0;
}

int ot_tagexpr_bool(const char *s, size_t len, int *v)
{
    static const struct {
        const char *word;
        int value;
    } words[] = {
        { "true", 1 }, { "on", 1 }, { "1", 1 },
        { "false", 0 }, { "off", 0 }, { "0", 0 }
    };
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].word) == len
            && strncasecmp(words[i].word, s, len) == 0) {
            *v = words[i].value;
            return 0;
        }
    }
    return -1;
}
