# The tracer's health where sysadmins look: SetHandler opentracing-status
# (?json, ?format=prometheus, HTML) and mod_status's server-status (HTML
# and ?auto).  The counters move as the requests say (N requests, N
# exported; a collector nobody listens on: failures and drops grow), they
# live through a graceful restart, and no secret of the tracer's config
# shows anywhere.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use OTTest;

my $STATUS_CONF = <<'CONF';
<Location /opentracing-status>
    SetHandler opentracing-status
    TraceRequest Off
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    TraceRequest Off
    Require local
</Location>
CONF
my @MODS = qw(authz_core authz_host mime dir alias rewrite status);

sub status_json {
    my ($h) = @_;
    my $r = $h->get('/opentracing-status?json');
    is($r->{status}, 200, '?json answers 200') if !$h->{json_checked}++;
    like($r->{headers}{'content-type'}, qr{^application/json}, '?json is JSON')
        if $h->{json_checked} == 1;
    return decode_json($r->{content});
}

# Prometheus text format: every sample line is "name{labels} value", every
# metric has HELP and TYPE before its samples; returns {name{labels} => value}.
sub prometheus {
    my ($h) = @_;
    my $r = $h->get('/opentracing-status?format=prometheus');
    my (%v, %type);
    my $ok = $r->{status} == 200
        && $r->{headers}{'content-type'} =~ m{^text/plain; version=0\.0\.4};
    for my $l (split /\n/, $r->{content}) {
        if ($l =~ /^# TYPE (\w+) (counter|gauge)$/) {
            $type{$1} = $2;
        }
        elsif ($l =~ /^# HELP \w+ \S/) {
        }
        elsif ($l =~ /^(\w+)(\{(?:\w+="(?:[^"\\]|\\.)*",?)*\})? (\d+(?:\.\d+)?)$/) {
            my ($name, $labels, $value) = ($1, $2 // '', $3);
            $ok = 0 unless $type{$name};
            $ok = 0 if ($type{$name} // '') eq 'counter' && $name !~ /_total$/;
            $v{ $name . $labels } = $value;
        }
        else {
            $ok = 0;
            diag("not Prometheus text: $l");
        }
    }
    return ($ok, \%v);
}

sub auto {
    my ($h) = @_;
    my %v = map { /^(\w+): (.*)$/ ? ($1 => $2) : () }
        split /\n/, $h->get('/server-status?auto')->{content};
    return \%v;
}

# --- N requests, N exported (the file tracer) ---------------------------
{
    my $h = OTTest->new(modules => \@MODS, extra => $STATUS_CONF);
    $h->start;
    my $n = 40;
    is($h->get("/index.html?i=$_")->{status}, 200, "request $_") for 1 .. $n;
    my $j;
    OTTest::wait_for(10, sub { $j = status_json($h); $j->{totals}{exported} >= $n });
    note("file tracer, $n requests: " . encode_json($j->{totals}));
    is($j->{status}, 'healthy', 'status: healthy');
    is($j->{totals}{queued}, $n, "queued $n");
    is($j->{totals}{exported}, $n, "exported $n");
    is($j->{totals}{dropped_queue_full} + $j->{totals}{dropped_too_big}, 0, 'none dropped');
    is($j->{totals}{failed}, 0, 'none failed');
    ok($j->{totals}{batches} >= 1, "$j->{totals}{batches} batches");
    is(scalar @{ $j->{children} }, 1, 'one child process');
    is($j->{children}[0]{exported}, $n, 'its own counters');
    is($j->{tracer}{name}, 'file', 'tracer name');
    is($j->{tracer}{abi}, 2, 'ABI version');
    is($j->{tracer}{destination}, $h->spans_path, 'the file plugin describes its file');
    is($j->{tracer}{propagation}, 'w3c (the default)', 'propagation formats');
    is(scalar @{ $j->{traces}{recent} }, 16, 'the last 16 traces');
    is($j->{traces}{recent}[0]{spans}[0]{kind}, 'server', 'a trace begins with its server span');
    is($j->{traces}{recent}[0]{spans}[0]{http_status}, 200, 'with its status');
    my %in_file = map { $_->{traceId} => 1 } $h->read_spans;
    is(scalar(grep { $in_file{ $_->{trace_id} } } @{ $j->{traces}{recent} }), 16,
       'the recent traces are those the file got');
    is(scalar @{ $j->{traces}{errors} }, 0, 'no errored traces');

    my ($ok, $p) = prometheus($h);
    ok($ok, 'the Prometheus text parses (HELP, TYPE, samples, _total counters)');
    is($p->{opentracing_spans_exported_total}, $n, "Prometheus: exported $n");
    is($p->{opentracing_spans_queued_total}, $n, "Prometheus: queued $n");
    is($p->{'opentracing_spans_dropped_total{reason="queue_full"}'}, 0, 'Prometheus: dropped');
    is($p->{opentracing_children}, 1, 'Prometheus: children');
    is($p->{'opentracing_tracer_info{tracer="file",version="0.1.0",abi="2"}'}, 1, 'Prometheus: tracer info');

    my $a = auto($h);
    is($a->{TracingStatus}, 'healthy', 'server-status?auto: TracingStatus');
    is($a->{TracingSpansExported}, $n, 'server-status?auto: TracingSpansExported');
    is($a->{TracingSpansQueued}, $n, 'server-status?auto: TracingSpansQueued');
    like($a->{TracingTracer}, qr/^file 0\.1\.0 \(ABI 2\)$/, 'server-status?auto: TracingTracer');
    like($h->get('/server-status')->{content}, qr{<h2>Tracing: healthy</h2>.*\b$n exported}s,
         'server-status (HTML) has the Tracing section');
    my $page = $h->get('/opentracing-status');
    like($page->{headers}{'content-type'}, qr{^text/html; charset=utf-8}, 'the page is HTML');
    like($page->{content}, qr{class="badge ok">healthy<}, 'the page says healthy');

    # a graceful restart keeps the totals; the new child counts on
    $h->graceful;
    is($h->get("/index.html?after=$_")->{status}, 200, "request $_ after the restart") for 1 .. 5;
    OTTest::wait_for(10, sub { $j = status_json($h); $j->{totals}{exported} >= $n + 5 });
    note('after a graceful restart and 5 more: ' . encode_json($j->{totals}));
    is($j->{totals}{exported}, $n + 5, 'graceful restart: the totals go on (' . ($n + 5) . ')');
    is($j->{totals}{queued}, $n + 5, 'graceful restart: queued too');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- prefork, several children: one request sees them all -----------------
{
    my $h = OTTest->new(modules => \@MODS, extra => $STATUS_CONF, mpm => 'prefork',
                        mpm_conf => "StartServers 3\nMinSpareServers 3\nMaxSpareServers 4\n"
                                  . "MaxRequestWorkers 10\nServerLimit 10\n");
    $h->start;
    OTTest::wait_for(10, sub { @{ status_json($h)->{children} } >= 3 });
    my $n = 30;
    # keep-alive off: each request may go to another child
    is(HTTP::Tiny->new(keep_alive => 0)->get($h->url("/index.html?p=$_"))->{status}, 200,
       "prefork request $_") for 1 .. $n;
    my $j;
    OTTest::wait_for(10, sub { $j = status_json($h); $j->{totals}{exported} >= $n });
    my @kids = @{ $j->{children} };
    my $sum = 0;
    $sum += $_->{exported} for @kids;
    note("prefork, $n requests: " . join(', ', map { "pid $_->{pid} exported $_->{exported}" } @kids));
    ok(@kids >= 3, scalar(@kids) . ' children in one answer');
    is($j->{totals}{exported}, $n, "exported $n in all");
    is($sum, $n, 'the children add up to the totals');
    ok((grep { $_->{exported} > 0 } @kids) >= 2, 'more than one child exported');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- a collector nobody listens on: failures and drops grow; no secret shows
{
    my $dead = OTTest::free_port();     # bound, closed: nobody listens
    my $secret = 'Bearer s3cr3t-t0ken-9f2c';
    my $h = OTTest->new(modules => \@MODS, plugin => 'otlp', extra => $STATUS_CONF,
        tracer => qq({"endpoint": "http://user:pa55word\@127.0.0.1:$dead",
                      "headers": {"Authorization": "$secret", "X-Api-Key": "k3y-0f-7h3-t3n4nt"},
                      "schedule_delay_ms": 100, "export_timeout_ms": 300,
                      "max_queue_size": 10, "max_export_batch_size": 5}) =~ s/\s*\n\s*/ /gr);
    $h->start;
    my $n = 60;
    $h->get("/index.html?i=$_") for 1 .. $n;
    my $j;
    OTTest::wait_for(15, sub {
        $j = status_json($h);
        my $t = $j->{totals};
        # every span handed over (a request's span is submitted after its
        # response), and every queued one failed
        $t->{queued} + $t->{dropped_queue_full} == $n
            && $t->{failed} == $t->{queued} && $t->{last_error};
    });
    my $t = $j->{totals};
    note("dead collector, $n requests: " . encode_json($t));
    is($t->{exported}, 0, 'nothing exported');
    ok($t->{failed} > 0, "failed grows ($t->{failed})");
    is($t->{queued} + $t->{dropped_queue_full}, $n, 'every span queued or dropped');
    is($t->{failed}, $t->{queued}, 'every queued span failed');
    is($t->{queue_depth}, 0, 'the queue is empty');
    like($t->{last_error}, qr/OT0\d{4}: otlp tracer: /, "the last error: $t->{last_error}");
    is($j->{status}, 'problems', 'status: problems');
    is($j->{tracer}{destination}, "http://127.0.0.1:$dead", 'the destination: scheme://host:port only');
    my ($ok, $p) = prometheus($h);
    ok($ok, 'the Prometheus text parses');
    is($p->{opentracing_spans_failed_total}, $t->{failed}, 'Prometheus: failed') or diag explain $p;
    ok($p->{opentracing_last_error_timestamp_seconds} > time - 60, 'Prometheus: a recent error');
    my $a = auto($h);
    is($a->{TracingStatus}, 'problems', 'server-status?auto: problems');
    is($a->{TracingSpansFailed}, $t->{failed}, 'server-status?auto: failures');

    my %out = (
        json => $h->get('/opentracing-status?json')->{content},
        prometheus => $h->get('/opentracing-status?format=prometheus')->{content},
        html => $h->get('/opentracing-status')->{content},
        'server-status' => $h->get('/server-status')->{content},
        'server-status?auto' => $h->get('/server-status?auto')->{content},
    );
    for my $what (sort keys %out) {
        for my $s ('s3cr3t', 'k3y-0f-7h3', 'pa55word', 'user:', 'Authorization', 'X-Api-Key') {
            unlike($out{$what}, qr/\Q$s\E/, "$what: no '$s'");
        }
    }
    $h->stop;
    is_deeply([$h->error_log_unexpected(
        qr/OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\) and \d+ failed/,
        qr/OT02002: otlp tracer: POST \S+: /)],
        [], 'no unexpected error-log lines');
}

# --- a collector that takes the connection and never answers: the queue
# fills behind the hung export, drops grow
{
    my $hung = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 64, Proto => 'tcp') or die "listen: $!";
    my $port = $hung->sockport;
    my $h = OTTest->new(modules => \@MODS, plugin => 'otlp', extra => $STATUS_CONF,
        tracer => qq({"endpoint": "http://127.0.0.1:$port", "schedule_delay_ms": 100,
                      "export_timeout_ms": 2000, "shutdown_timeout_ms": 500,
                      "max_queue_size": 10, "max_export_batch_size": 5}) =~ s/\s*\n\s*/ /gr);
    $h->start;
    my $n = 40;
    $h->get("/index.html?i=$_") for 1 .. $n;
    my $j;
    OTTest::wait_for(10, sub {
        $j = status_json($h);
        $j->{totals}{queued} + $j->{totals}{dropped_queue_full} == $n;
    });
    my $t = $j->{totals};
    note("hung collector, $n requests: " . encode_json($t));
    is($t->{queued} + $t->{dropped_queue_full}, $n, 'every span queued or dropped');
    ok($t->{dropped_queue_full} >= $n - 10, "dropped (queue full) grows ($t->{dropped_queue_full}, a queue of 10)");
    is($t->{exported}, 0, 'nothing exported');
    is($t->{queue_depth}, 10, 'the queue is full (the depth counts the spans of the hung export)');
    my ($ok, $p) = prometheus($h);
    is($p->{opentracing_queue_spans}, 10, 'Prometheus: queue depth');
    is($p->{'opentracing_spans_dropped_total{reason="queue_full"}'}, $t->{dropped_queue_full},
       'Prometheus: dropped');
    ok(auto($h)->{TracingSpansDroppedQueueFull} >= $n - 10, 'server-status?auto: drops');
    $h->stop;
    close $hung;
    is_deeply([$h->error_log_unexpected(
        qr/OT01001: otlp tracer: \d+ spans dropped \(queue full or too large\) and \d+ failed/,
        qr/OT01002: otlp tracer: the exporter did not finish within 500 ms at shutdown/,
        qr/OT02002: otlp tracer: POST \S+: /)],
        [], 'no unexpected error-log lines');
}

# --- no tracer: the page says so --------------------------------------------
{
    my $h = OTTest->new(modules => \@MODS, tracer => undef, extra => $STATUS_CONF);
    $h->start;
    my $j = status_json($h);
    is($j->{status}, 'not configured', 'no TraceTracer: not configured');
    is(auto($h)->{TracingStatus}, 'not configured', 'server-status?auto says so too');
    my ($ok, $p) = prometheus($h);
    ok($ok, 'Prometheus parses');
    is($p->{opentracing_up}, 0, 'opentracing_up 0');
    $h->stop;
    is_deeply([$h->error_log_unexpected(qr/OT00002: mod_opentracing [\d.]+ loaded, no TraceTracer/)],
              [], 'no unexpected error-log lines');
}

done_testing;
