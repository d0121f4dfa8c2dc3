# Batches: a full batch (max_export_batch_size) is written at once, without
# waiting schedule_delay_ms; no line holds more than a batch; what is left
# is written at stop.
use strict;
use warnings;
use Test::More;
use OTTest;

my $h = OTTest->new(tracer => '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 60000, '
                              . '"max_export_batch_size": 5, "max_queue_size": 100}',
                   extra => "LogLevel info opentracing:debug\n");
$h->start;
my $ok = 0;
for my $i (1 .. 12) {
    $ok++ if $h->get("/static.txt?i=$i")->{status} == 200;
}
is($ok, 12, '12 requests served');
my @s = $h->spans(min => 10, timeout => 5);
is(scalar @s, 10, 'two full batches written long before the 60 s delay, the rest still queued');
$h->stop;
@s = $h->read_spans;
is(scalar @s, 12, 'the last 2 written at stop');
my %per_line;
$per_line{ $_->{line} }++ for @s;
is_deeply([map { $per_line{$_} } sort { $a <=> $b } keys %per_line], [5, 5, 2],
          'one line per batch: 5, 5, 2');
my %q = map { $_->{attr}{'url.query'} => 1 } @s;
is(scalar keys %q, 12, 'each request once');
# LogLevel opentracing:debug: one line per export, with its figures
my @dbg = map { /OT03003: file tracer: wrote (\d+) spans, (\d+) bytes, [\d.]+ ms$/ ? [$1, $2] : () }
    $h->error_log_lines;
is_deeply([map { $_->[0] } @dbg], [5, 5, 2], 'debug: one line per export, with its span count');
my $bytes = 0;
$bytes += $_->[1] for @dbg;
is($bytes, -s $h->dir . '/spans.jsonl', 'debug: the bytes add up to the file size');
is_deeply([$h->error_log_unexpected(qr/OT03003: file tracer: wrote/)], [],
          'no unexpected error-log lines');
done_testing;
