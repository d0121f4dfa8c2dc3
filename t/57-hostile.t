# Hostile and malformed propagation headers at a running server: a static
# file, a CGI and a proxied loopback backend, thousands of requests with
# oversized values, NUL, CR, LF, other control characters, non-ASCII and
# invalid UTF-8, repeated headers, 10,000 tracestate and baggage members,
# deep baggage properties.  Each malformed part carries a marker of its
# own.  No crash; every response is the one an httpd without the module
# gives; no marker reaches the backend, the CGI or a span; nothing the
# module writes (headers to the backend, the CGI environment, response
# headers) holds a control character; the error log stays quiet.  Then
# credentials: Authorization, Cookie, Proxy-Authorization and a CGI's
# Set-Cookie never appear in spans or logs, even when a configuration asks
# to capture them and the module logs at debug level.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;
use OTReceiver;

my $backend = OTReceiver->new->start;
my $plain_backend = OTReceiver->new->start;     # the untraced server's
my $common = <<"EOC";
LimitRequestFieldSize 200000
LimitRequestFields 20000
LimitRequestLine 200000
EOC
my $traced = <<"EOC";
TracePropagation w3c b3 b3multi jaeger baggage
TraceResponseHeader On
EOC
my @modules = qw(authz_core mime dir alias rewrite proxy proxy_http);
my $h = OTTest->new(modules => \@modules, extra => $common . $traced
    . 'ProxyPass /proxy/ ' . $backend->url . "/\n");
my $plain = OTTest->new(modules => \@modules, module => 0, extra => $common
    . 'ProxyPass /proxy/ ' . $plain_backend->url . "/\n");
$h->start;
$plain->start;

# The cases: [header lines, markers that must go nowhere].
my @cases;
my $n = 0;
sub marker { sprintf 'zq%dqz', ++$n }
my @hex_names = qw(traceparent b3 X-B3-TraceId X-B3-SpanId X-B3-ParentSpanId
                   X-B3-Sampled X-B3-Flags uber-trace-id);
my @list_names = qw(tracestate baggage);
for my $name (@hex_names, @list_names) {
    my $list = grep { $_ eq $name } @list_names;
    my @bad = $list
        ? (sub { $_[0] }, sub { "$_[0]=\x01" }, sub { "$_[0]=v\x7f" },
           sub { "$_[0]=\xc3\xa9" }, sub { "$_[0]=\xff\xfe" },
           sub { "$_[0]=" . ('a' x 9000) }, sub { "=$_[0]" }, sub { "$_[0] x=v" },
           sub { "k=v,$_[0]\x01=v,l=w" }, sub { "$_[0]=\x00" }, sub { "$_[0]=a\rb" },
           sub { "$_[0]=a\n b" }, sub { "$_[0]=" . ('a' x 100000) })
        : (sub { $_[0] }, sub { "$_[0]\x01" }, sub { "\xc3\xa9$_[0]" },
           sub { "\xff$_[0]" }, sub { $_[0] . ('0' x 9000) }, sub { "00-$_[0]-$_[0]-01" },
           sub { "$_[0]\x00" }, sub { "$_[0]\rx" }, sub { "$_[0]\n x" },
           sub { "$_[0]:$_[0]:0:1" }, sub { $_[0] . ('f' x 100000) });
    for my $make (@bad) {
        my $m = marker();
        push @cases, [["$name: " . $make->($m)], [$m]];
    }
    # the same header 50 times, each malformed
    my @m = map { marker() } 1 .. 50;
    push @cases, [[map { "$name: $_" . ($list ? "=\x02" : '') } @m], \@m];
}
# 10,000 members: the W3C limits keep 32 (tracestate) and 180 (baggage);
# the marked members come after them
for my $name (@list_names) {
    my @m = map { marker() } 1 .. 3;
    my $members = join ',', (map { "k$_=v" } 1 .. 10_000), map { "$_=v" } @m;
    push @cases, [["$name: $members"], \@m];
}
# deep baggage: one member with 5,000 properties, a member beyond 8,192 bytes
{
    my $m = marker();
    push @cases, [['baggage: k=v;' . join(';', map { "p$_=x" } 1 .. 5000) . ",$m=\x03"], [$m]];
    my $m2 = marker();
    push @cases, [["baggage: " . join(',', map { "k$_=" . ('v' x 100) } 1 .. 200) . ",$m2=v"], [$m2]];
}
# uberctx-* with malformed values; a key that is not a token.  (Raw
# non-ASCII in a value is taken leniently and written back URL-encoded:
# not verbatim, so not a case here.)
for my $v ("\x01", "a\rb", "%zz") {
    my $m = marker();
    push @cases, [["uberctx-k$n: $m$v"], [$m]];
}
{
    my $m = marker();
    push @cases, [["uberctx-$m\x01: v"], [$m]];
}

