#!/usr/bin/perl
# Answers after 300 ms: the span must cover the whole request.
use strict;
use warnings;
use Time::HiRes qw(sleep);

sleep 0.3;
print "Content-Type: text/plain\r\n\r\nslow\n";
