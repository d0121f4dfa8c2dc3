#!/usr/bin/perl
# A CGI that fails on purpose.
use strict;
use warnings;

print "Status: 500 Internal Server Error\r\n";
print "Content-Type: text/plain\r\n\r\n";
print "status500.cgi: failing on purpose\n";
