# A CGI script sees the server span's context: HTTP_TRACEPARENT (the
# rewritten request header) and TRACEPARENT (the OpenTelemetry environment
# carrier), both naming the exported span as parent.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes ();
use OTTest;

my $h = OTTest->new;
$h->start;

my (@envs, @lens);
for my $i (1 .. 3) {
    my $res = $h->get("/cgi-bin/env.cgi?cgi=$i");
    is($res->{status}, 200, "CGI $i ran");
    my $env = eval { decode_json($res->{content}) } || {};
    ok(exists $env->{GATEWAY_INTERFACE}, "CGI $i printed its environment");
    push @envs, $env;
    push @lens, length $res->{content};
}

# A POST with a body: the method and the request body size.
my $body = 'x' x 1234;
my $post = $h->request('POST', '/cgi-bin/env.cgi?cgi=post',
    { content => $body, headers => { 'Content-Type' => 'application/octet-stream' } });
is($post->{status}, 200, 'POST to the CGI');
my $penv = eval { decode_json($post->{content}) } || {};
is($penv->{REQUEST_METHOD}, 'POST', 'the CGI saw a POST');
is($penv->{_BODY_LENGTH}, 1234, 'the CGI read the body');

# A slow CGI: the span lasts as long as the request.
my $t0 = Time::HiRes::time();
is($h->get('/cgi-bin/slow.cgi?cgi=slow')->{status}, 200, 'slow CGI');
my $took = Time::HiRes::time() - $t0;

$h->spans(min => 5);
$h->stop;
my $q = OTTest->by_query($h->read_spans);
is(scalar(map { @$_ } values %$q), 5, 'five requests, five spans');

my ($slow) = @{ $q->{'cgi=slow'} || [{}] };
my $dur = (($slow->{endTimeUnixNano} // 0) - ($slow->{startTimeUnixNano} // 0)) / 1e9;
cmp_ok($dur, '>=', 0.3, 'slow CGI: the span lasts at least the 300 ms the script slept');
cmp_ok($dur, '<=', $took + 0.05, 'slow CGI: and not longer than the client waited');

my ($ps) = @{ $q->{'cgi=post'} || [{}] };
is($ps->{name}, 'POST', 'POST: span name');
is($ps->{attr}{'http.request.method'}, 'POST', 'POST: http.request.method');
is($ps->{attr}{'http.request.body.size'}, 1234, 'POST: http.request.body.size');
is($penv->{TRACEPARENT}, OTTest->traceparent_of($ps), 'POST: TRACEPARENT names the span');

my %seen;
for my $i (1 .. 3) {
    my $env = $envs[$i - 1];
    my ($s) = @{ $q->{"cgi=$i"} || [] };
    ok($s, "span for CGI $i") or next;
    # a new trace of random ids: sampled and random (W3C level 2)
    my $tp = "00-$s->{traceId}-$s->{spanId}-03";
    is($env->{HTTP_TRACEPARENT}, $tp, "CGI $i: HTTP_TRACEPARENT names the server span");
    is($env->{TRACEPARENT}, $tp, "CGI $i: TRACEPARENT names the server span");
    ok(!exists $env->{HTTP_TRACESTATE}, "CGI $i: no HTTP_TRACESTATE");
    ok(!exists $env->{TRACESTATE}, "CGI $i: no TRACESTATE");
    is($s->{attr}{'url.path'}, '/cgi-bin/env.cgi', "CGI $i: url.path");
    is($s->{attr}{'url.query'}, "cgi=$i", "CGI $i: url.query");
    is($s->{attr}{'http.response.status_code'}, 200, "CGI $i: status 200");
    is($s->{attr}{'http.response.body.size'}, $lens[$i - 1],
       "CGI $i: http.response.body.size = bytes received");
    $seen{ $s->{traceId} }++;
}
is(scalar keys %seen, 3, 'each request is a trace of its own');

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
