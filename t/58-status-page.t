# The status page in a real browser: headless Chromium loads
# /opentracing-status from the test httpd; the rendered DOM has the
# waterfall of a known trace (the server span, the CLIENT span of a
# proxied call, the span its backend reported) with the error in red, a
# span name made of a request's bytes is text, not markup; screenshots
# (a desktop and a phone window) are saved under the build folder.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;
use OTTest;
use OTReceiver;

my ($chromium) = grep { -x } map { "$_/chromium" } split /:/, $ENV{PATH};
plan skip_all => 'needs chromium (apt-get install chromium; make deps installs it)'
    unless $chromium;

my $backend = OTReceiver->new(body => "order 7\n", headers => [
    'Trace-Operation: GET /orders/{id}',
    'Trace-Span: SELECT%20orders; start=@NOW_MS@ms; dur=3ms; kind=client; db.system=postgresql',
    'Trace-Error: payment provider down',
])->start;
my $bport = $backend->port;
my $h = OTTest->new(
    modules => [qw(authz_core authz_host mime dir alias rewrite status proxy proxy_http)],
    module_first => 1,
    extra => <<"CONF");
ProxyPass /shop/ http://127.0.0.1:$bport/
<Location /esc/>
    TraceOperationName "%{REQUEST_METHOD} %{REQUEST_URI}"
</Location>
<Location /opentracing-status>
    SetHandler opentracing-status
    TraceRequest Off
    Require local
</Location>
CONF
$h->start;

my $shop = $h->get('/shop/orders/7');
is($shop->{status}, 200, 'the proxied call answers');
is($h->get("/index.html?i=$_")->{status}, 200, "request $_") for 1 .. 3;
my $evil = '/esc/%3Cimg%20src=x%20onerror=alert(1)%3E';
is($h->get($evil)->{status}, 404, 'a request whose path is markup');
is($h->get('/esc/caf%C3%A9')->{status}, 404, 'a request whose path is UTF-8');

# The known trace: the one whose server span the backend named.
my ($trace, $json);
OTTest::wait_for(10, sub {
    $json = decode_json($h->get('/opentracing-status?json')->{content});
    ($trace) = grep { $_->{spans}[0]{name} eq 'GET /orders/{id}' } @{ $json->{traces}{recent} };
    $trace && (grep { $_->{spans}[0]{name} =~ /^GET \/esc\// } @{ $json->{traces}{recent} });
}) or BAIL_OUT('the traces did not reach the status page: ' . encode_json($json));
is(scalar @{ $trace->{spans} }, 3, 'the trace has 3 spans in the JSON');
ok($trace->{error}, 'and an error');

my $tmp = tempdir(CLEANUP => 1);
my @chrome = ($chromium, '--headless', '--no-sandbox', '--disable-gpu',
              "--user-data-dir=$tmp/profile", '--no-first-run',
              '--disable-background-networking', '--disable-sync',
              '--disable-component-update', '--disable-extensions');
sub chrome {
    my (@args) = @_;
    my $pid = open my $out, '-|' // die "fork: $!";
    if (!$pid) {
        open STDERR, '>', "$tmp/chromium.log";
        exec 'timeout', '90', @chrome, @args or exit 127;
    }
    local $/;
    my $text = <$out>;
    close $out;
    return ($? >> 8, $text);
}

my $url = $h->url('/opentracing-status');
my ($rc, $dom) = chrome('--dump-dom', $url);
is($rc, 0, 'chromium rendered the page') or diag(OTTest::slurp("$tmp/chromium.log"));
like($dom, qr{<span id="verdict" class="badge (?:ok|bad|warn)">}, 'the verdict badge');
like($dom, qr{<table id="totals">}, 'the counters table');

# The waterfall of the known trace: its block in the "recent" section.
my ($recent) = $dom =~ m{<section id="recent">(.*?)</section>}s;
ok($recent, 'the recent traces section');
my ($block) = grep { /^<div class="trace error" data-trace-id="$trace->{trace_id}">/ }
    split /(?=<div class="trace)/, $recent // '';
$block //= '';
my @rows = $block =~ m{<div class="row ([^"]+)" data-span-id="([0-9a-f]{16})" data-status="(\w+)"}g;
my %row;
while (my ($cls, $id, $status) = splice @rows, 0, 3) {
    $row{$id} = { class => $cls, status => $status };
}
is(scalar keys %row, 3, 'three waterfall rows for the known trace') or diag($block);
my %by_kind = map { my $s = $_; ($s->{kind} . ($s->{name} =~ /SELECT/ ? '-db' : '')) => $s }
    @{ $trace->{spans} };
my ($server, $client, $db) = @by_kind{qw(server client client-db)};
ok($server && $client && $db, 'the server span, the CLIENT span, the backend span');
like($row{ $server->{span_id} }{class} // '', qr/^kind-server\b/, 'server row');
like($row{ $client->{span_id} }{class} // '', qr/^kind-client error$/, 'the CLIENT row is an error row');
is($row{ $client->{span_id} }{status}, 'error', 'with status error');
like($row{ $db->{span_id} }{class} // '', qr/^kind-client$/, 'the backend span row');
like($block, qr{padding-left:2em">SELECT orders<}, 'the backend span is drawn under the CLIENT span');
like($block, qr{<div class="bar" style="left:[\d.]+%;width:[\d.]+%">}, 'bars are placed by time');
like($dom, qr{\.row\.error \.bar\{background:#d32f2f\}}, 'error rows are drawn red');
like($block, qr{title="GET backend[^"]*: payment provider down"|payment provider down}, 'the error message is shown');

# A request's bytes in a span name are text.
unlike($dom, qr{<img}i, 'no element made of a span name');
like($dom, qr{GET /esc/&lt;img src=x onerror=alert\(1\)&gt;}, 'the name is shown as text');
like($dom, qr{GET /esc/caf\x{c3}\x{a9}<}, 'a UTF-8 name is shown as it is');

# Screenshots: a desktop window and a phone's.
for my $shot ([desktop => '1100,1500'], [phone => '412,1400']) {
    my $png = "$OTTest::BUILD/status-page-$shot->[0].png";
    unlink $png;
    ($rc) = chrome("--screenshot=$png", "--window-size=$shot->[1]",
                   '--hide-scrollbars', $url);
    is($rc, 0, "screenshot ($shot->[0])");
    my $head = '';
    if (open my $f, '<:raw', $png) { read $f, $head, 8 }
    is($head, "\x89PNG\r\n\x1a\n", "$png is a PNG");
    ok(-s $png > 10_000, "$png has content (" . (-s $png // 0) . ' bytes)');
}

$h->stop;
$backend->stop;
# the markup request is a 404, which httpd notes at LogLevel info
my @unexpected = $h->error_log_unexpected(
    qr{AH00128: File does not exist: \S+/htdocs/esc/(?:<img src=x onerror=alert\(1\)>|caf\\xc3\\xa9)$});
is_deeply(\@unexpected, [], 'no unexpected error-log lines') or diag(explain(\@unexpected));
done_testing;
