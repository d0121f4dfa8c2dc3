package OTProtocols;

# The backends mod_proxy's other schemes talk to, for the integration
# tests: an SCGI responder (OTScgi, mod_proxy_scgi), a uwsgi responder
# (OTUwsgi, mod_proxy_uwsgi), an AJP13 container (OTAjp, mod_proxy_ajp)
# and a WebSocket echo server (OTWebSocket, mod_proxy_http's
# upgrade=websocket and mod_proxy_wstunnel).  Each is an OTServer on
# 127.0.0.1 (a child process, one more per connection); Perl core modules
# only.  The wire formats are those httpd's modules/proxy/ speak
# (mod_proxy_scgi.c, mod_proxy_uwsgi.c, ajp_header.c, ajp_msg.c), after
# the protocols' descriptions: SCGI (python.ca/scgi/protocol.txt), uwsgi
# (uwsgi-docs.readthedocs.io/en/latest/Protocol.html), AJPv13
# (tomcat.apache.org/connectors-doc/ajp/ajpv13a.html), RFC 6455.
#
#   my $s = OTScgi->new->start;                 # or OTUwsgi, OTAjp
#   ... "scgi://127.0.0.1:" . $s->port . "/"
#   my @r = $s->wait_requests(1, 10);           # what each one received
#   $s->stop;
#
# The SCGI and uwsgi responders record the request's variables (a hash:
# HTTP_TRACEPARENT, TRACEPARENT, QUERY_STRING...) plus _BODY_LENGTH (and
# uwsgi's _MODIFIER1, _MODIFIER2); OTAjp records {method, protocol, uri,
# remote_addr, remote_host, server_name, server_port, is_ssl, headers
# {lowercase name => value}, attributes {name => value}, connection (the
# process that served the connection: the same for requests over one
# connection), _BODY_LENGTH}.  Each request is recorded before it is
# answered: with the status a "status=NNN" in its query asks for (default
# 200), Content-Type application/json and the JSON of what was recorded.
# OTWebSocket records {method, path, headers, connection}, answers an
# "Upgrade: websocket" request with 101 Switching Protocols and echoes
# every text or binary frame until a close frame (answered) or the end of
# the connection; another request gets 426.

use strict;
use warnings;

# The status a request's query asks for.
sub status_of {
    my ($query) = @_;
    return ($query // '') =~ /(?:^|&)status=(\d{3})(?:&|$)/ ? $1 : 200;
}

# The CGI-style body of an answer: the JSON of what was recorded.
sub cgi_answer {
    my ($status, $json) = @_;
    return "Status: $status\r\nContent-Type: application/json\r\n\r\n$json";
}

package OTScgi;

# SCGI: a netstring ("<length>:" the headers ",") of NUL-terminated names
# and values, CONTENT_LENGTH first, then the body; the answer is a CGI
# response, and the connection closes after it (mod_proxy_scgi reads to
# the end).

use parent -norequire, 'OTServer';
use OTServer;

sub new { $_[0]->create('scgi') }

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    my $len = '';
    while (defined(my $d = OTServer::read_exact($c, 1))) {
        last if $d eq ':';
        return unless $d =~ /\d/ && length $len < 10;
        $len .= $d;
    }
    my $ns = OTServer::read_exact($c, $len + 1) // return;
    return unless substr($ns, -1, 1, '') eq ',';
    my @kv = split /\0/, $ns, -1;
    pop @kv;                            # after the last NUL
    my %p = @kv;
    return unless @kv % 2 == 0 && $kv[0] eq 'CONTENT_LENGTH' && ($p{SCGI} // '') eq '1';
    my $body = OTServer::read_exact($c, $p{CONTENT_LENGTH}) // return;
    $p{_BODY_LENGTH} = length $body;
    print {$c} OTProtocols::cgi_answer(OTProtocols::status_of($p{QUERY_STRING}),
                                       $self->save_request(\%p));
}

package OTUwsgi;

# uwsgi: a 4-byte header (modifier1, the size of the variables as an
# unsigned 16-bit little-endian number, modifier2), the variables (each
# name and value after its 16-bit little-endian length), then the body;
# the answer is a raw HTTP response, and mod_proxy_uwsgi reads it to the
# end of the connection.

use parent -norequire, 'OTServer';
use OTServer;

sub new { $_[0]->create('uwsgi') }

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    my ($m1, $size, $m2) = unpack 'Cv C', OTServer::read_exact($c, 4) // return;
    my $vars = OTServer::read_exact($c, $size) // return;
    my %p;
    while (length $vars) {
        my $k = substr $vars, 2, unpack('v', $vars), '';
        substr $vars, 0, 2, '';
        my $v = substr $vars, 2, unpack('v', $vars), '';
        substr $vars, 0, 2, '';
        $p{$k} = $v;
    }
    my $body = OTServer::read_exact($c, $p{CONTENT_LENGTH} || 0) // return;
    @p{qw(_MODIFIER1 _MODIFIER2 _BODY_LENGTH)} = ($m1, $m2, length $body);
    my $json = $self->save_request(\%p);
    my $status = OTProtocols::status_of($p{QUERY_STRING});
    print {$c} "HTTP/1.1 $status X\r\nContent-Type: application/json\r\n"
        . 'Content-Length: ' . length($json) . "\r\n\r\n$json";
}

