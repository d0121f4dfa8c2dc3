# apache2 -t rejects every bad tracer configuration with one clear line
# (and a non-zero exit, not a crash), and accepts good ones.
use strict;
use warnings;
use Test::More;
use File::Copy qw(copy);
use JSON::PP;
use OTTest;

my $h = OTTest->new(tracer => undef);
my $so = $h->plugin;
my $d = $h->dir;
my $m = OTTest::moddir();
my $spans = "$d/ct-spans.jsonl";
my $good = qq('{"path": "$spans"}');

$h->write_file("$d/conf/bad.json", qq({"path": "$spans",\n "schedule_delay_ms": }\n));
$h->write_file("$d/conf/unknown.json", qq({"path": "$spans", "colour": "blue"}\n));

my @bad = (
    ['missing plugin .so',
     "TraceTracer $d/no-such-tracer.so $good",
     qr/^TraceTracer: cannot load tracer plugin \Q$d\E\/no-such-tracer\.so: .*No such file/],
    ['an httpd module is not a plugin',
     "TraceTracer $m/mod_mime.so $good",
     qr/^TraceTracer: \Q$m\E\/mod_mime\.so is not a mod_opentracing tracer plugin/],
    ['a text file is not a plugin',
     "TraceTracer $d/htdocs/static.txt $good",
     qr/^TraceTracer: cannot load tracer plugin \Q$d\E\/htdocs\/static\.txt: /],
    ['bad inline JSON',
     qq(TraceTracer $so '{"path": "$spans",'),
     qr/^TraceTracer: inline JSON: invalid JSON at line 1, column \d+: /],
    ['inline JSON that is not an object',
     qq(TraceTracer $so '{"path"}'),
     qr/^TraceTracer: inline JSON: invalid JSON/],
    ['bad JSON in a config file',
     "TraceTracer $so conf/bad.json",
     qr/^TraceTracer: \Q$d\E\/conf\/bad\.json: invalid JSON at line 2, column \d+: /],
    ['unknown key',
     qq(TraceTracer $so '{"path": "$spans", "colour": "blue"}'),
     qr/^TraceTracer: file tracer, inline JSON: unknown key "colour"$/],
    ['unknown key in a config file',
     "TraceTracer $so conf/unknown.json",
     qr/^TraceTracer: file tracer, \Q$d\E\/conf\/unknown\.json: unknown key "colour"$/],
    ['missing required path',
     qq(TraceTracer $so '{"schedule_delay_ms": 100}'),
     qr/^TraceTracer: file tracer, inline JSON: key "path" is required$/],
    ['empty path',
     qq(TraceTracer $so '{"path": ""}'),
     qr/^TraceTracer: file tracer, inline JSON: key "path": must not be empty$/],
    ['wrong type: path',
     qq(TraceTracer $so '{"path": 5}'),
     qr/^TraceTracer: file tracer, inline JSON: key "path": expected a string$/],
    ['wrong type: schedule_delay_ms',
     qq(TraceTracer $so '{"path": "$spans", "schedule_delay_ms": "100"}'),
     qr/^TraceTracer: inline JSON: key "schedule_delay_ms": expected an integer$/],
    ['out of range: schedule_delay_ms',
     qq(TraceTracer $so '{"path": "$spans", "schedule_delay_ms": 0}'),
     qr/^TraceTracer: inline JSON: key "schedule_delay_ms": 0 is out of range 1\.\.\d+$/],
    ['duplicate key',
     qq(TraceTracer $so '{"path": "$spans", "path": "/tmp/x"}'),
     qr/^TraceTracer: inline JSON: invalid JSON .*duplicate/],
    ['missing config file',
     "TraceTracer $so conf/no-such.json",
     qr/^TraceTracer: cannot read config file \Q$d\E\/conf\/no-such\.json: No such file or directory$/],
    ['TraceTracer inside <VirtualHost>',
     "<VirtualHost 127.0.0.1:8>\n    TraceTracer $so $good\n</VirtualHost>",
     qr/^TraceTracer cannot occur within <VirtualHost> section$/],
    ['TraceNotes inside <VirtualHost>',
     "TraceTracer $so $good\n<VirtualHost 127.0.0.1:8>\n    TraceNotes On\n</VirtualHost>",
     qr/^TraceNotes cannot occur within <VirtualHost> section$/],
    ['TraceNotes with a bad value',
     "TraceTracer $so $good\nTraceNotes sometimes",
     qr/^TraceNotes must be On or Off$/],
    ['TraceTracer inside <Location>',
     "<Location /x>\n    TraceTracer $so $good\n</Location>",
     qr/^TraceTracer not allowed in <Location> context$/],
    ['TraceTracer inside <Directory>',
     "<Directory /tmp>\n    TraceTracer $so $good\n</Directory>",
     qr/^TraceTracer not allowed in <Directory> context$/],
    ['TracePropagation inside <Directory>',
     "TraceTracer $so $good\n<Directory /tmp>\n    TracePropagation b3\n</Directory>",
     qr/^TracePropagation not allowed in <Directory> context$/],
    ['TraceTracer twice',
     "TraceTracer $so $good\nTraceTracer $so $good",
     qr/^TraceTracer may be given only once$/],
    ['TraceTracer with one argument',
     "TraceTracer $so",
     qr/^TraceTracer takes two arguments, /],
    ['TracePropagation with an unknown format',
     "TraceTracer $so $good\nTracePropagation w3c b4",
     qr/^TracePropagation: unknown format 'b4' \(known: w3c, b3, b3multi, jaeger, baggage\)$/],
    ['TraceTrustIncoming with a bad value',
     "TraceTracer $so $good\nTraceTrustIncoming sometimes",
     qr/^TraceTrustIncoming must be On or Off$/],
    ['TraceProxySpans with a bad value',
     "TraceTracer $so $good\nTraceProxySpans 1",
     qr/^TraceProxySpans must be On or Off$/],
    ['TraceBackendHeaders with a bad value',
     "TraceTracer $so $good\nTraceBackendHeaders yes",
     qr/^TraceBackendHeaders must be On or Off$/],
    ['TraceBackendHeaders without a value',
     "TraceTracer $so $good\nTraceBackendHeaders",
     qr/^TraceBackendHeaders must be On or Off$/],
    ['TraceResponseHeader with a bad value',
     "TraceTracer $so $good\n<Location /x>\n    TraceResponseHeader yes\n</Location>",
     qr/^TraceResponseHeader must be On or Off$/],
    ['TraceRequest with a bad value',
     "TraceTracer $so $good\nTraceRequest maybe",
     qr/^TraceRequest must be On or Off$/],
    ['TraceTag with an unknown flag',
     "TraceTracer $so $good\n<Location /x>\n    TraceTag -str x y\n</Location>",
     qr/^TraceTag: unknown flag '-str' \(-int or -bool\)$/],
    ['TraceTag -bool with a constant that is not a boolean',
     "TraceTracer $so $good\nTraceTag -bool app.b maybe",
     qr/^TraceTag -bool app\.b: 'maybe' is not true, false, on, off, 1 or 0$/],
);

