#!/bin/sh
# make run: serve a small traced demo on 127.0.0.1:$1 in the foreground.
# Spans go to build/demo/spans.jsonl (OTLP/JSON lines); Ctrl-C stops.
set -eu
PORT=${1:-8080}
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODDIR=$(apxs -q LIBEXECDIR)
OUT="$REPO/build/demo"
# The document tree must be readable by www-data, whatever the checkout's
# permissions: it lives in a folder of its own.
SITE=$(mktemp -d /tmp/mod_opentracing-demo.XXXXXX)
trap 'rm -rf "$SITE"' EXIT INT TERM
mkdir -p "$OUT" "$SITE/htdocs/health" "$SITE/cgi-bin" "$SITE/run"
chmod 755 "$SITE" "$SITE/htdocs" "$SITE/htdocs/health" "$SITE/cgi-bin"
chown www-data "$SITE/run" 2>/dev/null || true

cat > "$SITE/htdocs/index.html" <<'HTML'
<!doctype html>
<title>mod_opentracing demo</title>
<h1>mod_opentracing demo</h1>
<p>This page was traced. Try <a href="/cgi-bin/context.cgi">a CGI script</a>
that prints the trace context it received, and <a href="/health/">/health/</a>,
where <code>TraceRequest Off</code> applies.</p>
HTML
echo ok > "$SITE/htdocs/health/index.html"
cat > "$SITE/cgi-bin/context.cgi" <<'CGI'
#!/bin/sh
printf 'Content-Type: application/json\r\n\r\n'
printf '{"HTTP_TRACEPARENT": "%s", "TRACEPARENT": "%s", "TRACESTATE": "%s"}\n' \
    "${HTTP_TRACEPARENT:-}" "${TRACEPARENT:-}" "${TRACESTATE:-}"
CGI
chmod 755 "$SITE/cgi-bin/context.cgi"

cat > "$SITE/httpd.conf" <<CONF
ServerRoot "$SITE"
ServerName localhost
Listen 127.0.0.1:$PORT
PidFile $SITE/run/httpd.pid
DefaultRuntimeDir $SITE/run
User www-data
Group www-data
ErrorLog /dev/stderr
LogLevel warn opentracing:info
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_host_module $MODDIR/mod_authz_host.so
LoadModule status_module $MODDIR/mod_status.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule dir_module $MODDIR/mod_dir.so
LoadModule alias_module $MODDIR/mod_alias.so
LoadModule cgid_module $MODDIR/mod_cgid.so
LoadModule opentracing_module $REPO/build/mod_opentracing.so
TypesConfig /etc/mime.types
DocumentRoot $SITE/htdocs
DirectoryIndex index.html
ScriptSock $SITE/run/cgid.sock
ScriptAlias /cgi-bin/ $SITE/cgi-bin/
<Directory $SITE>
    Require all granted
</Directory>

TraceTracer $REPO/build/tracer_file.so '{"path": "$OUT/spans.jsonl", "schedule_delay_ms": 1000}'
TraceServiceName mod_opentracing-demo
<Location /health>
    TraceRequest Off
</Location>
<Location /opentracing-status>
    SetHandler opentracing-status
    TraceRequest Off
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    TraceRequest Off
    Require local
</Location>

LogFormat "%h \"%r\" %>s %b trace_id=%{ot-trace-id}n span_id=%{ot-span-id}n" traced
CustomLog /dev/stdout traced
CONF

echo "mod_opentracing demo on http://127.0.0.1:$PORT/ (Ctrl-C stops)"
echo "  spans:   $OUT/spans.jsonl (OTLP/JSON, one batch a line, written within a second)"
echo "  try:     curl -s http://127.0.0.1:$PORT/cgi-bin/context.cgi \\"
echo "             -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'"
echo "           tail -n1 $OUT/spans.jsonl"
echo "  status:  http://127.0.0.1:$PORT/opentracing-status (?json, ?format=prometheus),"
echo "           http://127.0.0.1:$PORT/server-status (a Tracing section)"
echo "  view:    make view   (or tools/ot-view --slowest 5 $OUT/spans.jsonl): trace trees"
apache2 -f "$SITE/httpd.conf" -DFOREGROUND &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$SITE"; exit 0' INT TERM
wait $pid