package OTAjp;

# AJP13: packets from httpd start with 0x12 0x34 and a 16-bit big-endian
# length, those to it with "AB".  A Forward Request (type 2) has the
# method's code, protocol, URI, remote address and host, server name and
# port, is_ssl, the headers (a name is a 16-bit code 0xA0nn or a string)
# and attributes up to 0xFF; a string is its 16-bit length (0xFFFF:
# none), its bytes and a NUL.  A body follows in data packets (a 16-bit
# length, the bytes), the first one unasked, the next ones after
# GET_BODY_CHUNK.  The answer: SEND_HEADERS (4), SEND_BODY_CHUNK (3),
# END_RESPONSE (5) with reuse 1 (the connection stays for the next
# request).  CPING (10) is answered with CPONG (9).

use parent -norequire, 'OTServer';
use OTServer;

my @METHODS = (undef, qw(OPTIONS GET HEAD POST PUT DELETE TRACE PROPFIND
    PROPPATCH MKCOL COPY MOVE LOCK UNLOCK ACL REPORT VERSION-CONTROL CHECKIN
    CHECKOUT UNCHECKOUT SEARCH MKWORKSPACE UPDATE LABEL MERGE
    BASELINE-CONTROL MKACTIVITY));
my @HEADERS = (undef, qw(accept accept-charset accept-encoding
    accept-language authorization connection content-type content-length
    cookie cookie2 host pragma referer user-agent));
my %ATTRIBUTES = (1 => 'context', 2 => 'servlet_path', 3 => 'remote_user',
    4 => 'auth_type', 5 => 'query_string', 6 => 'jvm_route', 7 => 'ssl_cert',
    8 => 'ssl_cipher', 9 => 'ssl_session', 12 => 'secret',
    13 => 'stored_method');

sub new { $_[0]->create('ajp') }

# The payload of the next packet from httpd; undef at the end.
sub read_packet {
    my ($c) = @_;
    my ($magic, $len) = unpack 'nn', OTServer::read_exact($c, 4) // return undef;
    return undef unless $magic == 0x1234;
    return OTServer::read_exact($c, $len);
}

sub packet { 'AB' . pack('n', length $_[0]) . $_[0] }
sub string { pack('n', length $_[0]) . $_[0] . "\0" }

