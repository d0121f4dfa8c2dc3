# The propagation formats against an independent implementation: the
# OpenTelemetry JavaScript propagators from npm (t/tools/propagators.js,
# checked alone by t/45).  They must extract exactly the context the
# module injects (what a CGI script, as any backend, receives), and the
# module must continue the context they inject.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $missing = OTTest::otel_propagators_missing();
plan skip_all => $missing if $missing;

sub extract { OTTest->otel_propagators('extract', @_) }
sub inject  { OTTest->otel_propagators('inject', @_) }
sub hex_id  { join '', map { sprintf '%02x', 1 + int rand 255 } 1 .. $_[0] }

my @FORMATS = qw(w3c b3 b3multi jaeger);

# The request headers a CGI script saw, from its HTTP_* variables (as a
# backend would have them: lowercase, "-").
sub headers_of {
    my ($env) = @_;
    my %h;
    for my $k (keys %$env) {
        next unless $k =~ /^HTTP_(.+)$/;
        (my $n = lc $1) =~ tr/_/-/;
        $h{$n} = $env->{$k};
    }
    return \%h;
}

# OpenTelemetry's B3Propagator reads the single header first, whichever
# encoding it is named for: to check X-B3-* alone, leave b3 out.
sub only {
    my ($f, $hdr) = @_;
    return $hdr unless $f eq 'b3multi';
    my %h = %$hdr;
    delete $h{b3};
    return \%h;
}

my $formats = "TracePropagation w3c b3 b3multi jaeger baggage\n";
my $h = OTTest->new(extra => $formats);
$h->start;

sub get_env {
    my ($q, $hdr) = @_;
    my $r = $h->get("/cgi-bin/env.cgi?$q", $hdr);
    is($r->{status}, 200, "$q: 200") or return {};
    return eval { decode_json($r->{content}) } || {};
}
sub span_of {
    my ($q) = @_;
    my $s;
    OTTest::wait_for(10, sub {
        ($s) = @{ OTTest->by_query($h->read_spans)->{$q} || [] };
        $s;
    });
    return $s;
}

# --- what we inject, they extract
{
    my @cases = (
        # [name, incoming headers, sampled, debug]
        ['new', {}, 1],
        ['w3c-in', { traceparent => '00-' . hex_id(16) . '-' . hex_id(8) . '-01',
                     baggage => 'user=alice,team=a%20b;p=1' }, 1],
        ['b3-64-in', { b3 => hex_id(8) . '-' . hex_id(8) . '-1' }, 1],
        ['b3-debug-in', { b3 => hex_id(16) . '-' . hex_id(8) . '-d' }, 1, 1],
        ['jaeger-in', { 'uber-trace-id' => hex_id(8) . ':' . hex_id(8) . ':0:1',
                        'uberctx-k1' => 'v%201' }, 1],
    );
    for my $c (@cases) {
        my ($name, $in, $sampled, $debug) = @$c;
        my $env = get_env("x=$name", $in);
        my $s = span_of("x=$name");
        ok($s, "$name: a span") or next;
        my $hdr = headers_of($env);
        for my $f (@FORMATS) {
            my $x = extract($f, only($f, $hdr));
            ok($x->{valid}, "$name, $f: a valid context for OpenTelemetry");
            is($x->{traceId}, $s->{traceId}, "$name, $f: the trace id");
            is($x->{spanId}, $s->{spanId}, "$name, $f: our span's id");
            is($x->{traceFlags} & 1, $sampled, "$name, $f: sampled");
            is($x->{debug}, ($debug ? ($f eq 'b3' ? 'd' : '1') : undef), "$name, $f: debug")
                if $f =~ /^b3/;
        }
        # Baggage, in W3C baggage and uberctx-*, is the same list to them
        my $bw = extract('baggage', $hdr)->{baggage};
        my $bj = extract('jaeger', $hdr)->{baggage};
        my %want = $name eq 'w3c-in' ? (user => 'alice', team => 'a b')
                 : $name eq 'jaeger-in' ? (k1 => 'v 1') : ();
        is_deeply({ map { $_ => $bw->{$_}{value} } keys %$bw }, \%want, "$name: baggage");
        is_deeply({ map { $_ => $bj->{$_}{value} } keys %$bj }, \%want, "$name: uberctx-* baggage");
        is($bw->{team}{metadata}, 'p=1', "$name: the baggage property kept") if $name eq 'w3c-in';
    }

    # not sampled: the decision reaches them in every format
    my $u = OTTest->new(extra => $formats . "TraceSampleRate 0\n");
    $u->start;
    my $r = $u->get('/cgi-bin/env.cgi?x=unsampled');
    my $hdr = headers_of(eval { decode_json($r->{content}) } || {});
    for my $f (@FORMATS) {
        my $x = extract($f, $hdr);
        ok($x->{valid}, "unsampled, $f: valid");
        is($x->{traceFlags} & 1, 0, "unsampled, $f: not sampled");
    }
    my %ids = map { my $x = extract($_, $hdr); ($x->{traceId} . $x->{spanId} => 1) } @FORMATS;
    is(scalar keys %ids, 1, 'unsampled: one context in every format');
}

# --- what they inject, we continue
for my $f (@FORMATS) {
    for my $flags (1, 0) {
        my %ctx = (traceId => hex_id(16), spanId => hex_id(8), traceFlags => $flags,
                   baggage => { k1 => 'v 1', k2 => 'x,y' });
        $ctx{traceState} = 'vendor=x1,other@tenant=y2' if $f eq 'w3c';
        my $fmt = $f eq 'jaeger' ? 'jaeger' : "$f,baggage";
        my $hdr = inject($fmt, \%ctx);
        my $q = "y=$f-$flags";
        my $env = get_env($q, $hdr);
        my $got = extract('w3c', headers_of($env));
        is($got->{traceId}, $ctx{traceId}, "$f injected (flags $flags): we continue the trace");
        is($got->{traceFlags} & 1, $flags, "$f injected (flags $flags): their decision");
        my $b = extract('baggage', headers_of($env))->{baggage};
        is_deeply({ map { $_ => $b->{$_}{value} } keys %$b }, $ctx{baggage},
                  "$f injected (flags $flags): the baggage goes on");
        is($got->{traceState}, $ctx{traceState}, "$f injected: the tracestate goes on")
            if $f eq 'w3c';
        next unless $flags;
        my $s = span_of($q);
        is($s && $s->{parentSpanId}, $ctx{spanId}, "$f injected: our span is their span's child");
    }
    next unless $f =~ /^b3/;
    # the debug flag
    my $hdr = inject($f, { traceId => hex_id(16), spanId => hex_id(8), debug => JSON::PP::true });
    my $env = get_env("z=$f-debug", $hdr);
    is(extract($f, only($f, headers_of($env)))->{debug}, $f eq 'b3' ? 'd' : '1',
       "$f debug injected: passed on");
}

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
