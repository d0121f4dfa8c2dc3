# Whatever a client sends, the span file stays valid OTLP/JSON in UTF-8:
# quotes, backslashes and control characters escaped, invalid UTF-8
# repaired (U+FFFD), long values cut at max_attribute_length.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $h = OTTest->new(tracer => '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 100, "max_attribute_length": 100}');
$h->start;

my %ua = (
    'e=quote'   => ["say \"hi\" \\ back\\slash", "say \"hi\" \\ back\\slash"],
    'e=tab'     => ["a\tb", "a\tb"],
    'e=utf8'    => ["caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\x{e9} \x{20ac} \x{1f600}"],
    'e=invalid' => ["bad \xff byte \xc3( end", "bad \x{fffd} byte \x{fffd}( end"],
    'e=long'    => ['x' x 500, 'x' x 100],
    'e=longutf8' => ["\xc3\xa9" x 80, "\x{e9}" x 50],   # 100 bytes: never half a character
);
for my $k (sort keys %ua) {
    my $r = $h->raw_get("/static.txt?$k", { 'User-Agent' => $ua{$k}[0] });
    is($r->{status}, 200, "$k: served");
}
# A query with characters JSON must escape.
my $r = $h->raw_get('/static.txt?e=query&q=%22x%22&b=\\&c="<>"', {});
is($r->{status}, 200, 'query with quotes and a backslash: served');

$h->spans(min => 1 + keys %ua);
$h->stop;

# Every line is strict UTF-8 JSON.
open my $fh, '<:raw', $h->spans_path or die $!;
my $n = 0;
while (my $line = <$fh>) {
    $n++;
    ok(eval { JSON::PP->new->utf8->decode($line); 1 }, "line $n: valid UTF-8 JSON") or diag $@;
}
close $fh;

my @spans;
{
    open my $f, '<:raw', $h->spans_path or die $!;
    local $/;
    my $text = <$f>;
    for my $line (split /\n/, $text) {
        my $doc = JSON::PP->new->utf8->decode($line);
        for my $rs (@{ $doc->{resourceSpans} }) {
            for my $ss (@{ $rs->{scopeSpans} }) {
                push @spans, @{ $ss->{spans} };
            }
        }
    }
}
my %by;
for my $s (@spans) {
    my %a = map { $_->{key} => (values %{ $_->{value} })[0] } @{ $s->{attributes} };
    my ($k) = ($a{'url.query'} // '') =~ /^(e=\w+)/;
    $by{$k} = \%a if $k;
}
for my $k (sort keys %ua) {
    is($by{$k}{'user_agent.original'}, $ua{$k}[1], "$k: user_agent.original decodes as expected");
}
is($by{'e=query'}{'url.query'}, 'e=query&q=%22x%22&b=\\&c="<>"', 'url.query with quotes and a backslash');

is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
done_testing;
