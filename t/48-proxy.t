# A CLIENT span per call mod_proxy makes (TraceProxySpans): child of the
# server span, named after the method, with the backend's address, port,
# URL (credentials out, query redacted) and status; the backend receives
# the CLIENT span's context in every configured format.  Failures (no
# backend, 5xx, 4xx), a balancer failing over from a dead member (two
# CLIENT spans), mod_rewrite [P], a proxied subrequest (mod_include), and
# a three-hop chain client -> httpd A -> httpd B -> backend that is one
# unbroken trace.
use strict;
use warnings;
use Test::More;
use OTTest;
use OTReceiver;
use OTFcgi;

my $ok   = OTReceiver->new(body => "backend says hi\n")->start;
my $fcgi = OTFcgi->new->start;
my $fcgip = $fcgi->port;
my $e500 = OTReceiver->new(statuses => [500])->start;
my $e404 = OTReceiver->new(statuses => [404])->start;
my $dead = OTTest::free_port();
my $dead2 = OTTest::free_port();     # a second dead member, a worker of its own
my ($okp, $e500p, $e404p) = map { $_->port } $ok, $e500, $e404;

my @proxy_mods = qw(authz_core mime dir alias rewrite include proxy proxy_http
                    proxy_fcgi proxy_balancer lbmethod_byrequests slotmem_shm);
my $h = OTTest->new(modules => \@proxy_mods, module_first => 1, extra => <<"CONF");
TracePropagation w3c b3 jaeger baggage
TraceRedactQuery token
TraceTag test.client "%{note:ot-client-traceparent}"
ProxyPass /app/ http://user:pw\@127.0.0.1:$okp/
ProxyPass /fcgi/ fcgi://127.0.0.1:$fcgip/ enablereuse=on
ProxyPass /e500/ http://127.0.0.1:$e500p/
ProxyPass /e404/ http://127.0.0.1:$e404p/
ProxyPass /dead/ http://127.0.0.1:$dead/ retry=0
<Proxy balancer://pair>
    BalancerMember http://127.0.0.1:$dead2 lbset=0
    BalancerMember http://127.0.0.1:$okp lbset=1
</Proxy>
ProxyPass /bal/ balancer://pair/
ProxyPass /nospan/ http://127.0.0.1:$okp/
<Location /nospan/>
    TraceProxySpans Off
