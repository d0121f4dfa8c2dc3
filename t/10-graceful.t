# Spans in a folder only root may write (like /var/log/apache2): the
# parent opens the file.  logrotate's rename + graceful restart: new spans
# go to a new file at the original path, none queued before is lost.
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path);
use OTTest;

sub root_folder {
    my ($h) = @_;
    my $spool = $h->dir . '/spool';
    make_path($spool);
    chown 0, 0, $spool;
    chmod 0755, $spool;
    my @st = stat $spool;
    is($st[4], 0, 'span folder owned by root');
    is($st[2] & 07777, 0755, 'span folder mode 0755');
    my $www = getpwnam('www-data');
    isnt($www, 0, 'children run as a user other than root');
    return $spool;
}

sub ids { map { $_->{spanId} } @_ }

# --- spans written every 100 ms: rotate between batches
{
    my $h = OTTest->new(tracer => '{"path": "@DIR@/spool/spans.jsonl", "schedule_delay_ms": 100}',
                        spans_path => '@DIR@/spool/spans.jsonl');
    my $spool = root_folder($h);
    $h->start;
    my $file = "$spool/spans.jsonl";
    ok(-e $file, 'the parent created the span file at startup');
    is((stat $file)[4], 0, 'span file owned by root');
    is((stat $file)[2] & 0777, 0640, 'span file mode 0640 (the default)');

    is($h->get("/static.txt?before=$_")->{status}, 200, "request $_ before") for 1 .. 5;
    my $cgi = $h->get('/cgi-bin/env.cgi?before=6');
    is($cgi->{status}, 200, 'a CGI before');
    my @before = $h->spans(min => 6);
    is(scalar @before, 6, 'six spans written by www-data children into the root-only folder');

    rename $file, "$file.1" or die "rename: $!";
    my $old_pid = $before[0]{resource}{'process.pid'};
    $h->graceful;
    ok(-e $file, 'graceful restart: a new span file at the original path');
    is((stat $file)[4], 0, 'new span file owned by root');

    is($h->get("/static.txt?after=$_")->{status}, 200, "request $_ after") for 1 .. 7;
    my @after = $h->spans(min => 7);
    is(scalar @after, 7, 'the new requests go to the new file');
    $h->stop;

    my @old = $h->read_spans("$file.1");
    @after = $h->read_spans;
    is(scalar @old, 6, 'the rotated file keeps the 6 earlier spans, nothing more');
    is(scalar @after, 7, 'the new file has exactly the 7 later spans');
    is(scalar(grep { ($_->{attr}{'url.query'} // '') =~ /^before=/ } @old), 6, 'rotated file: only "before" requests');
    is(scalar(grep { ($_->{attr}{'url.query'} // '') =~ /^after=/ } @after), 7, 'new file: only "after" requests');
    my %u = map { $_ => 1 } ids(@old, @after);
    is(scalar keys %u, 13, '13 distinct spans');
    isnt($after[0]{resource}{'process.pid'}, $old_pid, 'new spans come from a new child');
    is_deeply([$h->error_log_unexpected], [], 'no unexpected error-log lines');
}

# --- a graceful restart applies a new configuration
{
    my $h = OTTest->new(extra => "TraceServiceName before-restart\n");
    $h->start;
    is($h->get('/static.txt?gen=1')->{status}, 200, 'generation 1: served');
    my @one = $h->spans(min => 1);
    $h->reconfigure(extra => "TraceServiceName after-restart\n<Location /static.txt>\n    TraceRequest Off\n</Location>\n",
                    tracer => '{"path": "@DIR@/spans2.jsonl", "schedule_delay_ms": 100}',
                    spans_path => '@DIR@/spans2.jsonl');
    $h->graceful;
    is($h->get('/static.txt?gen=2')->{status}, 200, 'generation 2: static (now Off) served');
    is($h->get('/index.html?gen=2')->{status}, 200, 'generation 2: index served');
    my @two = $h->spans(min => 1);
    $h->stop;
    @one = $h->read_spans($h->dir . '/spans.jsonl');
    @two = $h->read_spans;
    is(scalar @one, 1, 'generation 1: one span in the first file');
    is(($one[0] || {})->{resource}{'service.name'}, 'before-restart', 'generation 1: its service.name');
    is(scalar @two, 1, 'generation 2: one span (TraceRequest Off applied) in the new file');
    is(($two[0] || {})->{attr}{'url.path'}, '/index.html', 'generation 2: the index');
    is(($two[0] || {})->{resource}{'service.name'}, 'after-restart', 'generation 2: the new service.name');
    is_deeply([$h->error_log_unexpected], [], 'reconfigure: no unexpected error-log lines');
}

# --- spans still queued at the restart (export every 60 s): the old
# children write them to the file they opened, the rotated one.
for my $mpm (qw(event prefork)) {
    my $h = OTTest->new(mpm => $mpm,
                        tracer => '{"path": "@DIR@/spool/spans.jsonl", "schedule_delay_ms": 60000}',
                        spans_path => '@DIR@/spool/spans.jsonl');
    my $spool = root_folder($h);
    my $file = "$spool/spans.jsonl";
    $h->start;
    is($h->get("/static.txt?before=$_")->{status}, 200, "$mpm: request $_ before") for 1 .. 4;
    $h->get('/cgi-bin/env.cgi?before=5');
    $h->access_log_lines(min => 5);
    Time::HiRes::sleep(0.3);
    is(scalar($h->read_spans), 0, "$mpm: nothing written yet (queued for 60 s)");

    rename $file, "$file.1" or die "rename: $!";
    $h->graceful;
    my @old = $h->spans(file => "$file.1", min => 5, timeout => 10);
    is(scalar @old, 5, "$mpm: graceful restart: the old children flushed their queue to the rotated file");

    is($h->get("/static.txt?after=$_")->{status}, 200, "$mpm: request $_ after") for 1 .. 3;
    $h->access_log_lines(min => 8);
    $h->stop;
    @old = $h->read_spans("$file.1");
    my @new = $h->read_spans;
    is(scalar @old, 5, "$mpm: 5 before in the rotated file");
    is(scalar @new, 3, "$mpm: 3 after in the new file (flushed at stop)");
    is(scalar(grep { ($_->{attr}{'url.query'} // '') =~ /^before=/ } @old), 5, "$mpm: rotated file: the 'before' requests");
    is(scalar(grep { ($_->{attr}{'url.query'} // '') =~ /^after=/ } @new), 3, "$mpm: new file: the 'after' requests");
    is_deeply([$h->error_log_unexpected], [], "$mpm: no unexpected error-log lines");
}

# --- a hard restart (-k restart) stops the children at once: they still
# write what they queued.
for my $mpm (qw(event prefork)) {
    my $h = OTTest->new(mpm => $mpm,
                        tracer => '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 60000}');
    $h->start;
    is($h->get("/static.txt?hard=$_")->{status}, 200, "$mpm: request $_ before -k restart") for 1 .. 4;
    $h->access_log_lines(min => 4);
    $h->restart;
    my @s = $h->spans(min => 4, timeout => 10);
    is(scalar @s, 4, "$mpm: -k restart: the 4 queued spans written");
    is($h->get('/static.txt?hard=after')->{status}, 200, "$mpm: served after -k restart");
    $h->stop;
    is(scalar($h->read_spans), 5, "$mpm: 5 spans in all");
    is_deeply([$h->error_log_unexpected], [], "$mpm: -k restart: no unexpected error-log lines");
}

done_testing;
