# t/lib/OTFcgi.pm, the FastCGI responder the mod_proxy_fcgi tests talk
# to, checked alone: a FastCGI client written here (from the
# specification, not from OTFcgi's code) sends requests with params of
# 1- and 4-byte lengths, STDIN, FCGI_KEEP_CONN or not, FCGI_GET_VALUES and
# an unknown record type, requests in the AUTHORIZER role (no STDIN) and
# in an unknown role, and reads the records back; then one request
# through httpd's mod_proxy_fcgi (t/51 has mod_authnz_fcgi's).  A broken tool fails here, not
# vacuously there.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use OTTest;
use OTFcgi;

$SIG{PIPE} = 'IGNORE';     # a server that closed too early: EOF, not death
my $HEAD = "Status: 200\r\nContent-Type: application/json\r\n\r\n";

# --- a FastCGI client
sub nv_len { length($_[0]) > 127 ? pack('N', 0x80000000 | length $_[0]) : pack('C', length $_[0]) }
sub nv {
    my ($out, @kv) = ('', @_);
    while (my ($k, $v) = splice @kv, 0, 2) { $out .= nv_len($k) . nv_len($v) . $k . $v }
    return $out;
}
sub pairs {
    my ($c, @kv) = @_;
    my $len = sub { unpack('C', $c) < 128 ? unpack('C', substr $c, 0, 1, '')
                                          : unpack('N', substr $c, 0, 4, '') - 0x80000000 };
    while (length $c) {
        my ($kl, $vl) = ($len->(), $len->());
        push @kv, substr($c, 0, $kl, ''), substr($c, 0, $vl, '');
    }
    return @kv;
}
# A record, with padding of its own (the server must skip it).
sub rec {
    my ($type, $id, $content, $pad) = @_;
    $pad //= 3;
    return pack('CCnnCx', 1, $type, $id, length $content, $pad) . $content . "\xAA" x $pad;
}
# BEGIN_REQUEST: request id, flags, role (default 1, RESPONDER).
sub begin { rec(1, $_[0], pack('nCx5', $_[2] // 1, $_[1])) }

sub connect_fcgi {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5) or die "connect: $!";
    binmode $s;
    return $s;
}

# n bytes from $s; undef at EOF, dies after 10 s.
sub read_n {
    my ($s, $n) = @_;
    my $buf = '';
    local $SIG{ALRM} = sub { die "fcgi client: timeout\n" };
    alarm 10;
    while (length($buf) < $n) {
        my $r = sysread $s, $buf, $n - length($buf), length $buf;
        last unless $r;
    }
    alarm 0;
    return length($buf) == $n ? $buf : undef;
}

# The next record: {version, type, id, content}; undef at EOF.
sub read_rec {
    my ($s) = @_;
    my $h = read_n($s, 8) // return undef;
    my ($ver, $type, $id, $len, $pad) = unpack 'CCnnC', $h;
    my $body = read_n($s, $len + $pad) // die "short record\n";
    return { version => $ver, type => $type, id => $id, content => substr $body, 0, $len };
}

# Records up to END_REQUEST: {stdout, empty_stdout (count), ids, end
# (appStatus, protocolStatus), other (types)}.
sub read_answer {
    my ($s) = @_;
    my %a = (stdout => '', empty_stdout => 0, ids => {}, other => []);
    while (my $r = read_rec($s)) {
        $a{ids}{ $r->{id} } = 1;
        $a{version}{ $r->{version} } = 1;
        if ($r->{type} == 6) {
            $a{stdout} .= $r->{content};
            $a{empty_stdout}++ unless length $r->{content};
        }
        elsif ($r->{type} == 3) {
            $a{end} = [unpack 'NC', $r->{content}];
            $a{end_len} = length $r->{content};
            last;
        }
        else { push @{ $a{other} }, $r->{type} }
    }
    return \%a;
}

# One request: BEGIN_REQUEST, the params in records of 100 bytes (pairs
# cut across records), an empty PARAMS, the stdin chunks, an empty STDIN.
sub request {
    my ($s, $id, $keep, $params, @stdin) = @_;
    my $p = nv(map { ($_, $params->{$_}) } sort keys %$params);
    my $out = begin($id, $keep ? 1 : 0);
    $out .= rec(4, $id, substr($p, 0, 100, '')) while length $p;
    $out .= rec(4, $id, '', 0);
    $out .= rec(5, $id, $_) for @stdin;
    $out .= rec(5, $id, '', 5);
    print {$s} $out;
    return read_answer($s);
}

sub check_answer {
    my ($ans, $id, $params, $body_len, $what) = @_;
    is_deeply([sort keys %{ $ans->{ids} }], [$id], "$what: every record has request id $id");
    is_deeply([keys %{ $ans->{version} }], [1], "$what: FCGI_VERSION_1");
    is($ans->{empty_stdout}, 1, "$what: STDOUT ends with one empty record");
    is_deeply($ans->{other}, [], "$what: only STDOUT and END_REQUEST");
    is($ans->{end_len}, 8, "$what: END_REQUEST body of 8 bytes");
    is_deeply($ans->{end}, [0, 0], "$what: appStatus 0, FCGI_REQUEST_COMPLETE");
    my ($head, $json) = split /(?<=\r\n\r\n)/, $ans->{stdout}, 2;
    is($head, $HEAD, "$what: Status and Content-Type");
    is_deeply(eval { decode_json($json // '') }, { %$params, _BODY_LENGTH => $body_len },
              "$what: the JSON of the params and _BODY_LENGTH");
}

my $f = OTFcgi->new->start;
ok($f->port, 'listens on port ' . $f->port);

my %p1 = (SCRIPT_NAME => '/x', REQUEST_URI => '/x?q=1', QUERY_STRING => 'q=1',
          HTTP_TRACEPARENT => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          EMPTY => '', ('N' x 200) => 'short value', HTTP_LONG => 'v' x 300,
          ('K' x 130) => 'w' x 128, 'BYTES' => "caf\xe9 \x00\xff");
my %p2 = (SCRIPT_NAME => '/second', REQUEST_METHOD => 'POST', CONTENT_LENGTH => 70000);
my %p3 = (SCRIPT_NAME => '/third');

my $s = connect_fcgi($f->port);
check_answer(request($s, 1, 1, \%p1, 'hello ', 'world'), 1, \%p1, 11, 'first (keep-conn)');
check_answer(request($s, 2, 1, \%p2, 'x' x 65535, 'y' x 4465), 2, \%p2, 70000,
             'second on the same connection');

# FCGI_GET_VALUES: the three names it knows, an unknown one left out.
print {$s} rec(9, 0, nv(FCGI_MAX_CONNS => '', FCGI_MAX_REQS => '', FCGI_MPXS_CONNS => '', X_NONE => ''));
my $r = read_rec($s);
is($r->{type}, 10, 'GET_VALUES: answered by GET_VALUES_RESULT');
is($r->{id}, 0, 'GET_VALUES_RESULT: request id 0');
my %v = pairs($r->{content});
is_deeply(\%v, { FCGI_MAX_CONNS => 10, FCGI_MAX_REQS => 10, FCGI_MPXS_CONNS => 0 },
          'GET_VALUES_RESULT: MAX_CONNS 10, MAX_REQS 10, MPXS_CONNS 0');

print {$s} rec(42, 0, 'what?');
$r = read_rec($s);
is($r->{type}, 11, 'an unknown type: FCGI_UNKNOWN_TYPE');
is(length $r->{content}, 8, 'UNKNOWN_TYPE: a body of 8 bytes');
is(unpack('C', $r->{content}), 42, 'UNKNOWN_TYPE: names the type');

# Two connections at once: the second answered while the first waits.
my $s2 = connect_fcgi($f->port);
print {$s2} begin(1, 1) . rec(4, 1, nv(SCRIPT_NAME => '/waiting'));
my $s3 = connect_fcgi($f->port);
check_answer(request($s3, 1, 0, { SCRIPT_NAME => '/concurrent' }), 1,
             { SCRIPT_NAME => '/concurrent' }, 0, 'another connection, meanwhile');
print {$s2} rec(4, 1, '') . rec(5, 1, '');
check_answer(read_answer($s2), 1, { SCRIPT_NAME => '/waiting' }, 0, 'the waiting one');

check_answer(request($s, 1, 0, \%p3), 1, \%p3, 0, 'third, without keep-conn');
ok(eval { !defined read_n($s, 1) }, 'without FCGI_KEEP_CONN the server closes the connection')
    or diag $@ || 'it sent more';

# The AUTHORIZER role (2): params only, no STDIN; answered once the
# params end, with the status alone.
my %pa = (FCGI_ROLE => 'AUTHORIZER', FCGI_APACHE_ROLE => 'AUTHENTICATOR', REMOTE_PASSWD => 'pw',
          HTTP_TRACEPARENT => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
my $sa = connect_fcgi($f->port);
my $pairs = nv(map { ($_, $pa{$_}) } sort keys %pa);
print {$sa} begin(1, 0, 2) . rec(4, 1, substr($pairs, 0, 50)) . rec(4, 1, substr($pairs, 50))
    . rec(4, 1, '', 0);
my $aa = read_answer($sa);
is($aa->{stdout}, "Status: 200\r\n\r\n", 'authorizer: Status 200 and no body, before any STDIN');
is($aa->{empty_stdout}, 1, 'authorizer: STDOUT ends with one empty record');
is_deeply($aa->{end}, [0, 0], 'authorizer: appStatus 0, FCGI_REQUEST_COMPLETE');
ok(eval { !defined read_n($sa, 1) }, 'authorizer without FCGI_KEEP_CONN: connection closed');

# An unknown role (3, FILTER): FCGI_UNKNOWN_ROLE, nothing recorded.
my $sf = connect_fcgi($f->port);
print {$sf} begin(1, 0, 3);
my $af = read_answer($sf);
is_deeply($af->{end}, [0, 3], 'FILTER role: END_REQUEST with FCGI_UNKNOWN_ROLE');
is($af->{stdout}, '', 'FILTER role: no STDOUT');

my @req = $f->wait_requests(6, 5);
is(scalar @req, 6, 'requests: six recorded (not the FILTER one)');
is_deeply(\@req, [ { %p1, _BODY_LENGTH => 11 }, { %p2, _BODY_LENGTH => 70000 },
                   { SCRIPT_NAME => '/concurrent', _BODY_LENGTH => 0 },
                   { SCRIPT_NAME => '/waiting', _BODY_LENGTH => 0 },
                   { %p3, _BODY_LENGTH => 0 }, { %pa, _BODY_LENGTH => 0 } ],
          'requests: the params of each, in arrival order');

my $f503 = OTFcgi->new(status => 503)->start;
my $ans = request(connect_fcgi($f503->port), 1, 0, {});
like($ans->{stdout}, qr/\AStatus: 503\r\nContent-Type: application\/json\r\n\r\n\{"_BODY_LENGTH":0\}\z/,
     'status => 503: Status: 503');
my $sa503 = connect_fcgi($f503->port);
print {$sa503} begin(1, 0, 2) . rec(4, 1, nv(FCGI_ROLE => 'AUTHORIZER')) . rec(4, 1, '');
is(read_answer($sa503)->{stdout}, "Status: 503\r\n\r\n", 'authorizer, status => 503: Status: 503');
$f503->stop;

$f->stop;
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $f->port, Proto => 'tcp'),
   'stop: the port no longer answers');

# --- through httpd: mod_proxy_fcgi
{
    my $fc = OTFcgi->new->start;
    my $h = OTTest->new(modules => [qw(authz_core mime dir alias rewrite proxy proxy_fcgi)],
                        extra => 'ProxyPass /fcgi/ fcgi://127.0.0.1:' . $fc->port . "/\n");
    $h->start;
    my $tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    my $res = $h->get('/fcgi/x?q=1', { traceparent => $tp });
    is($res->{status}, 200, 'httpd: 200 from the responder');
    like($res->{headers}{'content-type'} // '', qr{^application/json}, 'httpd: its Content-Type');
    my $json = eval { decode_json($res->{content}) } || {};
    my ($got) = $fc->wait_requests(1, 5);
    $got ||= {};
    is_deeply($json, $got, 'httpd: the JSON answered is what was recorded');
    like($got->{HTTP_TRACEPARENT} // '', qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/,
         'httpd: HTTP_TRACEPARENT recorded, 00- and 55 characters');
    is(length($got->{HTTP_TRACEPARENT} // ''), 55, 'httpd: HTTP_TRACEPARENT is 55 characters');
    is($got->{QUERY_STRING}, 'q=1', 'httpd: QUERY_STRING');
    is($got->{REQUEST_URI}, '/fcgi/x?q=1', 'httpd: REQUEST_URI');
    is($got->{_BODY_LENGTH}, 0, 'httpd: no body');
    $h->stop;
    $fc->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

done_testing;
