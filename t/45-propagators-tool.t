# t/tools/propagators.js, the OpenTelemetry propagators from npm that
# t/44-propagation-xcheck.t checks the module against, checked alone: the
# examples of the specifications extract to their ids, what it injects
# has each format's syntax and extracts back to the same context, and
# invalid input gives no context.  A broken tool fails here, not
# vacuously there.
use strict;
use warnings;
use Test::More;
use OTTest;

my $missing = OTTest::otel_propagators_missing();
plan skip_all => $missing if $missing;

sub extract { OTTest->otel_propagators('extract', @_) }
sub inject  { OTTest->otel_propagators('inject', @_) }

sub hex_id { join '', map { sprintf '%02x', 1 + int rand 255 } 1 .. $_[0] }

# --- the specifications' examples
{
    # W3C Trace Context, "traceparent Header Field Values" and "tracestate".
    my $x = extract('w3c', {
        traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate  => 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' });
    ok($x->{valid}, 'w3c: the spec example is valid');
    is($x->{traceId}, '0af7651916cd43dd8448eb211c80319c', 'w3c: trace id');
    is($x->{spanId}, 'b7ad6b7169203331', 'w3c: parent id');
    is($x->{traceFlags}, 1, 'w3c: sampled');
    ok($x->{isRemote}, 'w3c: remote');
    is($x->{traceState}, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'w3c: tracestate');
    $x = extract('w3c', { TraceParent => '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-00' });
    is($x->{spanId}, '00f067aa0ba902b7', 'w3c: header names are case-insensitive');
    is($x->{traceFlags}, 0, 'w3c: not sampled');
    ok(!extract('w3c', { traceparent => '00-00000000000000000000000000000000-b7ad6b7169203331-01' })->{valid},
       'w3c: an all-zero trace id gives no context');
    ok(!extract('w3c', { traceparent => 'hello' })->{valid}, 'w3c: garbage gives no context');

    # openzipkin/b3-propagation README: the single header and the multi.
    $x = extract('b3', { b3 => '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90' });
    is($x->{traceId}, '80f198ee56343ba864fe8b2a57d3eff7', 'b3: 128-bit trace id');
    is($x->{spanId}, 'e457b5a2e4d86bd1', 'b3: span id');
    is($x->{traceFlags}, 1, 'b3: sampled');
    $x = extract('b3', { b3 => 'a3ce929d0e0e4736-00f067aa0ba902b7-d' });
    is($x->{traceId}, '0000000000000000a3ce929d0e0e4736', 'b3: a 64-bit trace id, left-padded');
    is($x->{debug}, 'd', 'b3: the debug flag');
    is($x->{traceFlags}, 1, 'b3: debug implies sampled');
    ok(!extract('b3', { b3 => '0' })->{valid}, 'b3: "0" (deny) carries no context');
    $x = extract('b3multi', {
        'X-B3-TraceId' => '80f198ee56343ba864fe8b2a57d3eff7', 'X-B3-SpanId' => 'e457b5a2e4d86bd1',
        'X-B3-ParentSpanId' => '05e3ac9a4f6e3b90', 'X-B3-Sampled' => '0' });
    is($x->{traceId}, '80f198ee56343ba864fe8b2a57d3eff7', 'b3multi: trace id');
    is($x->{spanId}, 'e457b5a2e4d86bd1', 'b3multi: span id');
    is($x->{traceFlags}, 0, 'b3multi: X-B3-Sampled: 0');
    ok(!extract('b3multi', { 'X-B3-TraceId' => 'xyz', 'X-B3-SpanId' => 'e457b5a2e4d86bd1' })->{valid},
       'b3multi: a bad trace id gives no context');

    # Jaeger client docs: {trace-id}:{span-id}:{parent-span-id}:{flags},
    # URL-encoded or not, and uberctx-{key} baggage.
    $x = extract('jaeger', { 'uber-trace-id' => '5f2b8b7c6a1d3e4f:1a2b3c4d5e6f7081:0:1',
                             'uberctx-user' => 'a%20b' });
    is($x->{traceId}, '00000000000000005f2b8b7c6a1d3e4f', 'jaeger: a 64-bit trace id, left-padded');
    is($x->{spanId}, '1a2b3c4d5e6f7081', 'jaeger: span id');
    is($x->{traceFlags}, 1, 'jaeger: sampled');
    is($x->{baggage}{user}{value}, 'a b', 'jaeger: uberctx- baggage, URL-decoded');
    $x = extract('jaeger', { 'uber-trace-id' => '80f198ee56343ba864fe8b2a57d3eff7%3Ae457b5a2e4d86bd1%3A0%3A0' });
    is($x->{traceId}, '80f198ee56343ba864fe8b2a57d3eff7', 'jaeger: URL-encoded, 128-bit');
    is($x->{traceFlags}, 0, 'jaeger: not sampled');

    # W3C Baggage, "Example".
    $x = extract('baggage', { baggage => 'userId=alice,serverNode=DF%2028,isProduction=false;p=1' });
    ok(!$x->{valid}, 'baggage alone carries no span context');
    is_deeply($x->{baggage}, { userId => { value => 'alice' }, serverNode => { value => 'DF 28' },
                               isProduction => { value => 'false', metadata => 'p=1' } },
              'baggage: the spec example, decoded, with its property');
}

# --- inject: each format's syntax, and back
for my $flags (1, 0) {
    my %c = (traceId => hex_id(16), spanId => hex_id(8), traceFlags => $flags);
    my ($t, $s) = @c{qw(traceId spanId)};
    my %expect = (
        w3c     => { traceparent => sprintf('00-%s-%s-%02x', $t, $s, $flags),
                     tracestate => 'vendor=x1,other@tenant=y2' },
        b3      => { b3 => "$t-$s-$flags" },
        b3multi => { 'x-b3-traceid' => $t, 'x-b3-spanid' => $s, 'x-b3-sampled' => "$flags" },
        jaeger  => { 'uber-trace-id' => "$t:$s:0:0$flags", 'uberctx-k1' => 'v%201' },
        'w3c,baggage' => { traceparent => sprintf('00-%s-%s-%02x', $t, $s, $flags),
                           tracestate => 'vendor=x1,other@tenant=y2', baggage => 'k1=v%201' },
    );
    for my $f (sort keys %expect) {
        my %in = (%c, traceState => 'vendor=x1,other@tenant=y2', baggage => { k1 => 'v 1' });
        my $hdr = inject($f, \%in);
        is_deeply($hdr, $expect{$f}, "$f (flags $flags): the headers injected");
        my $x = extract($f, $hdr);
        ok($x->{valid}, "$f (flags $flags): extracts again");
        is($x->{traceId}, $t, "$f (flags $flags): same trace id");
        is($x->{spanId}, $s, "$f (flags $flags): same span id");
        is($x->{traceFlags}, $flags, "$f (flags $flags): same flags");
        is($x->{traceState}, $f =~ /w3c/ ? $in{traceState} : undef, "$f (flags $flags): tracestate");
        is_deeply($x->{baggage}, $f =~ /baggage|jaeger/ ? { k1 => { value => 'v 1' } } : {},
                  "$f (flags $flags): baggage");
    }
}
{
    my %c = (traceId => hex_id(16), spanId => hex_id(8), traceFlags => 0, debug => JSON::PP::true);
    my $x = extract('b3', inject('b3', \%c));
    is($x->{debug}, 'd', 'b3: the debug flag goes round');
    is($x->{traceFlags}, 1, 'b3: debug extracts as sampled');
    my $hdr = inject('b3multi', \%c);
    is($hdr->{'x-b3-flags'}, '1', 'b3multi: debug is X-B3-Flags: 1');
    ok(!exists $hdr->{'x-b3-sampled'}, 'b3multi: without X-B3-Sampled');
    is(extract('b3multi', $hdr)->{debug}, '1', 'b3multi: the debug flag goes round');
}

# --- the tool's own errors are errors
ok(!eval { OTTest->otel_propagators('extract', 'nope', {}); 1 }, 'an unknown format fails');
like($@, qr/unknown format "nope"/, '... and says so');
ok(!eval { OTTest->otel_propagators('inject', 'w3c', { traceId => 1 }); 1 }, 'a bad context fails');
like($@, qr/"traceId" must be a string/, '... and says so');

done_testing;
