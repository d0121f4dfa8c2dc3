# The otlp tracer: OTLP/HTTP to a real loopback receiver.  Protobuf
# payloads are decoded by an independent implementation of the OTLP schema
# (t/tools/otlp-decode.js with the npm package
# @opentelemetry/otlp-transformer@0.52.1, installed by `make integration`
# into build/npm), not by our own code.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempfile);
use Time::HiRes qw(time);
use OTTest;
use OTReceiver;

my $npm = $ENV{OT_NPM_DIR} || $OTTest::REPO . '/build/npm';
plan skip_all => "the OTLP decoder needs $npm (make integration installs it)"
    unless -d "$npm/node_modules/\@opentelemetry/otlp-transformer";

sub decode_proto {
    my ($bytes) = @_;
    my ($fh, $file) = tempfile(UNLINK => 1);
    binmode $fh;
    print $fh $bytes;
    close $fh;
    my $out = `OTLP_TRANSFORMER_DIR='$npm' node '$OTTest::REPO/t/tools/otlp-decode.js' --compact '$file' 2>&1`;
    die "decode failed: $out" if $?;
    return decode_json($out);
}

sub spans_of {
    my ($msg) = @_;
    my @s;
    for my $rs (@{ $msg->{resourceSpans} || [] }) {
        my %res = map { $_->{key} => (values %{ $_->{value} })[0] }
            @{ $rs->{resource}{attributes} || [] };
        for my $ss (@{ $rs->{scopeSpans} || [] }) {
            for my $sp (@{ $ss->{spans} || [] }) {
                my %a = map { $_->{key} => (values %{ $_->{value} })[0] }
                    @{ $sp->{attributes} || [] };
                push @s, { %$sp, attr => \%a, resource => \%res,
                           scope => $ss->{scope} };
            }
        }
    }
    return @s;
}

sub server_with {
    my ($rx, $json, %a) = @_;
    $json =~ s/\s*\n\s*/ /g;     # one config line
    my $h = OTTest->new(plugin => 'otlp', tracer => $json, %a);
    $h->start;
    return $h;
}

# --- protobuf, N requests => exactly N spans ---------------------------------
{
    my $rx = OTReceiver->new->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url", "schedule_delay_ms": 100,
        "max_export_batch_size": 10,
        "headers": {"Authorization": "Bearer s3cret", "X-Scope-OrgID": "t1"},
        "resource_attributes": {"deployment.environment.name": "test"}}),
        extra => "TraceServiceName otlp-test\n");
    my $n = 50;
    for my $i (1 .. $n) {
        my $r = $h->get("/index.html?i=$i");
        is($r->{status}, 200, "request $i served") if $i == 1;
    }
    my @spans;
    my $end = time + 10;
    my @reqs;
    while (time < $end) {
        @reqs = $rx->requests;
        @spans = map { spans_of(decode_proto($_->{body})) } @reqs;
        last if @spans >= $n;
        select undef, undef, undef, 0.1;
    }
    is(scalar @spans, $n, "$n requests gave exactly $n spans");
    my %q = map { $_->{attr}{'url.query'} => 1 } @spans;
    is(scalar keys %q, $n, 'one span per request (distinct queries)');
    my $r0 = $reqs[0];
    is($r0->{method}, 'POST', 'POST');
    is($r0->{path}, '/v1/traces', 'to <endpoint>/v1/traces');
    is($r0->{headers}{'content-type'}, 'application/x-protobuf',
       'protobuf content type');
    is($r0->{headers}{authorization}, 'Bearer s3cret', 'custom header sent');
    is($r0->{headers}{'x-scope-orgid'}, 't1', 'second custom header sent');
    like($r0->{headers}{'user-agent'}, qr{^mod_opentracing/[\d.]+ \(otlp exporter\)$},
         'User-Agent names the module and version');
    ok(!exists $r0->{headers}{'content-encoding'}, 'not compressed by default');
    ok(@reqs >= 2, 'several batches (' . scalar(@reqs) . ')');
    my %conns = map { $_->{headers}{'x-receiver-connection'} => 1 } @reqs;
    is(scalar keys %conns, 1, 'one persistent connection for all batches of the child');
    my $s = $spans[0];
    like($s->{traceId}, qr/^[0-9a-f]{32}$/, 'traceId decodes');
    like($s->{spanId}, qr/^[0-9a-f]{16}$/, 'spanId decodes');
    is($s->{kind}, 2, 'kind SERVER');
    is($s->{name}, 'GET', 'name');
    is($s->{attr}{'http.request.method'}, 'GET', 'method attribute');
    is($s->{attr}{'url.path'}, '/index.html', 'url.path attribute');
    is($s->{attr}{'http.response.status_code'}, '200', 'status code (int64)');
    is($s->{resource}{'service.name'}, 'otlp-test', 'service.name');
    is($s->{resource}{'deployment.environment.name'}, 'test',
       'resource_attributes applied');
    is($s->{scope}{name}, 'mod_opentracing', 'instrumentation scope');
    ok($s->{endTimeUnixNano} >= $s->{startTimeUnixNano}, 'end >= start');
    # the access log and the receiver agree on the trace ids
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
    $rx->stop;
}

