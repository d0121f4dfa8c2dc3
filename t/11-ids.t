# Ids are random in every child: 200 requests over four prefork children
# give 200 distinct span ids and 200 distinct trace ids, and each child
# reports its own process.pid.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use OTTest;

my $N = 200;
my $CLIENTS = 4;

my $h = OTTest->new(mpm => 'prefork', mpm_conf => <<'EOC');
StartServers 4
MinSpareServers 4
MaxSpareServers 8
MaxRequestWorkers 10
MaxKeepAliveRequests 0
EOC
$h->start;

# Four keep-alive connections open at once: a prefork child serves one
# connection at a time, so they are served by four different children.
my @ua = map { HTTP::Tiny->new(keep_alive => 1, timeout => 15) } 1 .. $CLIENTS;
my $ok = 0;
for my $i (0 .. $N - 1) {
    my $c = $i % $CLIENTS;
    $ok++ if $ua[$c]->get($h->url("/static.txt?c=$c&i=$i"))->{status} == 200;
}
is($ok, $N, "$N requests served");
undef @ua;

$h->spans(min => $N, timeout => 10);
my $parent = $h->server_pid;
$h->stop;
my @spans = $h->read_spans;
is(scalar @spans, $N, "$N spans");

my (%span, %trace, %pid, %pid_of_client);
for my $s (@spans) {
    $span{ $s->{spanId} }++;
    $trace{ $s->{traceId} }++;
    my $pid = $s->{resource}{'process.pid'};
    $pid{$pid}++;
    my ($c) = ($s->{attr}{'url.query'} // '') =~ /^c=(\d+)/;
    $pid_of_client{$c}{$pid}++ if defined $c;
}
is(scalar keys %span, $N, "$N distinct span ids");
is(scalar keys %trace, $N, "$N distinct trace ids");
ok(!grep({ !/\A[0-9a-f]{16}\z/ || /\A0+\z/ } keys %span), 'every span id: 16 hex, not zero');
ok(!grep({ !/\A[0-9a-f]{32}\z/ || /\A0+\z/ } keys %trace), 'every trace id: 32 hex, not zero');
cmp_ok(scalar keys %pid, '>=', $CLIENTS, "spans from at least $CLIENTS children (" . join(', ', sort keys %pid) . ')');
ok(!$pid{$parent}, 'no span claims the parent\'s pid');
is(scalar(grep { keys %{ $pid_of_client{$_} } == 1 } keys %pid_of_client), $CLIENTS,
   'each keep-alive connection was served by one child, as its pid says');

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
