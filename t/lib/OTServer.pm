package OTServer;

# What the test suite's loopback servers (OTReceiver, OTFcgi) share: a
# server is a child process group in $self->{pid}, started by the process
# in $self->{owner}, whose requests() lists what it recorded.

use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

# Listen on 127.0.0.1, on a port the system picks ($what names the server
# in the error); returns $self.
sub listen {
    my ($self, $what) = @_;
    $self->{sock} = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 64,
        ReuseAddr => 1, Proto => 'tcp') or die "$what: listen: $!";
    $self->{port} = $self->{sock}->sockport;
    return $self;
}

sub port { $_[0]{port} }

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
