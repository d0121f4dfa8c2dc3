# Internal redirects and URI rewriting make one request, one span: the
# span describes the request the client sent (url.path) and the response
# it got (status, body size).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
ErrorDocument 404 /err.html
<Location /dyn404>
    ErrorDocument 404 /cgi-bin/env.cgi
</Location>
RewriteEngine On
RewriteRule ^/old$ /index.html [PT]
<Directory @DIR@/htdocs>
    RewriteEngine On
    RewriteRule ^moved\.txt$ static.txt [L]
    RewriteRule ^gone\.txt$ nothing-here.txt [L]
</Directory>
EOC
$h->start;

my $T = $OTTest::T_DIR;
my %req = (
    'r=errdoc'  => ['/missing', 404, -s "$T/htdocs/err.html", '/missing'],
    'r=dyn404'  => ['/dyn404/nothing', 404, undef, '/dyn404/nothing'],
    'r=pt'      => ['/old', 200, -s "$T/htdocs/index.html", '/old'],
    'r=perdir'  => ['/moved.txt', 200, -s "$T/htdocs/static.txt", '/moved.txt'],
    # redirected (200 so far), then not found, then the ErrorDocument
    'r=gone'    => ['/gone.txt', 404, -s "$T/htdocs/err.html", '/gone.txt'],
    'r=dirindex' => ['/sub/', 200, -s "$T/htdocs/sub/index.html", '/sub/'],
    'r=slash'   => ['/sub', 301, undef, '/sub'],
);
my %res;
for my $q (sort keys %req) {
    my ($path, $status) = @{ $req{$q} };
    my $r = $h->request('GET', "$path?$q", { max_redirect => 0 });
    $res{$q} = $r;
    is($r->{status}, $status, "$path answers $status");
}
like($res{'r=errdoc'}{content}, qr/custom 404 page/, 'ErrorDocument page served');
like($res{'r=pt'}{content}, qr/<p>index<\/p>/, 'rewritten to the index');
like($res{'r=perdir'}{content}, qr/A static file/, 'per-dir rewrite served static.txt');
like($res{'r=dirindex'}{content}, qr/sub directory index/, 'DirectoryIndex served');
like($res{'r=slash'}{headers}{location} // '', qr{/sub/\?r=slash$}, 'trailing-slash redirect');

$h->spans(min => scalar keys %req);
$h->stop;
my @spans = $h->read_spans;
is(scalar @spans, scalar keys %req, scalar(keys %req) . ' requests, as many spans');
my $q = OTTest->by_query(@spans);
for my $k (sort keys %req) {
    my ($path, $status, $size, $url_path) = @{ $req{$k} };
    my $list = $q->{$k} || [];
    is(scalar @$list, 1, "$path: exactly one span") or next;
    my $s = $list->[0];
    is($s->{attr}{'url.path'}, $url_path, "$path: url.path is what the client asked for");
    is($s->{attr}{'http.response.status_code'}, $status, "$path: status $status");
    ok(!exists $s->{status}, "$path: span status unset");
    is($s->{attr}{'http.response.body.size'}, $size, "$path: body size of what was served")
        if defined $size;
    is($s->{attr}{'http.response.body.size'}, length $res{$k}{content},
       "$path: body size = bytes received");
    ok(!exists $s->{parentSpanId}, "$path: a root span");
}

# The CGI run as an ErrorDocument sees the same (single) span's context.
my $env = eval { decode_json($res{'r=dyn404'}{content}) } || {};
is($env->{REDIRECT_STATUS}, 404, 'CGI ran as the ErrorDocument');
my $s = ($q->{'r=dyn404'} || [])->[0];
SKIP: {
    skip 'no span for /dyn404', 2 unless $s;
    is($env->{TRACEPARENT}, OTTest->traceparent_of($s),
       'ErrorDocument CGI: TRACEPARENT is the request span');
    is($env->{HTTP_TRACEPARENT}, OTTest->traceparent_of($s),
       'ErrorDocument CGI: HTTP_TRACEPARENT is the request span');
}

my $d = $h->dir;
is_deeply([$h->error_log_unexpected(
    qr/\] AH00128: File does not exist: \Q$d\E\/htdocs\/(?:missing|dyn404\/nothing|nothing-here\.txt)$/,
)], [], 'no unexpected error-log lines');
done_testing;
