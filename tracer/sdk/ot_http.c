/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#include "ot_http.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "ot_gzip.h"

#define MAX_RESPONSE (64 * 1024)

/* The transfer runs on a multi handle, so that cancel() can wake it with
 * curl_multi_wakeup() at once wherever it waits (connect, TLS, the
 * response); the multi handle keeps the connection between POSTs. */
struct ot_http {
    CURL *curl;
    CURLM *multi;
    struct curl_slist *headers;
    ot_http_config cfg;
    ot_buf gz;
    ot_buf response;
    long status;
    size_t sent;                /* body bytes of the last POST, as sent */
    uint32_t retry_after_ms;
    atomic_int cancelled;
    char error[CURL_ERROR_SIZE];
};

void ot_http_global_init(void)
{
    static int done;

    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
}

int ot_http_check_url(const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;

    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        snprintf(err, errlen, "\"%s\" is not a valid URL", url);
    }
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
             || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        snprintf(err, errlen, "\"%s\": only http:// and https:// URLs are "
                 "supported", url);
    }
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
             || !*host) {
        snprintf(err, errlen, "\"%s\" has no host", url);
    }
    else {
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int ot_http_url_origin(const char *url, char *buf, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
           == CURLUE_OK) {
        snprintf(buf, len, "%s://%s:%s", scheme, host, port);
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    ot_http *h = data;
    size_t len = size * n;

    if (h->response.len + len <= MAX_RESPONSE) {
        ot_buf_append(&h->response, p, len);
    }
    return len;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110, 10.2.3). */
static size_t on_header(char *p, size_t size, size_t n, void *data)
{
    ot_http *h = data;
    size_t len = size * n;
    char value[128];
    const char *v;
    char *end;
    unsigned long secs;
    time_t when, now;
    size_t vl;

    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        v = p + 12;
        while (v < p + len && (*v == ' ' || *v == '\t')) {
            v++;
        }
        vl = (size_t)(p + len - v);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'
                      || v[vl - 1] == ' ')) {
            vl--;
        }
        if (vl == 0 || vl >= sizeof(value)) {
            return len;
        }
        memcpy(value, v, vl);
        value[vl] = '\0';
        secs = strtoul(value, &end, 10);
        if (*end == '\0' && end != value) {
            h->retry_after_ms = secs > 3600 ? 3600000u : (uint32_t)secs * 1000;
        }
        else if ((when = curl_getdate(value, NULL)) > 0) {
            now = time(NULL);
            h->retry_after_ms = when <= now ? 0
                : when - now > 3600 ? 3600000u : (uint32_t)(when - now) * 1000;
        }
    }
    return len;
}

int ot_http_create(ot_http **hp, const ot_http_config *cfg, char *err,
                   size_t errlen)
{
    ot_http *h = calloc(1, sizeof(*h));
    struct curl_slist *l;
    char **hd;

    if (!h || !(h->curl = curl_easy_init())
        || !(h->multi = curl_multi_init())) {
        if (h && h->curl) {
            curl_easy_cleanup(h->curl);
        }
        free(h);
        snprintf(err, errlen, "cannot create a libcurl handle");
        return -1;
    }
    atomic_init(&h->cancelled, 0);
    h->cfg = *cfg;
    ot_buf_init(&h->gz, 0, 0);
    ot_buf_init(&h->response, 0, MAX_RESPONSE + 1);
    l = curl_slist_append(NULL, cfg->content_type);
    if (l && cfg->gzip) {
        l = curl_slist_append(l, "Content-Encoding: gzip");
    }
    /* No "Expect: 100-continue" round trip for large bodies. */
    if (l) {
        l = curl_slist_append(l, "Expect:");
    }
    for (hd = cfg->headers; l && hd && *hd; hd++) {
        l = curl_slist_append(l, *hd);
    }
    if (!l) {
        ot_http_destroy(h);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    h->headers = l;
    curl_easy_setopt(h->curl, CURLOPT_URL, cfg->url);
    curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, cfg->user_agent);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->error);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
    if (cfg->ca_file) {
        curl_easy_setopt(h->curl, CURLOPT_CAINFO, cfg->ca_file);
    }
    if (cfg->client_cert) {
        curl_easy_setopt(h->curl, CURLOPT_SSLCERT, cfg->client_cert);
    }
    if (cfg->client_key) {
        curl_easy_setopt(h->curl, CURLOPT_SSLKEY, cfg->client_key);
    }
    if (cfg->insecure) {
        curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    *hp = h;
    return 0;
}

