# CLIENT spans of the proxy schemes t/48 does not cover, each against a
# real backend on loopback (t/lib/OTProtocols.pm): SCGI (mod_proxy_scgi),
# uwsgi (mod_proxy_uwsgi), AJP13 (mod_proxy_ajp), WebSocket tunnels
# (mod_proxy_http's upgrade=websocket, ws:// URLs, mod_proxy_wstunnel's
# own tunnel), forward proxying (ProxyRequests On) and backend connections
# reused for a second request (keepalive=On, AJP's pooled connections).
# For each: one CLIENT span, child of the server span, its attributes, the
# context the backend received (headers, and the CGI environment where the
# protocol sends it), and an ERROR CLIENT span when nothing listens.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use OTTest;
use OTReceiver;
use OTProtocols;

$SIG{PIPE} = 'IGNORE';
my $scgi  = OTScgi->new->start;
my $uwsgi = OTUwsgi->new->start;
my $ajp   = OTAjp->new->start;
my $ws    = OTWebSocket->new->start;
my $ok    = OTReceiver->new(body => "backend says hi\n")->start;
my $dead  = OTTest::free_port();
my ($scgip, $uwsgip, $ajpp, $wsp, $okp) = map { $_->port } $scgi, $uwsgi, $ajp, $ws, $ok;

my $h = OTTest->new(
    modules => [qw(authz_core mime dir alias rewrite proxy proxy_http proxy_scgi
                   proxy_uwsgi proxy_ajp proxy_wstunnel proxy_fcgi)],
    module_first => 1, extra => <<"CONF");
TracePropagation w3c baggage
ProxyPass /scgi/ scgi://127.0.0.1:$scgip/
ProxyPass /uwsgi/ uwsgi://127.0.0.1:$uwsgip/
ProxyPass /ajp/ ajp://127.0.0.1:$ajpp/
ProxyPass /dead-scgi/ scgi://127.0.0.1:$dead/ retry=0
ProxyPass /dead-uwsgi/ uwsgi://127.0.0.1:$dead/ retry=0
ProxyPass /dead-ajp/ ajp://127.0.0.1:$dead/ retry=0
ProxyPass /noport-scgi/ scgi://127.0.0.1/ retry=0 timeout=2
ProxyPass /noport-uwsgi/ uwsgi://127.0.0.1/ retry=0 timeout=2
ProxyPass /noport-fcgi/ fcgi://127.0.0.1/ retry=0 timeout=2
ProxyPass /ws-upgrade/ http://127.0.0.1:$wsp/ upgrade=websocket
ProxyPass /ws-url/ ws://127.0.0.1:$wsp/
ProxyPass /ws-tunnel/ ws://127.0.0.1:$wsp/
<Location /ws-tunnel/>
    ProxyWebsocketFallbackToProxyHttp Off
</Location>
ProxyPass /ka/ http://127.0.0.1:$okp/ keepalive=On
ProxyRequests On
CONF
$h->start;

my $W3C = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

# The server span of the request marked with query $q and its one CLIENT
# span, checked against %e: method (default GET), protocol, port, url,
# status (undef: no response, error.type $e{error}).
sub client_span {
    my ($what, $q, %e) = @_;
    my ($s, @c) = $h->proxy_spans($q, 1);
    ok($s, "$what: a server span");
    is(scalar @c, 1, "$what: exactly one CLIENT span, child of the server span");
    my $c = $c[0] or return ($s, undef);
    my $m = $e{method} // 'GET';
    is($c->{traceId}, $s->{traceId}, "$what: CLIENT span in the server span's trace");
    is($c->{name}, $m, "$what: named $m");
    is($c->{attr}{'http.request.method'}, $m, "$what: http.request.method");
    is($c->{attr}{'network.protocol.name'}, $e{protocol}, "$what: network.protocol.name $e{protocol}");
    is($c->{attr}{'server.address'}, '127.0.0.1', "$what: server.address");
    is($c->{attr}{'server.port'}, $e{port}, "$what: server.port");
    is($c->{attr}{'url.full'}, $e{url}, "$what: url.full");
    if (defined $e{status}) {
        is($c->{attr}{'http.response.status_code'}, $e{status}, "$what: http.response.status_code $e{status}");
        is($c->{status}{code} // 0, $e{status} >= 400 ? 2 : 0,
           "$what: status " . ($e{status} >= 400 ? 'ERROR' : 'unset'));
    }
    else {
        ok(!exists $c->{attr}{'http.response.status_code'}, "$what: no status code");
        is($c->{status}{code}, 2, "$what: status ERROR");
        is($c->{attr}{'error.type'}, $e{error}, "$what: error.type $e{error}");
    }
    return ($s, $c);
}

