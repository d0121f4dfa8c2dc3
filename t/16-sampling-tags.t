# TraceSampleRate (parent-based, else a ratio of the trace id) and TraceTag
# (span attributes from ap_expr strings, per server and per location).
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
               ['TraceTag x "%{NO_SUCH_VAR"', qr/^TraceTag x: cannot parse expression '%\{NO_SUCH_VAR': /m]) {
        my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
            . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\n$t->[0]");
        isnt($st, 0, "$t->[0]: apache2 -t fails");
        like($out, $t->[1], "$t->[0]: says why");
    }
}
done_testing;
