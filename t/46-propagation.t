# TracePropagation, TraceTrustIncoming, TraceResponseHeader as a backend
# sees them: a CGI script prints the headers (HTTP_*) and environment
# (TRACEPARENT, TRACESTATE, BAGGAGE) it got, and the exported span shows
# what the module made of what arrived.  Every format: extract (the
# first valid one in the list wins, malformed ones are skipped), inject
# (every configured format, replacing what came, also over mod_headers'
# RequestHeader), 64-bit ids, debug, deferred and decision-only B3,
# baggage limits.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $T128 = '80f198ee56343ba864fe8b2a57d3eff7';
my $T64  = 'a3ce929d0e0e4736';
my $S    = 'e457b5a2e4d86bd1';
my $W3C  = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

my $extra = <<'CONF';
TracePropagation b3 b3multi jaeger w3c baggage
TraceTag test.incoming.b3 "%{note:ot-incoming-b3}"
TraceTag test.incoming.traceparent "%{note:ot-incoming-traceparent}"
<Location /cgi-bin/hdr.cgi>
    RequestHeader set traceparent "00-11111111111111111111111111111111-2222222222222222-01"
    RequestHeader set b3 "0"
    RequestHeader append baggage "injected=1"
    RequestHeader unset uber-trace-id
    RequestHeader set X-Other "kept"
</Location>
<Location /edge>
    TraceTrustIncoming Off
</Location>
<Location /tr>
    TraceResponseHeader On
</Location>
<Location /tr/denied>
    Require all denied
</Location>
Alias /edge/ "@DIR@/cgi-bin/"
Alias /tr/ "@DIR@/htdocs/"
<Directory "@DIR@/cgi-bin">
    Options +ExecCGI
    SetHandler cgi-script
</Directory>
CONF

my $h = OTTest->new(extra => $extra,
                    modules => [qw(authz_core mime dir alias rewrite headers)]);
$h->write_file($h->dir . '/cgi-bin/hdr.cgi',
               OTTest::slurp($h->dir . '/cgi-bin/env.cgi'), 0755);
$h->start;

