# The zipkin tracer: Zipkin v2 JSON to a real loopback receiver.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use OTTest;
use OTReceiver;

my $rx = OTReceiver->new(statuses => [202])->start;
my $url = $rx->url . '/api/v2/spans';
my $h = OTTest->new(plugin => 'zipkin',
    tracer => qq({"endpoint": "$url", "compression": "gzip", "schedule_delay_ms": 100}),
    extra => "TraceServiceName zipkin-test\nLogLevel info opentracing:debug\n");
$h->start;
my $n = 20;
$h->get("/index.html?i=$_") for 1 .. $n;
$h->get('/cgi-bin/status500.cgi?i=err');
my @spans;
my $end = time + 10;
while (time < $end) {
    @spans = map { @{ decode_json($_->{body}) } } $rx->requests;
    last if @spans >= $n + 1;
    select undef, undef, undef, 0.1;
}
is(scalar @spans, $n + 1, ($n + 1) . ' requests, ' . ($n + 1) . ' spans');
my ($r0) = $rx->requests;
is($r0->{path}, '/api/v2/spans', 'POST to the configured URL');
is($r0->{headers}{'content-type'}, 'application/json', 'JSON');
is($r0->{headers}{'content-encoding'}, 'gzip', 'gzip');
my ($s) = grep { ($_->{tags}{'url.query'} // '') eq 'i=1' } @spans;
ok($s, 'span of the first request');
like($s->{traceId}, qr/^[0-9a-f]{32}$/, 'traceId');
like($s->{id}, qr/^[0-9a-f]{16}$/, 'id');
ok(!exists $s->{parentId}, 'root span: no parentId');
is($s->{kind}, 'SERVER', 'kind SERVER');
is($s->{name}, 'GET', 'name');
ok($s->{timestamp} > (time - 60) * 1e6 && $s->{timestamp} <= time * 1e6,
   'timestamp in microseconds, recent');
ok($s->{duration} >= 1, 'duration >= 1 us');
is($s->{localEndpoint}{serviceName}, 'zipkin-test', 'localEndpoint.serviceName');
is($s->{remoteEndpoint}{ipv4}, '127.0.0.1', 'remoteEndpoint from the client');
is($s->{tags}{'http.response.status_code'}, '200', 'tags are strings');
ok(!exists $s->{tags}{error}, 'no error tag on success');
my ($e) = grep { ($_->{tags}{'url.query'} // '') eq 'i=err' } @spans;
is($e->{tags}{'otel.status_code'}, 'ERROR', 'a 500 is an error');
ok(exists $e->{tags}{error}, 'error tag on failure');
$h->stop;
# LogLevel opentracing:debug: one line per POST, with the span count, the
# JSON size and the gzip size on the wire.
my @reqs = $rx->requests;
my @dbg = map { /OT02003: zipkin tracer: POST \Q$url\E: (\d+) spans, (\d+) bytes \(gzip (\d+)\), [\d.]+ ms: ok \(HTTP status 202\)$/ ? [$1, $2, $3] : () }
    $h->error_log_lines;
is(scalar @dbg, scalar @reqs, 'debug: one line per POST');
my $nspans = 0;
$nspans += $_->[0] for @dbg;
is($nspans, $n + 1, 'debug: the span counts add up');
is_deeply([map { [$_->[1], $_->[2]] } @dbg],
          [map { [length $_->{body}, length $_->{raw}] } @reqs],
          'debug: JSON and gzip sizes are what the receiver got, POST by POST');
is_deeply([$h->error_log_unexpected(qr/OT02003: zipkin tracer: POST/)], [],
          'no unexpected error-log lines');
done_testing;
