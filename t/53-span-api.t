# The span API of mod_opentracing.h, from two modules compiled here:
# examples/mod_ot_example.c, built with apxs against the header that
# `make install DESTDIR=<tmp>` installs, and t/modules/mod_ot_api_probe.c,
# which calls every function in every way (see its comment).  The
# exported spans are checked field by field: parent ids, kind, names,
# attributes, events, status, dropped counts.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use OTTest;

my $repo = $OTTest::REPO;
my $build = $OTTest::BUILD;
my $q = sub { my $v = `$_[0]`; chomp $v; $v };

my $conf = <<'EOC';
LoadModule ot_api_probe_module @DIR@/mod_ot_api_probe.so
LoadModule ot_example_module @DIR@/example/.libs/mod_ot_example.so
<Location /probe>
    SetHandler ot-api-probe
</Location>
<Location /off/probe>
    SetHandler ot-api-probe
    TraceRequest Off
</Location>
<Location /example>
    SetHandler ot-example
</Location>
LogFormat "%{probe-after-log}n %U%q" probe
CustomLog logs/probe_log probe
EOC
my $h = OTTest->new(extra => $conf, tracer =>
    '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 100, "max_attribute_length": 100}');

# The example, as a third party builds it: apxs, the installed header.
my $dest = tempdir('ot_api.XXXXXX', DIR => '/tmp', CLEANUP => 1);
my $out = `make -s -C '$repo' B='$build' install DESTDIR='$dest' 2>&1`;
is($?, 0, 'make install DESTDIR=...') or diag $out;
my $incdir = $q->('apxs -q INCLUDEDIR');
ok(-f "$dest$incdir/mod_opentracing.h", 'the header is installed in apxs INCLUDEDIR');
my $exdir = $h->dir . '/example';
mkdir $exdir or die;
system('cp', "$repo/examples/mod_ot_example.c", $exdir) == 0 or die;
my $cmd = "cd '$exdir' && apxs -c -I'$dest$incdir' -Wc,-std=c11 -Wc,-Wall "
    . "-Wc,-Wextra -Wc,-Werror mod_ot_example.c 2>&1";
$out = `$cmd`;
is($?, 0, 'the example module builds with apxs against the installed header')
    or diag "$cmd\n$out";
SKIP: {
    skip "$incdir/mod_opentracing.h exists: apxs puts it before the installed copy", 1
        if -e "$incdir/mod_opentracing.h";
    unlike($out, qr{-I\Q$repo\E\b}, 'no path into the source tree');
}
system("chmod -R a+rX '$exdir'");

# The probe, as t/41 builds its own.
my $so = $h->dir . '/mod_ot_api_probe.so';
$cmd = join ' ', 'cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -o', $so,
    $q->('apxs -q CFLAGS'), $q->('apxs -q EXTRA_CPPFLAGS'),
    '-I' . $q->('apxs -q INCLUDEDIR'), $q->('apr-1-config --cppflags --includes'),
    "-I$repo", "$repo/t/modules/mod_ot_api_probe.c", '2>&1';
$out = `$cmd`;
is($?, 0, 'the probe module builds') or diag $out;
chmod 0644, $so;

