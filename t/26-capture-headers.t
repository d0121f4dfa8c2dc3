# TraceCaptureRequestHeaders and TraceCaptureResponseHeaders: headers as
# string arrays, http.request.header.<lowercase name> and
# http.response.header.<name> (one item per field as httpd keeps them: it
# joins repeated request fields (mod_http2 too), and mod_cgi a script's repeated response
# fields, into one; mod_proxy keeps a backend's apart); a <Location> adds
# to the server's list;
# credentials are refused at configtest; the v1.20.0 names under
# TraceSemanticConventions old.
use strict;
use warnings;
use Test::More;
use OTTest;
use OTReceiver;

my $rx = OTReceiver->new(headers => ['X-Multi: one', 'X-Multi: two'])->start;
my $rxp = $rx->port;
my $h = OTTest->new(modules => [qw(authz_core mime dir alias proxy proxy_http)],
                    module_first => 1, extra => <<"CONF");
ProxyPass /p/ http://127.0.0.1:$rxp/
TraceCaptureRequestHeaders X-Request-Id X-Tenant
TraceCaptureResponseHeaders Content-Type X-Multi
<Location /cgi-bin/>
    TraceCaptureRequestHeaders Accept-Language
</Location>
CONF
$h->write_file($h->dir . '/cgi-bin/multi.cgi', <<'CGI', 0755);
#!/bin/sh
printf 'Content-Type: text/plain\r\nX-Multi: one\r\nX-Multi: two\r\nSet-Cookie: s=secret\r\n\r\nok\n'
CGI
$h->start;
$h->get('/index.html?c=1', { Host => 'x', 'X-Request-Id' => 'abc-123', 'X-Tenant' => [qw(a b)],
                             'Accept-Language' => 'de', Authorization => 'Basic c2VjcmV0' });
$h->get('/cgi-bin/multi.cgi?c=2', { Host => 'x', 'Accept-Language' => 'fr', Cookie => 's=secret' });
$h->get('/index.html?c=3');
$h->get('/p/x?c=4');
my $by = OTTest->by_query($h->spans(min => 4));
my $a1 = $by->{'c=1'}[0]{attr};
is_deeply($a1->{'http.request.header.x-request-id'}, ['abc-123'], 'a request header, as an array');
is_deeply($a1->{'http.request.header.x-tenant'}, ['a, b'],
          'a repeated request header: httpd joined its fields');
ok(!exists $a1->{'http.request.header.accept-language'}, "the <Location>'s header is not captured outside it");
is_deeply($a1->{'http.response.header.content-type'}, ['text/html'], 'a response header');
my $a2 = $by->{'c=2'}[0]{attr};
is_deeply($a2->{'http.request.header.accept-language'}, ['fr'], 'a <Location> adds a header');
is_deeply($a2->{'http.response.header.x-multi'}, ['one, two'],
          "a CGI's repeated response header: mod_cgi joined its fields");
my ($s4) = grep { $_->{kind} == 2 } @{ $by->{'c=4'} };
is_deeply($s4->{attr}{'http.response.header.x-multi'}, ['one', 'two'],
          "a proxied backend's repeated response header: one item per field");
ok(!exists $by->{'c=3'}[0]{attr}{'http.request.header.x-request-id'}, 'a header that did not come: not set');
$h->stop;
my $all = OTTest::slurp($h->spans_path) // '';
unlike($all, qr/secret|c2VjcmV0/, 'no credential anywhere in the spans');
is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');

# the old names
{
    my $o = OTTest->new(extra => "TraceSemanticConventions both\nTraceCaptureRequestHeaders X-Request-Id\n");
    $o->start;
    $o->get('/index.html?c=old', { 'X-Request-Id' => 'r1' });
    my ($s) = $o->spans(min => 1);
    is_deeply($s->{attr}{'http.request.header.x-request-id'}, ['r1'], 'both: the current name');
    is_deeply($s->{attr}{'http.request.header.x_request_id'}, ['r1'], "both: v1.20.0's, '-' as '_'");
    $o->stop;
}

# configtest: credentials and bad names
for my $t (['TraceCaptureRequestHeaders Authorization', qr/TraceCaptureRequestHeaders: Authorization carries credentials and is never recorded/],
           ['TraceCaptureRequestHeaders x-ok cookie', qr/TraceCaptureRequestHeaders: cookie carries credentials/],
           ['TraceCaptureRequestHeaders Proxy-Authorization', qr/Proxy-Authorization carries credentials/],
           ['TraceCaptureResponseHeaders Set-Cookie', qr/TraceCaptureResponseHeaders: Set-Cookie carries credentials/],
           ['TraceCaptureResponseHeaders "a b"', qr/TraceCaptureResponseHeaders: 'a b' is not a header name/]) {
    my ($st, $out) = $h->configtest("TraceTracer " . $h->plugin
        . " '{\"path\": \"" . $h->dir . "/x.jsonl\"}'\n$t->[0]");
    isnt($st, 0, "$t->[0]: apache2 -t fails");
    like($out, $t->[1], "$t->[0]: says why");
}
done_testing;
