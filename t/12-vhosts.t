# Name-based virtual hosts: each span carries the resource of the host
# that served it (TraceServiceName per host, inherited from the main
# server, or the host's ServerName), even when spans of several hosts
# leave in one batch; TraceRequest Off for a whole host; the directives
# of issue 9 through the hierarchy server -> virtual host -> <Location>.
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

# The hierarchy: the server sets a value, a virtual host replaces it, a
# <Location> in it replaces that; another virtual host inherits the
# server's.
{
    my $h = OTTest->new(files => { 'htdocs/loc/index.html' => "loc\n" }, extra => <<'EOC');
TraceOperationName "server-op"
TraceSampleExpr never "%{QUERY_STRING} =~ /skip/"
TraceTag tier "server"
TraceSemanticConventions old
<VirtualHost 127.0.0.1:@PORT@>
    ServerName inherit.test
</VirtualHost>
<VirtualHost 127.0.0.1:@PORT@>
    ServerName own.test
    TraceOperationName "vhost-op"
    TraceSampleRate 0
    TraceTag tier "vhost"
    TraceSemanticConventions current
    TraceBackendHeaders Off
    <Location /loc>
        TraceOperationName "location-op"
        TraceSampleRate 1
        TraceTag tier "location"
        TraceBackendHeaders On
    </Location>
</VirtualHost>
EOC
    $h->start;
    $h->get('/index.html?h=inherit', { Host => 'inherit.test' });
    $h->get('/index.html?h=inherit-skip', { Host => 'inherit.test' });
    $h->get('/index.html?h=own', { Host => 'own.test' });
    $h->get('/loc/index.html?h=loc', { Host => 'own.test' });
    $h->get('/loc/index.html?h=loc-skip', { Host => 'own.test' });
    my @s = $h->spans(min => 2);
    sleep 0.5;
    @s = $h->read_spans;
    my %q = map { ($_->{attr}{'url.query'} // ($_->{attr}{'http.target'} // '') =~ s/^[^?]*\?//r) => $_ } @s;
    is_deeply([sort keys %q], [qw(h=inherit h=loc)],
              'hierarchy: the vhost rate 0 and the server never rule, with the location rate 1');
    is($q{'h=inherit'}{name}, 'server-op', 'hierarchy: a vhost without its own name inherits the server\'s');
    is($q{'h=inherit'}{attr}{tier}, 'server', 'hierarchy: and its tag');
    ok(exists $q{'h=inherit'}{attr}{'http.method'}, 'hierarchy: and its semantic conventions (old)');
    is($q{'h=loc'}{name}, 'location-op', 'hierarchy: the <Location> name wins over the vhost\'s');
    is($q{'h=loc'}{attr}{tier}, 'location', 'hierarchy: and its tag');
    is($q{'h=loc'}{attr}{'http.route'}, '/loc', 'hierarchy: the <Location> is the route');
    ok(exists $q{'h=loc'}{attr}{'http.request.method'} && !exists $q{'h=loc'}{attr}{'http.method'},
       'hierarchy: the vhost\'s semantic conventions (current)');
    $h->stop;
    is_deeply([$h->error_log_unexpected], [], 'hierarchy: no unexpected error-log lines');
}

done_testing;
