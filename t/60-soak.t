# The soak: traced requests without end against an event-MPM httpd whose
# otlp tracer exports to a real collector on loopback (build/bench/sink
# -s -F) that flaps: up, refusing connections, up, answering 503, up,
# hanging, over and over; meanwhile a graceful restart every few seconds.
# At the end the spans are accounted for: the collector's count of the
# spans it answered 200 + the module's dropped + failed counters (the
# status page's ?json, which keeps the totals of the children that
# exited) = the requests served (the access log); no request failed, no
# child crashed, every restart was quick, and no child's memory grew
# with the requests it served (see rss_slope).
#
# ab makes a new connection for every request: on a keep-alive
# connection a request sent just as a graceful restart closes it is lost
# (ab does not retry it as browsers do), with or without this module.
# The status page is read only at the end: each request to it leaves
# some memory with the worker that served it (tens of KiB per worker);
# the access log (%P) says which child served which request.
#
# OT_SOAK_REQUESTS (default 30,000; make soak: 1,000,000): at least that
# many requests; more until the collector went through its whole cycle
# and httpd through a restart.  OT_SOAK_RESTART_S (default 4; make soak:
# 90): seconds between graceful restarts.  Memory is measured in the
# children that served 20 s past their warm-up (two collector cycles and
# 100,000 requests): none in the short form.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep time);
use OTTest;
use OTProc qw(capture children_of gone);

my $N = $ENV{OT_SOAK_REQUESTS} || 30_000;
my $RESTART_S = $ENV{OT_SOAK_RESTART_S} || 4;
my $CONCURRENCY = 8;
# The collector's cycle (13.5 s): a request in flight when it fails is
# reset, refused, answered 503 or left hanging (the POST's timeout_ms,
# 1 s, ends it).
my $FLAP = 'up:3,refuse:1.5,up:3,503:1.5,up:3,hang:1.5';
my $CYCLE_S = 0;
$CYCLE_S += $_ for $FLAP =~ /:([\d.]+)/g;
my $SHUTDOWN_MS = 1000;
# A graceful restart does not wait for the old children's flush; a loaded
# 2-core machine may take a second or two to start processes.
my $RESTART_MAX_S = $SHUTDOWN_MS / 1000 + 3;
# The product's bound on a child's memory growth.
my $RSS_KIB_PER_MILLION = 1024;
# A child's first requests and its first times through each fault of
# the collector allocate what later ones reuse (thread stacks, each
# worker thread's malloc arena and pools as the workers take turns,
# libcurl's error paths): steps of 100-500 KiB until it has served about
# 100,000 requests, then it stays within 11.9-12.4 MiB.  Its growth is
# measured once it has been through two collector cycles and served
# WARM_REQUESTS, over at least 20 s more.
my $WARM_S = 2 * $CYCLE_S + 1;
my $WARM_REQUESTS = 100_000;
my $MEASURE_S = 20;

my $SINK = "$OTTest::REPO/build/bench/sink";
plan skip_all => "$SINK is missing (make build/bench/sink)" unless -x $SINK;
my ($abst) = capture('ab', '-V');
plan skip_all => 'ab (apache2-utils) is needed' if $abst;

my $h = OTTest->new(
    mpm => 'event',
    modules => [qw(authz_core authz_host mime dir alias rewrite)],
    cgi => 0,
    access_log => 0,
    mpm_conf => <<'EOC',
StartServers 1
ServerLimit 6
ThreadLimit 32
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 8
MaxSpareThreads 64
EOC
    extra => <<'EOC',
LogFormat "%P %>s %U" soak
CustomLog @DIR@/logs/soak_log soak
<Location /opentracing-status>
    SetHandler opentracing-status
    TraceRequest Off
    Require local
</Location>
EOC
    plugin => 'otlp');
my $portfile = $h->dir . '/sink.port';
my $sink_log = $h->dir . '/sink.log';
my $sink = OTTest::spawn($sink_log, $SINK, '-s', '-F', $FLAP, '-P', $portfile);
END { kill 'TERM', $sink if $sink }
OTTest::wait_for(10, sub { -s $portfile }) or BAIL_OUT('the sink did not start');
my ($sink_port) = OTTest::slurp($portfile) =~ /(\d+)/;
$h->reconfigure(tracer => qq({"endpoint": "http://127.0.0.1:$sink_port", )
    . qq("schedule_delay_ms": 200, "timeout_ms": 1000, "export_timeout_ms": 3000, )
    . qq("shutdown_timeout_ms": $SHUTDOWN_MS}));
$h->start;
my $parent = $h->server_pid;

