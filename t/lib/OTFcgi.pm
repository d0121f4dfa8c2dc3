package OTFcgi;

# A FastCGI 1.0 responder on 127.0.0.1 (what mod_proxy_fcgi talks to) for
# the integration tests, after the specification at
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
# header lines in every answer ("Trace-Tag: a=1").  FCGI_KEEP_CONN is
# honoured (without it the connection is closed after END_REQUEST);
# FCGI_GET_VALUES and unknown record types are answered.

use strict;
use warnings;
use parent -norequire, 'OTServer';
use OTServer;
use IO::Socket::INET;
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);

use constant {
    FCGI_BEGIN_REQUEST => 1, FCGI_ABORT_REQUEST => 2, FCGI_END_REQUEST => 3,
    FCGI_PARAMS => 4, FCGI_STDIN => 5, FCGI_STDOUT => 6, FCGI_DATA => 8,
    FCGI_GET_VALUES => 9, FCGI_GET_VALUES_RESULT => 10, FCGI_UNKNOWN_TYPE => 11,
    FCGI_RESPONDER => 1, FCGI_KEEP_CONN => 1, FCGI_REQUEST_COMPLETE => 0,
    FCGI_UNKNOWN_ROLE => 3,
};

my %VALUES = (FCGI_MAX_CONNS => 10, FCGI_MAX_REQS => 10, FCGI_MPXS_CONNS => 0);
my $JSON = JSON::PP->new->utf8->canonical;  # params are bytes: Latin-1 in

sub new {
    my ($class, %a) = @_;
    my $self = bless {
        status => $a{status} // 200,
        headers => $a{headers} || [],
        dir    => tempdir('ot-fcgi-XXXXXX', TMPDIR => 1, CLEANUP => 1),
    }, $class;
    return $self->listen('fcgi');
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

# n bytes, or undef at the end of the connection.
sub read_exact {
    my ($c, $n) = @_;
    my $buf = '';
    my $got = $n ? read($c, $buf, $n) : 0;
    return ($got // 0) == $n ? $buf : undef;
}

sub serve {
    my ($self, $c) = @_;
    binmode $c;
    my %req;                            # requestId => {keep, params, stdin}
    while (defined(my $h = read_exact($c, 8))) {
        my (undef, $type, $id, $len, $pad) = unpack 'CCnnC', $h;
        my $body = substr read_exact($c, $len + $pad) // return, 0, $len;
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
            $r = $req{$id} = { keep => $flags & FCGI_KEEP_CONN, params => '', stdin => 0 };
            $out = end_request($r, $id, 0, FCGI_UNKNOWN_ROLE) if $role != FCGI_RESPONDER;
        }
        elsif (grep { $type == $_ } FCGI_PARAMS, FCGI_STDIN, FCGI_DATA, FCGI_ABORT_REQUEST) {
            next unless $r;             # not an active request: ignored
            $r->{params} .= $body if $type == FCGI_PARAMS;
            $r->{stdin} += $len if $type == FCGI_STDIN;
            $out = $self->respond($r, $id) if $type == FCGI_STDIN && !$len;
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
    my $json = $JSON->encode(\%p);
    my $base = sprintf '%s/req-%06d', $self->{dir}, $self->next_index;
    open my $fh, '>', "$base.tmp" or die $!;
    binmode $fh;
    print $fh $json;
    close $fh;
    rename "$base.tmp", "$base.json";
    return record(FCGI_STDOUT, $id, "Status: $self->{status}\r\n"
                  . join('', map { "$_\r\n" } @{ $self->{headers} })
                  . "Content-Type: application/json\r\n\r\n$json")
        . record(FCGI_STDOUT, $id, '') . end_request($r, $id, 0);
}


# The params (plus _BODY_LENGTH) of every request so far, in order.
sub requests {
    my ($self) = @_;
    my @r;
    for my $file (sort glob "$self->{dir}/req-*.json") {
        open my $fh, '<', $file or next;
        binmode $fh;
        local $/;
        push @r, $JSON->decode(<$fh>);
        close $fh;
    }
    return @r;
}


1;