# --- JSON and gzip -------------------------------------------------------------
{
    my $rx = OTReceiver->new->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url/", "protocol": "http/json",
        "compression": "gzip", "schedule_delay_ms": 100}));
    $h->get('/index.html') for 1 .. 3;
    my @reqs = $rx->wait_requests(1, 10);
    ok(@reqs >= 1, 'JSON export arrived');
    my $r0 = $reqs[0];
    is($r0->{path}, '/v1/traces', 'a trailing slash in endpoint is handled');
    is($r0->{headers}{'content-type'}, 'application/json', 'JSON content type');
    is($r0->{headers}{'content-encoding'}, 'gzip', 'gzip content encoding');
    isnt($r0->{raw}, $r0->{body}, 'the body on the wire is compressed');
    is(substr($r0->{raw}, 0, 2), "\x1f\x8b", 'gzip magic');
    my $msg = eval { decode_json($r0->{body}) };
    ok($msg, 'the gunzipped body is JSON');
    my @spans = spans_of($msg);
    my $total = 0;
    $total += scalar(spans_of(decode_json($_->{body}))) for $rx->requests;
    is($total, 3, '3 requests, 3 spans');
    like($spans[0]{traceId}, qr/^[0-9a-f]{32}$/, 'hex ids in OTLP/JSON');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- 503 then 200: retried -----------------------------------------------------
{
    my $rx = OTReceiver->new(statuses => [503, 200], retry_after => 1)->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url", "schedule_delay_ms": 100}));
    my $t0 = time;
    $h->get('/index.html');
    my @reqs = $rx->wait_requests(2, 15);
    is(scalar @reqs, 2, '503 then 200: the batch was sent twice');
    is($reqs[0]{body}, $reqs[1]{body}, 'the same batch was retried');
    is(scalar(spans_of(decode_proto($reqs[1]{body}))), 1, 'one span delivered');
    $h->stop;
    is_deeply([$h->error_log_unexpected(qr/OT02002: otlp tracer: POST .*HTTP status 503/)],
              [], 'no unexpected error-log lines');
}

# --- 200 with partialSuccess: the rejected count is logged ----------------
{
    # ExportTraceServiceResponse{partial_success{rejected_spans: 2,
    # error_message: "bad"}}, by hand
    my $rx = OTReceiver->new(body => "\x0a\x07\x08\x02\x12\x03bad")->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url", "schedule_delay_ms": 100}));
    $h->get('/index.html');
    $rx->wait_requests(1, 10);
    $h->stop;
    my @lines = grep { /OT02010: otlp tracer: the receiver rejected 2 spans \(partial success\): bad$/ }
        $h->error_log_lines;
    is(scalar @lines, 1, 'partial success: the rejected count is logged');
    is_deeply([$h->error_log_unexpected(qr/the receiver rejected 2 spans/)], [],
              'no unexpected error-log lines');
}