my $valid_tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
my @paths = ('/index.html', '/cgi-bin/env.cgi', '/proxy/x');
my (%status_diff, $requests, $header_lines, @markers, @cgi_bodies, @resp_heads);
my $i = 0;
for my $c (@cases) {
    my ($lines, $marks) = @$c;
    push @markers, @$marks;
    for my $with_tp (0, 1) {
        next if $with_tp && $lines->[0] =~ /^traceparent:/;
        for my $path (@paths) {
            $i++;
            my $req = "GET $path?case=$i HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                . ($with_tp ? "traceparent: $valid_tp\r\n" : '')
                . join('', map { "$_\r\n" } @$lines) . "\r\n";
            my $got = eval { $h->raw($req) } // "no answer: $@";
            my $want = eval { $plain->raw($req) } // "no answer: $@";
            $requests++;
            $header_lines += @$lines;
            my ($gs) = $got =~ m{^HTTP/1\.1 (\d{3})};
            my ($ws) = $want =~ m{^HTTP/1\.1 (\d{3})};
            $status_diff{$i} = [$gs, $ws, substr($lines->[0], 0, 60)]
                unless defined $gs && defined $ws && $gs eq $ws;
            my ($head, $body) = split /\r\n\r\n/, $got, 2;
            push @resp_heads, $head // '';
            push @cgi_bodies, $body // '' if $path =~ /cgi/;
        }
    }
}
diag(sprintf "%d cases, %d requests to each server, %d malformed header lines, %d markers",
             scalar @cases, $requests, $header_lines, scalar @markers);
is_deeply(\%status_diff, {}, 'every response has the status an httpd without the module gives')
    or diag explain [ (sort { $a <=> $b } keys %status_diff)[0 .. 4] ];
ok(kill(0, $h->server_pid), 'the server is still running');
is($h->get('/index.html?after=1')->{status}, 200, 'and serves');

