# %{ot-trace-id}n and %{ot-span-id}n in the access log name the span
# exported for the same request; "-" where TraceRequest is Off.
# The harness's LogFormat: "%{ot-trace-id}n %{ot-span-id}n %>s %U%<q %{ot-sampled}n"
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
ErrorDocument 404 /err.html
<Location /off>
    TraceRequest Off
</Location>
<Location /forbidden>
    Require all denied
</Location>
LogFormat "%{ot-traceparent}n %U%<q" tp
CustomLog logs/tp_log tp
EOC
$h->start;

my @req = (
    ['/static.txt?l=1', 200],
    ['/cgi-bin/env.cgi?l=2', 200],
    ['/missing?l=3', 404],                # ErrorDocument: internal redirect
    ['/sub/?l=4', 200],                   # DirectoryIndex
    ['/forbidden/x?l=5', 403],            # fails before fixups
    ['/static.txt?l=6', 200, { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }],
    ['/off/?l=7', 200],
    ['/off/?l=8', 200, { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }],
    ['/static.txt?l=9', 200, { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' }],
);
for my $r (@req) {
    is($h->get($r->[0], $r->[2])->{status}, $r->[1], "$r->[0] answers $r->[1]");
}
my @lines = $h->access_log_lines(min => scalar @req);
is(scalar @lines, scalar @req, 'one access-log line per request');
$h->spans(min => 6);
$h->stop;
my $q = OTTest->by_query($h->read_spans);

my %log;
for (@lines) {
    my @f = split / /;
    is(scalar @f, 5, "five fields: $_");
    my ($query) = $f[3] =~ /\?(l=\d+)$/ or next;
    $log{$query} = { trace => $f[0], span => $f[1], status => $f[2],
                     sampled => $f[4] };
}

for my $i (1 .. 6) {
    my $k = "l=$i";
    my $s = ($q->{$k} || [])->[0];
    my $l = $log{$k} || {};
    ok($s, "$k: a span") or next;
    is($l->{trace}, $s->{traceId}, "$k: %{ot-trace-id}n is the span's traceId");
    is($l->{span}, $s->{spanId}, "$k: %{ot-span-id}n is the span's spanId");
    is($l->{status}, $s->{attr}{'http.response.status_code'}, "$k: same status in both");
    is($l->{sampled}, 1, "$k: %{ot-sampled}n is 1");
}
is($log{'l=6'}{trace}, '0af7651916cd43dd8448eb211c80319c', 'continued trace: incoming trace id logged');

for my $i (7, 8) {
    my $l = $log{"l=$i"} || {};
    is($l->{trace}, '-', "l=$i (TraceRequest Off): trace id logged as -");
    is($l->{span}, '-', "l=$i (TraceRequest Off): span id logged as -");
    is($l->{sampled}, '-', "l=$i (TraceRequest Off): sampled logged as -");
    ok(!$q->{"l=$i"}, "l=$i: no span");
}

# Not sampled: no span, but the ids we propagated are logged.
my $l9 = $log{'l=9'} || {};
ok(!$q->{'l=9'}, 'l=9 (unsampled): no span');
is($l9->{trace}, '0af7651916cd43dd8448eb211c80319c', 'unsampled: incoming trace id logged');
like($l9->{span}, qr/\A[0-9a-f]{16}\z/, 'unsampled: a span id logged');
isnt($l9->{span}, 'b7ad6b7169203331', 'unsampled: our own span id, not the parent');
is($l9->{sampled}, 0, 'unsampled: %{ot-sampled}n is 0');

# %{ot-traceparent}n: what the request propagated.
my %tp = map { my ($t, $u) = split / /; my ($k) = $u =~ /\?(l=\d+)$/; $k ? ($k => $t) : () }
    split /\n/, (OTTest::slurp($h->dir . '/logs/tp_log') // '');
for my $i (1 .. 6) {
    my $s = ($q->{"l=$i"} || [])->[0] or next;
    is($tp{"l=$i"}, OTTest->traceparent_of($s), "l=$i: %{ot-traceparent}n names the span");
}
is($tp{'l=7'}, '-', 'l=7 (Off): %{ot-traceparent}n is -');
is($tp{'l=9'}, "00-0af7651916cd43dd8448eb211c80319c-$l9->{span}-00", 'l=9 (unsampled): %{ot-traceparent}n, flags 00');

my $d = $h->dir;
is_deeply([$h->error_log_unexpected(
    qr/\] AH00128: File does not exist: \Q$d\E\/htdocs\/missing$/,
    qr/\] AH01630: client denied by server configuration: \Q$d\E\/htdocs\/forbidden$/,
)], [], 'no unexpected error-log lines');
done_testing;