</Location>
RewriteEngine On
RewriteRule ^/rw/(.*)\$ http://127.0.0.1:$okp/\$1 [P]
<Directory "\@DIR\@/htdocs">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
CONF
$h->write_file($h->dir . '/htdocs/page.shtml',
               qq(before <!--#include virtual="/app/included?i=1" --> after\n));
$h->write_file($h->dir . '/htdocs/exec.shtml',
               qq(<!--#exec cmd="echo TP=\$TRACEPARENT HTP=\$HTTP_TRACEPARENT" -->\n));
$h->start;

my $W3C = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

sub received {
    my ($rx, $path) = @_;
    my ($r) = grep { $_->{path} eq $path } $rx->wait_requests(1, 5);
    OTTest::wait_for(5, sub { ($r) = grep { $_->{path} eq $path } $rx->requests; $r });
    return $r;
}

# --- a call that works
{
    my $r = $h->get('/app/x?q=ok&token=s3cret', { traceparent => $W3C, baggage => 'k=v' });
    is($r->{status}, 200, 'proxied: 200');
    is($r->{content}, "backend says hi\n", 'proxied: the backend answered');
    my ($s, $c) = $h->proxy_spans('q=ok&token=REDACTED', 1);
    ok($s, 'proxied: a server span');
    ok($c, 'proxied: a CLIENT span, child of the server span') or BAIL_OUT('no CLIENT span');
    is($c->{traceId}, '4bf92f3577b34da6a3ce929d0e0e4736', 'CLIENT span: same trace');
    is($c->{name}, 'GET', 'CLIENT span: named after the method');
    is($c->{attr}{'http.request.method'}, 'GET', 'CLIENT span: http.request.method');
    is($c->{attr}{'url.full'}, "http://127.0.0.1:$okp/x?q=ok&token=REDACTED",
       'CLIENT span: url.full, without credentials, query redacted');
    is($c->{attr}{'server.address'}, '127.0.0.1', 'CLIENT span: server.address');
    is($c->{attr}{'server.port'}, $okp, 'CLIENT span: server.port');
    is($c->{attr}{'network.protocol.name'}, 'http', 'CLIENT span: network.protocol.name');
    is($c->{attr}{'http.response.status_code'}, 200, 'CLIENT span: status code');
    is($s->{attr}{'test.client'}, OTTest->traceparent_of($c), "the note ot-client-traceparent: the CLIENT span's context");
    ok(!$c->{status}{code}, 'CLIENT span: status unset');
    cmp_ok($c->{startTimeUnixNano}, '>=', $s->{startTimeUnixNano}, 'CLIENT span: starts within the server span');
    cmp_ok($c->{endTimeUnixNano}, '<=', $s->{endTimeUnixNano}, 'CLIENT span: ends within it');
    my $b = received($ok, '/x?q=ok&token=s3cret');
    ok($b, 'the backend got the request');
    is($b->{headers}{traceparent}, OTTest->traceparent_of($c), "backend: traceparent is the CLIENT span's");
    is($b->{headers}{b3}, "$c->{traceId}-$c->{spanId}-1", "backend: b3 is the CLIENT span's");
    is($b->{headers}{'uber-trace-id'}, "$c->{traceId}:$c->{spanId}:0:1", "backend: uber-trace-id too");
    is($b->{headers}{baggage}, 'k=v', 'backend: the baggage');
    is($b->{headers}{'uberctx-k'}, 'v', 'backend: the baggage as uberctx-*');
}

# --- a request that is not sampled: no CLIENT span, and the backend gets
# the server span's context (fixups wrote it; only a CLIENT span's call
# writes its own instead)
{
    (my $unsampled = $W3C) =~ s/-01$/-00/;
    my $r = $h->get('/app/u?q=unsampled', { traceparent => $unsampled });
    is($r->{status}, 200, 'not sampled: proxied');
    my $b = received($ok, '/u?q=unsampled');
    my ($trace, $span, $flags) = ($b->{headers}{traceparent} // '')
        =~ /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
    is($trace, '4bf92f3577b34da6a3ce929d0e0e4736', 'not sampled: the backend continues the trace');
    ok($span && $span ne '00f067aa0ba902b7', "not sampled: with the server span's own id");
    is($flags, '00', 'not sampled: and the decision');
}

# --- failures: 5xx, 4xx, no backend
{
    $h->get('/e500/x?q=e500');
    my ($s, $c) = $h->proxy_spans('q=e500', 1);
    is($c && $c->{attr}{'http.response.status_code'}, 500, '500: status code');
    is($c && $c->{status}{code}, 2, '500: CLIENT span status ERROR');
    is($c && $c->{attr}{'error.type'}, '500', '500: error.type');

    $h->get('/e404/x?q=e404');
    ($s, $c) = $h->proxy_spans('q=e404', 1);
    is($c && $c->{attr}{'http.response.status_code'}, 404, '404: status code');
    is($c && $c->{status}{code}, 2, '404: a CLIENT span error (4xx is one for a client)');
    ok(!($s->{status}{code}), '404: the server span leaves it unset');

    my $r = $h->get('/dead/x?q=dead');
    is($r->{status}, 503, 'dead backend: 503');
    ($s, $c) = $h->proxy_spans('q=dead', 1);
    ok($c, 'dead backend: a CLIENT span');
    is($c && $c->{attr}{'error.type'}, 'unavailable', 'dead backend: error.type');
    is($c && $c->{status}{code}, 2, 'dead backend: status ERROR');
    like($c && $c->{status}{message} // '', qr/no response from the backend/, 'dead backend: why');
    ok(!exists $c->{attr}{'http.response.status_code'}, 'dead backend: no status code');
}

# --- a balancer with a dead member: a failed CLIENT span, then a good one
{
    my $r = $h->get('/bal/y?q=bal');
    is($r->{status}, 200, 'balancer: the second member answers');
    my ($s, @c) = $h->proxy_spans('q=bal', 2);
    is(scalar @c, 2, 'balancer: two CLIENT spans');
    is($c[0]{attr}{'server.port'}, $dead2, 'balancer: the first went to the dead member');
    is($c[0]{attr}{'error.type'}, 'unavailable', 'balancer: and failed');
    is($c[1]{attr}{'server.port'}, $okp, 'balancer: the second to the live one');
    is($c[1]{attr}{'url.full'}, "http://127.0.0.1:$okp/y?q=bal", "balancer: the member's URL");
    is($c[1]{attr}{'http.request.resend_count'}, 1, 'balancer: http.request.resend_count 1');
    is($c[1]{attr}{'http.response.status_code'}, 200, 'balancer: 200');
    my $b = received($ok, '/y?q=bal');
    is($b && $b->{headers}{traceparent}, OTTest->traceparent_of($c[1]), "balancer: the backend's parent is the second CLIENT span");
}

# --- TraceProxySpans Off: no CLIENT span, the backend gets the server span's context
{
    $h->get('/nospan/z?q=nospan');
    my ($s) = $h->proxy_spans('q=nospan', 0);
    ok($s, 'TraceProxySpans Off: a server span');
    my @c = grep { $_->{kind} == 3 && $_->{parentSpanId} eq $s->{spanId} } $h->read_spans;
    is(scalar @c, 0, 'TraceProxySpans Off: no CLIENT span');
    my $b = received($ok, '/z?q=nospan');
    is($b && $b->{headers}{traceparent}, OTTest->traceparent_of($s), "TraceProxySpans Off: the backend's parent is the server span");
}

# --- mod_rewrite [P], and a proxied subrequest (mod_include)
{
    $h->get('/rw/w?q=rw');
    my ($s, $c) = $h->proxy_spans('q=rw', 1);
    is($c && $c->{attr}{'url.full'}, "http://127.0.0.1:$okp/w?q=rw", 'RewriteRule [P]: a CLIENT span');

    my $r = $h->get('/page.shtml?q=ssi');
    like($r->{content}, qr/before backend says hi\n after/, 'SSI: the included backend answer');
    ($s, $c) = $h->proxy_spans('q=ssi', 1);
    ok($c, 'SSI: the proxied subrequest has a CLIENT span under the server span');
    is($c && $c->{attr}{'url.full'}, "http://127.0.0.1:$okp/included?i=1", 'SSI: its URL');
    my @servers = grep { $_->{kind} == 2 && $_->{traceId} eq $s->{traceId} } $h->read_spans;
    is(scalar @servers, 1, 'SSI: no extra server span');
    my $b = received($ok, '/included?i=1');
    is($b && $b->{headers}{traceparent}, $c && OTTest->traceparent_of($c), "SSI: the backend's parent is that CLIENT span");
}

# --- FastCGI (mod_proxy_fcgi): the params carry the CLIENT span's context,
# as headers (HTTP_*) and as the OpenTelemetry environment carrier
{
    for my $i (1, 2) {
        my $r = $h->get("/fcgi/app.php?q=fcgi$i", { traceparent => $W3C, baggage => 'k=v' });
        is($r->{status}, 200, "FastCGI $i: 200");
        my ($s, $c) = $h->proxy_spans("q=fcgi$i", 1);
        ok($c, "FastCGI $i: a CLIENT span");
        is($c && $c->{attr}{'network.protocol.name'}, 'fastcgi', "FastCGI $i: network.protocol.name");
        is($c && $c->{attr}{'url.full'}, "fcgi://127.0.0.1:$fcgip/app.php?q=fcgi$i", "FastCGI $i: url.full");
        is($c && $c->{attr}{'server.port'}, $fcgip, "FastCGI $i: server.port");
        is($c && $c->{attr}{'http.response.status_code'}, 200, "FastCGI $i: status");
        my $p;
        OTTest::wait_for(10, sub { ($p) = grep { ($_->{QUERY_STRING} // '') eq "q=fcgi$i" } $fcgi->requests; $p });
        ok($p, "FastCGI $i: the responder got the request");
        my $tp = $c && OTTest->traceparent_of($c);
        is($p && $p->{HTTP_TRACEPARENT}, $tp, "FastCGI $i: HTTP_TRACEPARENT is the CLIENT span's");
        is($p && $p->{TRACEPARENT}, $tp, "FastCGI $i: TRACEPARENT is the CLIENT span's");
        is($p && $p->{BAGGAGE}, 'k=v', "FastCGI $i: BAGGAGE");
        is($p && $p->{HTTP_B3}, $c && "$c->{traceId}-$c->{spanId}-1", "FastCGI $i: HTTP_B3 too");
    }
}

# --- SSI #exec: the program gets the server span's context, in the headers
# and in the environment carrier
{
    my $r = $h->get('/exec.shtml?q=exec', { traceparent => $W3C });
    my ($s) = $h->proxy_spans('q=exec', 0);
    my $tp = $s && OTTest->traceparent_of($s);
    like($r->{content}, qr/TP=\Q$tp\E HTP=\Q$tp\E/, 'SSI #exec: TRACEPARENT and HTTP_TRACEPARENT');
}

# --- three hops: client -> A -> B -> backend, one trace
{
    my $hb = OTTest->new(modules => [qw(authz_core mime dir alias rewrite proxy proxy_http)],
                         extra => "TracePropagation b3 w3c\nProxyPass /hop/ http://127.0.0.1:$okp/\n");
    $hb->start;
    my $bp = $hb->port;
    my $ha = OTTest->new(modules => [qw(authz_core mime dir alias rewrite proxy proxy_http)],
                         extra => "ProxyPass /hop/ http://127.0.0.1:$bp/hop/\n");
    $ha->start;
    my $r = $ha->get('/hop/end?q=hop');
    is($r->{status}, 200, '3 hops: 200');
    my ($as, $ac) = $ha->proxy_spans('q=hop', 1);
    my ($bs, $bc) = $hb->proxy_spans('q=hop', 1);
    ok($as && $ac && $bs && $bc, '3 hops: A server, A client, B server, B client');
    my $t = $as->{traceId};
    is($_->{traceId}, $t, "3 hops: $_->{_n} in the one trace")
        for map { $_->[0]{_n} = $_->[1]; $_->[0] } [$ac, 'A client'], [$bs, 'B server'], [$bc, 'B client'];
    is($bs->{parentSpanId}, $ac->{spanId}, "3 hops: B's server span is a child of A's CLIENT span");
    is($bc->{parentSpanId}, $bs->{spanId}, "3 hops: B's CLIENT span a child of B's server span");
    my $b = received($ok, '/end?q=hop');
    is($b && $b->{headers}{traceparent}, OTTest->traceparent_of($bc), "3 hops: the backend's parent is B's CLIENT span");
    diag sprintf "3-hop trace %s: A server %s, A client %s, B server %s, B client %s, backend parent %s",
        $t, $as->{spanId}, $ac->{spanId}, $bs->{spanId}, $bc->{spanId},
        ($b && $b->{headers}{traceparent} // '') =~ /-([0-9a-f]{16})-/ ? $1 : '?';
    is_deeply([$_->error_log_unexpected], [], 'hop server: no unexpected error-log lines') for $ha, $hb;
}

is_deeply([$h->error_log_unexpected(qr/AH00957|AH01114|AH00959|AH01144|AH02429|AH00940|AH01102|AH00898/)],
          [], 'no unexpected error-log lines');
done_testing;
