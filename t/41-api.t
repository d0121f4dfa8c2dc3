# The public C API (mod_opentracing.h): opentracing_request_context(), as
# another module sees it in each phase.  t/modules/mod_ot_probe.c calls it
# in post_read_request, translate_name, access_checker and fixups and
# stores "0" or "1:<traceparent>" in r->notes.  TraceRequest is settled in
# our header_parser hook (after the location walk): before that the
# function returns 0; from header_parser on it returns 1 where the request
# is traced, and names the span that is exported.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
LoadModule ot_probe_module @DIR@/mod_ot_probe.so
<Location /off>
    TraceRequest Off
</Location>
LogFormat "%{probe-prr}n %{probe-translate}n %{probe-access}n %{probe-fixups}n %U%q" probe
CustomLog logs/probe_log probe
EOC

# Build the probe module into the server's own directory.
my $repo = $OTTest::REPO;
my $so = $h->dir . '/mod_ot_probe.so';
my $q = sub { my $v = `$_[0]`; chomp $v; $v };
my $cmd = join ' ', 'cc -shared -fPIC -o', $so,
    $q->('apxs -q CFLAGS'), $q->('apxs -q EXTRA_CPPFLAGS'),
    '-I' . $q->('apxs -q INCLUDEDIR'), $q->('apr-1-config --cppflags --includes'),
    "-I$repo", "$repo/t/modules/mod_ot_probe.c", '2>&1';
my $out = `$cmd`;
is($?, 0, 'the probe module builds') or diag $out;
chmod 0644, $so;

$h->start;
is($h->get('/static.txt?p=on')->{status}, 200, 'traced request answers 200');
is($h->get('/off/index.html?p=off')->{status}, 200, 'TraceRequest Off answers 200');
is($h->get('/static.txt?p=tp', { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })->{status},
   200, 'continued trace answers 200');
my @spans = $h->spans(min => 2);
$h->stop;

my %log;
for (split /\n/, (OTTest::slurp($h->dir . '/logs/probe_log') // '')) {
    my @f = split / /;
    my ($k) = ($f[4] // '') =~ /\?(p=\w+)$/ or next;
    $log{$k} = { prr => $f[0], translate => $f[1], access => $f[2],
                 fixups => $f[3] };
}
my $by = OTTest->by_query(@spans);

for my $k ('p=on', 'p=tp') {
    my $l = $log{$k} || {};
    my $s = ($by->{$k} || [])->[0];
    ok($s, "$k: a span is exported") or next;
    my $tp = OTTest->traceparent_of($s);
    is($l->{prr}, '0', "$k: 0 in post_read_request (TraceRequest not settled)");
    is($l->{translate}, '0', "$k: 0 in translate_name (TraceRequest not settled)");
    is($l->{access}, "1:$tp", "$k: 1 in access_checker, the exported span's traceparent");
    is($l->{fixups}, "1:$tp", "$k: 1 in fixups, the exported span's traceparent");
}
is(($by->{'p=tp'} || [{}])->[0]{traceId}, '0af7651916cd43dd8448eb211c80319c',
   'p=tp: the incoming trace is continued');

my $off = $log{'p=off'} || {};
for my $phase (qw(prr translate access fixups)) {
    is($off->{$phase}, '0', "TraceRequest Off: 0 in $phase");
}
ok(!$by->{'p=off'}, 'TraceRequest Off: no span');

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