my @spans = $h->spans(min => 1, timeout => 10);
$h->stop;
$plain->stop;
my $spans_text = OTTest::slurp($h->spans_path) // '';
my $backend_text = join '', map { OTTest::slurp($_) // '' } glob "$backend->{dir}/req-*";
my $cgi_text = join "\n", @cgi_bodies;
my $log_text = OTTest::slurp($h->error_log) // '';
cmp_ok(length $backend_text, '>', 0, 'the backend received requests');
cmp_ok(length $spans_text, '>', 0, 'spans were written');
for my $where (['the backend', $backend_text], ['a span', $spans_text],
               ['the CGI', $cgi_text], ['the error log', $log_text]) {
    my @leaked = grep { index($where->[1], $_) >= 0 } @markers;
    is_deeply(\@leaked, [], "no malformed value reached $where->[0] verbatim")
        or diag explain [map { my $m = $_; my ($c) = grep { grep { $_ eq $m } @{ $_->[1] } } @cases;
                               [$m, substr($c->[0][0], 0, 80)] } @leaked[0 .. ($#leaked > 9 ? 9 : $#leaked)]];
}

# What the module writes holds no control character.
my $ctl = qr/[\x00-\x08\x0a-\x1f\x7f]/;
my @bad_env;
for my $b (@cgi_bodies) {
    my $env = eval { JSON::PP->new->decode($b) } or next;
    push @bad_env, grep { defined $env->{$_} && $env->{$_} =~ $ctl }
        qw(TRACEPARENT TRACESTATE BAGGAGE HTTP_TRACEPARENT HTTP_TRACESTATE HTTP_BAGGAGE
           HTTP_B3 HTTP_X_B3_TRACEID HTTP_X_B3_SPANID HTTP_UBER_TRACE_ID);
}
is_deeply(\@bad_env, [], 'no control character in the trace variables of the CGI environment');
my @bad_backend;
for my $r ($backend->requests) {
    for my $k (grep { /^(?:traceparent|tracestate|baggage|b3|x-b3-|uber-trace-id|uberctx-)/ }
               keys %{ $r->{headers} }) {
        push @bad_backend, $k if $r->{headers}{$k} =~ $ctl;
    }
}
is_deeply(\@bad_backend, [], 'no control character in the trace headers sent to the backend');
my @bad_resp = grep { /$ctl/ } map { /^traceresponse:(.*)$/i ? $1 : () }
    map { split /\r\n/ } @resp_heads;
is_deeply(\@bad_resp, [], 'no control character in traceresponse');
cmp_ok(scalar(grep { /^traceresponse: 00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]\r?$/mi } @resp_heads),
       '>', 0, 'traceresponse headers were sent');
# No module line at LogLevel info (malformed fields are logged at debug);
# httpd's own lines are those the server without the module logs too.
my @ours = grep { /\[opentracing:/ && !/OT00004:/ } $h->error_log_lines;
is_deeply(\@ours, [], 'no error-log line of the module');
my %plain_codes = map { /\] (AH\d+):/ ? ($1 => 1) : () } $plain->error_log_lines;
my @extra = grep { /\] (AH\d+):/ && !$plain_codes{$1} } $h->error_log_unexpected;
is_deeply(\@extra, [], 'no httpd error-log line the server without the module does not log');
is_deeply([$h->crash_lines], [], 'no crash');
$_->stop for $backend, $plain_backend;

# ------------------------------------------------------------ secrets
# Credentials of the client, of a CGI's and a backend's Set-Cookie, and of
# the exporter's own configuration (an OTLP Authorization header, sent to
# a collector that answers 503, so that the exporter logs its failures):
# none in a span, a log line (the module at debug level) or configtest's
# messages.
my %secret = (Authorization => 'Basic c2VjcmV0QXV0aA==', Cookie => 'sid=SeCrEtCoOkIe',
              'Proxy-Authorization' => 'Bearer SeCrEtPrOxY');
my $setcookie = 'SeCrEtSeTcOoKiE';
my $token = 'SeCrEtExPoRtToKeN';
my $backend2 = OTReceiver->new(headers => ["Set-Cookie: b=$setcookie-backend"])->start;
my $collector = OTReceiver->new(statuses => [503])->start;
my $s = OTTest->new(
    modules => \@modules, loglevel => 'info opentracing:debug', plugin => 'otlp',
    tracer => '{"endpoint": "' . $collector->url . '", "headers": {"Authorization": "Bearer '
        . $token . '"}, "schedule_delay_ms": 50, "export_timeout_ms": 1000}',
    extra => "TraceBackendHeaders On\n"
        . "ProxyPass /proxy/ http://127.0.0.1:" . $backend2->port . "/\n",
    files => { 'cgi-bin/setcookie.cgi' => "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n"
               . "Set-Cookie: a=$setcookie\\r\\n\\r\\nok\\n'\n" });
chmod 0755, $s->dir . '/cgi-bin/setcookie.cgi';
my (undef, $cfg_out) = $s->configtest("TraceTracer " . $s->plugin
    . " '{\"headers\": {\"Authorization\": \"Bearer $token\"}, \"bogus\": \"$token\"}'\n");
my (undef, $cfg_out2) = $s->configtest("TraceTracer " . $s->plugin
    . " '{\"headers\": {\"Authorization\": \"Bearer $token\\u0001\"}}'\n");
like($cfg_out . $cfg_out2, qr/TraceTracer/, 'configtest refused the bad configurations');
$s->start;
my $cgi = $s->get("/cgi-bin/setcookie.cgi?s=1", \%secret);
is($cgi->{status}, 200, 'CGI with Set-Cookie');
is($s->get("/proxy/s?s=2", \%secret)->{status}, 200, 'proxied, the backend sets a cookie');
is($s->get("/index.html?s=3", \%secret)->{status}, 200, 'static with credentials');
ok(OTTest::wait_for(10, sub { $collector->requests >= 1 }), 'the exporter sent to the collector');
ok(OTTest::wait_for(10, sub { grep { /OT02002:/ } $s->error_log_lines }),
   'and logged its failure');
is(($collector->requests)[0]{headers}{authorization}, "Bearer $token",
   'the configured Authorization header was sent');
$s->stop;
my @posted = map { $_->{raw} // '' } $collector->requests;
my $all = join "\n", (OTTest::slurp($s->error_log) // ''), $cfg_out, $cfg_out2, @posted;
for my $v (values(%secret), $setcookie, 'c2VjcmV0QXV0aA', 'SeCrEtCoOkIe', $token) {
    ok(index($all, $v) < 0, "'$v' is in no span, log line or configtest message");
}
$backend2->stop;
$collector->stop;

done_testing;
