#!/usr/bin/perl
# Prints its environment as a JSON object (sorted keys), plus
# _BODY_LENGTH: the bytes of request body it read (a CGI must read its
# input, or mod_cgid may see the connection reset).
use strict;
use warnings;
use JSON::PP;

my $body = '';
binmode STDIN;
1 while read(STDIN, $body, 65536, length $body);
print "Content-Type: application/json\r\n\r\n";
print JSON::PP->new->canonical->encode({ %ENV, _BODY_LENGTH => length $body }), "\n";
