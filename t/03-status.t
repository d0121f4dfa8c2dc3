# Response status on the span: 4xx leaves the span status unset (the
# client's error), 5xx sets ERROR with error.type.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
<Location /forbidden>
    Require all denied
</Location>
EOC
$h->start;

is($h->get('/no-such-file?s=404')->{status}, 404, '404 for a missing file');
is($h->get('/cgi-bin/status500.cgi?s=500')->{status}, 500, '500 from the CGI');
is($h->get('/forbidden/x?s=403')->{status}, 403, '403 before fixups');
my $full = $h->get('/static.txt?s=200');
is($full->{status}, 200, 'static file: 200');
my $etag = $full->{headers}{etag} // 'none';
is($h->get('/static.txt?s=304', { 'If-None-Match' => $etag })->{status}, 304,
   '304 for a matching If-None-Match');
my $part = $h->get('/static.txt?s=206', { Range => 'bytes=0-9' });
is($part->{status}, 206, '206 for a Range');

$h->spans(min => 6);
$h->stop;
my $q = OTTest->by_query($h->read_spans);
is_deeply([sort keys %$q], [sort map { "s=$_" } 200, 206, 304, 403, 404, 500],
          'one query, one group of spans');
is(scalar(@{ $q->{$_} }), 1, "one span for $_") for sort keys %$q;

my $s404 = $q->{'s=404'}[0];
is($s404->{attr}{'http.response.status_code'}, 404, '404: status code');
ok(!exists $s404->{status} || !$s404->{status}{code}, '404: span status unset');
ok(!exists $s404->{attr}{'error.type'}, '404: no error.type');
is($s404->{attr}{'url.path'}, '/no-such-file', '404: url.path');

my $s500 = $q->{'s=500'}[0];
is($s500->{attr}{'http.response.status_code'}, 500, '500: status code');
is($s500->{status}{code}, 2, '500: span status ERROR (2)');
is($s500->{attr}{'error.type'}, '500', '500: error.type "500"');
is($s500->{attr}{'url.path'}, '/cgi-bin/status500.cgi', '500: url.path');
my %types = map { $_->{key} => join(',', keys %{ $_->{value} }) }
    @{ $s500->{attributes} };
is($types{'error.type'}, 'stringValue', 'error.type is a string');

my $s403 = $q->{'s=403'}[0];
is($s403->{attr}{'http.response.status_code'}, 403, '403: status code');
ok(!exists $s403->{status} || !$s403->{status}{code}, '403: span status unset');
ok(!exists $s403->{attr}{'error.type'}, '403: no error.type');

my $s200 = $q->{'s=200'}[0];
ok(!exists $s200->{status}, '200: no status object');

my $s304 = $q->{'s=304'}[0];
is($s304->{attr}{'http.response.status_code'}, 304, '304: status code');
is($s304->{attr}{'http.response.body.size'}, 0, '304: no body');
ok(!exists $s304->{status}, '304: span status unset');

my $s206 = $q->{'s=206'}[0];
is($s206->{attr}{'http.response.status_code'}, 206, '206: status code');
is($s206->{attr}{'http.response.body.size'}, 10, '206: the 10 bytes of the range');

is_deeply([$h->error_log_unexpected(
    qr/\] AH00128: File does not exist: \Q${\ $h->dir}\E\/htdocs\/no-such-file$/,
    qr/\] AH01630: client denied by server configuration: \Q${\ $h->dir}\E\/htdocs\/forbidden$/,
)], [], 'no unexpected error-log lines');
done_testing;
