# TraceSampleRate (parent-based, else a ratio of the trace id; per server
# and per location), TraceSampleExpr (always/never rules), the
# OTEL_TRACES_SAMPLER variables, and TraceTag (span attributes from ap_expr
# strings, per server and per location).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Math::BigInt;
use OTTest;

my $TID = '4bf92f3577b34da6a3ce929d0e0e4736';

# --- rate 0: nothing recorded for new traces, the decision is passed on --
{
    my $h = OTTest->new(extra => "TraceSampleRate 0\n");
    $h->start;
    my $r = $h->get('/cgi-bin/env.cgi?s=zero');
    my $env = decode_json($r->{content});
    # random (0x02, W3C level 2: our trace ids are random) but not sampled
    like($env->{TRACEPARENT}, qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/,
         'rate 0: the CGI gets a traceparent with the sampled flag unset');
    $r = $h->get('/cgi-bin/env.cgi?s=parent',
                 { traceparent => "00-$TID-00f067aa0ba902b7-01" });
    $env = decode_json($r->{content});
    like($env->{TRACEPARENT}, qr/^00-$TID-[0-9a-f]{16}-01$/,
         'a sampled parent is followed');
    my @spans = $h->spans(min => 1);
    sleep 1;
    @spans = $h->spans(min => 1);
    is(scalar @spans, 1, 'only the request with a sampled parent was recorded');
    is($spans[0]{traceId}, $TID, 'and it is that one');
    my @log = grep { /s=zero/ } $h->access_log_lines(min => 2);
    like($log[0] // '', qr/[0-9a-f]{32}/, 'the unsampled request still has a trace id in the log');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- rate 0.5: about half, and the same decision as the id's rule -------
{
    my $h = OTTest->new(extra => "TraceSampleRate 0.5\nLogFormat \"%{ot-trace-id}n %{ot-sampled}n\" ids\nCustomLog logs/ids_log ids\n");
    $h->start;
    my $n = 200;
    $h->get("/index.html?i=$_") for 1 .. $n;
    my @ids;
    OTTest::wait_for(5, sub {
        @ids = split /\n/, (OTTest::slurp($h->dir . '/logs/ids_log') // '');
        @ids >= $n });
    is(scalar @ids, $n, "$n requests logged");
    my ($sampled, $agree) = (0, 0);
    my %rec;
    for (@ids) {
        my ($tid, $flag) = split / /;
        $sampled += $flag;
        # the rule: the last 8 bytes, big-endian, below 2^63
        my $v = Math::BigInt->from_hex(substr($tid, 16));
        my $want = $v < Math::BigInt->new(2)->bpow(63) ? 1 : 0;
        $agree++ if $want == $flag;
        $rec{$tid} = 1 if $flag;
    }
    ok($sampled > $n * 0.3 && $sampled < $n * 0.7, "about half sampled ($sampled of $n)");
    is($agree, $n, 'every decision follows the trace id rule');
    my @spans = $h->spans(min => $sampled);
    is(scalar @spans, $sampled, 'exactly the sampled requests were recorded');
    is_deeply({ map { $_->{traceId} => 1 } @spans }, \%rec, 'the same trace ids');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- 10,000 new traces at rate 0.25: the share recorded -----------------
{
    my $h = OTTest->new(access_log => 0, extra => <<'CONF');
TraceSampleRate 0.25
LogFormat "%{ot-sampled}n" sampled
CustomLog logs/sampled_log sampled
CONF
    $h->start;
    my $n = 10000;
    my $out = `ab -q -k -n $n -c 4 @{[ $h->url('/index.html') ]} 2>&1`;
    like($out, qr/Complete requests:\s+$n\b/, "$n requests served");
    my @flags;
    OTTest::wait_for(10, sub {
        @flags = split /\n/, (OTTest::slurp($h->dir . '/logs/sampled_log') // '');
        @flags >= $n });
    my $sampled = grep { $_ eq '1' } @flags;
    # binomial: mean 2,500, standard deviation 43.3; 5 of them either side
    cmp_ok(abs($sampled - 2500), '<=', 217,
           "rate 0.25: $sampled of $n recorded, within 5 standard deviations");
    my @spans = $h->spans(min => $sampled);
    is(scalar @spans, $sampled, 'a span for every request recorded, and no other');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- per location, TraceSampleExpr ---------------------------------------
{
    my $h = OTTest->new(extra => <<'CONF');
TraceSampleRate 1
TraceSampleExpr never "%{QUERY_STRING} =~ /health/"
TraceSampleExpr never "%{QUERY_STRING} =~ /skip/"
TraceSampleExpr always "%{HTTP:X-Debug} == 'on'"
<Location /sub>
    TraceSampleRate 0
    TraceSampleExpr always "%{QUERY_STRING} =~ /skip/"
</Location>
<Location /cgi-bin/>
    TraceSampleRate 0
</Location>
CONF
    $h->start;
    my $tp = sub {
        my ($q, $hdr) = @_;
        my $r = $h->get("/cgi-bin/env.cgi?$q", $hdr || {});
        return decode_json($r->{content})->{TRACEPARENT} // '';
    };
    like($tp->('s=rate0'), qr/-02$/, '<Location> TraceSampleRate 0: a new trace is not recorded');
    like($tp->('s=parent', { traceparent => "00-$TID-00f067aa0ba902b7-01" }),
         qr/^00-$TID-[0-9a-f]{16}-01$/, 'a sampled parent is still followed');
    like($tp->('s=health', { traceparent => "00-$TID-00f067aa0ba902b7-01" }),
         qr/^00-$TID-[0-9a-f]{16}-00$/,
         'TraceSampleExpr never: not recorded despite a sampled parent, and the backend is told');
    like($tp->('s=debug', { 'X-Debug' => 'on' }), qr/-03$/,
         'TraceSampleExpr always: recorded despite the rate, and the backend is told');
    $h->get('/index.html?s=skip');
    $h->get('/sub/?s=skip');
    $h->get('/sub/?s=subrate');
    $h->get('/index.html?s=plain');
    my $by = OTTest->by_query($h->spans(min => 5));
    sleep 0.5;
    $by = OTTest->by_query($h->spans(min => 5));
    is_deeply([sort keys %$by], [sort qw(s=parent s=debug s=skip s=plain)],
              'exactly the requests the rules and rates record');
    is(scalar @{ $by->{'s=skip'} || [] }, 1, 'skip: only one of the two');
    is($by->{'s=skip'}[0]{attr}{'url.path'}, '/sub/',
       "skip: the <Location>'s always rule comes before the server's never");
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG ----------------------
for my $t (['always_off', undef, 0, 0],
           ['always_on', undef, 1, 1],
           ['traceidratio', '0', 0, 0],
           ['parentbased_traceidratio', '0', 1, 0],
           ['parentbased_always_off', undef, 1, 0]) {
    my ($name, $arg, $with_parent, $root) = @$t;
    local $ENV{OTEL_TRACES_SAMPLER} = $name;
    local $ENV{OTEL_TRACES_SAMPLER_ARG} = $arg;
    my $h = OTTest->new(extra => "<Location /sub>\n    TraceSampleRate 1\n</Location>\n");
    $h->start;
    $h->get('/index.html?s=unsampledparent', { traceparent => "00-$TID-00f067aa0ba902b7-00" });
    $h->get('/index.html?s=parent', { traceparent => "00-$TID-00f067aa0ba902b7-01" });
    $h->get('/index.html?s=root');
    $h->get('/sub/?s=rate');
    my $want = 1 + $with_parent + $root + ($name eq 'always_on' ? 1 : 0);
    my $by = OTTest->by_query($h->spans(min => $want));
    sleep 0.5;
    $by = OTTest->by_query($h->spans(min => $want));
    my $what = "OTEL_TRACES_SAMPLER=$name" . (defined $arg ? " ARG=$arg" : '');
    is(!!$by->{'s=parent'}, !!$with_parent, "$what: a sampled parent");
    is(!!$by->{'s=root'}, !!$root, "$what: a new trace");
    is(!!$by->{'s=unsampledparent'}, $name eq 'always_on', "$what: an unsampled parent");
    ok($by->{'s=rate'}, "$what: TraceSampleRate wins where it is set");
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], "$what: no unexpected error-log lines");
}

# --- TraceTag ------------------------------------------------------------
{
    my $h = OTTest->new(extra => <<'CONF');
TraceTag app.tenant "%{HTTP:X-Tenant}"
TraceTag app.method "m=%{REQUEST_METHOD}"
TraceTag app.where "server"
<Location /sub>
    TraceTag app.where "sub"
    TraceTag app.extra "yes"
</Location>
CONF
    $h->start;
    $h->get('/index.html?t=1', { 'X-Tenant' => 'acme' });
    $h->get('/index.html?t=2');
    $h->get('/sub/?t=3');
    my $by = OTTest->by_query($h->spans(min => 3));
    my $a1 = $by->{'t=1'}[0]{attr};
    is($a1->{'app.tenant'}, 'acme', 'a tag from a request header');
    is($a1->{'app.method'}, 'm=GET', 'a tag from an expression');
    is($a1->{'app.where'}, 'server', 'a server-wide tag');
    ok(!exists $by->{'t=2'}[0]{attr}{'app.tenant'}, 'an empty value sets nothing');
    is($by->{'t=3'}[0]{attr}{'app.where'}, 'sub', 'a <Location> tag replaces the server one');
    is($by->{'t=3'}[0]{attr}{'app.extra'}, 'yes', 'and adds its own');
    is($by->{'t=3'}[0]{attr}{'app.method'}, 'm=GET', 'server tags still apply there');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- configtest ----------------------------------------------------------
{
    my $h = OTTest->new;
    for my $t (['TraceSampleRate 1.5', qr/^TraceSampleRate: '1\.5' is not a number between 0 and 1$/m],
               ['TraceSampleRate half', qr/^TraceSampleRate: 'half' is not a number between 0 and 1$/m],
               ['TraceSampleExpr sometimes "true"', qr/^TraceSampleExpr: 'sometimes' is neither always nor never$/m],
               ['TraceSampleExpr never "%{NO_SUCH_VAR"', qr/^TraceSampleExpr: cannot parse expression '%\{NO_SUCH_VAR': /m],
               ['TraceTag x "%{NO_SUCH_VAR"', qr/^TraceTag x: cannot parse expression '%\{NO_SUCH_VAR': /m]) {
        my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
            . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\n$t->[0]");
        isnt($st, 0, "$t->[0]: apache2 -t fails");
        like($out, $t->[1], "$t->[0]: says why");
    }
    for my $t ([{ OTEL_TRACES_SAMPLER => 'jaeger_remote' },
                qr/TraceTracer: environment variable OTEL_TRACES_SAMPLER="jaeger_remote" is not supported here/],
               [{ OTEL_TRACES_SAMPLER => 'traceidratio', OTEL_TRACES_SAMPLER_ARG => '2' },
                qr/TraceTracer: environment variable OTEL_TRACES_SAMPLER_ARG="2" is not a number between 0 and 1/]) {
        local @ENV{keys %{ $t->[0] }} = values %{ $t->[0] };
        my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
            . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\n");
        isnt($st, 0, "@{[ %{ $t->[0] } ]}: apache2 -t fails");
        like($out, $t->[1], "@{[ %{ $t->[0] } ]}: says why");
    }
}
done_testing;
