package OTServer;

# What the test suite's loopback servers (OTReceiver, OTFcgi and those of
# OTProtocols) share: a server is a child process group in $self->{pid},
# started by the process in $self->{owner}, whose requests() lists what it
# recorded (in $self->{dir}).

use strict;
use warnings;
use Fcntl qw(:flock);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(sleep time);

my $JSON = JSON::PP->new->utf8->canonical;  # what arrives is bytes: Latin-1 in

# A new server of $class with the fields %a and a folder for what it
# records ($what names it), listening.
sub create {
    my ($class, $what, %a) = @_;
    my $self = bless { %a, dir => tempdir("ot-$what-XXXXXX", TMPDIR => 1,
                                          CLEANUP => 1) }, $class;
    return $self->listen($what);
}

# Listen on 127.0.0.1, on $self->{want_port} or a port the system picks
# ($what names the server in the error); returns $self.
sub listen {
    my ($self, $what) = @_;
    # A port another server just left may be held a moment longer by its
    # killed processes: try for a few seconds.
    my $end = time + ($self->{want_port} ? 5 : 0);
    do {
        $self->{sock} = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => $self->{want_port} || 0,
            Listen => 64, ReuseAddr => 1, Proto => 'tcp');
    } until $self->{sock} || time > $end || !sleep 0.1;
    $self->{sock} or die "$what: listen: $!";
    $self->{port} = $self->{sock}->sockport;
    return $self;
}

sub port { $_[0]{port} }

# Fork the server: a process group of its own, one child per connection
# (each runs $self->serve($socket)); it exits when the test process that
# started it is gone.
sub start {
    my ($self) = @_;
    my $owner = $$;
    my $pid = fork // die "fork: $!";
    if ($pid) {
        @$self{qw(pid owner)} = ($pid, $owner);
        close $self->{sock};
        return $self;
    }
    $SIG{CHLD} = 'IGNORE';
    setpgrp(0, 0);
    $self->{sock}->timeout(1);          # to notice a test that died
    while (getppid == $owner) {
        my $c = $self->{sock}->accept or next;
        my $kid = fork;
        if (defined $kid && $kid == 0) {
            $self->{sock}->close;
            $self->serve($c);
            exit 0;
        }
        close $c;
    }
    exit 0;
}

# The next request's number, over all connections (a counter file under
# $self->{dir}, locked).
sub next_index {
    my ($self) = @_;
    open my $fh, '+>>', "$self->{dir}/counter" or die $!;
    flock $fh, LOCK_EX;
    seek $fh, 0, 0;
    my $n = 0 + (<$fh> // 0);
    truncate $fh, 0;
    print $fh $n + 1;
    close $fh;
    return $n;
}

# Save one request (a hash, as JSON) for requests(); returns
# its JSON.
sub save_request {
    my ($self, $req) = @_;
    my $json = $JSON->encode($req);
    my $base = sprintf '%s/req-%06d', $self->{dir}, $self->next_index;
    open my $fh, '>', "$base.tmp" or die $!;
    binmode $fh;
    print $fh $json;
    close $fh;
    rename "$base.tmp", "$base.json";
    return $json;
}

# What save_request() saved, in order.
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

# n bytes from the socket $c, or undef at the end of the connection.
sub read_exact {
    my ($c, $n) = @_;
    my $buf = '';
    my $got = $n ? read($c, $buf, $n) : 0;
    return ($got // 0) == $n ? $buf : undef;
}

# Wait until at least n requests arrived (or timeout seconds passed).
sub wait_requests {
    my ($self, $n, $timeout) = @_;
    my $end = time + ($timeout // 10);
    my @r;
    while (time < $end) {
        @r = $self->requests;
        return @r if @r >= $n;
        sleep 0.05;
    }
    return $self->requests;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    local $?;       # from DESTROY at exit: not the test's exit status
    kill 'KILL', -$self->{pid};
    kill 'KILL', $self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

# Not from a process the test forked (its copy of $self).
sub DESTROY { $_[0]->stop if ($_[0]{owner} // 0) == $$ }

1;
