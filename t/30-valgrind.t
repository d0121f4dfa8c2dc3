# The module and the file and otlp tracers inside httpd, under valgrind's
# memcheck: a single-process httpd (apache2 -X) serves static files, CGI,
# an internal redirect, incoming contexts good and bad, TraceTag; no
# memory error may be reported, and the spans arrive.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use OTTest;
use OTReceiver;

plan skip_all => 'valgrind is needed' unless -x '/usr/bin/valgrind';
plan skip_all => 'an ASan build does not run under valgrind' if $ENV{OT_ASAN_REPORTS};

# Start httpd -X under memcheck, run $requests, wait ($settle, or 1 s for
# the exporter's batches to go out), SIGTERM, wait for the exit.
sub run_under_valgrind {
    my ($h, $requests, $quiet, $settle) = @_;
    my $log = $h->dir . '/valgrind.log';
    # httpd drops to www-data: the log must be writable by it
    open my $fh, '>', $log or die $!;
    close $fh;
    chmod 0666, $log;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec 'valgrind', '-q', '--error-exitcode=99', '--leak-check=no',
            "--log-file=$log", '--trace-children=no',
            '/usr/sbin/apache2', '-X', '-f', $h->conf_file;
        exit 127;
    }
    my $end = time + 60;
    sleep 0.2 until $h->port_answers || time > $end;
    ok($h->port_answers, 'httpd answers under valgrind') unless $quiet;
    $requests->();
    if ($settle) {
        $settle->();
    } else {
        sleep 1;    # the exporter's batches go out (schedule_delay_ms 100)
    }
    my $errors = sub {
        [ grep { !/could not unlink|^\s*$/ } split /\n/, OTTest::slurp($log) // '' ];
    };
    my $serving = $errors->();
    kill 'TERM', $pid;
    waitpid $pid, 0;
    # killed by a signal (a crash at exit) is a failure too, not "exit 0"
    my $status = ($? & 127) ? 128 + ($? & 127) : $? >> 8;
    my $all = $errors->();
    return ($serving, $status, $all) if $quiet;
    is_deeply($serving, [], 'no memcheck errors while serving and exporting')
        or diag join "\n", @$serving;
    is($status, 0, 'valgrind exit status after SIGTERM');
    is_deeply($all, [], 'no memcheck errors at shutdown')
        or diag join("\n", @$all), "\n--- error log:\n",
                OTTest::slurp($h->error_log) // '';
}

sub traffic {
    my ($h) = @_;
    return sub {
        for my $i (1 .. 3) {
            $h->get("/index.html?v=$i", { 'User-Agent' => "vg-$i" });
            $h->get("/cgi-bin/env.cgi?v=$i",
                    { traceparent => '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
                      tracestate => 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' });
            $h->get("/nothing-here?v=$i", { traceparent => 'garbage' });
            $h->get("/index.html?v=u$i",
                    { traceparent => '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
        }
    };
}

my $extra = <<'CONF';
TraceTag app.ua "%{HTTP_USER_AGENT}"
ErrorDocument 404 /err.html
CONF

{
    my $h = OTTest->new(extra => $extra);
    run_under_valgrind($h, traffic($h));
    my @spans = $h->spans(min => 9, timeout => 10);
    is(scalar @spans, 9, 'file tracer: 9 sampled requests, 9 spans');
}

{
    my $rx = OTReceiver->new->start;
    my $url = $rx->url;
    my $h = OTTest->new(plugin => 'otlp', extra => $extra,
        tracer => qq({"endpoint": "$url", "compression": "gzip", "schedule_delay_ms": 100, "shutdown_timeout_ms": 5000}));
    run_under_valgrind($h, traffic($h));
    ok(scalar($rx->requests) >= 1, 'otlp tracer: batches arrived');
}

# The shutdown, 20 times: the otlp tracer exporting to a healthy receiver,
# and to one that never answers (SIGTERM comes while the POST hangs: the
# stop cancels it after shutdown_timeout_ms and joins the exporter thread
# before the child's pools, the plugin and its DSO go).  Every run must
# end with exit status 0 and no memcheck error, and every hung run must
# have cancelled.
{
    my $ok_rx = OTReceiver->new->start;
    my $hung_rx = OTReceiver->new(hang => 1)->start;
    my @bad;
    my $runs = $ENV{OT_VALGRIND_SHUTDOWNS} || 20;
    for my $i (1 .. $runs) {
        my $rx = $i % 2 ? $ok_rx : $hung_rx;
        my $url = $rx->url;
        my $h = OTTest->new(plugin => 'otlp',
            tracer => qq({"endpoint": "$url", "schedule_delay_ms": 50, "shutdown_timeout_ms": 300, "timeout_ms": 30000}));
        my $before = scalar $rx->requests;
        my ($serving, $status, $all) = run_under_valgrind($h, sub {
            $h->get("/index.html?run=$i");
            $h->get("/cgi-bin/env.cgi?run=$i");
        }, 1, sub {
            $rx->wait_requests($before + 1, 30);
            # No connection may be closing when SIGTERM comes: httpd's
            # event MPM under -X can then crash at exit, with or without
            # this module (ap_queue_info_push_pool recycles a transaction
            # pool after the listener emptied the list; atexit(ap_terminate)
            # destroys pconf's pools before the list is walked).
            sleep 1;
        });
        my $kind = $i % 2 ? 'healthy' : 'hung';
        my $cancelled = grep { /OT01002: otlp tracer: the exporter did not finish within 300 ms at shutdown: export cancelled/ }
            $h->error_log_lines;
        push @bad, "run $i ($kind receiver): exit $status\n" . join("\n", @$all)
            if $status != 0 || @$all;
        push @bad, "run $i ($kind receiver): " . scalar($rx->requests)
            . " requests received, $before before; cancelled $cancelled times"
            if scalar($rx->requests) <= $before
               || $cancelled != ($kind eq 'hung' ? 1 : 0);
    }
    is_deeply(\@bad, [], "$runs shutdowns under valgrind: exit 0, no memcheck error")
        or diag join "\n", @bad;
    ok(scalar($hung_rx->requests) >= 1, 'the hung receiver was sent to');
    $ok_rx->stop;
    $hung_rx->stop;
}

done_testing;