for my $t (@bad) {
    my ($name, $snippet, $want) = @$t;
    my ($st, $out, $sig) = $h->configtest($snippet);
    is($sig, 0, "$name: not killed by a signal");
    isnt($st, 0, "$name: apache2 -t fails");
    my @lines = grep { !/^AH00526: Syntax error on line \d+ of \S+:$/ } split /\n/, $out;
    like($out, qr/^AH00526: Syntax error on line \d+ of \Q$d\E\/conf\/configtest\.conf:$/m,
         "$name: the line is named");
    is(scalar @lines, 1, "$name: one line of explanation") or diag $out;
    like($lines[0] // '', $want, "$name: $want") or diag $out;
}

# --- good configurations
copy($so, "$d/tracer_file.so") or die "copy: $!";
$h->write_file("$d/conf/tracer.json",
               qq({"path": "rel-spans.jsonl", "schedule_delay_ms": 100}\n));
my @good = (
    ['inline JSON', "TraceTracer $so $good"],
    ['every directive', "TraceTracer $so $good\nTraceServiceName shop\n"
        . "TracePropagation W3C b3 B3multi jaeger baggage\nTraceRequest Off\n"
        . "TraceTrustIncoming Off\nTraceResponseHeader On\nTraceProxySpans Off\n"
        . "TraceBackendHeaders Off\n"
        . "TraceTag app.s \"%{REQUEST_URI}\"\nTraceTag -int app.n \"%{HTTP:X-N}\"\n"
        . "TraceTag -bool app.b on\nTraceTag -int app.c -3\n"
        . "<Location /x>\n    TraceRequest On\n    TraceTrustIncoming On\n"
        . "    TraceResponseHeader Off\n    TraceProxySpans On\n"
        . "    TraceBackendHeaders On\n</Location>\n"
        . "<Directory /tmp>\n    TraceBackendHeaders Off\n</Directory>"],
    ['config file and plugin relative to ServerRoot',
     'TraceTracer tracer_file.so conf/tracer.json'],
    ['batch settings', qq(TraceTracer $so '{"path": "$spans", "max_queue_size": 10, )
        . q("max_export_batch_size": 5, "schedule_delay_ms": 100, "export_timeout_ms": 1000, )
        . q("shutdown_timeout_ms": 1000}')],
    ['no TraceTracer at all', ''],
);
for my $t (@good) {
    my ($name, $snippet) = @$t;
    my ($st, $out, $sig) = $h->configtest($snippet);
    is($st, 0, "$name: apache2 -t passes") or diag $out;
    is($out, "Syntax OK\n", "$name: Syntax OK and nothing else");
}
ok(!-e $spans, 'apache2 -t does not create the span file');
ok(!-e "$d/rel-spans.jsonl", 'nor a relative one');

# --- a relative config file really configures the tracer
{
    my $r = OTTest->new(tracer => undef, spans_path => '@DIR@/rel-spans.jsonl',
                        extra => "TraceTracer tracer_file.so conf/tracer.json\n");
    copy($so, $r->dir . '/tracer_file.so') or die "copy: $!";
    $r->write_file($r->dir . '/conf/tracer.json',
                   qq({"path": "rel-spans.jsonl", "schedule_delay_ms": 100}\n));
    $r->start;
    is($r->get('/static.txt')->{status}, 200, 'relative config: request served');
    my @s = $r->spans(min => 1);
    is(scalar @s, 1, 'relative config: span written to rel-spans.jsonl under ServerRoot');
    $r->stop;
    my $rd = $r->dir;
    is_deeply([$r->error_log_unexpected(
        qr/\] OT00004: mod_opentracing [\d.]+: file tracer \(\Q$rd\E\/tracer_file\.so\) configured by \Q$rd\E\/conf\/tracer\.json$/)],
        [], 'relative config: no unexpected error-log lines');
}

# --- a span file that cannot be opened stops the start, clearly
{
    my $r = OTTest->new(tracer => '{"path": "@DIR@/no-such-dir/spans.jsonl"}');
    my ($st, $out) = $r->configtest(undef);
    is($st, 0, 'unopenable span file: apache2 -t cannot know, passes') or diag $out;
    my $died = !eval { $r->start; 1 };
    ok($died, 'unopenable span file: apache2 does not start');
    like($@, qr/OT00003: TraceTracer \S+tracer_file\.so: cannot open span file \Q${\ $r->dir}\E\/no-such-dir\/spans\.jsonl: No such file or directory/,
         'unopenable span file: named in the error log');
    ok(OTTest::wait_for(5, sub { !$r->port_answers }), 'nothing listens');
}

# --- loaded without TraceTracer: nothing traced, nothing touched
{
    my $r = OTTest->new(tracer => undef);
    $r->start;
    my $res = $r->get('/cgi-bin/env.cgi', { traceparent => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    my $env = eval { decode_json($res->{content}) } || {};
    is($res->{status}, 200, 'no tracer: CGI ran');
    is($env->{HTTP_TRACEPARENT}, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
       'no tracer: traceparent untouched');
    ok(!exists $env->{TRACEPARENT}, 'no tracer: no TRACEPARENT');
    my @l = $r->access_log_lines(min => 1);
    like($l[0] // '', qr/^- - 200 \/cgi-bin\/env\.cgi -$/, 'no tracer: notes unset');
    $r->stop;
    ok(!-e $r->spans_path, 'no tracer: no span file');
    is_deeply([$r->error_log_unexpected(
        qr/\] OT00002: mod_opentracing [\d.]+ loaded, no TraceTracer configured: requests are not traced$/)],
        [], 'no tracer: no unexpected error-log lines');
    is(scalar(grep /OT00002/, $r->error_log_lines), 1, 'no tracer: said so once');
}

# --- .htaccess (AllowOverride All): no directive of the module is allowed
# there; the tracer and its exporter settings are server configuration.
{
    my @dirs = ("TraceTracer $so $good", 'TraceServiceName x', 'TracePropagation b3',
                'TraceSampleRate 1', 'TraceTag a b', 'TraceRequest Off',
                'TraceOperationName x', 'TraceBackendHeaders Off');
    my %files = map { ("htdocs/ht$_/.htaccess" => "$dirs[$_]\n",
                       "htdocs/ht$_/x.txt" => "x\n") } 0 .. $#dirs;
    my $r = OTTest->new(files => \%files,
        extra => "<Directory \@DIR\@/htdocs>\n    AllowOverride All\n</Directory>\n");
    $r->start;
    for my $i (0 .. $#dirs) {
        my ($name) = split ' ', $dirs[$i];
        is($r->get("/ht$i/x.txt")->{status}, 500, "$name in .htaccess: refused (500)");
    }
    $r->stop;
    my @refused = grep { /AH00526|not allowed here/ } $r->error_log_lines;
    for my $i (0 .. $#dirs) {
        my ($name) = split ' ', $dirs[$i];
        ok(scalar(grep { /ht$i\/\.htaccess: $name not allowed here/ } @refused),
           "$name in .htaccess: 'not allowed here' logged");
    }
}

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
