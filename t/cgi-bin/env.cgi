#!/usr/bin/perl
# Prints its environment as a JSON object (sorted keys).
use strict;
use warnings;
use JSON::PP;

print "Content-Type: application/json\r\n\r\n";
print JSON::PP->new->canonical->encode({ %ENV }), "\n";
