# TraceBackendHeaders: the Trace-* headers of CGI scripts (the shell, Perl
# and Python examples of examples/cgi/), a proxied HTTP backend and a
# FastCGI application are read into the span of the request that produced
# them and removed, on every response path: checked on the raw HTTP/1.1
# bytes (a GET, a HEAD, a 304, a 204, a chunked body, an ErrorDocument
# after a CGI's local redirect, httpd's own error page) and on HTTP/2.  A
# proxied backend's go to the CLIENT span, its Trace-Operation to the
# server span.  Malformed values are ignored and counted; TraceBackendHeaders
# Off leaves the headers alone; request headers are never read.
use strict;
use warnings;
use Test::More;
use OTTest;
use OTReceiver;
use OTFcgi;

my $NS = 1_700_000_000_000_000_000;
my @backend_headers = (
    'Trace-Tag: backend.kind=proxied, app.user=bob%2C%20jr',
    'Trace-Operation: GET /orders/{id}',
    "Trace-Event: backend.cache.hit; ts=$NS; cache.key=orders%2F7",
    "Trace-Span: SELECT%20orders; start=${NS}; dur=3ms; kind=client; "
        . 'id=00f067aa0ba902b7; db.system=postgresql',
    'Trace-Error: payment provider down',
);
my $http = OTReceiver->new(body => "backend says hi\n",
                           headers => \@backend_headers)->start;
my $fcgi = OTFcgi->new(headers => [ map { s/proxied/fastcgi/r } @backend_headers ])->start;
my ($httpp, $fcgip) = ($http->port, $fcgi->port);