# The collector's counters (SIGUSR1 prints them).
sub sink_counts {
    my $before = () = (OTTest::slurp($sink_log) // '') =~ /^sink /mg;
    kill 'USR1', $sink;
    my @l;
    OTTest::wait_for(5, sub {
        @l = (OTTest::slurp($sink_log) // '') =~ /^(sink .*)$/mg;
        @l > $before;
    });
    return { $l[-1] =~ /(\w+)=(\d+)/g };
}

my $ua = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
sub status {
    my $r = $ua->get($h->url('/opentracing-status?json'));
    return $r->{status} == 200 ? decode_json($r->{content}) : undef;
}

sub kib_of {
    my ($pid) = @_;
    my $s = OTTest::slurp("/proc/$pid/status") // return undef;
    return $s =~ /^VmRSS:\s+(\d+)/m ? $1 : undef;
}

# Each child's resident memory against its age and the requests it
# served, while it is of the serving generation (after a graceful
# restart an old child's threads exit and its memory shrinks: not a
# measure of anything): {pid => [[seconds since first seen, requests,
# KiB], ...]};
# %served_by: requests per child, from the lines the access log got
# since the last sample; $not_200: answers of another status.
my (%series, %born, %served_by, %retired);
my $not_200 = 0;
my $log_at = 0;
sub read_log {
    if (open my $fh, '<', $h->dir . '/logs/soak_log') {
        seek $fh, $log_at, 0;
        while (my $l = <$fh>) {
            last unless $l =~ /\n$/;       # a line being written
            $log_at += length $l;
            next unless $l =~ m{^(\d+) (\d+) /index\.html};
            $served_by{$1}++;
            $not_200++ if $2 != 200;
        }
        close $fh;
    }
}
sub sample {
    read_log();
    for my $pid (children_of($parent)) {
        $born{$pid} //= time;
        next if $retired{$pid};
        my $kib = kib_of($pid) // next;
        push @{ $series{$pid} }, [ time - $born{$pid}, $served_by{$pid} // 0, $kib ];
    }
}

# ab rounds until N requests, a whole collector cycle and a restart.
my ($ab_done, $ab_failed, $ab_non2xx, @restarts, @ab_rps) = (0, 0, 0);
my $t_start = time;
my $next_restart = $t_start + $RESTART_S;
my $last_sample = 0;
my $round = 0;
while ($ab_done < $N || time - $t_start < $CYCLE_S || !@restarts) {
    my $n = $ab_done < $N ? $N - $ab_done : 5_000;
    my $log = $h->dir . '/ab.' . ++$round;
    my $ab = OTTest::spawn($log, 'ab', '-q', '-r', '-s', '30', '-n', $n,
                           '-c', $CONCURRENCY, $h->url('/index.html'));
    until (gone($ab)) {
        if (time >= $next_restart) {
            sample();
            $retired{$_} = 1 for keys %born;
            my $t0 = time;
            $h->graceful;
            push @restarts, time - $t0;
            $next_restart = time + $RESTART_S;
        }
        if (time - $last_sample >= 1) {
            sample();
            $last_sample = time;
        }
        sleep 0.1;
    }
    my $out = OTTest::slurp($log) // '';
    my ($done) = $out =~ /^Complete requests:\s+(\d+)/m;
    my ($failed) = $out =~ /^Failed requests:\s+(\d+)/m;
    my ($non2xx) = $out =~ /^Non-2xx responses:\s+(\d+)/m;
    my ($rps) = $out =~ /^Requests per second:\s+([\d.]+)/m;
    BAIL_OUT("ab did not finish:\n$out") unless defined $done && defined $failed;
    $ab_done += $done;
    $ab_failed += $failed;
    $ab_non2xx += $non2xx // 0;
    push @ab_rps, $rps;
}
my $load_s = time - $t_start;
sample();

# The collector stays up from now on: everything still queued goes out.
kill 'USR2', $sink;
my $j;
my $served = 0;
my $settled = OTTest::wait_for(60, sub {
    $j = status() or return 0;
    my $t = $j->{totals};
    $t->{queue_depth} == 0 && $t->{exported} + $t->{failed} == $t->{queued}
        && $t->{queued} + $t->{dropped_queue_full} + $t->{dropped_too_big} >= $ab_done;
});
my $t = $j->{totals};
my $rx = sink_counts();
read_log();
$served += $_ for values %served_by;
my $dropped = $t->{dropped_queue_full} + $t->{dropped_too_big};

diag(sprintf '%d requests in %.0f s (ab: %s req/s per round), %d graceful restarts; '
     . 'the collector went through %.1f cycles of %s',
     $ab_done, $load_s, join('/', map { int } @ab_rps), scalar @restarts,
     $load_s / $CYCLE_S, $FLAP);
diag("served (access log) $served; spans received (collector) $rx->{spans}, "
     . "dropped $dropped, failed $t->{failed}; exported (module) $t->{exported}, "
     . "queued $t->{queued}, batches $t->{batches}, retries $t->{retries}");
diag("collector: $rx->{requests} POSTs, $rx->{unavailable} answered 503, "
     . "$rx->{hung} hung, $rx->{reset} reset, listener closed $rx->{refusals} times, "
     . "$rx->{bad_bodies} bodies that did not parse, $rx->{errors} errors");
ok($settled, 'the queues emptied once the collector stayed up');
is($ab_failed, 0, 'ab: no request failed');
is($ab_non2xx, 0, 'ab: every answer 200');
is($served, $ab_done, 'every request ab made is in the access log');
is($not_200, 0, 'the access log has every answer 200');
is($t->{queued} + $dropped, $served, 'every request handed a span to the exporter (queued or dropped)');
is($rx->{spans} + $dropped + $t->{failed}, $served,
   'every span was received by the collector, or counted dropped or failed');
is($rx->{spans}, $t->{exported}, 'the collector received what the module counts exported');
is($rx->{bad_bodies}, 0, 'every body the collector counted parsed');
ok($dropped + $t->{failed} > 0, 'spans were lost while the collector was down');
ok($rx->{unavailable} > 0 && $rx->{hung} > 0 && $rx->{refusals} > 0,
   'the collector refused, answered 503 and hung');

# Restarts.
my @r = sort { $a <=> $b } @restarts;
diag(sprintf 'graceful restarts: %d, median %.2f s, max %.2f s',
     scalar @r, $r[@r / 2], $r[-1]);
cmp_ok($r[-1], '<', $RESTART_MAX_S, "every restart completed within ${RESTART_MAX_S} s");

# Memory: each child's RSS against the requests it served, from the end
# of its warm-up on: the slope of the least-squares line through each
# measured child's samples, in KiB per million requests, and the median
# of those slopes (children are replaced at every restart, and a leak
# grows every child however short its life; a step of one allocation in
# one child does not make a leak).
sub warm { grep { $_->[0] >= $WARM_S && $_->[1] >= $WARM_REQUESTS } @_ }
my @measured = grep {
    my @p = warm(@{ $series{$_} });
    @p >= 3 && $p[-1][0] - $p[0][0] >= $MEASURE_S;
} sort { $a <=> $b } keys %series;
sub rss_slope {
    my ($pid) = @_;
    my @p = warm(@{ $series{$pid} });
    my ($mx, $my, $sxy, $sxx) = (0, 0, 0, 0);
    $mx += $_->[1] / @p, $my += $_->[2] / @p for @p;
    for (@p) {
        $sxy += ($_->[1] - $mx) * ($_->[2] - $my);
        $sxx += ($_->[1] - $mx) ** 2;
    }
    return $sxx ? $sxy / $sxx * 1e6 : 0;
}
my %slope = map { $_ => rss_slope($_) } @measured;
my ($max_kib) = sort { $b <=> $a } map { $_->[2] } map { @$_ } values %series;
diag(sprintf '%d children sampled (every second), %d served for %d s or more past their '
     . 'warm-up (%.1f s and %d requests); largest RSS %d KiB', scalar(keys %series),
     scalar @measured, $MEASURE_S, $WARM_S, $WARM_REQUESTS, $max_kib);
for my $pid (sort { $a <=> $b } keys %series) {
    my @p = @{ $series{$pid} };
    my ($w) = warm(@p);
    diag(sprintf 'child %d: %.0f s, %d requests, RSS %d KiB first, %s, %d KiB last%s',
         $pid, $p[-1][0], $p[-1][1], $p[0][2],
         $w ? sprintf('%d KiB after its warm-up (%d requests)', $w->[2], $w->[1]) : 'no warm-up',
         $p[-1][2], exists $slope{$pid} ? sprintf('; slope %.0f KiB per million', $slope{$pid}) : '');
}
# Restarts every OT_SOAK_RESTART_S > 48 s: a child must be measured.
my $should_measure = $RESTART_S > $WARM_S + $MEASURE_S;
ok(@measured, 'children lived long enough to measure their memory')
    if $should_measure;
SKIP: {
    skip "no child served for $MEASURE_S s past its warm-up: RSS growth not measured "
        . '(make soak measures it)', 1 unless @measured;
    my @sorted = sort { $a <=> $b } values %slope;
    my $slope = @sorted % 2 ? $sorted[$#sorted / 2]
        : ($sorted[@sorted / 2 - 1] + $sorted[@sorted / 2]) / 2;
    diag(sprintf 'per-child RSS growth: median %.0f KiB per million requests (bound %d)',
         $slope, $RSS_KIB_PER_MILLION);
    cmp_ok($slope, '<=', $RSS_KIB_PER_MILLION,
           "per-child RSS grows at most $RSS_KIB_PER_MILLION KiB per million requests");
}

$h->stop;
kill 'TERM', $sink;
waitpid $sink, 0;
undef $sink;
is_deeply([$h->crash_lines], [], 'no child crashed or had to be killed');
is_deeply([$h->error_log_unexpected(
    qr/OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\) and \d+ failed/,
    qr/OT01002: otlp tracer: the exporter did not finish within $SHUTDOWN_MS ms at shutdown: export cancelled, \d+ spans dropped$/,
    qr/OT02002: otlp tracer: POST \S+: /)],
    [], 'no unexpected error-log lines');

done_testing;