$h->start;
my %res;
for my $case (qw(calls null limits subreq)) {
    $res{$case} = $h->get("/probe?case=$case");
    is($res{$case}{status}, 200, "case=$case answers 200");
}
$res{example} = $h->get('/example?ex=1');
is($res{example}{status}, 200, 'the example answers 200');
$res{off} = $h->get('/off/probe?case=calls');
is($res{off}{status}, 200, 'TraceRequest Off answers 200');
$res{unsampled} = $h->get('/probe?case=calls&unsampled=1',
    { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
is($res{unsampled}{status}, 200, 'an unsampled request answers 200');
# calls 4 (server + 3 children), null 1, limits 1 + 32, subreq 2,
# example 2
my @spans = $h->spans(min => 42);
$h->stop;

sub lines {
    my ($body) = @_;
    my %l;
    for (split /\n/, $body // '') {
        my ($k, $v) = /^([^:]+): (.*)$/ or next;
        push @{ $l{$k} }, $v;
    }
    return \%l;
}
my $by = OTTest->by_query(@spans);
my %by_id = map { $_->{spanId} => $_ } @spans;
sub children_of {
    my ($server) = @_;
    return sort { $a->{name} cmp $b->{name} }
        grep { ($_->{parentSpanId} // '') eq $server->{spanId} } @spans;
}

# ------------------------------------------------------------ case=calls
{
    my $l = lines($res{calls}{content});
    my ($s) = @{ $by->{'case=calls'} || [] };
    ok($s, 'calls: the server span') or last;
    is($l->{version}[0], 2, 'opentracing_api_version() is 2');
    is($l->{span}[0], 1, 'start_span gives a span');
    is($s->{kind}, 2, 'the server span is still SERVER');
    is($s->{name}, 'probe operation', 'set_name names the server span');
    is($s->{attr}{'probe.server'}, 'second', 'set_attribute: the later value wins');
    is($s->{attr}{'probe.server_int'}, '7', 'set_attribute_int');
    is(scalar(grep { $_->{key} eq 'probe.server' } @{ $s->{attributes} }), 1,
       'one attribute per key');
    is_deeply($s->{status}, { code => 2, message => 'probe error' },
              'set_error: status ERROR with the message, on a 200');
    is($s->{attr}{'http.response.status_code'}, '200', 'the module\'s own attributes stay');
    my @ev = @{ $s->{events} || [] };
    is(scalar @ev, 2, 'two events');
    is($ev[0]{name}, 'probe event', 'add_event: name');
    is_deeply(OTTest::flatten_kv($ev[0]{attributes}), { 'probe.a' => '1', 'probe.b' => 'two' },
              'add_event: the table as attributes');
    is($ev[1]{name}, 'probe bare event', 'add_event with NULL attributes');
    ok(!$ev[1]{attributes} || !@{ $ev[1]{attributes} }, 'which has none');
    ok($ev[0]{timeUnixNano} >= $s->{startTimeUnixNano}
       && $ev[0]{timeUnixNano} <= $s->{endTimeUnixNano}, 'the event is within the span');

    my @c = children_of($s);
    is_deeply([map { $_->{name} } @c], ['probe failed', 'probe ok', 'probe open'],
              'three child spans of the server span');
    my %c = map { $_->{name} => $_ } @c;
    for my $c (@c) {
        is($c->{traceId}, $s->{traceId}, "$c->{name}: same trace");
        ok($c->{startTimeUnixNano} >= $s->{startTimeUnixNano}
           && $c->{endTimeUnixNano} <= $s->{endTimeUnixNano},
           "$c->{name}: within the server span");
        is($c->{resource}{'service.name'}, $s->{resource}{'service.name'},
           "$c->{name}: the server span's resource");
    }
    my $ok = $c{'probe ok'} || {};
    is($ok->{kind}, 3, 'probe ok: CLIENT');
    is_deeply($ok->{attr}, { 'probe.key' => 'replaced', 'probe.int' => '-42',
                             'http.request.method' => 'GET' },
              'probe ok: its attributes (replaced, int; none after its end)');
    ok(!$ok->{status} || !$ok->{status}{code}, 'probe ok: status unset (ended once, without error)');
    is(scalar(grep { $_->{name} eq 'probe ok' } @spans), 1, 'probe ok: exported once');
    my $tp = OTTest->traceparent_of($ok);
    is($l->{'inject traceparent'}[0], $tp,
       'inject(span): the child span\'s traceparent in the outgoing headers');
    is($l->{'inject-result'}[0], 1, 'inject returns 1');
    is($l->{'inject-server traceparent'}[0], OTTest->traceparent_of($s),
       'inject(NULL): the server span\'s traceparent');

    my $f = $c{'probe failed'} || {};
    is($f->{kind}, 1, 'probe failed: an unknown kind is INTERNAL');
    is_deeply($f->{status}, { code => 2, message => 'it failed' },
              'probe failed: end_span with a message is an error');

    my $o = $c{'probe open'} || {};
    is($o->{kind}, 4, 'probe open: PRODUCER');
    is($o->{attr}{'mod_opentracing.api.ended_at_log'}, JSON::PP::true,
       'probe open: left open, ended at log time and marked');
    is($o->{attr}{'probe.open'}, 'yes', 'probe open: its attribute');
    is(($o->{status} || {})->{code}, 2, 'probe open: status ERROR');
    like(($o->{status} || {})->{message} // '', qr/ended when the request was logged/,
         'probe open: and says why');
    ok($o->{endTimeUnixNano} <= $s->{endTimeUnixNano}, 'probe open: ended before the server span');
    ok($o->{line} <= $s->{line}, 'probe open: exported no later than the server span');
    ok(!grep({ $_->{name} eq 'probe after log' } @spans), 'no span started after the log');
    ok(!exists $s->{attr}{'probe.after_log'}, 'no attribute set after the log');
}

# ------------------------------------------------------------- case=null
{
    my $l = lines($res{null}{content});
    my ($s) = @{ $by->{'case=null'} || [] };
    ok($s, 'null: the server span');
    is_deeply([map { $l->{$_}[0] } qw(span-null-request span-null-name inject-null-request
                                     inject-null-headers headers)],
              [0, 0, 0, 0, 0], 'NULL arguments: no span, nothing injected');
    is_deeply([sort grep { /^probe|^k$/ } keys %{ $s->{attr} }], [], 'null: no attribute');
    ok(!$s->{events}, 'null: no event');
    ok(!$s->{status} || !$s->{status}{code}, 'null: no error');
    is($s->{name}, 'GET', 'null: the default name');
    is($s->{droppedAttributesCount}, 1, 'null: the empty key is dropped and counted');
    is(scalar(my @none = children_of($s)), 0, 'null: no child span');
}

# ----------------------------------------------------------- case=limits
{
    my $l = lines($res{limits}{content});
    my ($s) = @{ $by->{'case=limits'} || [] };
    ok($s, 'limits: the server span') or last;
    is($l->{spans}[0], 32, '32 child spans started');
    is($l->{last}[0], 0, 'the 34th is NULL');
    is(scalar(my @all = children_of($s)), 32, '32 child spans exported');
    is($s->{attr}{'mod_opentracing.api.dropped_spans'}, '2', 'the 2 refused are counted');
    is($s->{attr}{'k' x 128}, '128', 'a 128-byte key is taken');
    ok(!exists $s->{attr}{'k' x 129}, 'a 129-byte key is not');
    ok(!exists $s->{attr}{'http.route'} && !exists $s->{attr}{'url.port'},
       'reserved keys are refused on the server span');
    is($s->{droppedAttributesCount}, 3, 'and the 3 refused keys are counted');
    is($s->{attr}{'probe.long'}, 'v' x 99, 'a value is cut to max_attribute_length at a UTF-8 boundary');
    is($s->{name}, 'n' x 256, 'the name is cut to 256 bytes');
    is($s->{status}{message}, 'm' x 512, 'the error message is cut to 512 bytes');
    my ($ev) = @{ $s->{events} || [] };
    is($ev->{name}, 'e' x 256, 'the event name is cut to 256 bytes');
    is(scalar @{ $ev->{attributes} || [] }, 16, 'an event keeps 16 attributes');
}

# ----------------------------------------------------------- case=subreq
{
    my $l = lines($res{subreq}{content});
    my ($s) = @{ $by->{'case=subreq'} || [] };
    ok($s, 'subreq: the server span') or last;
    is($l->{span}[0], 1, 'subreq: start_span from a subrequest gives a span');
    my @c = children_of($s);
    is(scalar @c, 1, 'subreq: one child span of the server span');
    is($c[0]{name}, 'probe sub span', 'subreq: its name survived the subrequest\'s pool');
    is_deeply($c[0]{attr}, { 'probe.sub' => 'sub value' }, 'subreq: its attribute too');
    is($s->{attr}{'probe.sub_key'}, 'sub server value', 'subreq: the server span\'s attribute');
    is($s->{name}, 'probe sub name', 'subreq: the name');
    is($s->{status}{message}, 'probe sub error', 'subreq: the error');
    my ($ev) = @{ $s->{events} || [] };
    is($ev->{name}, 'probe sub event', 'subreq: the event');
    is_deeply(OTTest::flatten_kv($ev->{attributes}),
              { 'probe.sub_event_key' => 'sub event value' }, 'subreq: the event\'s attributes');
    unlike(join('', map { $_->{name} } $s, @c), qr/#/, 'nothing of the reused memory');
}

# ----------------------------------------------------------- the example
{
    my $l = lines($res{example}{content});
    my ($s) = @{ $by->{'ex=1'} || [] };
    ok($s, 'example: the server span') or last;
    is($l->{items}[0], 3, 'example: its answer');
    my %c = map { $_->{name} => $_ } children_of($s);
    is_deeply([sort keys %c], ['example lookup'], 'example: one child span');
    my $lk = $c{'example lookup'} || {};
    is($lk->{kind}, 1, 'example lookup: INTERNAL');
    is_deeply($lk->{attr}, { 'example.source' => 'memory', 'example.items' => '3' },
              'example lookup: its attributes');
    ok($lk->{endTimeUnixNano} - $lk->{startTimeUnixNano} >= 5_000_000,
       'example lookup: it timed the 5 ms of work');
    is($l->{traceparent}[0], OTTest->traceparent_of($lk),
       'example: the outgoing headers carry the lookup span\'s context');
    is($s->{attr}{'example.handler'}, 'ot-example', 'example: the server span is tagged');
    is(($s->{events} || [])->[0]{name}, 'example done', 'example: its event');
    diag 'example server span: ' . JSON::PP->new->canonical->encode(
        { map { $_ => $s->{$_} } grep { !/^(?:attr|resource|scope|line)$/ } keys %$s })
        if $ENV{OT_SHOW};
}

# --------------------------------------------------- not traced, not sampled
{
    my $l = lines($res{off}{content});
    is($l->{span}[0], 0, 'TraceRequest Off: no span');
    is($l->{'inject-result'}[0], 0, 'TraceRequest Off: inject writes nothing');
    ok(!$l->{'inject traceparent'}, 'TraceRequest Off: no header');
    ok(!grep({ ($_->{attr}{'url.path'} // '') eq '/off/probe' } @spans), 'TraceRequest Off: no span exported');

    $l = lines($res{unsampled}{content});
    is($l->{span}[0], 0, 'not sampled: no span');
    like($l->{'inject-server traceparent'}[0] // '',
         qr/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/,
         'not sampled: inject passes the trace and the decision on');
    ok(!$by->{'case=calls&unsampled=1'}, 'not sampled: nothing exported');
}

# ------------------------------------------------------- after the log
{
    my %after;
    for (split /\n/, OTTest::slurp($h->dir . '/logs/probe_log') // '') {
        my ($v, $u) = split / /;
        $after{$u} = $v;
    }
    is($after{'/probe?case=calls'}, 'span=0,inject=0',
       'after the server span is exported: start_span and inject do nothing');
    is($after{'/probe?case=calls&unsampled=1'}, 'span=0,inject=1',
       'not sampled: inject still works at log time');
    is($after{'/off/probe?case=calls'}, 'span=0,inject=0', 'TraceRequest Off: at log time too');
}

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