my $m = OTTest::moddir();
my $h2 = -f "$m/mod_http2.so" && (`curl -V 2>/dev/null` // '') =~ /\bHTTP2\b/;
my @mods = (qw(authz_core mime dir alias rewrite proxy proxy_http proxy_fcgi),
            $h2 ? 'http2' : ());

my $h = OTTest->new(modules => \@mods, module_first => 1, extra => <<"CONF");
${\ ($h2 ? 'Protocols h2c http/1.1' : '')}
ProxyPass /px/ http://127.0.0.1:$httpp/
ProxyPass /fcgi/ fcgi://127.0.0.1:$fcgip/
Alias /off/ "\@DIR\@/cgi-bin/"
<Directory "\@DIR\@/cgi-bin">
    Options +ExecCGI
    SetHandler cgi-script
</Directory>
<Location /off/>
    TraceBackendHeaders Off
</Location>
Redirect gone /gone
ErrorDocument 410 /err.html
CONF

my $dir = $h->dir;
for my $ext (qw(sh pl py)) {
    $h->write_file("$dir/cgi-bin/example-$ext.cgi",
                   OTTest::slurp("$OTTest::REPO/examples/cgi/trace-headers.$ext"),
                   0755);
}
# A CGI whose answer the query chooses: its status, a local redirect, a
# malformed value, no Content-Length (a chunked body).
$h->write_file("$dir/cgi-bin/hdr.cgi", <<'CGI', 0755);
#!/usr/bin/perl
use strict;
use warnings;
my %a = map { split /=/, $_, 2 } split /&/, $ENV{QUERY_STRING} // '';
my $status = $a{status} // 200;
print "Status: $status\r\n" unless $a{loc};
print "Location: $a{loc}\r\n" if $a{loc};
print "Content-Type: text/plain\r\n";
print "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n" if $status == 304;
print "Trace-Tag: test.case=$a{case}\r\n";
print "trace-tag: test.second=2\r\n";
print "Trace-Operation: ", ($a{route} ? "/r/$a{case}" : "CGI $a{case}"), "\r\n";
print "Trace-Event: cgi.step; n=1\r\n";
print "Trace-Tag: bad key=1, http.route=/no, test.third=3\r\n" if $a{bad};
print "Trace-Span: no-start; dur=1ms\r\n" if $a{bad};
print "X-Kept: yes\r\n\r\n";
exit 0 if $status == 204 || $status == 304 || $a{loc};
$| = 1;
print "part one\n";
# a pause: the content-length filter cannot wait for the end (under
# prefork, mod_cgi would otherwise read it all and send a Content-Length)
select(undef, undef, undef, 0.3) if $a{case} eq 'chunked';
print "part two\n";
CGI
$h->write_file("$dir/htdocs/err.html", "custom error page\n", 0644);
$h->start;

# The server span of the request whose query is $q, and every span.
sub server_span {
    my ($q) = @_;
    my ($s, @all);
    OTTest::wait_for(5, sub {
        @all = $h->read_spans;
        ($s) = grep { $_->{kind} == 2 && ($_->{attr}{'url.query'} // '') eq $q } @all;
        $s;
    });
    return ($s, @all);
}

sub children_of {
    my ($parent, @all) = @_;
    return grep { ($_->{parentSpanId} // '') eq $parent->{spanId} } @all;
}

sub no_trace_headers {
    my ($raw, $what) = @_;
    my ($head) = split /\r\n\r\n/, $raw, 2;
    unlike($head, qr/^trace-(?:tag|operation|error|event|span)\s*:/mi,
           "$what: no Trace-* header on the wire");
}

sub raw_req {
    my ($method, $path, @hdr) = @_;
    return $h->raw("$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   . join('', map { "$_\r\n" } @hdr)
                   . "Connection: close\r\n\r\n");
}

# --- the examples: one per language
for my $lang (qw(sh pl py)) {
    my $raw = raw_req('GET', "/cgi-bin/example-$lang.cgi?lang=$lang");
    like($raw, qr{^HTTP/1\.1 200 }, "example $lang: 200");
    like($raw, qr/hello from/, "example $lang: its body");
    no_trace_headers($raw, "example $lang");
    my ($s, @all) = server_span("lang=$lang");
    ok($s, "example $lang: server span") or next;
    is($s->{name}, 'GET /examples/{lang}', "example $lang: Trace-Operation names the span");
    is($s->{attr}{'http.route'}, '/examples/{lang}', "example $lang: http.route, the operation's route");
    my $name = { sh => 'sh', pl => 'perl', py => 'python' }->{$lang};
    is($s->{attr}{'example.lang'}, $name, "example $lang: Trace-Tag");
    is($s->{attr}{'app.user'}, 'alice b', "example $lang: a percent-decoded tag");
    my ($ev) = grep { $_->{name} eq 'cache.miss' } @{ $s->{events} || [] };
    ok($ev, "example $lang: Trace-Event") or next;
    is(OTTest::flatten_kv($ev->{attributes})->{'cache.key'}, 'users/1',
       "example $lang: the event's attribute");
    ok($ev->{timeUnixNano} >= $s->{startTimeUnixNano}
       && $ev->{timeUnixNano} <= $s->{endTimeUnixNano},
       "example $lang: the event is within the span (read time)");
    my ($child) = children_of($s, @all);
    ok($child, "example $lang: Trace-Span is a child span") or next;
    is($child->{traceId}, $s->{traceId}, "example $lang: same trace");
    is($child->{kind}, 1, "example $lang: INTERNAL");
    like($child->{name}, qr/^(?:read hostname|split words|sum range)$/,
         "example $lang: the child's decoded name");
    ok($child->{startTimeUnixNano} >= $s->{startTimeUnixNano} - 1_000_000
       && $child->{endTimeUnixNano} <= $s->{endTimeUnixNano} + 1_000_000,
       "example $lang: the child span within its parent");
    ok(!exists $s->{attr}{'mod_opentracing.backend_headers.ignored'},
       "example $lang: nothing ignored");
}

# --- every response path: nothing on the wire, everything in the span
my %paths = (
    'chunked' => [ 'GET', '/cgi-bin/hdr.cgi?case=chunked', 200 ],
    'head'    => [ 'HEAD', '/cgi-bin/hdr.cgi?case=head', 200 ],
    '204'     => [ 'GET', '/cgi-bin/hdr.cgi?case=204&status=204', 204 ],
    '304'     => [ 'GET', '/cgi-bin/hdr.cgi?case=304&status=304', 304,
                   'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT' ],
    'errdoc'  => [ 'GET', '/cgi-bin/hdr.cgi?case=errdoc&loc=/gone', 410 ],
    'httpd-error' => [ 'GET', '/cgi-bin/hdr.cgi?case=httpd-error&loc=/missing', 404 ],
    'cgi-500' => [ 'GET', '/cgi-bin/hdr.cgi?case=cgi-500&status=500', 500 ],
);
for my $case (sort keys %paths) {
    my ($method, $path, $status, @hdr) = @{ $paths{$case} };
    my $raw = raw_req($method, $path, @hdr);
    like($raw, qr{^HTTP/1\.1 $status }, "$case: $status");
    no_trace_headers($raw, $case);
    like($raw, qr/^Transfer-Encoding: chunked\r$/mi, "$case: a chunked body")
        if $case eq 'chunked';
    like($raw, qr/custom error page/, "$case: the ErrorDocument")
        if $case eq 'errdoc';
    like($raw, qr/^X-Kept: yes\r$/mi, "$case: other headers kept")
        if $case =~ /^(?:chunked|head|204|304|cgi-500)$/;
    my ($q) = $path =~ /\?(.*)/;
    my ($s) = server_span($q);
    ok($s, "$case: server span") or next;
    is($s->{attr}{'test.case'}, $case, "$case: Trace-Tag");
    is($s->{attr}{'test.second'}, '2', "$case: a second Trace-Tag line");
    is($s->{name}, "CGI $case", "$case: Trace-Operation");
    ok((grep { $_->{name} eq 'cgi.step' } @{ $s->{events} || [] }),
       "$case: Trace-Event");
}

# --- malformed values: ignored, counted, the rest applied
{
    my $raw = raw_req('GET', '/cgi-bin/hdr.cgi?case=bad&bad=1');
    no_trace_headers($raw, 'malformed');
    my ($s, @all) = server_span('case=bad&bad=1');
    ok($s, 'malformed: server span');
    is($s->{attr}{'test.third'}, '3', 'malformed: the good member of the line applies');
    ok(!exists $s->{attr}{'bad key'}, 'malformed: a bad key is not set');
    ok(!exists $s->{attr}{'http.route'},
       'malformed: a reserved key is not set by Trace-Tag (and an operation without a route sets none)');
    is($s->{attr}{'mod_opentracing.backend_headers.ignored'}, '3',
       'malformed: 3 ignored (bad key, reserved key, span without start)');
    is(scalar(children_of($s, @all)), 0, 'malformed: no child span');
}

# --- an operation that is a route: "{method} {route}", and http.route
{
    my $raw = raw_req('GET', '/cgi-bin/hdr.cgi?case=rt&route=1');
    no_trace_headers($raw, 'route');
    my ($s) = server_span('case=rt&route=1');
    is($s && $s->{name}, 'GET /r/rt', 'a route: the span is named after the method and it');
    is($s && $s->{attr}{'http.route'}, '/r/rt', 'a route: http.route');
}

# --- never from request headers
{
    my $raw = raw_req('GET', '/cgi-bin/hdr.cgi?case=req', 'Trace-Tag: evil=1',
                      'Trace-Operation: EVIL');
    my ($s) = server_span('case=req');
    ok($s && !exists $s->{attr}{evil}, 'request headers: Trace-Tag not read');
    is($s && $s->{name}, 'CGI req', 'request headers: Trace-Operation not read');
    $raw = raw_req('GET', '/index.html?case=static', 'Trace-Tag: evil=1');
    ($s) = server_span('case=static');
    ok($s && !exists $s->{attr}{evil}, 'request headers to a static file: not read');
}

# --- TraceBackendHeaders Off: left alone
{
    my $raw = raw_req('GET', '/off/hdr.cgi?case=off');
    like($raw, qr/^Trace-Tag: test\.case=off/mi, 'Off: the header reaches the client');
    my ($s) = server_span('case=off');
    ok($s && !exists $s->{attr}{'test.case'}, 'Off: not read into the span');
    is($s && $s->{name}, 'GET', 'Off: the span keeps its name');
}

# --- a proxied HTTP backend and a FastCGI application: the CLIENT span
for my $b (['px', 'proxied'], ['fcgi', 'fastcgi']) {
    my ($prefix, $kind) = @$b;
    my $raw = raw_req('GET', "/$prefix/x?case=$prefix");
    like($raw, qr{^HTTP/1\.1 200 }, "$prefix: 200");
    no_trace_headers($raw, $prefix);
    my ($s, @all) = server_span("case=$prefix");
    ok($s, "$prefix: server span") or next;
    is($s->{name}, 'GET /orders/{id}', "$prefix: Trace-Operation names the server span");
    is($s->{attr}{'http.route'}, '/orders/{id}', "$prefix: http.route");
    ok(!exists $s->{attr}{'backend.kind'}, "$prefix: tags not on the server span");
    my ($client) = grep { $_->{kind} == 3 } children_of($s, @all);
    ok($client, "$prefix: CLIENT span") or next;
    is($client->{attr}{'backend.kind'}, $kind, "$prefix: Trace-Tag on the CLIENT span");
    is($client->{attr}{'app.user'}, 'bob, jr', "$prefix: percent-decoded");
    is($client->{status}{code}, 2, "$prefix: Trace-Error: status ERROR");
    is($client->{status}{message}, 'payment provider down', "$prefix: its message");
    is($client->{attr}{'error.type'}, '_OTHER', "$prefix: error.type");
    my ($ev) = @{ $client->{events} || [] };
    is($ev && $ev->{name}, 'backend.cache.hit', "$prefix: Trace-Event on the CLIENT span");
    is($ev && $ev->{timeUnixNano}, "$NS", "$prefix: at its ts");
    my ($db) = children_of($client, @all);
    ok($db, "$prefix: Trace-Span, a child of the CLIENT span") or next;
    is($db->{name}, 'SELECT orders', "$prefix: its name");
    is($db->{spanId}, '00f067aa0ba902b7', "$prefix: its own span id");
    is($db->{kind}, 3, "$prefix: kind=client");
    is($db->{startTimeUnixNano}, "$NS", "$prefix: start");
    is($db->{endTimeUnixNano}, $NS + 3_000_000, "$prefix: start + dur");
    is($db->{attr}{'db.system'}, 'postgresql', "$prefix: its attribute");
}

# --- HTTP/2: the same stripping
SKIP: {
    skip 'mod_http2 and curl with HTTP/2 are needed', 4 unless $h2;
    my $url = $h->url('/cgi-bin/hdr.cgi?case=h2');
    my $out = `curl -sS --http2-prior-knowledge -D - -o /dev/null '$url' 2>&1`;
    like($out, qr{^HTTP/2 200}m, 'h2: 200 over HTTP/2');
    unlike($out, qr/^trace-/mi, 'h2: no Trace-* header');
    my ($s) = server_span('case=h2');
    is($s && $s->{attr}{'network.protocol.version'}, '2', 'h2: the span is HTTP/2');
    is($s && $s->{attr}{'test.case'}, 'h2', 'h2: Trace-Tag read');
}

$h->stop;
$http->stop;
$fcgi->stop;
done_testing;
