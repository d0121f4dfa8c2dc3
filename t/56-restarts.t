# Restarts under load with a hung collector: every graceful restart
# completes within the shutdown timeout and a margin, no request fails,
# no child crashes, the parent's threads, descriptors and memory stay
# flat, and the old children are gone within the shutdown timeout.  Then,
# with a healthy collector: graceful-stop and stop flush what is queued,
# and N requests make N spans across a graceful restart.
#
# OT_RESTARTS (default 20; make soak: 200): graceful restarts under load.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
use OTTest;
use OTReceiver;
use OTProc qw(children_of);

my $K = $ENV{OT_RESTARTS} || 20;
my $SHUTDOWN_MS = 1000;
# A restart is the parent re-reading its configuration and starting a new
# generation; it must not wait for the old children's flush at all, but a
# loaded 2-core machine may take a second or two to start processes.
my $MARGIN = 3;

# The parent's threads, open descriptors and resident memory (KiB).
sub parent_stats {
    my ($pid) = @_;
    my $st = OTTest::slurp("/proc/$pid/status") // '';
    opendir my $d, "/proc/$pid/fd" or return {};
    my $fds = grep { /^\d+$/ } readdir $d;
    closedir $d;
    return { threads => ($st =~ /^Threads:\s+(\d+)/m)[0],
             fds => $fds, rss => ($st =~ /^VmRSS:\s+(\d+)/m)[0] };
}

# $n processes that request $path in a loop until SIGTERM; each writes
# "ok bad statuses..." to <dir>/load.<k>.
sub start_load {
    my ($h, $n, $path) = @_;
    my @pids;
    for my $k (1 .. $n) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my ($stop, $ok, @bad) = (0, 0);
            $SIG{TERM} = sub { $stop = 1 };
            while (!$stop) {
                my $st = $h->get("$path&load=$k")->{status};
                $st == 200 ? $ok++ : push @bad, $st;
            }
            open my $fh, '>', $h->dir . "/load.$k" or POSIX::_exit(1);
            print $fh join(' ', $ok, scalar @bad, @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return @pids;
}

# Stop the load; (requests answered 200, the others, some of their statuses).
sub stop_load {
    my ($h, @pids) = @_;
    kill 'TERM', @pids;
    waitpid $_, 0 for @pids;
    my ($ok, $bad, @st) = (0, 0);
    for my $k (1 .. @pids) {
        my ($o, $b, @s) = split ' ', OTTest::slurp($h->dir . "/load.$k") // '0 1 none';
        $ok += $o;
        $bad += $b;
        push @st, @s;
    }
    return ($ok, $bad, @st);
}

# ----------------------------------- graceful restarts, hung collector
{
    my $rx = OTReceiver->new(hang => 1)->start;
    my $h = OTTest->new(plugin => 'otlp', tracer => '{"endpoint": "' . $rx->url
        . '", "schedule_delay_ms": 50, "max_queue_size": 256, "max_export_batch_size": 64, "timeout_ms": 30000, '
        . '"export_timeout_ms": 60000, "shutdown_timeout_ms": ' . $SHUTDOWN_MS . '}');
    $h->start;
    my $parent = $h->server_pid;
    my @load = start_load($h, 2, '/index.html?hung=1');
    my (@took, $base, $after1);
    for my $i (1 .. $K) {
        sleep 0.2;      # requests in flight and spans queued
        my $t0 = time;
        $h->graceful;
        push @took, time - $t0;
        # the first restarts allocate what later ones reuse
        $base = parent_stats($parent) if $i == 2 || $K == 1;
    }
    my ($ok, $bad, @st) = stop_load($h, @load);
    my @sorted = sort { $a <=> $b } @took;
    diag(sprintf "%d graceful restarts under load: median %.2f s, max %.2f s; "
         . "%d requests answered, %d failed", $K, $sorted[@sorted / 2],
         $sorted[-1], $ok, $bad);
    cmp_ok($sorted[-1], '<', $SHUTDOWN_MS / 1000 + $MARGIN,
           "every restart completed within shutdown_timeout_ms + ${MARGIN} s");
    cmp_ok($ok, '>', $K, 'requests were served during the restarts');
    is($bad, 0, 'no request failed') or diag("statuses: @st");

    # The old generations' children exit within the shutdown timeout.
    my $kids = 0;
    my $gone = OTTest::wait_for($SHUTDOWN_MS / 1000 + $MARGIN, sub {
        $kids = () = children_of($parent);
        $kids <= 2;     # the new generation: one child (and cgid)
    });
    ok($gone, "the old children are gone ($kids children left)");
    my $end = parent_stats($parent);
    diag(sprintf "parent after restart 2: %d threads, %d fds, %d KiB; "
         . "after %d: %d threads, %d fds, %d KiB", @$base{qw(threads fds rss)},
         $K, @$end{qw(threads fds rss)});
    is($end->{threads}, $base->{threads}, 'parent threads flat');
    is($end->{fds}, $base->{fds}, 'parent descriptors flat');
    cmp_ok($end->{rss} - $base->{rss}, '<', 1024, 'parent RSS flat (< 1 MiB growth)');

    my $t0 = time;
    $h->stop;
    diag(sprintf 'stop with the collector hung: %.2f s', time - $t0);
    is_deeply([$h->crash_lines], [], 'no child crashed or had to be killed');
    is_deeply([$h->error_log_unexpected(
        qr/OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\) and \d+ failed/,
        qr/OT01002: otlp tracer: the exporter did not finish within $SHUTDOWN_MS ms at shutdown: export cancelled, \d+ spans dropped$/,
        qr/OT02002: otlp tracer: POST \S+: (?:cancelled|Operation timed out after \d+ milliseconds)/)],
        [], 'no unexpected error-log lines');
    $rx->stop;
}