void ot_http_destroy(ot_http *h)
{
    if (!h) {
        return;
    }
    if (h->curl) {
        curl_easy_cleanup(h->curl);
    }
    if (h->multi) {
        curl_multi_cleanup(h->multi);
    }
    curl_slist_free_all(h->headers);
    ot_buf_free(&h->gz);
    ot_buf_free(&h->response);
    free(h);
}

/* Run the transfer to its end, or until cancelled. */
static CURLcode perform(ot_http *h)
{
    CURLcode rc = CURLE_OK;
    CURLMsg *m;
    int running = 1, left;

    if (curl_multi_add_handle(h->multi, h->curl) != CURLM_OK) {
        return CURLE_OUT_OF_MEMORY;
    }
    while (running && !atomic_load(&h->cancelled)) {
        if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
            rc = CURLE_RECV_ERROR;
            break;
        }
        if (running
            && curl_multi_poll(h->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
            rc = CURLE_RECV_ERROR;
            break;
        }
    }
    if (atomic_load(&h->cancelled)) {
        rc = CURLE_ABORTED_BY_CALLBACK;
    }
    else if (!running) {
        while ((m = curl_multi_info_read(h->multi, &left))) {
            if (m->msg == CURLMSG_DONE && m->easy_handle == h->curl) {
                rc = m->data.result;
            }
        }
    }
    /* Removing a handle whose transfer did not finish closes its
     * connection; a finished one stays in the multi handle's cache. */
    curl_multi_remove_handle(h->multi, h->curl);
    return rc;
}

ot_export_result ot_http_post(ot_http *h, const char *body, size_t len,
                              uint32_t timeout_ms, uint32_t *retry_after_ms)
{
    CURLcode rc;

    h->status = 0;
    h->sent = 0;
    h->retry_after_ms = 0;
    h->error[0] = '\0';
    ot_buf_reset(&h->response);
    if (atomic_load(&h->cancelled)) {
        snprintf(h->error, sizeof(h->error), "cancelled");
        return OT_EXPORT_FAIL;
    }
    if (h->cfg.gzip) {
        if (ot_gzip(body, len, &h->gz) != 0) {
            snprintf(h->error, sizeof(h->error), "gzip failed");
            return OT_EXPORT_FAIL;
        }
        body = h->gz.data;
        len = h->gz.len;
    }
    h->sent = len;
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    rc = perform(h);
    if (h->gz.cap > (1u << 20)) {
        ot_buf_free(&h->gz);
    }
    if (rc != CURLE_OK) {
        if (!h->error[0]) {
            snprintf(h->error, sizeof(h->error), "%s", curl_easy_strerror(rc));
        }
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            snprintf(h->error, sizeof(h->error), "cancelled");
            return OT_EXPORT_FAIL;
        }
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
            return OT_EXPORT_RETRY;
        default:
            return OT_EXPORT_FAIL;
        }
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
    if (h->status >= 200 && h->status < 300) {
        return OT_EXPORT_OK;
    }
    snprintf(h->error, sizeof(h->error), "HTTP status %ld", h->status);
    switch (h->status) {
    case 429:
    case 502:
    case 503:
    case 504:
        if (retry_after_ms) {
            *retry_after_ms = h->retry_after_ms;
        }
        return OT_EXPORT_RETRY;
    default:
        return OT_EXPORT_FAIL;
    }
}

long ot_http_status(const ot_http *h)
{
    return h->status;
}

size_t ot_http_sent_bytes(const ot_http *h)
{
    return h->sent;
}

const ot_buf *ot_http_response_body(const ot_http *h)
{
    return &h->response;
}

const char *ot_http_error(const ot_http *h)
{
    return h->error;
}

void ot_http_cancel(ot_http *h)
{
    atomic_store(&h->cancelled, 1);
    /* thread-safe: wakes curl_multi_poll() in perform() */
    curl_multi_wakeup(h->multi);
}
