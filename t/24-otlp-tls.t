# The otlp tracer over HTTPS: a TLS front (httpd with mod_ssl, proxying to
# the loopback receiver) with a self-signed certificate; the tracer
# delivers when it trusts that certificate (ca_file) or is told not to
# check (insecure), and refuses otherwise.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;
use OTReceiver;

plan skip_all => 'openssl is needed' unless -x '/usr/bin/openssl';
my $m = OTTest::moddir();
plan skip_all => 'mod_ssl is needed' unless -f "$m/mod_ssl.so";

my $rx = OTReceiver->new->start;
my $rxurl = $rx->url;

# The TLS front: a plain httpd of the harness, without tracing.
my $front = OTTest->new(tracer => undef, extra => "");
my $d = $front->dir;
$front->make_cert;
$front->reconfigure(extra => <<"CONF");
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule ssl_module $m/mod_ssl.so
LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_http_module $m/mod_proxy_http.so
SSLEngine on
SSLCertificateFile $d/conf/cert.pem
SSLCertificateKeyFile $d/conf/key.pem
ProxyPass /v1/ $rxurl/v1/
CONF
$front->start;
my $https = "https://127.0.0.1:" . $front->port;

sub traced {
    my ($json) = @_;
    my $h = OTTest->new(plugin => 'otlp', tracer => $json);
    $h->start;
    return $h;
}

my $before = scalar $rx->requests;
my $h = traced(qq({"endpoint": "$https", "ca_file": "$d/conf/cert.pem", "schedule_delay_ms": 100}));
$h->get('/index.html?tls=ca');
my @r = $rx->wait_requests($before + 1, 10);
is(scalar @r, $before + 1, 'with ca_file: the batch arrived through TLS');
$h->stop;
is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');

$before = scalar $rx->requests;
$h = traced(qq({"endpoint": "$https", "schedule_delay_ms": 100, "export_timeout_ms": 2000}));
$h->get('/index.html?tls=untrusted');
sleep 3;
is(scalar($rx->requests), $before, 'an untrusted certificate: nothing delivered');
$h->stop;
my @lines = grep { /OT02002: otlp tracer: POST https:\S+: .*(?:certificate|SSL)/i } $h->error_log_lines;
ok(@lines >= 1, 'the TLS failure is logged') or diag join "\n", $h->error_log_lines;

$before = scalar $rx->requests;
$h = traced(qq({"endpoint": "$https", "insecure": true, "schedule_delay_ms": 100}));
$h->get('/index.html?tls=insecure');
@r = $rx->wait_requests($before + 1, 10);
is(scalar @r, $before + 1, 'insecure: delivered without verification');
$h->stop;

$front->stop;
done_testing;
