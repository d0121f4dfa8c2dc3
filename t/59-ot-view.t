# tools/ot-view on a spans.jsonl the file tracer wrote: trace trees (a
# proxied call's CLIENT span under the server span, the backend's span
# under it), a bar per span, and the filters (--trace, --slowest,
# --errors, --last).
use strict;
use warnings;
use Test::More;
use OTTest;
use OTReceiver;

my $backend = OTReceiver->new(body => "ok\n", headers => [
    'Trace-Span: SELECT%20orders; start=@NOW_MS@ms; dur=3ms; kind=client',
    'Trace-Error: payment provider down',
])->start;
my $bport = $backend->port;
my $h = OTTest->new(modules => [qw(authz_core mime dir alias rewrite proxy proxy_http)],
                    module_first => 1, extra => "ProxyPass /shop/ http://127.0.0.1:$bport/\n");
$h->start;
is($h->get("/index.html?i=$_")->{status}, 200, "request $_") for 1 .. 4;
is($h->get('/shop/orders')->{status}, 200, 'a proxied call');
my @spans = $h->spans(min => 7);
$h->stop;
$backend->stop;
is(scalar @spans, 7, '4 server spans, and the proxied call: server, client, backend');

my $view = "$OTTest::REPO/tools/ot-view";
my $file = $h->spans_path;
sub view {
    my @args = @_;
    my $out = `'$view' --ascii @args '$file' 2>&1`;
    is($?, 0, "ot-view @args exits 0");
    return $out;
}

my %traces;
push @{ $traces{ $_->{traceId} } }, $_ for @spans;
my ($shop) = grep { @{ $traces{$_} } == 3 } keys %traces;
my ($server) = grep { $_->{kind} == 2 } @{ $traces{$shop} };

# every trace, with its spans as a tree
my $all = view();
is(scalar(() = $all =~ /^trace [0-9a-f]{32} /mg), 5, 'five traces');
like($all, qr/^trace $shop  [\d.]+ (?:ms|us)  3 spans  ERROR/m, 'the proxied trace: 3 spans, an error');
my ($tree) = $all =~ /^(trace $shop.*?)\n\n/ms;
my @lines = split /\n/, $tree;
like($lines[1], qr/^  GET\s+server\s+[\d.]+ (?:ms|us) \|[#.]{40}\|$/, 'the server span first, a bar of 40');
like($lines[2], qr/^    GET\s+client\s+[\d.]+ (?:ms|us) \|[#.]{40}\| ERROR: payment provider down$/,
     'the CLIENT span under it, with its error');
like($lines[3], qr/^      SELECT orders\s+client\s+3\.0 ms \|\.*#+\.*\|$/, "the backend's span under that");

# filters
my $one = view('--trace', substr($shop, 0, 8));
is(scalar(() = $one =~ /^trace /mg), 1, '--trace: one trace');
like($one, qr/^trace $shop /m, '--trace: the one asked for');
my $err = view('--errors');
is(scalar(() = $err =~ /^trace /mg), 1, '--errors: the one trace with an error');
like($err, qr/^trace $shop /m, '--errors: the proxied one');
sub longest { my $m = 0; for (@_) { my $d = $_->{endTimeUnixNano} - $_->{startTimeUnixNano}; $m = $d if $d > $m } $m }
my ($slowest) = sort { longest(@{ $traces{$b} }) <=> longest(@{ $traces{$a} }) } keys %traces;
my $slow = view('--slowest', 1);
is(scalar(() = $slow =~ /^trace /mg), 1, '--slowest 1: one trace');
like($slow, qr/^trace $slowest /m, '--slowest 1: the slowest');
my $last = view('--last', 2);
is(scalar(() = $last =~ /^trace /mg), 2, '--last 2: two traces');
like(view('--width', 20), qr/\|[#.]{20}\|/, '--width 20: bars of 20');
like(view('--trace', 'ffff'), qr/^no traces$/m, 'an unknown trace id: no traces');
my $blocks = `'$view' '$file'`;
like($blocks, qr/\x{e2}\x{96}\x{88}/, 'without --ascii: block characters (UTF-8)');

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
