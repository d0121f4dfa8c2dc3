# Name-based virtual hosts: each span carries the resource of the host
# that served it (TraceServiceName per host, inherited from the main
# server, or the host's ServerName), even when spans of several hosts
# leave in one batch; TraceRequest Off for a whole host.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use OTTest;

my $vhosts = <<'EOC';
<VirtualHost 127.0.0.1:@PORT@>
    ServerName default.test
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName a.test
    TraceServiceName svc-a
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName b.test
    TraceRequest Off
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName c.test
</VirtualHost>
EOC

for my $main_name (undef, 'main-svc') {
    my $label = defined $main_name ? "TraceServiceName $main_name" : 'no main TraceServiceName';
    # One batch at stop: spans of every host in the same line.
    my $h = OTTest->new(
        tracer => '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 60000}',
        extra => (defined $main_name ? "TraceServiceName $main_name\n" : '') . $vhosts);
    $h->start;
    my %env;
    for my $host (qw(default a b c a c default)) {
        my $r = $h->get("/cgi-bin/env.cgi?host=$host", { Host => "$host.test" });
        is($r->{status}, 200, "$label: $host.test served");
        $env{$host} = eval { decode_json($r->{content}) } || {};
        is($env{$host}{SERVER_NAME}, "$host.test", "$label: $host.test: the right host");
    }
    $h->access_log_lines(min => 7);
    $h->stop;
    my @spans = $h->read_spans;
    is(scalar @spans, 6, "$label: six spans (none for b.test)");
    my %lines = map { $_->{line} => 1 } @spans;
    is(scalar keys %lines, 1, "$label: all in one batch");
    my $q = OTTest->by_query(@spans);
    my %want = (
        default => $main_name // 'default.test',
        a       => 'svc-a',
        c       => $main_name // 'c.test',
    );
    for my $host (sort keys %want) {
        my @s = @{ $q->{"host=$host"} || [] };
        is(scalar @s, 2, "$label: two spans for $host.test");
        is($_->{resource}{'service.name'}, $want{$host},
           "$label: $host.test span: service.name $want{$host}") for @s;
        is($_->{attr}{'server.address'}, "$host.test", "$label: $host.test span: server.address")
            for @s;
    }
    ok(!$q->{'host=b'}, "$label: TraceRequest Off in a <VirtualHost>: no span");
    ok(!exists $env{b}{TRACEPARENT}, "$label: b.test: no TRACEPARENT");
    ok(exists $env{c}{TRACEPARENT}, "$label: c.test: TRACEPARENT");
    is_deeply([$h->error_log_unexpected], [], "$label: no unexpected error-log lines");
}

# The main server answers on 127.0.0.1; a virtual host on another
# address (as Debian's 000-default.conf is) must not lend it its name.
{
    my $h = OTTest->new(servername => 'main.test', extra => <<'EOC');
<VirtualHost 127.0.0.2:@PORT@>
    ServerName elsewhere.test
</VirtualHost>
EOC
    $h->start;
    my $r = $h->get('/static.txt?host=main');
    is($r->{status}, 200, 'main server served');
    my @s = $h->spans(min => 1);
    $h->stop;
    @s = $h->read_spans;
    is(scalar @s, 1, 'main server: one span');
    is(($s[0] || {})->{resource}{'service.name'}, 'main.test',
       'main server: service.name is its own ServerName, not a virtual host\'s');
    is_deeply([$h->error_log_unexpected], [], 'main server: no unexpected error-log lines');
}

done_testing;