# Readers over a payload (a scalar ref, consumed).
sub u8  { unpack 'C', substr ${ $_[0] }, 0, 1, '' }
sub u16 { unpack 'n', substr ${ $_[0] }, 0, 2, '' }
sub str {
    my ($p) = @_;
    my $len = u16($p);
    return undef if $len == 0xFFFF;
    my $s = substr $$p, 0, $len + 1, '';
    chop $s;                            # the NUL
    return $s;
}

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    while (defined(my $p = read_packet($c))) {
        my $type = u8(\$p);
        if ($type == 10) {
            print {$c} packet(pack 'C', 9);
            next;
        }
        return unless $type == 2;
        my %r = (method => $METHODS[u8(\$p)] // 'unknown', connection => $$);
        $r{$_} = str(\$p) for qw(protocol uri remote_addr remote_host server_name);
        $r{server_port} = u16(\$p);
        $r{is_ssl} = u8(\$p);
        for (1 .. u16(\$p)) {
            my $code = unpack 'n', $p;
            my $name = ($code & 0xFF00) == 0xA000 ? $HEADERS[u16(\$p) & 0xFF] : lc str(\$p);
            $r{headers}{$name // "unknown-$code"} = str(\$p);
        }
        while (length $p) {
            my $code = u8(\$p);
            last if $code == 0xFF;
            if ($code == 10) {
                my $k = str(\$p);
                $r{attributes}{$k} = str(\$p);
            }
            elsif ($code == 11) {
                $r{attributes}{ssl_key_size} = u16(\$p);
            }
            else {
                $r{attributes}{ $ATTRIBUTES{$code} // "code-$code" } = str(\$p);
            }
        }
        $r{method} = $r{attributes}{stored_method} if $r{method} eq 'unknown';
        my $want = $r{headers}{'content-length'} // 0;
        $r{_BODY_LENGTH} = 0;
        while ($r{_BODY_LENGTH} < $want) {
            print {$c} packet(pack 'Cn', 6, 8186) if $r{_BODY_LENGTH};
            my $d = read_packet($c) // return;
            last unless length $d > 2;
            $r{_BODY_LENGTH} += u16(\$d);
        }
        my $json = $self->save_request(\%r);
        my $status = OTProtocols::status_of($r{attributes}{query_string});
        print {$c} packet(pack('Cn', 4, $status) . string('X') . pack('n', 1)
                          . pack('n', 0xA001) . string('application/json'))
            . packet(pack('Cn', 3, length $json) . $json . "\0")
            . packet(pack 'CC', 5, 1);
        $c->flush;
    }
}

package OTWebSocket;

# A WebSocket server (RFC 6455): the opening handshake's 101, then an
# echo of each data frame.

use parent -norequire, 'OTServer';
use OTServer;
use Digest::SHA qw(sha1);
use MIME::Base64 qw(encode_base64);

sub new { $_[0]->create('websocket') }

# Sec-WebSocket-Accept for a Sec-WebSocket-Key.
sub accept_key {
    encode_base64(sha1($_[0] . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'), '');
}

# The next frame from the client: (opcode, payload, masked); () at the end.
sub read_frame {
    my ($c) = @_;
    my ($b0, $b1) = unpack 'CC', OTServer::read_exact($c, 2) // return;
    my $len = $b1 & 0x7F;
    $len = unpack 'n', OTServer::read_exact($c, 2) // return if $len == 126;
    $len = unpack 'Q>', OTServer::read_exact($c, 8) // return if $len == 127;
    my $mask = $b1 & 0x80 ? OTServer::read_exact($c, 4) // return : undef;
    my $data = OTServer::read_exact($c, $len) // return;
    $data ^= substr($mask x (int($len / 4) + 1), 0, $len) if defined $mask;
    return ($b0 & 0x0F, $data, defined $mask);
}

# A final, unmasked frame (a server's).
sub frame {
    my ($opcode, $data) = @_;
    my $len = length $data;
    my $head = $len < 126 ? pack('CC', 0x80 | $opcode, $len)
             : $len < 65536 ? pack('CCn', 0x80 | $opcode, 126, $len)
             : pack('CCQ>', 0x80 | $opcode, 127, $len);
    return $head . $data;
}

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    my $line = <$c> // return;
    $line =~ s/\r?\n\z//;
    my ($method, $path) = split / /, $line;
    my %h;
    while (my $l = <$c>) {
        $l =~ s/\r?\n\z//;
        last if $l eq '';
        my ($k, $v) = split /:\s*/, $l, 2;
        $h{ lc $k } = $v;
    }
    $self->save_request({ method => $method, path => $path, headers => \%h,
                          connection => $$ });
    unless (lc($h{upgrade} // '') eq 'websocket' && $h{'sec-websocket-key'}) {
        print {$c} "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n"
            . "Connection: close\r\n\r\n";
        return;
    }
    print {$c} "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Accept: "
        . accept_key($h{'sec-websocket-key'}) . "\r\n\r\n";
    $c->flush;
    while (my ($op, $data, $masked) = read_frame($c)) {
        return unless $masked;          # a client's frames are masked
        if ($op == 8) {
            print {$c} frame(8, $data);
            return;
        }
        print {$c} frame($op, $data) if $op == 1 || $op == 2;
        $c->flush;
    }
}

1;
