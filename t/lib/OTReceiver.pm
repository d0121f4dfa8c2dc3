package OTReceiver;

# A real HTTP/1.1 server on 127.0.0.1 that receives what the otlp and
# zipkin tracers POST, for the integration tests.  Perl core modules only.
#
#   my $rx = OTReceiver->new(statuses => [503, 200], retry_after => 1);
#   $rx->start;                     # a child process; one more per connection
#   ... $rx->url ...
#   my @r = $rx->requests;          # {method, path, headers{lc}, body, raw}
#   $rx->stop;
#
# statuses: the status of the n-th request (counted over all connections);
# the last one repeats.  headers => [lines]: more header lines in every
# answer ("Trace-Tag: a=1"; @NOW_MS@ in them: the time of the answer, in
# ms since the epoch).  hang => 1: read requests and never answer (a
# receiver that accepts but hangs).  delay => seconds: wait that long
# before every answer (a slow receiver).  port => n: listen on that port
# (a receiver that comes back where another was).  $rx->behave(hang => 0,
# delay => 0, statuses => [200]) changes how the running receiver answers
# from its next request on (a collector that fails and comes back; a hung
# request stays hung).  Keep-alive is honoured; every request is recorded
# in a folder before it is answered.

use strict;
use warnings;
use parent -norequire, 'OTServer';
use OTServer;
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP ();
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub new {
    my ($class, %a) = @_;
    my $self = bless {
        statuses    => $a{statuses} || [200],
        retry_after => $a{retry_after},
        body        => $a{body},        # response body of 2xx answers
        headers     => $a{headers} || [],
        hang        => $a{hang} || 0,
        delay       => $a{delay} || 0,
        want_port   => $a{port} || 0,
        dir         => tempdir('ot-receiver-XXXXXX', TMPDIR => 1,
                               CLEANUP => 1),
    }, $class;
    return $self->listen('receiver');
}
sub url  { "http://127.0.0.1:$_[0]{port}" }

# Change hang, delay or statuses of the running receiver (its serving
# processes read them, from a file, before each answer).
sub behave {
    my ($self, %a) = @_;
    my %b = map { $_ => $self->{$_} } qw(hang delay statuses);
    %b = (%b, %{ $self->behaviour }, %a);
    my $f = "$self->{dir}/behaviour";
    open my $fh, '>', "$f.tmp" or die "$f.tmp: $!";
    print $fh JSON::PP::encode_json(\%b);
    close $fh;
    rename "$f.tmp", $f or die "$f: $!";
    return $self;
}

# What behave() set last ({} when nothing).
sub behaviour {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/behaviour" or return {};
    local $/;
    my $b = eval { JSON::PP::decode_json(<$fh>) } || {};
    close $fh;
    return $b;
}



sub serve {
    my ($self, $c) = @_;
    binmode $c;
    while (1) {
        my $line = <$c>;
        return unless defined $line;
        $line =~ s/\r?\n$//;
        next if $line eq '';
        my ($method, $path) = split / /, $line;
        my %h;
        while (my $l = <$c>) {
            $l =~ s/\r?\n$//;
            last if $l eq '';
            my ($k, $v) = split /:\s*/, $l, 2;
            $h{lc $k} = $v;
        }
        my $raw = '';
        my $len = $h{'content-length'} // 0;
        while (length($raw) < $len) {
            my $n = read $c, $raw, $len - length($raw), length($raw);
            return unless $n;
        }
        my $n = $self->next_index;
        my $body = $raw;
        if (($h{'content-encoding'} // '') eq 'gzip') {
            gunzip(\$raw => \$body) or $body = "gunzip failed: $GunzipError";
        }
        my $base = sprintf "%s/req-%06d", $self->{dir}, $n;
        open my $fh, '>', "$base.tmp" or die $!;
        binmode $fh;
        # x-receiver-connection: which connection (serving process) it
        # came over, for the keep-alive test
        print $fh join("\n", "$method $path",
                       map { "$_: $h{$_}" } sort keys %h),
            "\nx-receiver-connection: $$\n\n";
        close $fh;
        for (['body', $body], ['raw', $raw]) {
            open my $b, '>', "$base.$_->[0]" or die $!;
            binmode $b;
            print $b $_->[1];
            close $b;
        }
        rename "$base.tmp", "$base.head";
        my %b = (%$self, %{ $self->behaviour });
        if ($b{hang}) {
            sleep 3600;
            return;
        }
        sleep $b{delay} if $b{delay};
        my @st = @{ $b{statuses} };
        my $status = $n < @st ? $st[$n] : $st[-1];
        my $rbody = $status >= 200 && $status < 300
            ? ($self->{body} // '') : "status $status\n";
        my $resp = "HTTP/1.1 $status X\r\nContent-Length: "
            . length($rbody) . "\r\n";
        # @NOW_MS@: the time of the answer (a Trace-Span's start)
        my $now_ms = int(time * 1000);
        $resp .= s/\@NOW_MS\@/$now_ms/gr . "\r\n" for @{ $self->{headers} };
        $resp .= "Retry-After: $self->{retry_after}\r\n"
            if defined $self->{retry_after} && $status >= 400;
        $resp .= "Content-Type: application/x-protobuf\r\n" if length $rbody;
        print $c "$resp\r\n$rbody";
        $c->flush;
        open my $sf, '>', "$base.status" or die $!;
        print $sf $status;
        close $sf;
    }
}

# The span ids in the OTLP/JSON bodies ("protocol": "http/json") of the
# requests answered with a 2xx so far (delivered), each once, with the
# url.query of its span: {id => query}.
sub span_queries {
    my ($self) = @_;
    my %q;
    for my $r ($self->requests) {
        next unless ($r->{status} // 0) =~ /^2/;
        my $msg = eval { JSON::PP::decode_json($r->{body}) } or next;
        for my $rs (@{ $msg->{resourceSpans} || [] }) {
            for my $ss (@{ $rs->{scopeSpans} || [] }) {
                for my $sp (@{ $ss->{spans} || [] }) {
                    my ($a) = grep { $_->{key} eq 'url.query' }
                        @{ $sp->{attributes} || [] };
                    $q{ $sp->{spanId} } = $a ? $a->{value}{stringValue} : '';
                }
            }
        }
    }
    return \%q;
}

# Every request received so far, in order.
sub requests {
    my ($self) = @_;
    my @r;
    for my $head (sort glob "$self->{dir}/req-*.head") {
        (my $base = $head) =~ s/\.head$//;
        open my $fh, '<', $head or next;
        local $/;
        my $text = <$fh>;
        close $fh;
        my ($first, @lines) = split /\n/, $text;
        my ($method, $path) = split / /, $first;
        my %h = map { /^([^:]+): (.*)$/ ? (lc $1, $2) : () } @lines;
        my %rec = (method => $method, path => $path, headers => \%h);
        # the status answered (none yet, or never: a hung receiver)
        if (open my $sf, '<', "$base.status") {
            $rec{status} = <$sf>;
            close $sf;
        }
        for my $k (qw(body raw)) {
            open my $b, '<', "$base.$k" or next;
            binmode $b;
            $rec{$k} = <$b> // '';
            close $b;
        }
        push @r, \%rec;
    }
    return @r;
}

1;