# The first request $srv recorded that $match accepts ($_ is the record).
sub recorded {
    my ($srv, $match) = @_;
    my $r;
    OTTest::wait_for(10, sub { ($r) = grep { $match->() } $srv->requests; $r });
    return $r;
}

sub post {
    my ($path, $body, $headers) = @_;
    return $h->request('POST', $path, { content => $body, headers => $headers });
}

# --- SCGI and uwsgi: the variables carry the CLIENT span's context as a
# header (HTTP_TRACEPARENT) and as the environment carrier (TRACEPARENT)
for my $p ([scgi => $scgi, $scgip], [uwsgi => $uwsgi, $uwsgip]) {
    my ($name, $srv, $port) = @$p;
    my $r = $h->get("/$name/app?q=$name", { traceparent => $W3C, baggage => 'k=v' });
    is($r->{status}, 200, "$name: 200");
    my ($s, $c) = client_span($name, "q=$name", protocol => $name, port => $port,
                              url => "$name://127.0.0.1:$port/app?q=$name", status => 200);
    is($s->{traceId}, '4bf92f3577b34da6a3ce929d0e0e4736', "$name: the incoming trace");
    my $v = recorded($srv, sub { ($_->{QUERY_STRING} // '') eq "q=$name" });
    ok($v, "$name: the backend got the request");
    like($r->{content}, qr/"QUERY_STRING":"q=$name"/, "$name: httpd passed on the backend's answer");
    my $tp = $c && OTTest->traceparent_of($c);
    is($v && $v->{HTTP_TRACEPARENT}, $tp, "$name: HTTP_TRACEPARENT is the CLIENT span's");
    is($v && $v->{TRACEPARENT}, $tp, "$name: TRACEPARENT is the CLIENT span's");
    is($v && $v->{HTTP_BAGGAGE}, 'k=v', "$name: HTTP_BAGGAGE");
    is($v && $v->{BAGGAGE}, 'k=v', "$name: BAGGAGE");
    is($v && $v->{REQUEST_METHOD}, 'GET', "$name: REQUEST_METHOD");
    is($v && $v->{_BODY_LENGTH}, 0, "$name: no body");

    $r = post("/$name/form?q=$name-post&status=404", 'x' x 5000, { traceparent => $W3C });
    is($r->{status}, 404, "$name POST: the backend's 404");
    ($s, $c) = client_span("$name POST", "q=$name-post&status=404", method => 'POST',
                           protocol => $name, port => $port, status => 404,
                           url => "$name://127.0.0.1:$port/form?q=$name-post&status=404");
    is($c && $c->{attr}{'error.type'}, '404', "$name POST: error.type 404");
    $v = recorded($srv, sub { ($_->{QUERY_STRING} // '') eq "q=$name-post&status=404" });
    is($v && $v->{_BODY_LENGTH}, 5000, "$name POST: the body");
    is($v && $v->{TRACEPARENT}, $c && OTTest->traceparent_of($c), "$name POST: TRACEPARENT is its CLIENT span's");

    $h->get("/dead-$name/x?q=dead-$name");
    client_span("$name, nothing listening", "q=dead-$name", protocol => $name, port => $dead,
                url => "$name://127.0.0.1:$dead/x?q=dead-$name", error => 'unavailable');
}
{
    my $v = recorded($uwsgi, sub { 1 });
    is_deeply([$v && @$v{qw(_MODIFIER1 _MODIFIER2)}], [0, 0], 'uwsgi: modifier1 0 (WSGI), modifier2 0');
    is($v && $v->{PATH_INFO}, '/app', 'uwsgi: PATH_INFO');
}

# --- a URL without a port: server.port is the one mod_proxy connects to
# (whether anything answers there is not this test's business), none for
# uwsgi: httpd 2.4's mod_proxy_uwsgi then connects to port 0
for my $p ([scgi => 4000, 'scgi'], [uwsgi => undef, 'uwsgi'], [fcgi => 8000, 'fastcgi']) {
    my ($name, $port, $protocol) = @$p;
    $h->get("/noport-$name/x?q=noport-$name");
    my ($s, @c) = $h->proxy_spans("q=noport-$name", 1);
    is(scalar @c, 1, "$name without a port: a CLIENT span");
    is($c[0] && $c[0]{attr}{'server.port'}, $port, "$name without a port: server.port " . ($port // 'none'));
    is($c[0] && $c[0]{attr}{'url.full'}, "$name://127.0.0.1/x?q=noport-$name", "$name without a port: url.full");
    is($c[0] && $c[0]{attr}{'network.protocol.name'}, $protocol, "$name without a port: network.protocol.name");
}

# --- AJP13: the headers carry the CLIENT span's context; AJP sends no CGI
# environment (only variables named AJP_*, as attributes without the
# prefix), so no TRACEPARENT there.  Two requests over one client
# connection: mod_proxy_ajp keeps the backend connection for the second.
{
    my $ua = HTTP::Tiny->new(timeout => 15, keep_alive => 1);
    my @v;
    for my $i (1, 2) {
        my $r = $ua->get($h->url("/ajp/servlet?q=ajp$i"), { headers => { traceparent => $W3C, baggage => 'k=v' } });
        is($r->{status}, 200, "ajp $i: 200");
        like($r->{content}, qr/"uri":"\/servlet"/, "ajp $i: the container's answer passed on");
        my ($s, $c) = client_span("ajp $i", "q=ajp$i", protocol => 'ajp', port => $ajpp,
                                  url => "ajp://127.0.0.1:$ajpp/servlet?q=ajp$i", status => 200);
        my $v = $v[$i] = recorded($ajp, sub { ($_->{attributes}{query_string} // '') eq "q=ajp$i" });
        ok($v, "ajp $i: the container got the request");
        is($v && $v->{method}, 'GET', "ajp $i: method");
        is($v && $v->{uri}, '/servlet', "ajp $i: uri");
        is($v && $v->{headers}{'user-agent'}, 'HTTP-Tiny/' . HTTP::Tiny->VERSION, "ajp $i: a coded header (user-agent)");
        is($v && $v->{headers}{traceparent}, $c && OTTest->traceparent_of($c), "ajp $i: traceparent is its CLIENT span's");
        is($v && $v->{headers}{baggage}, 'k=v', "ajp $i: baggage");
        ok($v && !grep({ /traceparent/i } keys %{ $v->{attributes} }), "ajp $i: no TRACEPARENT attribute (AJP sends no environment)");
    }
    is($v[1] && $v[1]{connection}, $v[2] && $v[2]{connection}, 'ajp: both over one backend connection');
    isnt($v[1] && $v[1]{headers}{traceparent}, $v[2] && $v[2]{headers}{traceparent}, 'ajp: each with a context of its own');

    my $r = post("/ajp/form?q=ajp-post&status=500", 'y' x 20000, { traceparent => $W3C });
    is($r->{status}, 500, 'ajp POST: the container\'s 500');
    my ($s, $c) = client_span('ajp POST', 'q=ajp-post&status=500', method => 'POST', protocol => 'ajp',
                              port => $ajpp, status => 500, url => "ajp://127.0.0.1:$ajpp/form?q=ajp-post&status=500");
    my $v = recorded($ajp, sub { ($_->{attributes}{query_string} // '') eq 'q=ajp-post&status=500' });
    is($v && $v->{_BODY_LENGTH}, 20000, 'ajp POST: the body (over several data packets)');
    is($v && $v->{headers}{traceparent}, $c && OTTest->traceparent_of($c), 'ajp POST: traceparent is its CLIENT span\'s');

    $h->get('/dead-ajp/x?q=dead-ajp');
    client_span('ajp, nothing listening', 'q=dead-ajp', protocol => 'ajp', port => $dead,
                url => "ajp://127.0.0.1:$dead/x?q=dead-ajp", error => 'unavailable');
}

# --- WebSocket: the CLIENT span ends when the backend's 101 passes, the
# tunnel goes on (an echo a second later).  The handshake and the frames
# are RFC 6455's own examples (sections 1.3 and 5.7).
for my $t (['upgrade=websocket', '/ws-upgrade/', 'http'],
           ['ws:// URL', '/ws-url/', 'ws'],
           ['mod_proxy_wstunnel', '/ws-tunnel/', 'ws']) {
    my ($what, $path, $scheme) = @$t;
    (my $q = "q=ws$path") =~ s{/}{}g;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h->port,
                                     Proto => 'tcp', Timeout => 10) or die "connect: $!";
    binmode $sock;
    print {$sock} "GET ${path}chat?$q HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\ntraceparent: $W3C\r\n\r\n";
    local $SIG{ALRM} = sub { die "$what: timeout\n" };
    alarm 15;
    my $head = '';
    $head .= $_ while defined($_ = <$sock>) && $_ ne "\r\n";
    my $t101 = time;
    like($head, qr{\AHTTP/1\.1 101 }, "$what: 101 Switching Protocols");
    like($head, qr{^Sec-WebSocket-Accept: \Qs3pPLMBiTxaQ9kYGzzhZRbK+xOo=\E\r$}mi, "$what: the backend's Sec-WebSocket-Accept");
    sleep 1;
    print {$sock} pack('C*', 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
    my $echo = OTServer::read_exact($sock, 7);
    is($echo, "\x81\x05Hello", "$what: the tunnel carries a frame and its echo after the 101");
    print {$sock} pack('C*', 0x88, 0x80, 1, 2, 3, 4);
    is(OTServer::read_exact($sock, 2), "\x88\x00", "$what: the close frame answered");
    close $sock;
    alarm 0;
    my ($s, $c) = client_span($what, $q, protocol => 'http', port => $wsp,
                              url => "$scheme://127.0.0.1:$wsp/chat?$q", status => 101);
    cmp_ok($c && $c->{endTimeUnixNano} / 1e9, '<=', $t101, "$what: the CLIENT span ended when the 101 passed");
    cmp_ok($s && $s->{endTimeUnixNano} / 1e9, '>=', $t101 + 1, "$what: the server span when the tunnel closed");
    my $v = recorded($ws, sub { $_->{path} eq "/chat?$q" });
    is($v && $v->{headers}{traceparent}, $c && OTTest->traceparent_of($c), "$what: the backend's traceparent is the CLIENT span's");
}

# --- an Upgrade header the backend does not take up (no upgrade= here):
# the ordinary response ends the span, and the next request on the client
# connection is its own
{
    my $ua = HTTP::Tiny->new(timeout => 15, keep_alive => 1);
    my $r = $ua->get($h->url('/ka/plain?q=noupgrade'), { headers => { Upgrade => 'websocket' } });
    is($r->{status}, 200, 'Upgrade not taken up: 200');
    client_span('Upgrade not taken up', 'q=noupgrade', protocol => 'http', port => $okp,
                url => "http://127.0.0.1:$okp/plain?q=noupgrade", status => 200);
    is($ua->get($h->url('/ka/plain?q=after-noupgrade'))->{status}, 200, 'the next request on that connection: 200');
    client_span('the next request', 'q=after-noupgrade', protocol => 'http', port => $okp,
                url => "http://127.0.0.1:$okp/plain?q=after-noupgrade", status => 200);
}

# --- forward proxy: an absolute URI to the front httpd
{
    my $raw = $h->raw("GET http://127.0.0.1:$okp/fwd?q=fwd HTTP/1.1\r\nHost: 127.0.0.1:$okp\r\n"
                      . "Connection: close\r\ntraceparent: $W3C\r\n\r\n");
    like($raw, qr{\AHTTP/1\.1 200 .*backend says hi\n\z}s, 'forward proxy: the backend answered');
    my ($s, $c) = client_span('forward proxy', 'q=fwd', protocol => 'http', port => $okp,
                              url => "http://127.0.0.1:$okp/fwd?q=fwd", status => 200);
    my $v;
    OTTest::wait_for(10, sub { ($v) = grep { $_->{path} eq '/fwd?q=fwd' } $ok->requests; $v });
    is($v && $v->{headers}{traceparent}, $c && OTTest->traceparent_of($c), "forward proxy: the backend's traceparent is the CLIENT span's");
}

# --- keepalive=On: two requests over one backend connection, a CLIENT
# span and a context each
{
    my $ua = HTTP::Tiny->new(timeout => 15, keep_alive => 1);
    my (@c, @v);
    for my $i (1, 2) {
        is($ua->get($h->url("/ka/k?q=ka$i"), { headers => { traceparent => $W3C } })->{status}, 200, "keepalive $i: 200");
        (undef, $c[$i]) = client_span("keepalive $i", "q=ka$i", protocol => 'http', port => $okp,
                                      url => "http://127.0.0.1:$okp/k?q=ka$i", status => 200);
        OTTest::wait_for(10, sub { ($v[$i]) = grep { $_->{path} eq "/k?q=ka$i" } $ok->requests; $v[$i] });
        is($v[$i] && $v[$i]{headers}{traceparent}, $c[$i] && OTTest->traceparent_of($c[$i]),
           "keepalive $i: the backend's traceparent is its CLIENT span's");
    }
    is($v[1] && $v[1]{headers}{'x-receiver-connection'}, $v[2] && $v[2]{headers}{'x-receiver-connection'},
       'keepalive: both over one backend connection');
    isnt($c[1] && $c[1]{spanId}, $c[2] && $c[2]{spanId}, 'keepalive: two CLIENT spans');
}

# The calls to the port where nothing listens: mod_proxy's connect error
# and each scheme handler's own.
my @unexpected = $h->error_log_unexpected(
    qr/Connection refused: AH00957: (?:SCGI|uwsgi|AJP): attempt to connect to 127\.0\.0\.1:$dead /,
    qr/ AH(?:00866|10101): failed to make connection to backend: 127\.0\.0\.1:$dead$/,
    qr/ AH00896: failed to make connection to backend: 127\.0\.0\.1$/,
    qr/\[proxy(?:_scgi|_uwsgi)?:error\] .* 127\.0\.0\.1:(?:4000|0|8000)\b/,
    qr/\[proxy_fcgi:error\] .* AH01079: failed to make connection to backend: 127\.0\.0\.1$/);
is_deeply(\@unexpected, [], "no unexpected error-log lines") or diag join "\n", @unexpected;
done_testing;
