package OTFcgi;

# A FastCGI 1.0 responder and authorizer on 127.0.0.1 (what
# mod_proxy_fcgi and mod_authnz_fcgi talk to) for the integration tests, after the specification at
# https://fastcgi-archives.github.io/FastCGI_Specification.html.  Perl
# core modules only (no FCGI.pm).
#
#   my $f = OTFcgi->new(status => 200)->start;  # a child process; one
#   ... "fcgi://127.0.0.1:" . $f->port . "/"    # more per connection
#   my @r = $f->wait_requests(1, 10);           # ({HTTP_TRACEPARENT =>..})
#   $f->stop;
#
# Each request is answered on STDOUT with "Status: <status>" (default
# 200), "Content-Type: application/json" and a canonical JSON object of
# its params plus _BODY_LENGTH (the bytes of its STDIN), which is also
# recorded, before the answer, for requests(); headers => [lines]: more
# header lines in every answer ("Trace-Tag: a=1").  A request in the
# AUTHORIZER role (which gets no STDIN) is answered once its params are
# complete, with "Status: <status>" and no body, and recorded the same
# way (_BODY_LENGTH 0).  FCGI_KEEP_CONN is
# honoured (without it the connection is closed after END_REQUEST);
# FCGI_GET_VALUES and unknown record types are answered.

use strict;
use warnings;
use parent -norequire, 'OTServer';
use OTServer;

use constant {
    FCGI_BEGIN_REQUEST => 1, FCGI_ABORT_REQUEST => 2, FCGI_END_REQUEST => 3,
    FCGI_PARAMS => 4, FCGI_STDIN => 5, FCGI_STDOUT => 6, FCGI_DATA => 8,
    FCGI_GET_VALUES => 9, FCGI_GET_VALUES_RESULT => 10, FCGI_UNKNOWN_TYPE => 11,
    FCGI_RESPONDER => 1, FCGI_AUTHORIZER => 2, FCGI_KEEP_CONN => 1, FCGI_REQUEST_COMPLETE => 0,
    FCGI_UNKNOWN_ROLE => 3,
};

my %VALUES = (FCGI_MAX_CONNS => 10, FCGI_MAX_REQS => 10, FCGI_MPXS_CONNS => 0);

sub new {
    my ($class, %a) = @_;
    return $class->create('fcgi', status => $a{status} // 200,
                          headers => $a{headers} || []);
}

# Name-value pairs: each length in 1 byte, or in 4 with the high bit set.
sub nv_len { length($_[0]) > 127 ? pack('N', 0x80000000 | length $_[0]) : pack('C', length $_[0]) }

sub encode_pairs {
    my ($out, @kv) = ('', @_);
    $out .= nv_len($kv[0]) . nv_len($kv[1]) . join('', splice @kv, 0, 2) while @kv;
    return $out;
}

sub decode_pairs {
    my ($s) = @_;
    my @kv;
    my $len = sub { unpack('C', $s) & 0x80 ? unpack('N', substr $s, 0, 4, '') & 0x7fffffff
                                           : unpack('C', substr $s, 0, 1, '') };
    while (length $s) {
        my ($kl, $vl) = ($len->(), $len->());
        push @kv, substr($s, 0, $kl, ''), substr($s, 0, $vl, '');
    }
    return @kv;
}

# One record (content split at 65535 bytes; an empty one when empty),
# padded to a multiple of 8 bytes.
sub record {
    my ($type, $id, $content) = @_;
    my $out = '';
    do {
        my $part = substr $content, 0, 65535, '';
        my $pad = (8 - length($part) % 8) % 8;
        $out .= pack('CCnnCC', 1, $type, $id, length $part, $pad, 0)
            . $part . "\0" x $pad;
    } while (length $content);
    return $out;
}

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    my %req;                            # requestId => {keep, params, stdin}
    while (defined(my $h = OTServer::read_exact($c, 8))) {
        my (undef, $type, $id, $len, $pad) = unpack 'CCnnC', $h;
        my $body = substr OTServer::read_exact($c, $len + $pad) // return, 0, $len;
        my $r = $req{$id};
        my $out = '';
        if ($type == FCGI_GET_VALUES) {
            my %q = decode_pairs($body);
            $out = record(FCGI_GET_VALUES_RESULT, 0, encode_pairs(
                map { ($_, $VALUES{$_}) } grep { exists $VALUES{$_} } sort keys %q));
        }
        elsif ($type == FCGI_BEGIN_REQUEST) {
            next if $r;                 # already active: ignored
            my ($role, $flags) = unpack 'nC', $body;
            $r = $req{$id} = { keep => $flags & FCGI_KEEP_CONN, params => '', stdin => 0,
                               role => $role };
            $out = end_request($r, $id, 0, FCGI_UNKNOWN_ROLE)
                if $role != FCGI_RESPONDER && $role != FCGI_AUTHORIZER;
        }
        elsif (grep { $type == $_ } FCGI_PARAMS, FCGI_STDIN, FCGI_DATA, FCGI_ABORT_REQUEST) {
            next unless $r;             # not an active request: ignored
            $r->{params} .= $body if $type == FCGI_PARAMS;
            $r->{stdin} += $len if $type == FCGI_STDIN;
            # the end of the input: STDIN's, or an authorizer's PARAMS
            $out = $self->respond($r, $id)
                if !$len && $type == ($r->{role} == FCGI_AUTHORIZER ? FCGI_PARAMS : FCGI_STDIN);
            $out = end_request($r, $id, 0) if $type == FCGI_ABORT_REQUEST;
        }
        else {
            $out = record(FCGI_UNKNOWN_TYPE, 0, pack('Cx7', $type));
        }
        print {$c} $out;
        $c->flush;
        next unless $r && $r->{done};
        delete $req{$id};
        return unless $r->{keep};       # the caller's exit closes it
    }
}

sub end_request {
    my ($r, $id, $app_status, $protocol_status) = @_;
    $r->{done} = 1;
    return record(FCGI_END_REQUEST, $id, pack('NCx3', $app_status,
                                              $protocol_status // FCGI_REQUEST_COMPLETE));
}

# Record the request; its answer: STDOUT, an empty STDOUT, END_REQUEST.
sub respond {
    my ($self, $r, $id) = @_;
    my %p = decode_pairs($r->{params});
    $p{_BODY_LENGTH} = $r->{stdin};
    my $json = $self->save_request(\%p);
    my $head = "Status: $self->{status}\r\n"
        . join('', map { "$_\r\n" } @{ $self->{headers} });
    my $answer = $r->{role} == FCGI_AUTHORIZER ? "$head\r\n"
        : "${head}Content-Type: application/json\r\n\r\n$json";
    return record(FCGI_STDOUT, $id, $answer)
        . record(FCGI_STDOUT, $id, '') . end_request($r, $id, 0);
}

1;