my %env;
sub req {
    my ($q, $hdr, $path) = @_;
    my $r = $h->get(($path // '/cgi-bin/env.cgi') . "?$q", $hdr);
    is($r->{status}, 200, "$q: 200");
    return $env{$q} = eval { decode_json($r->{content}) } || {};
}

# --- each format alone continues the trace it carries
req('f=b3', { b3 => "$T128-$S-1" });
req('f=b3-64', { b3 => "$T64-$S-1" });
req('f=b3-debug', { b3 => "$T128-$S-d" });
req('f=b3multi', { 'X-B3-TraceId' => $T128, 'X-B3-SpanId' => $S,
                   'X-B3-ParentSpanId' => '05e3ac9a4f6e3b90', 'X-B3-Sampled' => '1' });
req('f=b3multi-debug', { 'X-B3-TraceId' => $T64, 'X-B3-SpanId' => $S, 'X-B3-Flags' => '1' });
req('f=jaeger', { 'uber-trace-id' => "$T128%3A$S%3A0%3A1", 'uberctx-User' => 'alice%20b' });
req('f=jaeger-64', { 'uber-trace-id' => "$T64:$S:0:3" });
req('f=w3c', { traceparent => $W3C, tracestate => 'congo=t61rcWkgMzE,congo=dup' });
# the list's order: b3 before w3c
req('f=order', { traceparent => $W3C, b3 => "$T128-$S-1" });
# a malformed b3 is skipped, the next format continues
req('f=skip', { b3 => "$T128-$S-x", traceparent => $W3C });
# a tracestate without a valid traceparent is not passed on
req('f=lone-tracestate', { tracestate => 'congo=1', traceparent => 'garbage' });
# baggage from W3C baggage and uberctx-*, the first of a key winning
req('f=baggage', { baggage => 'k1=v1;p, k2 = v%202', 'uberctx-k1' => 'jaeger' });
# more than 180 members: cut at 180
req('f=baggage-cut', { baggage => join ',', map { "m$_=$_" } 1 .. 200 });

# The span of the request marked with query $q, waiting for it.
sub span_of {
    my ($q, $hh) = @_;
    my $s;
    OTTest::wait_for(10, sub {
        ($s) = @{ OTTest->by_query(($hh // $h)->read_spans)->{$q} || [] };
        $s;
    });
    return $s;
}

sub sees {
    my ($k, $s, %want) = @_;
    my $e = $env{$k};
    for my $v (sort keys %want) {
        my $w = $want{$v};
        $w =~ s/<T>/$s->{traceId}/g;
        $w =~ s/<T64>/substr($s->{traceId}, 16)/ge;
        $w =~ s/<S>/$s->{spanId}/g;
        if (defined $want{$v}) {
            is($e->{$v}, $w, "$k: $v");
        }
    }
}

{
    my $s = span_of('f=b3');
    is($s->{traceId}, $T128, 'b3: the trace continues');
    is($s->{parentSpanId}, $S, 'b3: under the incoming span');
    sees('f=b3', $s, HTTP_B3 => '<T>-<S>-1', HTTP_TRACEPARENT => '00-<T>-<S>-01',
         TRACEPARENT => '00-<T>-<S>-01', HTTP_X_B3_TRACEID => '<T>', HTTP_X_B3_SPANID => '<S>',
         HTTP_X_B3_SAMPLED => '1', HTTP_UBER_TRACE_ID => '<T>:<S>:0:1');
    ok(!exists $env{'f=b3'}{HTTP_X_B3_PARENTSPANID}, 'b3: no X-B3-ParentSpanId');
    is($s->{attr}{'test.incoming.b3'}, "$T128-$S-1", 'b3: the note ot-incoming-b3 keeps what came');
    ok(!exists $s->{attr}{'test.incoming.traceparent'}, 'b3: no ot-incoming-traceparent: none came');
    my $sk = span_of('f=skip');
    is($sk->{attr}{'test.incoming.b3'}, "$T128-$S-x", 'a malformed b3: noted as it came');
    is($sk->{attr}{'test.incoming.traceparent'}, $W3C, '... and the traceparent read after it');

    $s = span_of('f=b3-64');
    is($s->{traceId}, "0000000000000000$T64", 'b3 64-bit: left-padded inside');
    sees('f=b3-64', $s, HTTP_B3 => "$T64-<S>-1", HTTP_X_B3_TRACEID => $T64,
         HTTP_UBER_TRACE_ID => "$T64:<S>:0:1", HTTP_TRACEPARENT => '00-<T>-<S>-01');

    $s = span_of('f=b3-debug');
    ok($s, 'b3 debug: sampled');
    sees('f=b3-debug', $s, HTTP_B3 => '<T>-<S>-d', HTTP_X_B3_FLAGS => '1',
         HTTP_UBER_TRACE_ID => '<T>:<S>:0:3', HTTP_TRACEPARENT => '00-<T>-<S>-01');
    ok(!exists $env{'f=b3-debug'}{HTTP_X_B3_SAMPLED}, 'b3 debug: no X-B3-Sampled with X-B3-Flags');

    $s = span_of('f=b3multi');
    is($s->{traceId}, $T128, 'b3multi: the trace continues');
    is($s->{parentSpanId}, $S, 'b3multi: under the incoming span');
    sees('f=b3multi', $s, HTTP_X_B3_SPANID => '<S>', HTTP_B3 => '<T>-<S>-1');
    ok(!exists $env{'f=b3multi'}{HTTP_X_B3_PARENTSPANID}, 'b3multi: the old parent id is gone');

    $s = span_of('f=b3multi-debug');
    is($s->{traceId}, "0000000000000000$T64", 'b3multi 64-bit debug: continued');
    sees('f=b3multi-debug', $s, HTTP_X_B3_TRACEID => $T64, HTTP_B3 => "$T64-<S>-d");

    $s = span_of('f=jaeger');
    is($s->{traceId}, $T128, 'jaeger URL-encoded: the trace continues');
    is($s->{parentSpanId}, $S, 'jaeger: under the incoming span');
    sees('f=jaeger', $s, HTTP_UBER_TRACE_ID => '<T>:<S>:0:1', HTTP_UBERCTX_USER => 'alice%20b',
         HTTP_BAGGAGE => 'user=alice%20b', BAGGAGE => 'user=alice%20b');

    $s = span_of('f=jaeger-64');
    is($s->{traceId}, "0000000000000000$T64", 'jaeger 64-bit debug: continued');
    sees('f=jaeger-64', $s, HTTP_UBER_TRACE_ID => "$T64:<S>:0:3", HTTP_B3 => "$T64-<S>-d");

    $s = span_of('f=w3c');
    is($s->{traceId}, '4bf92f3577b34da6a3ce929d0e0e4736', 'w3c after three others: continued');
    sees('f=w3c', $s, HTTP_TRACESTATE => 'congo=t61rcWkgMzE', TRACESTATE => 'congo=t61rcWkgMzE',
         HTTP_B3 => '<T>-<S>-1');

    $s = span_of('f=order');
    is($s->{traceId}, $T128, 'b3 before w3c in the list: b3 wins');
    sees('f=order', $s, HTTP_TRACEPARENT => '00-<T>-<S>-01');

    $s = span_of('f=skip');
    is($s->{traceId}, '4bf92f3577b34da6a3ce929d0e0e4736', 'a malformed b3 is skipped for w3c');

    $s = span_of('f=lone-tracestate');
    ok(!$s->{parentSpanId}, 'lone tracestate: a new trace');
    ok(!exists $env{'f=lone-tracestate'}{HTTP_TRACESTATE}, 'lone tracestate: not passed on');
    ok(!exists $env{'f=lone-tracestate'}{TRACESTATE}, 'lone tracestate: no TRACESTATE');

    sees('f=baggage', span_of('f=baggage'), HTTP_BAGGAGE => 'k1=jaeger,k2=v%202',
         BAGGAGE => 'k1=jaeger,k2=v%202', HTTP_UBERCTX_K2 => 'v%202',
         HTTP_UBERCTX_K1 => 'jaeger');
    my @m = split /,/, $env{'f=baggage-cut'}{HTTP_BAGGAGE} // '';
    is(scalar @m, 180, 'baggage: cut at 180 members');
    is($m[-1], 'm180=180', 'baggage: at a member boundary, the first 180 kept');
}

# --- B3 decisions: deny, deferred, and a decision alone
{
    my $d = OTTest->new(extra => "TracePropagation b3 w3c\nTraceSampleRate 0\n");
    $d->start;
    my $get = sub {
        my ($q, $hdr) = @_;
        my $r = $d->get("/cgi-bin/env.cgi?$q", $hdr);
        return eval { decode_json($r->{content}) } || {};
    };
    my $deny = $get->('d=deny', { b3 => '0', traceparent => $W3C });
    my $deferred = $get->('d=deferred', { b3 => "$T128-$S" });
    my $accept = $get->('d=accept', { b3 => '1' });
    my $debug = $get->('d=debug', { b3 => 'd' });
    my $sampled = $get->('d=sampled', { b3 => "$T128-$S-1" });
    my @s = $d->spans(min => 3, timeout => 10);
    my $dq = OTTest->by_query(@s);
    ok(!$dq->{'d=deny'}, 'b3: 0 denies, even with a sampled traceparent after it');
    like($deny->{HTTP_B3} // '', qr/\A[0-9a-f]{32}-[0-9a-f]{16}-0\z/, 'b3: 0: the decision goes on');
    ok(index($deny->{HTTP_TRACEPARENT} // '', '4bf92f35') < 0, 'b3: 0: a new trace, not the traceparent');
    ok(!$dq->{'d=deferred'}, 'deferred b3: our sampler (rate 0) decides');
    like($deferred->{HTTP_B3} // '', qr/\A$T128-[0-9a-f]{16}-0\z/, 'deferred b3: same trace, our decision');
    ok($dq->{'d=accept'}, 'b3: 1 alone: sampled despite rate 0');
    like($accept->{HTTP_B3} // '', qr/\A[0-9a-f]{32}-[0-9a-f]{16}-1\z/, 'b3: 1: a new trace, sampled');
    ok($dq->{'d=debug'}, 'b3: d alone: sampled');
    like($debug->{HTTP_B3} // '', qr/-d\z/, 'b3: d: passed on as debug');
    ok($dq->{'d=sampled'}, 'parent-based: a sampled parent is followed at rate 0');
    is_deeply([$d->error_log_unexpected], [], 'decisions: no unexpected error-log lines');
}

# --- our values win over RequestHeader's for our fields; others stay
{
    my $e = req('h=rh', { traceparent => $W3C }, '/cgi-bin/hdr.cgi');
    my $s = span_of('h=rh');
    ok($s, 'RequestHeader: a span');
    is($s->{traceId}, '4bf92f3577b34da6a3ce929d0e0e4736', 'RequestHeader: the incoming trace continues');
    is($e->{HTTP_TRACEPARENT}, OTTest->traceparent_of($s), 'RequestHeader set traceparent: ours wins');
    is($e->{HTTP_B3}, "$s->{traceId}-$s->{spanId}-1", 'RequestHeader set b3: ours wins');
    is($e->{HTTP_UBER_TRACE_ID}, "$s->{traceId}:$s->{spanId}:0:1", 'RequestHeader unset uber-trace-id: ours is there');
    is($e->{HTTP_X_OTHER}, 'kept', 'RequestHeader of another header: untouched');
}

# --- TraceTrustIncoming Off: a new trace, the incoming one as a link
{
    my $e = req('t=edge', { traceparent => $W3C, tracestate => 'congo=1', baggage => 'secret=1',
                            'uberctx-x' => '1', b3 => "$T128-$S-1" }, '/edge/env.cgi');
    my $s = span_of('t=edge');
    ok($s, 'trust off: a span');
    ok(!$s->{parentSpanId}, 'trust off: a root span');
    isnt($s->{traceId}, $T128, 'trust off: a new trace id');
    my ($l) = @{ $s->{links} || [] };
    is($l->{traceId}, $T128, 'trust off: the incoming context (the first format, b3) is a link');
    is($l->{spanId}, $S, 'trust off: the link names the incoming span');
    is($e->{HTTP_TRACEPARENT}, OTTest->traceparent_of($s), 'trust off: our context goes on');
    ok(!exists $e->{$_}, "trust off: no $_") for qw(HTTP_TRACESTATE TRACESTATE HTTP_BAGGAGE BAGGAGE HTTP_UBERCTX_X);
}

# --- TraceResponseHeader On: traceresponse, on errors too
{
    my $ok = $h->get('/tr/index.html?r=ok', { traceparent => $W3C });
    my $missing = $h->get('/tr/nothing?r=404');
    my $denied = $h->get('/tr/denied?r=403');
    my $off = $h->get('/index.html?r=off');
    for my $c (['r=ok', $ok, 200], ['r=404', $missing, 404], ['r=403', $denied, 403]) {
        my ($k, $r, $st) = @$c;
        my $s = span_of($k);
        is($r->{status}, $st, "traceresponse $k: status $st");
        is($r->{headers}{traceresponse}, $s && OTTest->traceparent_of($s),
           "traceresponse $k: the server span's context");
    }
    ok(!exists $off->{headers}{traceresponse}, 'TraceResponseHeader unset: no traceresponse');
}

# --- what was refused is counted, in the debug log
{
    my $d = OTTest->new(extra => "TracePropagation b3 w3c baggage\n",
                        loglevel => 'info opentracing:debug');
    $d->start;
    $d->get('/index.html?c=bad', { b3 => 'nonsense', traceparent => 'garbage',
                                   baggage => 'ok=1,bad key=2,' . join ',', map { "m$_=$_" } 1 .. 200 });
    $d->get('/index.html?c=good', { b3 => "$T128-$S-1" });
    my @l;
    OTTest::wait_for(5, sub { @l = grep { /OT00009/ } $d->error_log_lines; @l });
    is(scalar @l, 1, 'one OT00009 line, for the request with bad fields');
    like($l[0] // '', qr/OT00009: incoming trace context: 3 malformed field\(s\) or member\(s\) ignored, baggage cut to the W3C limits/,
         'OT00009: b3, traceparent and a baggage member refused; the baggage cut');
}

is_deeply([$h->error_log_unexpected(qr/AH00128: File does not exist: .*\/nothing$/,
                                    qr/AH01630: client denied by server configuration: .*\/denied$/)], [],
          'no unexpected error-log lines');
done_testing;
