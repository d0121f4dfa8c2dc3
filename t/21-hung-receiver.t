# A receiver that accepts connections and reads requests but never answers:
# requests are served as fast as with a healthy one, spans are dropped and
# counted when the queue fills, and graceful restart and stop finish within
# the shutdown timeout.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use OTTest;
use OTReceiver;

sub timed_requests {
    my ($h, $n) = @_;
    my @t;
    for my $i (1 .. $n) {
        my $t0 = time;
        my $r = $h->get("/index.html?i=$i");
        push @t, time - $t0;
        return undef unless $r->{status} == 200;
    }
    @t = sort { $a <=> $b } @t;
    return { p50 => $t[int(@t / 2)], p99 => $t[int(@t * 0.99)],
             max => $t[-1] };
}

my $n = 300;
my $json = '{"endpoint": "%s", "schedule_delay_ms": 50, "max_queue_size": 64, '
    . '"max_export_batch_size": 16, "timeout_ms": 30000, '
    . '"export_timeout_ms": 60000, "shutdown_timeout_ms": 1000}';

# Baseline: a healthy receiver.
my $ok_rx = OTReceiver->new->start;
my $ok = OTTest->new(plugin => 'otlp', tracer => sprintf($json, $ok_rx->url));
$ok->start;
timed_requests($ok, 20);    # warm up
my $base = timed_requests($ok, $n);
ok($base, "$n requests served with a healthy receiver");
$ok->stop;

# The hung receiver.
my $rx = OTReceiver->new(hang => 1)->start;
my $h = OTTest->new(plugin => 'otlp', tracer => sprintf($json, $rx->url));
$h->start;
timed_requests($h, 20);
my $hung = timed_requests($h, $n);
ok($hung, "$n requests served with a hung receiver");
ok(scalar($rx->requests) >= 1, 'the exporter did send to the hung receiver');
diag(sprintf "latency healthy p50 %.2f ms p99 %.2f ms; hung p50 %.2f ms "
     . "p99 %.2f ms max %.2f ms", map { $_ * 1000 } $base->{p50},
     $base->{p99}, $hung->{p50}, $hung->{p99}, $hung->{max});
# Loopback requests take well under a millisecond; allow for noise but not
# for waiting on the receiver (an export times out after 30 s).
ok($hung->{p50} < $base->{p50} * 3 + 0.002, 'median latency not slowed');
ok($hung->{max} < 1, 'no request waited on the receiver');

# Graceful restart: the old child flushes for at most shutdown_timeout_ms
# (1 s) even though its export hangs, then a new generation serves.
my $t0 = time;
$h->graceful;
my $r = $h->get('/index.html?after=graceful');
my $graceful_s = time - $t0;
is($r->{status}, 200, 'served after graceful restart');
diag(sprintf "graceful restart to first response: %.2f s", $graceful_s);
ok($graceful_s < 5, 'graceful restart does not wait for the hung receiver');

$t0 = time;
$h->stop;
my $stop_s = time - $t0;
diag(sprintf "stop: %.2f s", $stop_s);
ok($stop_s < 4, 'stop finishes within the shutdown timeout (1 s) and a margin');
my @lines = $h->error_log_lines;
ok((grep { /OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\)/ } @lines),
   'dropped spans were counted and reported');
# The child stopped by the graceful restart was inside an export when it
# was asked to stop: it waited shutdown_timeout_ms, cancelled the export
# (the POST fails as cancelled at once) and joined its thread; the spans
# still queued are dropped and said so.  The last child's own shutdown
# flush is bounded by the same deadline (its POST times out after 1000 ms).
# Nothing is ever left running.
my @cancelled = grep { /OT01002: otlp tracer: the exporter did not finish within 1000 ms at shutdown: export cancelled, \d+ spans dropped$/ } @lines;
ok(@cancelled >= 1, 'the graceful restart cancelled the hung export');
ok((grep { /OT02002: otlp tracer: POST \S+: cancelled$/ } @lines),
   'the hung POST ended as cancelled');
# What this test expects in the error log, and nothing else: no SIGKILL of
# a child by the parent (AH00045 and friends), no thread left running.
is_deeply([$h->error_log_unexpected(
    # the queue fills while the receiver hangs: drops are counted, reported
    qr/OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\) and \d+ failed/,
    # a child stopped inside the hung export: cancelled after 1000 ms
    qr/OT01002: otlp tracer: the exporter did not finish within 1000 ms at shutdown: export cancelled, \d+ spans dropped$/,
    # ... and that POST ends as cancelled
    qr/OT02002: otlp tracer: POST \S+: cancelled$/,
    # a shutdown flush that starts its POST inside the 1000 ms runs out of
    # the time left before the cancel
    qr/OT02002: otlp tracer: POST \S+: Operation timed out after \d+ milliseconds/)],
    [], 'no unexpected error-log lines');
$rx->stop;

done_testing;
