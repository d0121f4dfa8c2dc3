# The incoming W3C trace context: continued when valid and sampled,
# replaced by a new root trace when invalid, propagated without a span
# when not sampled.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $TID = '4bf92f3577b34da6a3ce929d0e0e4736';
my $PID = '00f067aa0ba902b7';
my $valid = "00-$TID-$PID-01";

my $h = OTTest->new;
$h->start;

my (%res, %sent);
sub req {
    my ($q, $hdr) = @_;
    $sent{$q} = $hdr;
    my $r = $h->get("/cgi-bin/env.cgi?$q", $hdr);
    is($r->{status}, 200, "request $q");
    $res{$q} = eval { decode_json($r->{content}) } || {};
}

# Valid, sampled, with a tracestate to normalize (OWS, empty members).
req('c=valid', { traceparent => $valid,
                 tracestate => ' congo=t61rcWkgMzE ,, rojo=00f067aa0ba902b7 ' });
# Valid with an invalid tracestate (uppercase key): dropped.
req('c=badstate', { traceparent => $valid, tracestate => 'Congo=1,rojo=2' });
# A higher version may carry more fields.
req('c=v01', { traceparent => "01-$TID-$PID-01-whatever" });
# Extra trace flags are not passed on (Level 1 knows only "sampled").
req('c=flags', { traceparent => "00-$TID-$PID-ff" });

my %invalid = (
    'c=upper'     => "00-\U$TID\E-$PID-01",
    'c=verff'     => "ff-$TID-$PID-01",
    'c=zerotid'   => '00-' . ('0' x 32) . "-$PID-01",
    'c=zeropid'   => "00-$TID-" . ('0' x 16) . '-01',
    'c=short'     => "00-$TID-$PID-1",
    'c=long'      => "00-$TID-${PID}0-01",
    'c=trailing'  => "00-$TID-$PID-01-extra",
    'c=two'       => [$valid, "00-$TID-b7ad6b7169203331-01"],
    'c=garbage'   => 'hello',
);
req($_, { traceparent => $invalid{$_}, tracestate => 'congo=t61rcWkgMzE' })
    for sort keys %invalid;

# Not sampled.
my $unsampled = "00-$TID-b7ad6b7169203331-00";
req('c=unsampled', { traceparent => $unsampled, tracestate => 'congo=1' });

# Two requests on one keep-alive connection: the context of the first
# does not leak into the second.
my $ka = HTTP::Tiny->new(keep_alive => 1);
my $ka1 = $ka->get($h->url('/cgi-bin/env.cgi?c=ka1'), { headers => { traceparent => $valid } });
my $ka2 = $ka->get($h->url('/cgi-bin/env.cgi?c=ka2'));
$res{$_->[0]} = eval { decode_json($_->[1]{content}) } || {} for ['c=ka1', $ka1], ['c=ka2', $ka2];
is($res{'c=ka1'}{REMOTE_PORT}, $res{'c=ka2'}{REMOTE_PORT}, 'keep-alive: one connection');

my $n_spans = 6 + keys %invalid;
$h->spans(min => $n_spans);
$h->stop;
my @spans = $h->read_spans;
my $q = OTTest->by_query(@spans);
is(scalar @spans, $n_spans, "$n_spans spans: one per sampled request, none for the unsampled one");

