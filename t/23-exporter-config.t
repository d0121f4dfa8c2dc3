# apache2 -t rejects bad otlp and zipkin tracer configurations with one
# clear line naming the key and the reason, and accepts good ones.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(tracer => undef);
my $d = $h->dir;
my $otlp = "$OTTest::BUILD/tracer_otlp.so";
my $zipkin = "$OTTest::BUILD/tracer_zipkin.so";

my @bad = (
    ['unknown key', qq(TraceTracer $otlp '{"endpoint": "http://127.0.0.1:4318", "colour": 1}'),
     qr/^TraceTracer: otlp tracer, inline JSON: unknown key "colour"$/],
    ['not a URL', qq(TraceTracer $otlp '{"endpoint": "not a url"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: "not a url\/v1\/traces" is not a valid URL$/],
    ['not http', qq(TraceTracer $otlp '{"traces_endpoint": "ftp://127.0.0.1/x"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: "ftp:\/\/127\.0\.0\.1\/x": only http:\/\/ and https:\/\/ URLs are supported$/],
    ['wrong type', qq(TraceTracer $otlp '{"timeout_ms": "10"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: key "timeout_ms": expected an integer$/],
    ['grpc is not supported', qq(TraceTracer $otlp '{"protocol": "grpc"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: key "protocol": expected one of "http\/protobuf", "http\/json"$/],
    ['unreadable CA file', qq(TraceTracer $otlp '{"ca_file": "$d/no-ca.pem"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: key "ca_file": cannot read \Q$d\E\/no-ca\.pem$/],
    ['client cert without key', qq(TraceTracer $otlp '{"client_cert": "$d/conf/httpd.conf"}'),
     qr/^TraceTracer: otlp tracer, inline JSON: keys "client_cert" and "client_key" go together$/],
    ['header injection', qq(TraceTracer $otlp '{"headers": {"X-A": "1\\r\\nX-B: 2"}}'),
     qr/^TraceTracer: otlp tracer, inline JSON: key "headers": the value of "X-A" must be on one line$/],
    ['bad compression', qq(TraceTracer $zipkin '{"compression": "br"}'),
     qr/^TraceTracer: zipkin tracer, inline JSON: key "compression": expected one of "none", "gzip"$/],
    ['zipkin has no protocol key', qq(TraceTracer $zipkin '{"protocol": "http/json"}'),
     qr/^TraceTracer: zipkin tracer, inline JSON: unknown key "protocol"$/],
    ['batch key out of range', qq(TraceTracer $zipkin '{"max_queue_size": 0}'),
     qr/^TraceTracer: inline JSON: key "max_queue_size": 0 is out of range 1\.\.1000000$/],
);

for my $t (@bad) {
    my ($name, $snippet, $want) = @$t;
    my ($st, $out, $sig) = $h->configtest($snippet);
    is($sig, 0, "$name: not killed by a signal");
    isnt($st, 0, "$name: apache2 -t fails");
    my @lines = grep { !/^AH00526: Syntax error on line \d+ of \S+:$/ }
        split /\n/, $out;
    is(scalar @lines, 1, "$name: one line of explanation") or diag $out;
    like($lines[0] // '', $want, "$name") or diag $out;
}

# Environment variables: bad ones are errors too; good ones are used.
{
    local $ENV{OTEL_EXPORTER_OTLP_PROTOCOL} = 'grpc';
    my ($st, $out) = $h->configtest(qq(TraceTracer $otlp '{}'));
    isnt($st, 0, 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc fails');
    like($out, qr/environment variable OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported here/,
         'and says why');
}
{
    local $ENV{OTEL_BSP_SCHEDULE_DELAY} = 'soon';
    my ($st, $out) = $h->configtest(qq(TraceTracer $otlp '{}'));
    isnt($st, 0, 'OTEL_BSP_SCHEDULE_DELAY=soon fails');
    like($out, qr/TraceTracer: environment variable OTEL_BSP_SCHEDULE_DELAY="soon" is not a number/,
         'and says why');
}
{
    local $ENV{OTEL_EXPORTER_OTLP_HEADERS} = 'novalue';
    my ($st, $out) = $h->configtest(qq(TraceTracer $otlp '{}'));
    isnt($st, 0, 'a bad OTEL_EXPORTER_OTLP_HEADERS fails');
    like($out, qr/OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not key=value/, 'and says why');
}

my @good = (
    ['defaults', qq(TraceTracer $otlp '{}')],
    ['everything', qq(TraceTracer $otlp '{"endpoint": "https://127.0.0.1:4318", "protocol": "http/json", "compression": "gzip", "headers": {"Authorization": "Bearer x"}, "timeout_ms": 5000, "insecure": true, "ca_file": "$d/conf/httpd.conf"}')],
    ['zipkin defaults', qq(TraceTracer $zipkin '{}')],
);
for my $t (@good) {
    my ($st, $out) = $h->configtest($t->[1]);
    is($st, 0, "$t->[0]: Syntax OK") or diag $out;
}
done_testing;
