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
    # Stopped first: every logged request's line and span are written (ab
    # may send a request more than it counts, which is logged too).
    $h->stop;
    my @flags = split /\n/, (OTTest::slurp($h->dir . '/logs/sampled_log') // '');
    cmp_ok(scalar @flags, '>=', $n, "$n requests logged");
    my $sampled = grep { $_ eq '1' } @flags;
    # binomial: mean 2,500, standard deviation 43.3; 5 of them either side
    cmp_ok(abs($sampled - 2500), '<=', 217,
           "rate 0.25: $sampled of $n recorded, within 5 standard deviations");
    my @spans = $h->read_spans;
    is(scalar @spans, $sampled, 'a span for every request recorded, and no other');
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

# --- TraceTag: the forms evaluated without ap_expr give what ap_expr gives --
# Each form is tagged twice: as itself (f.*, the module's own lookup) and
# followed by an empty lookup (g.*: ap_expr concatenates it with "", the
# same string), which only ap_expr evaluates.
{
    my @forms = (
        [ hdr => '%{HTTP:X-Tenant}' ], [ req => '%{req:x-tenant}' ],
        [ novary => '%{req_novary:X-Tenant}' ], [ ua => '%{HTTP_USER_AGENT}' ],
        [ host => '%{http_host}' ], [ resp => '%{resp:Accept-Ranges}' ],
        [ noresp => '%{resp:X-None}' ], [ note => '%{note:ot-trace-id}' ],
        [ env => '%{env:TAG_ENV}' ], [ reqenv => '%{reqenv:TAG_ENV}' ],
        map { [ lc($_) => "%{$_}" ] } qw(REQUEST_METHOD REQUEST_SCHEME
            REQUEST_URI REQUEST_FILENAME SCRIPT_FILENAME REMOTE_USER
            SERVER_NAME SERVER_PORT SERVER_PROTOCOL PATH_INFO QUERY_STRING
            THE_REQUEST CONTENT_TYPE HANDLER REQUEST_LOG_ID REQUEST_STATUS
            REMOTE_ADDR REMOTE_PORT));
    my $conf = "RewriteEngine On\nRewriteCond %{QUERY_STRING} env\n"
        . "RewriteRule ^ - [E=TAG_ENV:from-rewrite]\n";
    for (@forms) {
        $conf .= qq{TraceTag f.$_->[0] "$_->[1]"\n};
        $conf .= qq{TraceTag g.$_->[0] "$_->[1]%{reqenv:OT_NONE}"\n};
    }
    my $h = OTTest->new(extra => $conf);
    $h->start;
    $h->get('/index.html?f=1&env', { 'X-Tenant' => 'acme', 'User-Agent' => 'ua/1' });
    $h->get('/cgi-bin/env.cgi/extra/path?f=2');
    $h->get('/no-such-file?f=3', { 'X-Tenant' => '' });
    my $by = OTTest->by_query($h->spans(min => 3));
    for my $q ('f=1&env', 'f=2', 'f=3') {
        my $a = $by->{$q}[0]{attr};
        for (@forms) {
            my $k = $_->[0];
            is($a->{"f.$k"}, $a->{"g.$k"}, "$q: $_->[1] as ap_expr gives it ("
               . ($a->{"g.$k"} // 'unset') . ')');
        }
    }
    # and the lookups found something: the comparison is not of nothings
    my $a = $by->{'f=1&env'}[0]{attr};
    is($a->{'f.hdr'}, 'acme', 'a request header');
    is($a->{'f.ua'}, 'ua/1', 'an HTTP_* variable');
    is($a->{'f.resp'}, 'bytes', 'a response header');
    like($a->{'f.note'}, qr/^[0-9a-f]{32}$/, 'a note');
    is($a->{'f.env'}, 'from-rewrite', 'an environment variable');
    is($a->{'f.server_port'}, $h->port, 'a number');
    is($a->{'f.request_status'}, 200, 'the status');
    is($by->{'f=3'}[0]{attr}{'f.request_status'}, 404, 'the status of a 404');
    is($by->{'f=2'}[0]{attr}{'f.path_info'}, '/extra/path', 'PATH_INFO');
    is($by->{'f=2'}[0]{attr}{'f.handler'}, 'cgi-script', 'HANDLER');
    ok(!exists $a->{'f.noresp'}, 'a missing header sets nothing');
    $h->stop;
    is_deeply([$h->error_log_unexpected(qr/AH00128: File does not exist: .*no-such-file/)],
              [], 'no unexpected error-log lines');
}

# --- TraceTag: typed values, constants, the module's own keys -------------
{
    my $h = OTTest->new(loglevel => 'info opentracing:debug', extra => <<'CONF');
TraceTag -int app.status "%{REQUEST_STATUS}"
TraceTag -int app.len "%{HTTP:X-Len}"
TraceTag app.len.text "%{req:x-len}"
TraceTag -int app.port "%{SERVER_PORT}"
TraceTag -int app.const "-17"
TraceTag -bool app.flag "%{HTTP:X-Flag}"
TraceTag -bool app.yes "On"
TraceTag app.flag.text "%{HTTP:X-Flag}"
TraceTag app.dup "first"
TraceTag app.dup "second"
TraceTag user_agent.original "%{HTTP:X-UA}"
TraceTag app.route "%{HTTP:X-Tenant}"
<Location /sub>
    TraceRequest On
    TraceTag http.route "/tagged/route"
    TraceTag -int app.len "%{HTTP:X-Other-Len}"
</Location>
CONF
    $h->start;
    $h->get('/index.html?t=typed', { 'X-Len' => '42', 'X-Flag' => 'off', 'X-UA' => 'tagged-ua' });
    $h->get('/index.html?t=bad', { 'X-Len' => '4x2', 'X-Flag' => 'maybe' });
    $h->get('/sub/?t=sub', { 'X-Len' => '42', 'X-Other-Len' => '-7' });
    my $by = OTTest->by_query($h->spans(min => 3));
    my $s = $by->{'t=typed'}[0];
    # the value's type as exported (OTLP JSON: intValue, boolValue...)
    my $typed = sub {
        my ($span, $key) = @_;
        my @a = grep { $_->{key} eq $key } @{ $span->{attributes} || [] };
        return scalar(@a) . ' ' . join ',', map { my ($t) = keys %{ $_->{value} };
                                                 "$t=$_->{value}{$t}" } @a;
    };
    is($typed->($s, 'app.status'), '1 intValue=200', '-int from a variable');
    is($typed->($s, 'app.len'), '1 intValue=42', '-int from a header');
    is($typed->($s, 'app.port'), '1 intValue=' . $h->port, '-int from a number');
    is($typed->($s, 'app.const'), '1 intValue=-17', '-int constant');
    is($typed->($s, 'app.flag'), '1 boolValue=0', '-bool from a header (off)');
    is($typed->($s, 'app.yes'), '1 boolValue=1', '-bool constant (On)');
    # tags reading one header: one lookup, each tag its own type
    is($typed->($s, 'app.len.text'), '1 stringValue=42',
       'a second tag of the same header (another spelling)');
    is($typed->($s, 'app.flag.text'), '1 stringValue=off',
       'a second tag of the same header, not next to the first');
    is($typed->($s, 'app.dup'), '1 stringValue=second',
       'the later TraceTag for a key replaces the earlier');
    is($typed->($s, 'user_agent.original'), '1 stringValue=tagged-ua',
       "a tag replaces the module's attribute of its key");
    my $b = $by->{'t=bad'}[0];
    is($typed->($b, 'app.len'), '0 ', '-int: not a number, not set');
    is($typed->($b, 'app.flag'), '0 ', '-bool: not a boolean, not set');
    is($typed->($b, 'app.len.text'), '1 stringValue=4x2',
       'the string tag of a header an -int tag could not use');
    like($typed->($b, 'user_agent.original'), qr/^1 stringValue=/,
         "an empty tag leaves the module's attribute");
    my $u = $by->{'t=sub'}[0];
    is($typed->($u, 'http.route'), '1 stringValue=/tagged/route',
       'a <Location> tag replaces http.route');
    is($typed->($u, 'app.len'), '1 intValue=-7', 'and a server tag of its key');
    is($typed->($u, 'app.len.text'), '1 stringValue=42',
       'the server tag that read the same header as the replaced one');
    $h->stop;
    my @log = $h->error_log_lines;
    ok((grep { /OT00050: TraceTag -int app\.len: '4x2' is not a decimal integer: not set/ } @log),
       'debug log: not a number');
    ok((grep { /OT00051: TraceTag -bool app\.flag: 'maybe' is not true, false, on, off, 1 or 0: not set/ } @log),
       'debug log: not a boolean');
    is_deeply([$h->error_log_unexpected(qr/\[opentracing:debug\]/)], [], 'no unexpected error-log lines');
}

# --- TraceTag: a key a backend set too -----------------------------------
{
    my $h = OTTest->new(extra => "TraceTag test.case \"from-config\"\nTraceTag app.other \"x\"\n");
    $h->write_file($h->dir . '/cgi-bin/tag.cgi', <<'CGI', 0755);
#!/usr/bin/perl
print "Content-Type: text/plain\r\nTrace-Tag: test.case=from-cgi, test.kept=1\r\n\r\nok\n";
CGI
    $h->start;
    $h->get('/cgi-bin/tag.cgi?t=cgi');
    my ($s) = $h->spans(min => 1);
    my @case = grep { $_->{key} eq 'test.case' } @{ $s->{attributes} };
    is(scalar @case, 1, "a tag whose key a backend set: one attribute");
    is($s->{attr}{'test.case'}, 'from-config', 'the tag, set last, wins');
    is($s->{attr}{'test.kept'}, '1', "the backend's other tags stay");
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- the namespaces a tag looks for its key in cover the module's keys ---
{
    my $src = join '', map { OTTest::slurp($_) }
        glob("$OTTest::REPO/mod_opentracing*.c"), glob("$OTTest::REPO/tracer/core/*.c");
    my ($body) = $src =~ /int ot_span_module_key\(.*?\n\}\n/s ? ($&) : ('');
    my @ns = $body =~ /HAS_PREFIX\(k, n, "([^"]+)"\)/g;
    my @keys = $src =~ /KEY\("([^"]+)"\)/g;
    ok(@ns && @keys, 'the namespaces and the keys are found');
    my @out = grep { my $k = $_; !grep { index($k, $_) == 0 } @ns } @keys;
    is_deeply(\@out, [], "every KEY() of the module is in ot_span_module_key's namespaces");
}

# --- configtest ----------------------------------------------------------
{
    my $h = OTTest->new;
    for my $t (['TraceSampleRate 1.5', qr/^TraceSampleRate: '1\.5' is not a number between 0 and 1$/m],
               ['TraceSampleRate half', qr/^TraceSampleRate: 'half' is not a number between 0 and 1$/m],
               ['TraceSampleExpr sometimes "true"', qr/^TraceSampleExpr: 'sometimes' is neither always nor never$/m],
               ['TraceSampleExpr never "%{NO_SUCH_VAR"', qr/^TraceSampleExpr: cannot parse expression '%\{NO_SUCH_VAR': /m],
               ['TraceTag x "%{NO_SUCH_VAR"', qr/^TraceTag x: cannot parse expression '%\{NO_SUCH_VAR': /m],
               ['TraceTag -float x "1.5"', qr/^TraceTag: unknown flag '-float' \(-int or -bool\)$/m],
               ['TraceTag -int x', qr/^TraceTag -int: an attribute name and an expression must follow$/m],
               ['TraceTag x y z', qr/^TraceTag x: a flag \(-int or -bool\) comes first, or only a name and an expression$/m],
               ['TraceTag -int x "12a"', qr/^TraceTag -int x: '12a' is not a decimal integer$/m],
               ['TraceTag -bool x "yes"', qr/^TraceTag -bool x: 'yes' is not true, false, on, off, 1 or 0$/m],
               ['TraceTag -int "" "1"', qr/^TraceTag takes two or three arguments, /m],
               ['TraceTag -bool x "%{NO_SUCH_VAR"', qr/^TraceTag x: cannot parse expression '%\{NO_SUCH_VAR': /m]) {
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