# --- valid, sampled
{
    my $s = ($q->{'c=valid'} || [])->[0] || {};
    my $e = $res{'c=valid'};
    is($s->{traceId}, $TID, 'valid: same trace id');
    is($s->{parentSpanId}, $PID, 'valid: parentSpanId = incoming parent-id');
    like($s->{spanId} // '', qr/\A[0-9a-f]{16}\z/, 'valid: a span id');
    isnt($s->{spanId}, $PID, 'valid: a new span id');
    is(($s->{flags} // 0) & 1, 1, 'valid: sampled bit set');
    is(($s->{flags} // 0) & 0x300, 0x300, 'valid: OTLP flags say the parent is remote');
    is($s->{traceState}, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'valid: traceState normalized on the span');
    my $tp = "00-$TID-$s->{spanId}-01";
    is($e->{HTTP_TRACEPARENT}, $tp, 'valid: HTTP_TRACEPARENT names the server span');
    is($e->{TRACEPARENT}, $tp, 'valid: TRACEPARENT names the server span');
    is($e->{HTTP_TRACESTATE}, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'valid: HTTP_TRACESTATE normalized');
    is($e->{TRACESTATE}, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'valid: TRACESTATE normalized');
}

# --- valid traceparent, invalid tracestate
{
    my $s = ($q->{'c=badstate'} || [])->[0] || {};
    my $e = $res{'c=badstate'};
    is($s->{traceId}, $TID, 'bad tracestate: trace continued');
    ok(!exists $s->{traceState}, 'bad tracestate: none on the span');
    ok(!exists $e->{HTTP_TRACESTATE}, 'bad tracestate: not passed on in the header');
    ok(!exists $e->{TRACESTATE}, 'bad tracestate: not in the environment');
    is($e->{TRACEPARENT}, "00-$TID-$s->{spanId}-01", 'bad tracestate: TRACEPARENT');
}

# --- higher version, extra flags
{
    my $s = ($q->{'c=v01'} || [])->[0] || {};
    is($s->{traceId}, $TID, 'version 01 with more fields: trace continued');
    is($s->{parentSpanId}, $PID, 'version 01: parent');
    is($res{'c=v01'}{TRACEPARENT}, "00-$TID-$s->{spanId}-01", 'version 01: we send version 00');
    $s = ($q->{'c=flags'} || [])->[0] || {};
    is($s->{traceId}, $TID, 'flags ff: trace continued');
    # level 2: sampled and random kept, the bits version 00 does not
    # define zeroed
    is(($s->{flags} // 0) & 0xff, 3, 'flags ff: sampled and random kept');
    is($res{'c=flags'}{TRACEPARENT}, "00-$TID-$s->{spanId}-03", 'flags ff: we send 03');
}

# --- invalid: a new root trace
for my $k (sort keys %invalid) {
    my $s = ($q->{$k} || [])->[0];
    my $e = $res{$k};
    ok($s, "$k: a span") or next;
    ok(!exists $s->{parentSpanId}, "$k: a root span (no parentSpanId)");
    isnt($s->{traceId}, $TID, "$k: a new trace id");
    ok(!exists $s->{traceState}, "$k: tracestate ignored without a valid traceparent");
    my $tp = "00-$s->{traceId}-$s->{spanId}-03";   # new: random too
    is($e->{HTTP_TRACEPARENT}, $tp, "$k: HTTP_TRACEPARENT is our new one");
    is($e->{TRACEPARENT}, $tp, "$k: TRACEPARENT is our new one");
    ok(!exists $e->{HTTP_TRACESTATE}, "$k: incoming tracestate not passed on");
    ok(!exists $e->{TRACESTATE}, "$k: no TRACESTATE");
}

# --- keep-alive
{
    my $s1 = ($q->{'c=ka1'} || [])->[0] || {};
    my $s2 = ($q->{'c=ka2'} || [])->[0] || {};
    is($s1->{traceId}, $TID, 'keep-alive: first request continues the incoming trace');
    ok(!exists $s2->{parentSpanId}, 'keep-alive: second request is a root span');
    isnt($s2->{traceId}, $TID, 'keep-alive: second request, a new trace');
    is($res{'c=ka2'}{TRACEPARENT}, OTTest->traceparent_of($s2), 'keep-alive: second CGI gets its own span');
}

# --- unsampled: no span, but the context travels on
{
    my $e = $res{'c=unsampled'};
    ok(!$q->{'c=unsampled'}, 'unsampled: no span exported');
    ok(!grep({ ($_->{parentSpanId} // '') eq 'b7ad6b7169203331' } @spans),
       'unsampled: no span has the unsampled parent');
    like($e->{HTTP_TRACEPARENT} // '', qr/\A00-$TID-([0-9a-f]{16})-00\z/,
         'unsampled: HTTP_TRACEPARENT has the same trace id and flags 00');
    my ($sid) = ($e->{HTTP_TRACEPARENT} // '') =~ /-([0-9a-f]{16})-00\z/;
    ok($sid && $sid ne 'b7ad6b7169203331', 'unsampled: a different parent id than the incoming one');
    ok($sid && $sid ne ('0' x 16), 'unsampled: parent id not all zero');
    is($e->{TRACEPARENT}, $e->{HTTP_TRACEPARENT}, 'unsampled: TRACEPARENT equals HTTP_TRACEPARENT');
    is($e->{TRACESTATE}, 'congo=1', 'unsampled: tracestate passed on');
}

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
