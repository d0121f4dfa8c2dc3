# A static file: one SERVER span with the HTTP semantic-convention
# attributes and the resource of the child that served it.
use strict;
use warnings;
use Test::More;
use Sys::Hostname qw(hostname);
use Time::HiRes qw(time);
use OTTest;

my $file = "$OTTest::T_DIR/htdocs/static.txt";
my $size = -s $file;

{
    my $h = OTTest->new(extra => "TraceServiceName checkout-frontend\n");
    $h->start;

    my $before = time;
    my $res = $h->get('/static.txt', { 'User-Agent' => 'ot-integration/1.0 (static)' });
    my $after = time;
    is($res->{status}, 200, 'static file served');
    is(length $res->{content}, $size, 'whole file received');

    my @spans = $h->spans(min => 1);
    is(scalar @spans, 1, 'the span is exported while the server runs');
    my $parent_pid = $h->server_pid;
    $h->stop;
    @spans = $h->read_spans;
    is(scalar @spans, 1, 'exactly one span for one request (after stop)');
    my $s = $spans[0] or BAIL_OUT('no span');

    is($s->{kind}, 2, 'kind SERVER');
    is($s->{name}, 'GET', 'name is the method');
    like($s->{traceId}, qr/\A[0-9a-f]{32}\z/, 'traceId: 32 lowercase hex');
    unlike($s->{traceId}, qr/\A0+\z/, 'traceId not all zero');
    like($s->{spanId}, qr/\A[0-9a-f]{16}\z/, 'spanId: 16 lowercase hex');
    unlike($s->{spanId}, qr/\A0+\z/, 'spanId not all zero');
    ok(!exists $s->{parentSpanId}, 'no parentSpanId: a root span');
    ok(!exists $s->{traceState}, 'no traceState');
    is(($s->{flags} // 0) & 1, 1, 'sampled flag set');
    ok(!exists $s->{status}, 'status unset for a 200');

    my $a = $s->{attr};
    is($a->{'http.request.method'}, 'GET', 'http.request.method');
    is($a->{'url.path'}, '/static.txt', 'url.path');
    ok(!exists $a->{'url.query'}, 'no url.query without a query');
    is($a->{'url.scheme'}, 'http', 'url.scheme');
    is($a->{'server.address'}, '127.0.0.1', 'server.address (from Host)');
    is($a->{'server.port'}, $h->port, 'server.port');
    is($a->{'client.address'}, '127.0.0.1', 'client.address');
    is($a->{'network.peer.address'}, '127.0.0.1', 'network.peer.address');
    like($a->{'network.peer.port'}, qr/\A[1-9]\d*\z/, 'network.peer.port');
    isnt($a->{'network.peer.port'}, $h->port, 'peer port is the client\'s');
    # "1.1", or "2" under OT_H2 (make integration-h2)
    my ($version) = ($res->{protocol} // '') =~ m{\AHTTP/(.+)\z};
    is($a->{'network.protocol.version'}, $version, "network.protocol.version ($res->{protocol})");
    is($a->{'user_agent.original'}, 'ot-integration/1.0 (static)',
       'user_agent.original');
    is($a->{'http.response.status_code'}, '200', 'http.response.status_code');
    is($a->{'http.response.body.size'}, $size,
       'http.response.body.size = bytes of the file');
    ok(!exists $a->{'error.type'}, 'no error.type');
    ok(!exists $a->{'http.request.body.size'}, 'no request body size for a GET');
    my %types = map { $_->{key} => join(',', keys %{ $_->{value} }) }
        @{ $s->{attributes} };
    is($types{'http.response.status_code'}, 'intValue', 'status code is an int');
    is($types{'server.port'}, 'intValue', 'server.port is an int');
    is($types{'url.path'}, 'stringValue', 'url.path is a string');
    is(scalar(@{ $s->{attributes} }), scalar(keys %$a), 'no attribute key twice');

    like($s->{startTimeUnixNano}, qr/\A\d{19}\z/, 'start time in ns');
    like($s->{endTimeUnixNano}, qr/\A\d{19}\z/, 'end time in ns');
    cmp_ok($s->{startTimeUnixNano}, '<=', $s->{endTimeUnixNano}, 'start <= end');
    my $start = $s->{startTimeUnixNano} / 1e9;
    my $end = $s->{endTimeUnixNano} / 1e9;
    cmp_ok($start, '>=', $before - 1, 'start is not before the request');
    cmp_ok($end, '<=', $after + 1, 'end is not after the response');

    my $r = $s->{resource};
    is($r->{'service.name'}, 'checkout-frontend', 'service.name from TraceServiceName');
    is($r->{'host.name'}, hostname(), 'host.name');
    like($r->{'process.pid'}, qr/\A[1-9]\d*\z/, 'process.pid');
    isnt($r->{'process.pid'}, $parent_pid, 'process.pid is the child, not the parent');
    is($r->{'telemetry.sdk.name'}, 'mod_opentracing', 'telemetry.sdk.name');
    is($r->{'telemetry.sdk.language'}, 'c', 'telemetry.sdk.language');
    like($r->{'telemetry.sdk.version'}, qr/\A\d+\.\d+\.\d+/, 'telemetry.sdk.version');
    is($s->{scope}{name}, 'mod_opentracing', 'instrumentation scope name');

    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

{
    # Without TraceServiceName, service.name is the ServerName.
    my $h = OTTest->new(servername => 'www.ot-test.example');
    $h->start;
    is($h->get('/')->{status}, 200, 'index served');
    my @spans = $h->spans(min => 1);
    $h->stop;
    @spans = $h->read_spans;
    is(scalar @spans, 1, 'one span');
    is($spans[0]{resource}{'service.name'}, 'www.ot-test.example',
       'service.name defaults to the ServerName');
    is($spans[0]{attr}{'url.path'}, '/', 'url.path as requested');
    is($spans[0]{attr}{'http.response.body.size'},
       -s "$OTTest::T_DIR/htdocs/index.html", 'body size of the index');
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

{
    # HEAD, HTTP/1.0 and an unknown method.
    my $h = OTTest->new;
    $h->start;
    is($h->request('HEAD', '/static.txt?m=head')->{status}, 200, 'HEAD');
    my $raw = $h->raw("GET /static.txt?m=http10 HTTP/1.0\r\n\r\n");
    like($raw, qr{\AHTTP/1\.1 200 }, 'HTTP/1.0 request served');
    my $res = $h->request('FROBNICATE', '/static.txt?m=other');
    ok($res->{status} >= 400 && $res->{status} < 600, "unknown method answered ($res->{status})");
    $h->spans(min => 3);
    $h->stop;
    my $q = OTTest->by_query($h->read_spans);
    my ($v10) = @{ $q->{'m=http10'} || [{}] };
    is($v10->{attr}{'network.protocol.version'}, '1.0', 'HTTP/1.0: network.protocol.version 1.0');
    is($v10->{attr}{'server.address'}, 'ot-test.invalid', 'HTTP/1.0 without Host: server.address is the ServerName');
    ok(!exists $v10->{attr}{'user_agent.original'}, 'no User-Agent, no user_agent.original');
    is(scalar(@{ $q->{'m=head'} || [] }), 1, 'one span for HEAD');
    is($q->{'m=head'}[0]{name}, 'HEAD', 'HEAD span name');
    is($q->{'m=head'}[0]{attr}{'http.response.status_code'}, 200, 'HEAD status');
    # No body goes out for HEAD (mod_log_config's %B says 0 too).
    is($q->{'m=head'}[0]{attr}{'http.response.body.size'}, 0, 'HEAD: body size 0');
    is(scalar(@{ $q->{'m=other'} || [] }), 1, 'one span for the unknown method');
    my $o = $q->{'m=other'}[0] || {};
    is($o->{name}, 'HTTP', 'unknown method: name HTTP');
    is($o->{attr}{'http.request.method'}, '_OTHER', 'unknown method: _OTHER');
    is($o->{attr}{'http.request.method_original'}, 'FROBNICATE', 'method_original');
    is($o->{attr}{'http.response.status_code'}, $res->{status}, 'status as sent');
    # core logs the 501 it answers (HTTP/2.0 the request line mod_http2
    # makes up); nothing else.
    is_deeply([$h->error_log_unexpected(
        qr/\] AH00135: Invalid method in request FROBNICATE \/static\.txt\?m=other HTTP\/(?:1\.1|2\.0)$/)],
        [], 'no unexpected error-log lines');
}

done_testing;
