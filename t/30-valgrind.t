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

sub run_under_valgrind {
    my ($h, $requests) = @_;
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
    ok($h->port_answers, 'httpd answers under valgrind');
    $requests->();
    sleep 1;    # the exporter's batches go out (schedule_delay_ms 100)
    my $errors = sub {
        [ grep { !/could not unlink|^\s*$/ } split /\n/, OTTest::slurp($log) // '' ];
    };
    my $serving = $errors->();
    is_deeply($serving, [], 'no memcheck errors while serving and exporting')
        or diag join "\n", @$serving;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    my $status = $? >> 8;
    my $all = $errors->();
    TODO: {
        local $TODO = 'a rare invalid read inside httpd\'s own exit path of '
            . 'apache2 -X under valgrind (no frame of ours; seen once in CI '
            . 'with the otlp tracer, not reproduced since)';
        is($status, 0, 'valgrind exit status after SIGTERM');
        is_deeply($all, $serving, 'no memcheck errors at shutdown')
            or diag join("\n", @$all), "\n--- error log:\n",
                    OTTest::slurp($h->error_log) // '';
    }
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
        tracer => qq({"endpoint": "$url", "compression": "gzip", "schedule_delay_ms": 100, "shutdown_timeout_ms": 30000}));
    run_under_valgrind($h, traffic($h));
    ok(scalar($rx->requests) >= 1, 'otlp tracer: batches arrived');
}

done_testing;
