# Requests httpd refuses while it reads the request line or the headers
# (no post_read_request, but logged) still produce a span: the status,
# error.type, what is known of the request.  A client that goes away
# before its response is sent marks its span (an event and an attribute),
# which is still exported.  Raw sockets: no client library would send
# these.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(sleep);
use OTTest;

my $h = OTTest->new(modules => [qw(authz_core mime dir alias reqtimeout)],
                    extra => <<'CONF');
LimitRequestLine 512
LimitRequestFieldSize 256
LimitRequestFields 20
LimitRequestBody 100
RequestReadTimeout header=1 body=5
CONF
$h->write_file($h->dir . '/cgi-bin/big.cgi', <<'CGI', 0755);
#!/usr/bin/perl
# Answers after the client is gone: a body the kernel cannot buffer.
use Time::HiRes qw(sleep);
sleep 0.5;
$| = 1;
print "Content-Type: text/plain\r\n\r\n";
print 'x' x 65536 for 1 .. 64;
CGI
$h->start;

sub send_raw {
    my ($text) = @_;
    my $r = eval { $h->raw($text) } // '';
    return $r;
}

# Each case: its request, the status httpd answers, and a marker the span
# can be found by (the client address's port is not known to the test:
# the marker is in the URL where there is one, else the case stands alone
# in a server of its own below).
my $big = 'x' x 600;
my @cases = (
    ['header too large', "GET /index.html?c=hdr HTTP/1.1\r\nHost: x\r\nX-Big: " . ('y' x 300) . "\r\n\r\n", 400],
    ['too many headers', "GET /index.html?c=many HTTP/1.1\r\nHost: x\r\n" . join('', map { "X-$_: 1\r\n" } 1 .. 25) . "\r\n", 400],
    ['URI too long', "GET /index.html?c=uri&$big HTTP/1.1\r\nHost: x\r\n\r\n", 414],
    ['a header without a colon', "GET /index.html?c=colon HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400],
    ['body too large', "POST /index.html?c=body HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" . ('z' x 500), 413],
);
for my $c (@cases) {
    my ($what, $req, $status) = @$c;
    like(send_raw($req), qr{^HTTP/1\.1 $status }, "$what: answered $status");
}

my @spans = $h->spans(min => 4);
sleep 0.5;
@spans = $h->read_spans;
sub with_query {
    my ($q) = @_;
    my @s = grep { ($_->{attr}{'url.query'} // '') =~ /^\Q$q\E(?:&|$)/ } @spans;
    return $s[0];
}
for my $c (['c=hdr', 400, 1], ['c=many', 400, 1], ['c=colon', 400, 1],
           ['c=body', 413, 0]) {
    my ($q, $status, $rejected) = @$c;
    my $s = with_query($q);
    ok($s, "$q: a span") or next;
    is($s->{kind}, 2, "$q: SERVER");
    is($s->{attr}{'http.response.status_code'}, $status, "$q: status $status");
    is($s->{attr}{'http.request.method'}, $q eq 'c=body' ? 'POST' : 'GET', "$q: the method");
    is($s->{attr}{'url.path'}, '/index.html', "$q: url.path");
    if ($rejected) {
        is($s->{attr}{'error.type'}, "$status", "$q: refused while the request was read: error.type");
    }
    else {
        ok(!exists $s->{attr}{'error.type'}, "$q: a request that was read: no error.type for a 4xx");
    }
    ok(!$s->{status}{code}, "$q: 4xx: the status stays unset");
    is($s->{attr}{'client.address'}, '127.0.0.1', "$q: client.address");
}
# The URI too long: nothing of it was kept, but the span is there.
my ($uri) = grep { ($_->{attr}{'http.response.status_code'} // 0) == 414 } @spans;
ok($uri, '414: a span');
is($uri && $uri->{attr}{'error.type'}, '414', '414: error.type');
is($uri && $uri->{name}, 'HTTP', '414: no method known: named HTTP');
is($uri && $uri->{attr}{'http.request.method'}, '_OTHER', '414: http.request.method _OTHER');

# --- each alone: a garbage request line, a method refused, a timeout ----
sub alone {
    my ($what, $req, $status, %o) = @_;
    my $s = OTTest->new(modules => [qw(authz_core mime dir alias reqtimeout)],
                        extra => "RequestReadTimeout header=1\nHttpProtocolOptions RegisteredMethods\n");
    $s->start;
    my $answer;
    if ($o{wait}) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->port)
            or die "connect: $!";
        print {$sock} $req;
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        $answer = '';
        1 while sysread($sock, $answer, 4096, length $answer);
        alarm 0;
        close $sock;
    }
    else {
        $answer = $s->raw($req);
    }
    like($answer, qr{^HTTP/1\.1 $status }, "$what: answered $status");
    my ($span) = $s->spans(min => 1);
    ok($span, "$what: a span");
    is($span && $span->{attr}{'http.response.status_code'}, $status, "$what: status $status");
    is($span && $span->{attr}{'error.type'}, "$status", "$what: error.type");
    $s->stop;
    return ($span, $s);
}
my ($s, $srv) = alone('a request line that is not HTTP', "GARBAGE\r\n\r\n", 400);
is($s && $s->{name}, 'HTTP', 'garbage: named HTTP');
is_deeply([$srv->error_log_unexpected(qr/AH00126|AH02418|AH10388|AH00566|AH10173/)], [],
          'garbage: no unexpected error-log lines');
($s, $srv) = alone('a method not registered', "BREW /index.html?c=brew HTTP/1.1\r\nHost: x\r\n\r\n", 501);
is($s && $s->{attr}{'http.request.method'}, '_OTHER', 'BREW: _OTHER');
is($s && $s->{attr}{'http.request.method_original'}, 'BREW', 'BREW: the original');
is_deeply([$srv->error_log_unexpected(qr/AH00135: Invalid method in request BREW/)], [],
          'BREW: no unexpected error-log lines');
($s, $srv) = alone('headers that never end (mod_reqtimeout)',
                   "GET /index.html?c=slow HTTP/1.1\r\nHost: x\r\n", 408, wait => 1);
is($s && $s->{attr}{'url.path'}, '/index.html', '408: what was read is known');
is_deeply([$srv->error_log_unexpected(qr/AH01382: Request header read timeout/)], [],
          '408: no unexpected error-log lines');

# --- a client that goes away before its response ---------------------------
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $h->port)
        or die "connect: $!";
    print {$sock} "GET /cgi-bin/big.cgi?c=gone HTTP/1.1\r\nHost: x\r\n\r\n";
    sleep 0.1;
    # a reset, not a close: the server's next write fails at once
    setsockopt($sock, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $sock;
    my $gone;
    OTTest::wait_for(10, sub { @spans = $h->read_spans; $gone = with_query('c=gone') });
    ok($gone, 'aborted: the span is exported');
    is($gone && $gone->{attr}{'mod_opentracing.client_aborted'}, 1, 'aborted: marked');
    ok($gone && grep({ $_->{name} eq 'client aborted' } @{ $gone->{events} || [] }),
       'aborted: an event says when it was seen');
    my $ok = with_query('c=body');
    ok(!exists $ok->{attr}{'mod_opentracing.client_aborted'}, 'a request answered in full is not marked');
}

$h->stop;
is_deeply([$h->error_log_unexpected(
    qr/AH00561: Request header exceeds LimitRequestFieldSize: X-Big$/,
    qr/AH00563: Number of request headers exceeds LimitRequestFields$/,
    qr/AH00565: request failed: client's request-line exceeds LimitRequestLine/,
    qr/AH00567: Request header field is missing ':' separator: no colon here$/,
    qr/AH01588: Requested content-length of 500 is larger than the configured limit of 100$/,
)], [], 'no unexpected error-log lines');
done_testing;
