/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ot_http.h: the HTTP client of the exporting plugins (OTLP/HTTP, Zipkin):
 * one libcurl easy handle per child process, so one persistent (keep-alive)
 * connection to the receiver, made after fork.  The only file that uses
 * libcurl.
 */

#ifndef OT_HTTP_H
#define OT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ot_buf.h"
#include "ot_tracer.h"

typedef struct ot_http_config {
    char *url;                  /* full URL of the POST */
    char **headers;             /* "Name: value", NULL-terminated */
    int gzip;                   /* Content-Encoding: gzip */
    char *ca_file;              /* PEM bundle to verify the receiver */
    char *client_cert;          /* PEM client certificate (mutual TLS) */
    char *client_key;           /* its key */
    int insecure;               /* do not verify the receiver's certificate */
    char *user_agent;
    const char *content_type;   /* static string */
} ot_http_config;

/* Once, single-threaded, before any handle (the module's parent). */
void ot_http_global_init(void);

/* 0 when url is an absolute http:// or https:// URL with a host. */
int ot_http_check_url(const char *url, char *err, size_t errlen);
/* "scheme://host:port" of url (the default port when it has none): no
 * user, password, path or query, for status pages.  0, or -1 when url
 * does not parse. */
int ot_http_url_origin(const char *url, char *buf, size_t len);

typedef struct ot_http ot_http;

int ot_http_create(ot_http **h, const ot_http_config *cfg, char *err,
                   size_t errlen);
void ot_http_destroy(ot_http *h);

/* POST body (gzipped first when configured), within timeout_ms.  Returns
 * the result as the OTLP specification classifies it: OK for 2xx; RETRY
 * for 429, 502, 503, 504 and connection failures and timeouts (with the
 * Retry-After hint in *retry_after_ms); FAIL for anything else.  The
 * response body (up to 64 KiB) is left in ot_http_response_body(). */
ot_export_result ot_http_post(ot_http *h, const char *body, size_t len,
                              uint32_t timeout_ms, uint32_t *retry_after_ms);

long ot_http_status(const ot_http *h);             /* of the last POST */
/* The size of its body as sent (after gzip, when configured). */
size_t ot_http_sent_bytes(const ot_http *h);
const ot_buf *ot_http_response_body(const ot_http *h);
const char *ot_http_error(const ot_http *h);       /* last failure, or "" */

/* From any thread: abort a running POST at once (wherever it waits); later
 * ones fail at once. */
void ot_http_cancel(ot_http *h);

#endif /* OT_HTTP_H */
