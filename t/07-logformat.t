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

# TraceNotes: by default the notes are set when the configuration names
# one (this server's LogFormats do); a Lua handler reads r.notes, and a
# Lua file is not configuration: it sees them only under TraceNotes On.
# TraceNotes Off leaves them out even where a LogFormat asks.
my $LUA = <<'EOL';
function handle(r)
    r.content_type = "text/plain"
    r:puts((r.notes["ot-trace-id"] or "none") .. " " ..
           (r.notes["ot-incoming-traceparent"] or "none"))
    return apache2.OK
end
EOL
my $TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
my %lua;
for my $mode ('', 'On', 'Off') {
    my $n = OTTest->new(access_log => 0,
        modules => [qw(authz_core mime dir alias lua)],
        files => { 'htdocs/notes.lua' => $LUA },
        extra => ($mode ? "TraceNotes $mode\n" : '') . <<'EOC');
<Files "notes.lua">
    SetHandler lua-script
</Files>
EOC
    $n->start;
    $lua{$mode || 'default'} = $n->get('/notes.lua', { traceparent => $TP })->{content};
    $n->stop;
}
is($lua{default}, 'none none', 'TraceNotes unset, no note named in the configuration: no notes');
is($lua{On}, '0af7651916cd43dd8448eb211c80319c ' . $TP,
   'TraceNotes On: a Lua handler reads ot-trace-id and ot-incoming-traceparent');
is($lua{Off}, 'none none', 'TraceNotes Off: no notes');
{
    my $n = OTTest->new(extra => "TraceNotes Off\n");
    $n->start;
    $n->get('/static.txt?off=1', { traceparent => $TP });
    my ($line) = $n->access_log_lines(min => 1);
    $n->stop;
    like($line // '', qr/\A- - 200 \/static.txt\?off=1 -\z/,
         'TraceNotes Off: a LogFormat naming the notes logs "-"');
}
{
    my $n = OTTest->new(access_log => 0,
        modules => [qw(authz_core mime dir alias headers)], extra => <<'EOC');
Header always set X-Trace "expr=%{note:OT-Trace-Id}"
EOC
    $n->start;
    my $res = $n->get('/static.txt', { traceparent => $TP });
    $n->stop;
    is($res->{headers}{'x-trace'}, '0af7651916cd43dd8448eb211c80319c',
       'TraceNotes unset: an expression naming a note (any case) turns them on');
}

my $d = $h->dir;
is_deeply([$h->error_log_unexpected(
    qr/\] AH00128: File does not exist: \Q$d\E\/htdocs\/missing$/,
    qr/\] AH01630: client denied by server configuration: \Q$d\E\/htdocs\/forbidden$/,
)], [], 'no unexpected error-log lines');
done_testing;
