# TraceRequest Off in <Location>, <LocationMatch> and <Directory>: no span,
# and whatever trace context arrived passes through untouched.  A more
# specific <Location> turns it On again.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
<Location /off>
    TraceRequest Off
    ErrorDocument 404 /err.html
</Location>
<Location /off/on>
    TraceRequest On
</Location>
<LocationMatch "^/lm-off/">
    TraceRequest Off
</LocationMatch>
<Directory @DIR@/htdocs/diroff>
    TraceRequest Off
</Directory>
ScriptAlias /cgi-off/ @DIR@/cgi-bin/
<Location /cgi-off>
    TraceRequest Off
</Location>
<Location /off-denied>
    TraceRequest Off
    Require all denied
</Location>
RewriteEngine On
RewriteRule ^/to-off$ /off/index.html [PT]
EOC
$h->start;

my $incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
my $state = 'congo=t61rcWkgMzE,  rojo=00f067aa0ba902b7';   # not normalized

my %off = (
    'q=off'      => ['/off/', 200],
    'q=offmiss'  => ['/off/missing', 404],
    'q=lm'       => ['/lm-off/a.txt', 200],
    'q=dir'      => ['/diroff/a.txt', 200],
    'q=cgioff'   => ['/cgi-off/env.cgi', 200],
    'q=cgioffin' => ['/cgi-off/env.cgi', 200,
                     { traceparent => $incoming, tracestate => $state }],
    'q=cgioffbad' => ['/cgi-off/env.cgi', 200,
                      { traceparent => 'not-a-traceparent' }],
    'q=denied'   => ['/off-denied/x', 403],         # fails before fixups
    'q=rewrite'  => ['/to-off', 200],               # rewritten into /off
);
my %on = (
    'q=offon'    => ['/off/on/', 200],
    'q=static'   => ['/static.txt', 200],
    'q=cgi'      => ['/cgi-bin/env.cgi', 200],
);
my %res;
for my $q (sort(keys %off), sort(keys %on)) {
    my ($path, $status, $hdr) = @{ $off{$q} || $on{$q} };
    $res{$q} = $h->get("$path?$q", $hdr);
    is($res{$q}{status}, $status, "$path?$q answers $status");
}
like($res{'q=offon'}{content}, qr/off but on again/, '/off/on/ served its index');
like($res{'q=offmiss'}{content}, qr/custom 404 page/, 'ErrorDocument under an Off location');

my $env = sub { eval { decode_json($res{$_[0]}{content}) } || {} };

my $e = $env->('q=cgioff');
ok(exists $e->{GATEWAY_INTERFACE}, 'CGI under Off ran');
ok(!exists $e->{HTTP_TRACEPARENT}, 'Off, nothing sent: no HTTP_TRACEPARENT');
ok(!exists $e->{TRACEPARENT}, 'Off, nothing sent: no TRACEPARENT');
ok(!exists $e->{HTTP_TRACESTATE} && !exists $e->{TRACESTATE}, 'Off, nothing sent: no tracestate');

$e = $env->('q=cgioffin');
is($e->{HTTP_TRACEPARENT}, $incoming, 'Off: incoming traceparent passes unchanged');
is($e->{HTTP_TRACESTATE}, $state, 'Off: incoming tracestate passes unchanged');
ok(!exists $e->{TRACEPARENT}, 'Off: no TRACEPARENT of ours');
ok(!exists $e->{TRACESTATE}, 'Off: no TRACESTATE of ours');

$e = $env->('q=cgioffbad');
is($e->{HTTP_TRACEPARENT}, 'not-a-traceparent', 'Off: even an invalid traceparent passes unchanged');
ok(!exists $e->{TRACEPARENT}, 'Off: no TRACEPARENT for an invalid one either');

$e = $env->('q=cgi');
like($e->{TRACEPARENT} // '', qr/\A00-[0-9a-f]{32}-[0-9a-f]{16}-03\z/, 'On: CGI gets a TRACEPARENT (sampled, random)');

$h->spans(min => scalar keys %on);
$h->stop;
my @spans = $h->read_spans;
my $q = OTTest->by_query(@spans);
is(scalar @spans, scalar keys %on, 'spans only for the On requests');
ok(!$q->{$_}, "no span for $off{$_}[0]?$_") for sort keys %off;
for my $k (sort keys %on) {
    is(scalar(@{ $q->{$k} || [] }), 1, "one span for $on{$k}[0]?$k");
}
is(($q->{'q=offon'} || [{}])->[0]{attr}{'url.path'}, '/off/on/', 'nested On: url.path');
ok(!grep({ $_->{traceId} eq '0af7651916cd43dd8448eb211c80319c' } @spans),
   'the incoming trace id appears in no span');
is($e->{TRACEPARENT}, OTTest->traceparent_of(($q->{'q=cgi'} || [{}])->[0]),
   'On: CGI TRACEPARENT names its span');

my $d = $h->dir;
is_deeply([$h->error_log_unexpected(
    qr/\] AH00128: File does not exist: \Q$d\E\/htdocs\/off\/missing$/,
    qr/\] AH01630: client denied by server configuration: \Q$d\E\/htdocs\/off-denied$/,
)], [], 'no unexpected error-log lines');

