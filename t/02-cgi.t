# A CGI script sees the server span's context: HTTP_TRACEPARENT (the
# rewritten request header) and TRACEPARENT (the OpenTelemetry environment
# carrier), both naming the exported span as parent.
use strict;
use warnings;
use Test::More;
use JSON::PP;
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

$h->spans(min => 3);
$h->stop;
my $q = OTTest->by_query($h->read_spans);
is(scalar(map { @$_ } values %$q), 3, 'three requests, three spans');

my %seen;
for my $i (1 .. 3) {
    my $env = $envs[$i - 1];
    my ($s) = @{ $q->{"cgi=$i"} || [] };
    ok($s, "span for CGI $i") or next;
    my $tp = "00-$s->{traceId}-$s->{spanId}-01";
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