# --- 400: not retried ----------------------------------------------------------
{
    my $rx = OTReceiver->new(statuses => [400, 200])->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url", "schedule_delay_ms": 100}));
    $h->get('/index.html');
    my @reqs = $rx->wait_requests(1, 10);
    sleep 3;    # longer than the first retry delay (about 1 s)
    @reqs = $rx->requests;
    is(scalar @reqs, 1, '400: the batch is not retried');
    $h->stop;
    my @lines = grep { /OT02002: otlp tracer: POST \S+ HTTP status 400/ }
        split /\n/, OTTest::slurp($h->error_log);
    is(scalar @lines, 1, 'the failure is logged once, with the status');
    is_deeply([$h->error_log_unexpected(qr/OT02002: otlp tracer: POST .*HTTP status 400/,
                                        qr/OT01001: otlp tracer: 0 spans dropped .* 1 failed/)],
              [], 'no unexpected error-log lines');
}

# --- the OpenTelemetry environment variables ---------------------------------
{
    my $rx = OTReceiver->new->start;
    local $ENV{OTEL_EXPORTER_OTLP_ENDPOINT} = $rx->url;
    local $ENV{OTEL_EXPORTER_OTLP_TRACES_HEADERS} = 'api-key=abc%20def,x-tenant=7';
    local $ENV{OTEL_EXPORTER_OTLP_PROTOCOL} = 'http/json';
    local $ENV{OTEL_SERVICE_NAME} = 'from-env';
    local $ENV{OTEL_RESOURCE_ATTRIBUTES} = 'deployment.environment.name=staging,team=web';
    local $ENV{OTEL_BSP_SCHEDULE_DELAY} = '100';
    my $h = server_with($rx, '{}');
    $h->get('/index.html');
    my @reqs = $rx->wait_requests(1, 10);
    ok(@reqs >= 1, 'OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_BSP_SCHEDULE_DELAY used');
    my $r0 = $reqs[0] || {};
    is($r0->{path}, '/v1/traces', 'the signal path is added to the endpoint');
    is($r0->{headers}{'api-key'}, 'abc def', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS, decoded');
    is($r0->{headers}{'x-tenant'}, '7', 'second header');
    is($r0->{headers}{'content-type'}, 'application/json', 'OTEL_EXPORTER_OTLP_PROTOCOL');
    my ($s) = spans_of(decode_json($r0->{body} // '{}'));
    is($s->{resource}{'service.name'}, 'from-env', 'OTEL_SERVICE_NAME');
    is($s->{resource}{'deployment.environment.name'}, 'staging',
       'OTEL_RESOURCE_ATTRIBUTES');
    is($s->{resource}{team}, 'web', 'OTEL_RESOURCE_ATTRIBUTES, second member');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- LogLevel opentracing:debug: one line per export ----------------------------
{
    my $rx = OTReceiver->new->start;
    my $url = $rx->url;
    my $h = server_with($rx, qq({"endpoint": "$url", "schedule_delay_ms": 100,
        "max_export_batch_size": 5}), extra => "LogLevel info opentracing:debug\n");
    $h->get("/index.html?d=$_") for 1 .. 12;
    my $end = time + 10;
    my @spans;
    while (time < $end) {
        @spans = map { spans_of(decode_proto($_->{body})) } $rx->requests;
        last if @spans >= 12;
        select undef, undef, undef, 0.1;
    }
    $h->stop;
    my @reqs = $rx->requests;
    my @dbg = map { /OT02003: otlp tracer: POST \S+: (\d+) spans, (\d+) bytes, [\d.]+ ms: ok \(HTTP status 200\)$/ ? [$1, $2] : () }
        $h->error_log_lines;
    is(scalar @dbg, scalar @reqs, 'debug: one line per POST');
    my ($n, $bytes) = (0, 0);
    for (@dbg) { $n += $_->[0]; $bytes += $_->[1] }
    is($n, 12, 'debug: the span counts add up to the requests');
    my $sent = 0;
    $sent += length $_->{body} for @reqs;
    is($bytes, $sent, 'debug: the byte counts are what the receiver got');
    is_deeply([$h->error_log_unexpected(qr/OT02003: otlp tracer: POST/)], [],
              'no unexpected error-log lines');
    $rx->stop;
}

done_testing;
