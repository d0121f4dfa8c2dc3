# url.query is recorded with the values of secret-bearing keys redacted:
# AWSAccessKeyId, Signature, sig, X-Goog-Signature (the OpenTelemetry
# semantic conventions' list) and the keys of TraceRedactQuery, which
# add to the defaults and, in a <Location>, to the server's.  An empty
# key is a configuration error.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(extra => <<'EOC');
TraceRedactQuery token
<Location /sub>
    TraceRedactQuery api_key session
</Location>
EOC
$h->start;

my @req = (
    ['/static.txt?AWSAccessKeyId=AKIA&Signature=x&a=1&n=1',
     'AWSAccessKeyId=REDACTED&Signature=REDACTED&a=1&n=1'],
    ['/static.txt?X-Goog-Signature=0123abcd&X-Goog-Date=20240101&n=2',
     'X-Goog-Signature=REDACTED&X-Goog-Date=20240101&n=2'],
    ['/static.txt?sig=s3cr3t&sig=&n=3', 'sig=REDACTED&sig=&n=3'],
    ['/static.txt?token=t0k&api_key=visible&n=4', 'token=REDACTED&api_key=visible&n=4'],
    ['/static.txt?SIGNATURE=kept&sig&n=5', 'SIGNATURE=kept&sig&n=5'],
    ['/sub/?token=t&api_key=k&session=s&sig=x&n=6',
     'token=REDACTED&api_key=REDACTED&session=REDACTED&sig=REDACTED&n=6'],
);
for my $r (@req) {
    is($h->get($r->[0])->{status}, 200, "$r->[0] answers 200");
}
my @spans = $h->spans(min => scalar @req);
$h->stop;
my %got = map { my ($n) = ($_->{attr}{'url.query'} // '') =~ /n=(\d+)$/;
                defined $n ? ($n => $_->{attr}{'url.query'}) : () } @spans;
for my $i (0 .. $#req) {
    is($got{$i + 1}, $req[$i][1], "url.query of $req[$i][0]");
}
unlike(join("\n", map { $_->{attr}{'url.query'} // '' } @spans),
       qr/AKIA|s3cr3t|t0k|0123abcd/, 'no secret in any span');
# The access log keeps the query as sent: only spans are redacted.
like(join("\n", $h->access_log_lines(min => scalar @req)), qr/Signature=x/,
     'the access log is not changed');
is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');

my ($st, $out) = $h->configtest(sprintf("TraceTracer %s '{\"path\": \"%s/ct.jsonl\"}'\nTraceRedactQuery a \"\"\n",
                                        $h->plugin, $h->dir));
isnt($st, 0, 'TraceRedactQuery with an empty key: configtest fails');
like($out, qr/TraceRedactQuery: a query key must not be empty/, 'configtest names the error') or diag $out;
($st, $out) = $h->configtest(sprintf("TraceTracer %s '{\"path\": \"%s/ct.jsonl\"}'\nTraceRedactQuery\n",
                                     $h->plugin, $h->dir));
isnt($st, 0, 'TraceRedactQuery without a key: configtest fails');
like($out, qr/TraceRedactQuery: at least one query key is needed/, 'configtest names the error') or diag $out;
($st, $out) = $h->configtest(sprintf("TraceTracer %s '{\"path\": \"%s/ct.jsonl\"}'\n<Directory %s/htdocs>\nTraceRedactQuery a b\n</Directory>\n",
                                     $h->plugin, $h->dir, $h->dir));
is($st, 0, 'TraceRedactQuery in <Directory>: configtest passes') or diag $out;
done_testing;
