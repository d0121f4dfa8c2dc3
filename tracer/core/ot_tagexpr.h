/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_tagexpr.h: what TraceTag needs without httpd.
 *
 * The forms of a TraceTag expression (an ap_expr string) that the glue
 * evaluates itself, with the very lookups ap_expr would make, instead of
 * asking ap_expr per request: a constant, one request variable, one table
 * lookup.  They are recognised strictly from the source as written, at
 * config time; anything else (two parts, a function, an escape, a name
 * not listed here) is OT_TAGEXPR_GENERAL and stays with ap_expr.  Names
 * match case-insensitively, as ap_expr matches them.
 *
 * And the typed values of tags (TraceTag -int, -bool).
 *
 * Pure code: libc only.
 */

#ifndef OT_TAGEXPR_H
#define OT_TAGEXPR_H

#include <stddef.h>
#include <stdint.h>

typedef enum ot_tagexpr_form {
    OT_TAGEXPR_GENERAL = 0,     /* ap_expr evaluates it */
    OT_TAGEXPR_CONSTANT,        /* no % $ \ " or ': the text itself */
    /* %{NAME:arg}, and the HTTP_* variables: the table lookup of arg */
    OT_TAGEXPR_REQ_HEADER,      /* HTTP:, req:, req_novary:, HTTP_HOST... */
    OT_TAGEXPR_RESP_HEADER,     /* resp: headers_out, then
                                 * err_headers_out */
    OT_TAGEXPR_NOTE,            /* note: */
    OT_TAGEXPR_ENV,             /* env: notes, subprocess_env, environ */
    OT_TAGEXPR_REQENV,          /* reqenv: subprocess_env */
    /* %{NAME}: one field of the request */
    OT_TAGEXPR_REQUEST_METHOD,
    OT_TAGEXPR_REQUEST_SCHEME,
    OT_TAGEXPR_REQUEST_URI,
    OT_TAGEXPR_REQUEST_FILENAME,    /* and SCRIPT_FILENAME */
    OT_TAGEXPR_REMOTE_USER,
    OT_TAGEXPR_SERVER_NAME,
    OT_TAGEXPR_SERVER_PROTOCOL,
    OT_TAGEXPR_PATH_INFO,
    OT_TAGEXPR_QUERY_STRING,
    OT_TAGEXPR_THE_REQUEST,
    OT_TAGEXPR_CONTENT_TYPE,
    OT_TAGEXPR_HANDLER,
    OT_TAGEXPR_REQUEST_LOG_ID,
    OT_TAGEXPR_REMOTE_ADDR,
    /* %{NAME} whose value is a number (ap_expr prints it) */
    OT_TAGEXPR_SERVER_PORT,
    OT_TAGEXPR_REMOTE_PORT,
    OT_TAGEXPR_REQUEST_STATUS   /* none ("") while 0 */
} ot_tagexpr_form;

#define OT_TAGEXPR_FIRST_NUMBER OT_TAGEXPR_SERVER_PORT

/* The form of expr.  *arg and *arg_len: what the form looks up (a header,
 * note or variable name; for the HTTP_* variables the header's name), or
 * the constant; not NUL-terminated within expr. */
ot_tagexpr_form ot_tagexpr_form_of(const char *expr, const char **arg,
                                   size_t *arg_len);

/* The decimal int64 in the len bytes of s: an optional sign and digits,
 * nothing else.  0 and *v set, or -1 (not a number, out of range). */
int ot_tagexpr_int(const char *s, size_t len, int64_t *v);

/* true/false, on/off, 1/0 (case-insensitive) in the len bytes of s.  0
 * and *v set (1 or 0), or -1 (anything else). */
int ot_tagexpr_bool(const char *s, size_t len, int *v);

#endif /* OT_TAGEXPR_H */
