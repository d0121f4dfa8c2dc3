# TraceSemanticConventions: the attribute names of server and CLIENT spans
# under current (the stable HTTP conventions), old (v1.20.0's, the names
# of OpenTelemetry's migration guide) and both.
use strict;
use warnings;
use Test::More;
use OTTest;
use OTReceiver;

my $backend = OTReceiver->new(body => "hi\n")->start;
my $bp = $backend->port;

# current name => old name, on the server span of GET /index.html?q=1 and
# the CLIENT span of GET /p/x?q=2 (proxied)
my %server = (
    'http.request.method'       => 'http.method',
    'url.scheme'                => 'http.scheme',
    'server.address'            => 'net.host.name',
    'server.port'               => 'net.host.port',
    'client.address'            => 'http.client_ip',
    'network.peer.address'      => 'net.sock.peer.addr',
    'network.peer.port'         => 'net.sock.peer.port',
    'network.protocol.version'  => 'net.protocol.version',
    'user_agent.original'       => 'http.user_agent',
    'http.response.status_code' => 'http.status_code',
    'http.response.body.size'   => 'http.response_content_length',
);
my %client = (
    'http.request.method'       => 'http.method',
    'url.full'                  => 'http.url',
    'server.address'            => 'net.peer.name',
    'server.port'               => 'net.peer.port',
    'network.protocol.name'     => 'net.protocol.name',
    'http.response.status_code' => 'http.status_code',
);

my %spans;
my %version;    # the HTTP version each mode's request was answered in
for my $mode (qw(default current old both)) {
    my $h = OTTest->new(
        modules => [qw(authz_core mime dir alias proxy proxy_http)],
        module_first => 1,
        extra => ($mode eq 'default' ? '' : "TraceSemanticConventions $mode\n")
            . "ProxyPass /p/ http://127.0.0.1:$bp/\n");
    $h->start;
    ($version{$mode}) = ($h->get('/index.html?q=1')->{protocol} // '') =~ m{\AHTTP/(.+)\z};
    $h->get('/p/x?q=2');
    my @all = $h->spans(min => 3);
    my ($s) = grep { $_->{kind} == 2 && ($_->{attr}{'url.query'} // $_->{attr}{'http.target'} // '') =~ /q=1/ } @all;
    my ($c) = grep { $_->{kind} == 3 } @all;
    $spans{$mode} = [$s, $c];
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], "$mode: no unexpected error-log lines");
}

for my $mode (qw(default current old both)) {
    my ($s, $c) = @{ $spans{$mode} };
    ok($s && $c, "$mode: a server and a CLIENT span") or next;
    my $cur = $mode ne 'old';
    my $old = $mode eq 'old' || $mode eq 'both';
    for my $pair ([$s, \%server, 'server'], [$c, \%client, 'CLIENT']) {
        my ($span, $map, $what) = @$pair;
        for my $k (sort keys %$map) {
            is(exists $span->{attr}{$k}, $cur, "$mode: $what $k " . ($cur ? 'set' : 'not set'));
            is(exists $span->{attr}{$map->{$k}}, $old,
               "$mode: $what $map->{$k} " . ($old ? 'set' : 'not set'));
            is($span->{attr}{$map->{$k}}, $span->{attr}{$k}, "$mode: $what $map->{$k} = $k")
                if $cur && $old;
        }
    }
    is(exists $s->{attr}{'url.path'}, $cur, "$mode: url.path");
    is($s->{attr}{'http.target'}, $old ? '/index.html?q=1' : undef, "$mode: http.target is path and query");
    is($s->{name}, 'GET', "$mode: the span name does not change");
}
is($spans{old}[0]{attr}{'http.method'}, 'GET', 'old: http.method');
is($spans{old}[0]{attr}{'http.status_code'}, 200, 'old: http.status_code');
# "1.1", or "2" under OT_H2 (make integration-h2)
is($spans{old}[0]{attr}{'net.protocol.version'}, $version{old}, "old: net.protocol.version ($version{old})");
is($spans{current}[0]{attr}{'network.protocol.version'}, $version{current},
   "current: network.protocol.version ($version{current})");
is($spans{old}[1]{attr}{'http.url'}, "http://127.0.0.1:$bp/x?q=2", 'old: http.url');

# configtest
my $h = OTTest->new;
my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
    . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\nTraceSemanticConventions newest");
isnt($st, 0, 'an unknown value: apache2 -t fails');
like($out, qr/TraceSemanticConventions: 'newest' is not one of current, old, both/, 'and says why');

done_testing;
