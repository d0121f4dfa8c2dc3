# Span names and http.route: the method alone by default; "{method}
# {route}" where a <Location> or <LocationMatch> sets TraceRequest or
# TraceOperationName (the route is its path or pattern, also http.route);
# TraceOperationName's ap_expr where one applies.  Never the raw URI.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(files => {
    'htdocs/api/index.html' => "api\n",
    'htdocs/api/v2/index.html' => "v2\n",
    'htdocs/users/42' => "user\n",
    'htdocs/named/index.html' => "named\n",
    'htdocs/empty/index.html' => "empty\n",
    'htdocs/dir/index.html' => "dir\n",
}, extra => <<'CONF');
<Location /api>
    TraceRequest On
</Location>
<Location /api/v2>
    TraceOperationName "v2 %{REQUEST_METHOD}"
</Location>
<LocationMatch "^/users/[0-9]+$">
    TraceRequest On
</LocationMatch>
<Location /named>
    TraceOperationName "%{REQUEST_METHOD} named-op"
</Location>
<Location /empty>
    TraceOperationName "%{HTTP:X-Op}"
</Location>
<Directory "@DIR@/htdocs/dir">
    TraceRequest On
</Directory>
ErrorDocument 404 /api/index.html
CONF
$h->start;

$h->get('/index.html?n=plain');
$h->get('/api/index.html?n=api');
$h->get('/api/v2/index.html?n=v2');
$h->get('/users/42?n=users');
$h->get('/named/index.html?n=named');
$h->get('/empty/index.html?n=empty');
$h->get('/empty/index.html?n=emptyset', { 'X-Op' => 'from-header' });
$h->get('/dir/index.html?n=dir');
$h->get('/nothing-here?n=404');
my $r = $h->raw("FOO /api/index.html?n=foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r, qr{^HTTP/1\.1 \d{3}}, 'an unknown method is answered');

my $by = OTTest->by_query($h->spans(min => 10));
my %want = (
    'n=plain'     => ['GET', undef],
    'n=api'       => ['GET /api', '/api'],
    'n=v2'        => ['v2 GET', '/api/v2'],
    'n=users'     => ['GET ^/users/[0-9]+$', '^/users/[0-9]+$'],
    'n=named'     => ['GET named-op', '/named'],
    'n=empty'     => ['GET /empty', '/empty'],
    'n=emptyset'  => ['from-header', '/empty'],
    'n=dir'       => ['GET', undef],
    'n=404'       => ['GET', undef],
    'n=foo'       => ['HTTP /api', '/api'],
);
for my $q (sort keys %want) {
    my $s = $by->{$q} && $by->{$q}[0];
    ok($s, "$q: a span") or next;
    my ($name, $route) = @{ $want{$q} };
    is($s->{name}, $name, "$q: named '$name'");
    is($s->{attr}{'http.route'}, $route,
       "$q: http.route " . ($route // 'not set'));
}
is($by->{'n=foo'}[0]{attr}{'http.request.method'}, '_OTHER', 'FOO: http.request.method _OTHER');
is($by->{'n=foo'}[0]{attr}{'http.request.method_original'}, 'FOO', 'FOO: and the original');
is($by->{'n=404'}[0]{attr}{'http.response.status_code'}, 404,
   'an ErrorDocument in a <Location> does not name the span: the URL asked for does');
$h->stop;
is_deeply([$h->error_log_unexpected(qr{AH00128: File does not exist: \S+/nothing-here$},
                                    qr{AH00135: Invalid method in request FOO /api/})], [],
          'no unexpected error-log lines');

# configtest
my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
    . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\nTraceOperationName \"%{NO_SUCH\"");
isnt($st, 0, 'a bad TraceOperationName: apache2 -t fails');
like($out, qr/^TraceOperationName: cannot parse expression '%\{NO_SUCH': /m, 'and says why');

done_testing;