# ------------------------------------------- flush, healthy collector
# With an export delay of a minute, spans leave only when a child stops.
my $flushing = '{"endpoint": "%s", "protocol": "http/json", "schedule_delay_ms": 60000, '
    . '"shutdown_timeout_ms": 3000}';
for my $how (qw(graceful-stop stop)) {
    my $rx = OTReceiver->new->start;
    my $h = OTTest->new(plugin => 'otlp', tracer => sprintf($flushing, $rx->url));
    $h->start;
    my $n = 50;
    $h->get("/index.html?how=$how&i=$_") for 1 .. $n;
    is(scalar(keys %{ $rx->span_queries }), 0, "$how: nothing exported before the stop");
    my $pid = $h->server_pid;
    my $t0 = time;
    $h->run_apache('-k', $how);
    OTTest::wait_for(20, sub { !kill 0, $pid });
    my $took = time - $t0;
    $h->{running} = 0;
    diag(sprintf "%s with %d spans queued: %.2f s", $how, $n, $took);
    cmp_ok($took, '<', 3 + $MARGIN, "$how: within shutdown_timeout_ms + ${MARGIN} s");
    my $got = grep { /how=$how&/ } values %{ $rx->span_queries };
    is($got, $n, "$how: the $n queued spans were flushed");
    $rx->stop;
}

# N requests -> N spans across a graceful restart.
{
    my $rx = OTReceiver->new->start;
    my $h = OTTest->new(plugin => 'otlp', tracer => sprintf($flushing, $rx->url));
    $h->start;
    my $n = 100;
    $h->get("/index.html?n=$_") for 1 .. $n / 2;
    $h->graceful;
    $h->get("/index.html?n=$_") for $n / 2 + 1 .. $n;
    $h->stop;
    my @q = grep { /^n=/ } values %{ $rx->span_queries };
    my %q = map { $_ => 1 } @q;
    is(scalar(@q), $n, "$n requests, $n spans across a graceful restart");
    is(scalar(keys %q), $n, 'one span for each request');
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
    $rx->stop;
}

done_testing;
