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
# @options: valgrind's options (default -q --leak-check=no).
sub run_under_valgrind {
    my ($h, $requests, $quiet, $settle, @options) = @_;
    my $log = $h->dir . '/valgrind.log';
    # httpd drops to www-data: the log must be writable by it
    open my $fh, '>', $log or die $!;
    close $fh;
    chmod 0666, $log;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec 'valgrind', '--error-exitcode=99',
            (@options ? @options : ('-q', '--leak-check=no')),
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

# A few hundred requests of every kind with leak checking: static files,
# CGI, proxied calls (CLIENT spans; a backend answering 200, one 500, a
# dead one), 404s with an ErrorDocument, a CGI answering 500, incoming
# contexts good and bad, the status page; the otlp tracer exporting to a
# real receiver.  No memcheck error, and no block definitely lost whose
# allocation went through the module, a plugin or the tracer's libraries
# (httpd -X leaves some of its own behind at exit: not ours to judge).
{
    my $rx = OTReceiver->new->start;
    my $backend = OTReceiver->new(body => "backend\n")->start;
    my $b500 = OTReceiver->new(statuses => [500])->start;
    my $dead = OTTest::free_port();
    my ($bp, $b500p) = ($backend->port, $b500->port);
    my $url = $rx->url;
    my $h = OTTest->new(plugin => 'otlp', module_first => 1,
        modules => [qw(authz_core authz_host mime dir alias rewrite proxy proxy_http status)],
        tracer => qq({"endpoint": "$url", "schedule_delay_ms": 100, "shutdown_timeout_ms": 5000}),
        extra => <<"CONF");
$extra
TracePropagation w3c b3 jaeger baggage
ProxyPass /app/ http://127.0.0.1:$bp/
ProxyPass /e500/ http://127.0.0.1:$b500p/
ProxyPass /dead/ http://127.0.0.1:$dead/ retry=0
<Location /opentracing-status>
    SetHandler opentracing-status
    TraceRequest Off
</Location>
CONF
    my $n = 0;
    my (undef, $status) = run_under_valgrind($h, sub {
        for my $i (1 .. 25) {
            my $tp = sprintf '00-%032x-%016x-01', 1000 + $i, 2000 + $i;
            $n++, $h->get("/index.html?i=$i", { 'User-Agent' => "vg-$i" });
            $n++, $h->get("/cgi-bin/env.cgi?i=$i", { traceparent => $tp, baggage => "k=v$i" });
            $n++, $h->get("/cgi-bin/status500.cgi?i=$i");
            $n++, $h->get("/app/p?i=$i", { b3 => sprintf('%032x-%016x-1', 3000 + $i, 4000 + $i) });
            $n++, $h->get("/e500/p?i=$i");
            $n++, $h->get("/dead/p?i=$i");
            $n++, $h->get("/nothing-here?i=$i", { traceparent => 'garbage', tracestate => ',,=' });
            $n++, $h->get("/static.txt?i=$i", { 'uber-trace-id' => "abc:def:0:1" });
            $n++, $h->get('/opentracing-status?json') if $i % 5 == 0;
        }
    }, 1, sub { $rx->wait_requests(1, 30); sleep 2 },
       '--leak-check=full', '--show-leak-kinds=definite', '--errors-for-leak-kinds=none',
       # the module and plugins are unloaded before the check: keep their names
       '--keep-debuginfo=yes');
    # Not -q: the summaries say that the checks ran.  Memcheck's records
    # are paragraphs; the definite losses with a frame of ours are the
    # ones that count.
    my $vlog = OTTest::slurp($h->dir . '/valgrind.log') // '';
    # httpd and the processes it forks (cgid), each with its summaries
    my ($errors, $lost_bytes, $lost_blocks, $summaries) = (0, 0, 0, 0);
    $errors += $_ for $vlog =~ /ERROR SUMMARY: (\d+) errors/g;
    while ($vlog =~ /definitely lost: ([\d,]+) bytes in ([\d,]+) blocks/g) {
        my ($b, $k) = ($1, $2);
        tr/,//d for $b, $k;
        $lost_bytes += $b;
        $lost_blocks += $k;
        $summaries++;
    }
    my @ours = grep { /definitely lost in loss record/
                      && /mod_opentracing|tracer_(?:file|otlp|zipkin)\.|\bot_\w+ \(/ }
        split /\n(?===\d+==\s*\n)/, $vlog;
    diag(sprintf '%d requests under memcheck: %d errors; definitely lost at exit (%d '
         . 'processes): %d bytes in %d blocks, %d records through our code', $n, $errors,
         $summaries, $lost_bytes, $lost_blocks, scalar @ours);
    is($status, 0, 'valgrind exit status after SIGTERM');
    is($errors, 0, "$n requests of every kind: no memcheck error")
        or diag $vlog;
    ok($summaries >= 1, 'the leak check ran') or diag $vlog;
    is_deeply(\@ours, [], 'no block definitely lost through the module, a plugin or the tracer')
        or diag join "\n", @ours;
    ok(scalar($rx->requests) >= 1, 'otlp tracer: batches arrived');
    ok(scalar($backend->requests) >= 25, 'the backend was called');
    $_->stop for $rx, $backend, $b500;
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