# Off for the whole server, On again in a <Location>.
{
    my $g = OTTest->new(extra => <<'EOC');
TraceRequest Off
<Location /sub>
    TraceRequest On
</Location>
EOC
    $g->start;
    my $cgi = $g->get('/cgi-bin/env.cgi?g=cgi', { traceparent => $incoming });
    my $genv = eval { decode_json($cgi->{content}) } || {};
    is($genv->{HTTP_TRACEPARENT}, $incoming, 'server-wide Off: traceparent passes unchanged');
    ok(!exists $genv->{TRACEPARENT}, 'server-wide Off: no TRACEPARENT');
    is($g->get('/static.txt?g=static')->{status}, 200, 'server-wide Off: static served');
    is($g->get('/sub/?g=sub')->{status}, 200, 'server-wide Off, On in /sub: served');
    $g->spans(min => 1);
    $g->stop;
    my @gs = $g->read_spans;
    is(scalar @gs, 1, 'server-wide Off: a single span');
    is(($gs[0] || {})->{attr}{'url.query'}, 'g=sub', 'server-wide Off: the span is for /sub/');
    is_deeply([$g->error_log_unexpected], [], 'server-wide Off: no unexpected error-log lines');
}
# Off everywhere: the module loaded with a tracer, tracing switched off
# (every hook returns first thing): nothing recorded, nothing written, the
# incoming context passes unchanged; a <VirtualHost> that says On is
# traced; a graceful restart that turns tracing on again applies.
{
    my $vhost = <<'EOC';
TraceRequest Off
<VirtualHost 127.0.0.1:@PORT@>
    ServerName off.test
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName on.test
    TraceRequest On
</VirtualHost>
EOC
    my $g = OTTest->new(extra => "TraceRequest Off\nTraceResponseHeader On\n");
    $g->start;
    my $cgi = $g->get('/cgi-bin/env.cgi?o=cgi', { traceparent => $incoming });
    my $genv = eval { decode_json($cgi->{content}) } || {};
    is($cgi->{status}, 200, 'Off everywhere: CGI served');
    is($genv->{HTTP_TRACEPARENT}, $incoming, 'Off everywhere: traceparent passes unchanged');
    ok(!exists $genv->{TRACEPARENT}, 'Off everywhere: no TRACEPARENT');
    ok(!defined $cgi->{headers}{traceresponse}, 'Off everywhere: no traceresponse');
    is($g->get('/static.txt?o=static')->{status}, 200, 'Off everywhere: static served');
    is($g->get('/missing?o=404')->{status}, 404, 'Off everywhere: a 404 served');
    $g->access_log_lines(min => 3);

    $g->reconfigure(extra => $vhost);
    $g->graceful;
    is($g->get('/static.txt?o=vhost-off', { Host => 'off.test' })->{status}, 200,
       'Off but in one <VirtualHost>: the other host served');
    is($g->get('/static.txt?o=vhost-on', { Host => 'on.test' })->{status}, 200,
       'Off but in one <VirtualHost>: that host served');
    $g->spans(min => 1);

    $g->reconfigure(extra => "TraceResponseHeader On\n");
    $g->graceful;
    my $on = $g->get('/static.txt?o=restarted');
    is($on->{status}, 200, 'On again after a graceful restart: served');
    like($on->{headers}{traceresponse} // '', qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/,
         'On again after a graceful restart: traceresponse');
    $g->spans(min => 2);
    $g->stop;
    my $q = OTTest->by_query($g->read_spans);
    is_deeply([sort keys %$q], ['o=restarted', 'o=vhost-on'],
              'spans for the <VirtualHost> that says On and after the restart, none while Off');
    my $gd = $g->dir;
    is_deeply([$g->error_log_unexpected(
        qr/\] AH00128: File does not exist: \Q$gd\E\/htdocs\/missing$/,
    )], [], 'Off everywhere: no unexpected error-log lines');
}
done_testing;
