#!/bin/sh
# A CGI script that tells mod_opentracing what it did, in Trace-* response
# headers (TraceBackendHeaders On, the default): the route it served, a
# tag, an event, and a child span for a piece of work it timed.  The
# module reads them into the request's span and removes them: the client
# never sees them.  Values are percent-encoded (W3C baggage values).
start=$(date +%s%N)                     # Unix time, nanoseconds
wc -c /etc/hostname >/dev/null 2>&1     # the work being timed
end=$(date +%s%N)

printf 'Content-Type: text/plain\r\n'
printf 'Trace-Operation: GET /examples/{lang}\r\n'
printf 'Trace-Tag: example.lang=sh, app.user=alice%%20b\r\n'
printf 'Trace-Event: cache.miss; cache.key=users%%2F1\r\n'
printf 'Trace-Span: read%%20hostname; start=%s; dur=%sns; file.path=%%2Fetc%%2Fhostname\r\n' \
    "$start" "$((end - start))"
printf '\r\n'
echo "hello from sh"
