# The static and CGI checks under prefork (mod_cgi) and worker (mod_cgid);
# the other tests run the event MPM.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

for my $mpm (qw(prefork worker)) {
    my $h = OTTest->new(mpm => $mpm, extra => "TraceServiceName svc-$mpm\n");
    $h->start;
    like(join("\n", $h->error_log_lines),
         qr/\[mpm_$mpm:notice\].*resuming normal operations/, "$mpm: running the $mpm MPM");

    my $st = $h->get('/static.txt?m=static', { 'User-Agent' => "ua-$mpm" });
    is($st->{status}, 200, "$mpm: static file");
    my $cgi = $h->get('/cgi-bin/env.cgi?m=cgi');
    is($cgi->{status}, 200, "$mpm: CGI");
    my $env = eval { decode_json($cgi->{content}) } || {};
    my $cgi2 = $h->get('/cgi-bin/env.cgi?m=cgiin', { traceparent => $incoming });
    my $env2 = eval { decode_json($cgi2->{content}) } || {};
    is($h->get('/cgi-bin/status500.cgi?m=500')->{status}, 500, "$mpm: failing CGI");

    my @spans = $h->spans(min => 4);
    is(scalar @spans, 4, "$mpm: spans exported while running");
    my $parent = $h->server_pid;
    $h->stop;
    @spans = $h->read_spans;
    is(scalar @spans, 4, "$mpm: four requests, four spans");
    my $q = OTTest->by_query(@spans);

    my $s = ($q->{'m=static'} || [])->[0] || {};
    is($s->{kind}, 2, "$mpm static: kind SERVER");
    is($s->{name}, 'GET', "$mpm static: name");
    like($s->{traceId} // '', qr/\A[0-9a-f]{32}\z/, "$mpm static: traceId");
    like($s->{spanId} // '', qr/\A[0-9a-f]{16}\z/, "$mpm static: spanId");
    ok(!exists $s->{parentSpanId}, "$mpm static: root span");
    is($s->{attr}{'url.path'}, '/static.txt', "$mpm static: url.path");
    is($s->{attr}{'http.response.status_code'}, 200, "$mpm static: status");
    is($s->{attr}{'http.response.body.size'}, -s "$OTTest::T_DIR/htdocs/static.txt",
       "$mpm static: body size");
    is($s->{attr}{'user_agent.original'}, "ua-$mpm", "$mpm static: user agent");
    is($s->{attr}{'server.port'}, $h->port, "$mpm static: server.port");
    is($s->{resource}{'service.name'}, "svc-$mpm", "$mpm static: service.name");
    like($s->{resource}{'process.pid'} // '', qr/\A\d+\z/, "$mpm static: process.pid");
    isnt($s->{resource}{'process.pid'}, $parent, "$mpm static: pid of a child");
    cmp_ok($s->{startTimeUnixNano} // 0, '<=', $s->{endTimeUnixNano} // -1, "$mpm static: start <= end");

    my $c = ($q->{'m=cgi'} || [])->[0] || {};
    is($env->{HTTP_TRACEPARENT}, OTTest->traceparent_of($c), "$mpm CGI: HTTP_TRACEPARENT names the span");
    is($env->{TRACEPARENT}, OTTest->traceparent_of($c), "$mpm CGI: TRACEPARENT names the span");
    is($c->{attr}{'http.response.body.size'}, length $cgi->{content}, "$mpm CGI: body size");

    my $c2 = ($q->{'m=cgiin'} || [])->[0] || {};
    is($c2->{traceId}, '0af7651916cd43dd8448eb211c80319c', "$mpm CGI: incoming trace continued");
    is($c2->{parentSpanId}, 'b7ad6b7169203331', "$mpm CGI: incoming parent");
    is($env2->{TRACEPARENT}, "00-0af7651916cd43dd8448eb211c80319c-$c2->{spanId}-01",
       "$mpm CGI: TRACEPARENT continues the incoming trace");
    is($env2->{HTTP_TRACEPARENT}, $env2->{TRACEPARENT}, "$mpm CGI: header rewritten too");

    my $e = ($q->{'m=500'} || [])->[0] || {};
    is($e->{status}{code}, 2, "$mpm 500: span status ERROR");
    is($e->{attr}{'error.type'}, '500', "$mpm 500: error.type");

    is_deeply([$h->error_log_unexpected], [], "$mpm: no unexpected error-log lines");
}

done_testing;
