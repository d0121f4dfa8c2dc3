# A child that exits (MaxConnectionsPerChild) writes what it still has
# queued: with an export delay of 60 s, spans only leave at child exit.
# An extra access log records which child served each request.
use strict;
use warnings;
use Test::More;
use OTTest;

my %mpm_conf = (
    prefork => "StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\nMaxRequestWorkers 4\nMaxConnectionsPerChild 3\n",
    event   => "StartServers 1\nServerLimit 4\nThreadsPerChild 2\nThreadLimit 2\nMaxRequestWorkers 4\n"
             . "MinSpareThreads 1\nMaxSpareThreads 4\nMaxConnectionsPerChild 3\n",
);

for my $mpm (qw(prefork event)) {
    my $h = OTTest->new(mpm => $mpm, mpm_conf => $mpm_conf{$mpm},
                        tracer => '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 60000}',
                        extra => "LogFormat \"%P %q\" pid\nCustomLog logs/pid_log pid\n");
    $h->start;
    my $ok = 0;
    for my $i (1 .. 9) {
        # The event MPM may reset a connection that a child reaching
        # MaxConnectionsPerChild accepted but will not serve (httpd's
        # own behaviour): try again.
        for my $try (1 .. 3) {
            my $st = $h->get("/static.txt?i=$i")->{status};
            $ok++, last if $st == 200;
            last if $st != 599;
        }
    }
    is($ok, 9, "$mpm: 9 requests, one connection each");
    $h->access_log_lines(min => 9);

    my %served;     # pid => number of requests it served
    for (split /\n/, OTTest::slurp($h->dir . '/logs/pid_log') // '') {
        $served{$1}++ if /^(\d+) \?i=\d+$/;
    }
    my @gone;
    my $settled = OTTest::wait_for(10, sub {
        @gone = grep { !kill 0, $_ } sort keys %served;
        my %spans;
        $spans{ $_->{resource}{'process.pid'} }++ for $h->read_spans;
        !grep { ($spans{$_} // 0) != $served{$_} } @gone;
    });
    cmp_ok(scalar @gone, '>=', 1, "$mpm: at least one child exited (" . scalar(@gone) . ')');
    ok($settled, "$mpm: every exited child wrote a span for each request it served");
    $h->stop;
    my @spans = $h->read_spans;
    my @log = $h->access_log_lines;
    my @logged = sort map { m{ /static\.txt\?(i=\d+) } ? $1 : () } @log;
    is(scalar @logged, scalar @log, "$mpm: every access-log line is a test request");
    is_deeply([sort map { $_->{attr}{'url.query'} // '' } @spans], \@logged,
              "$mpm: after stop, one span per request served: none lost, none twice");
    my %q = map { $_->{attr}{'url.query'} => 1 } @spans;
    is(scalar keys %q, 9, "$mpm: all 9 requests have a span");
    is_deeply([$h->error_log_unexpected], [], "$mpm: no unexpected error-log lines");
}

done_testing;
