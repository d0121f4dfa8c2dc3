#!/usr/bin/perl
# A CGI script that tells mod_opentracing what it did, in Trace-* response
# headers (TraceBackendHeaders On, the default): the route it served, a
# tag, an event, and a child span for a piece of work it timed.  The
# module reads them into the request's span and removes them: the client
# never sees them.  Values are percent-encoded (W3C baggage values).
use strict;
use warnings;
use Time::HiRes qw(time);

# Percent-encode a value: all but the unreserved characters.
sub enc { my ($v) = @_; $v =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge; $v }

my $start = time;
my @words = split ' ', 'the work being timed';
my $dur_us = int((time - $start) * 1e6);

print "Content-Type: text/plain\r\n";
print "Trace-Operation: GET /examples/{lang}\r\n";
print "Trace-Tag: example.lang=perl\r\n";
print "Trace-Tag: app.user=", enc('alice b'), "\r\n";
print "Trace-Event: cache.miss; cache.key=", enc('users/1'), "\r\n";
printf "Trace-Span: %s; start=%dms; dur=%dus; words=%d\r\n",
    enc('split words'), int($start * 1000), $dur_us, scalar @words;
print "\r\n";
print "hello from perl\n";
