# The OTLP/protobuf encoder (tracer/sdk/ot_otlp_proto.c) read by an
# independent implementation of the OTLP schema: the rich batch of
# t/unit/test_otlp_proto.c (written by `test_otlp_proto --dump`), decoded
# by t/tools/otlp-decode.js with the npm package
# @opentelemetry/otlp-transformer.  It holds every value type the module
# records, string arrays (AnyValue.array_value) among them, which no
# request of the other tests produces yet.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use OTTest;

my $npm = OTTest::npm_dir();
my $dump = "$OTTest::BUILD/unit/test_otlp_proto";
plan skip_all => "the OTLP decoder needs $npm (make build/npm/packages.txt)"
    unless -d "$npm/node_modules/\@opentelemetry/otlp-transformer";
plan skip_all => "$dump is missing (make unit builds it)" unless -x $dump;

my $dir = tempdir(CLEANUP => 1);
is(system($dump, '--dump', "$dir/rich.bin"), 0, 'the rich batch written');
my $out = `OTLP_TRANSFORMER_DIR='$npm' node '$OTTest::REPO/t/tools/otlp-decode.js' --compact '$dir/rich.bin' 2>&1`;
is($?, 0, 'decoded (strict UTF-8, no unknown field)') or diag($out);
my $msg = decode_json($out);

my @spans = map { @{ $_->{spans} || [] } }
            map { @{ $_->{scopeSpans} || [] } } @{ $msg->{resourceSpans} };
is(scalar @spans, 4, 'four spans');
my %attr = map { $_->{key} => $_->{value} } @{ $spans[0]{attributes} };
is(scalar keys %attr, 13, 'the first span has its 13 attributes');

# The AnyValue members, one of each (proto3 JSON mapping: int64 as string).
is_deeply($attr{'http.request.method'}, { stringValue => 'GET' }, 'string');
is_deeply($attr{'http.response.status_code'}, { intValue => '200' }, 'int');
is_deeply($attr{tls}, { boolValue => JSON::PP::false }, 'bool false');
is_deeply($attr{ratio}, { doubleValue => 0.25 }, 'double');
is_deeply($attr{empty}, { stringValue => '' }, 'empty string');

# The string array: one AnyValue per item, in order, each cut to the
# batch's 16 bytes and made valid UTF-8 (U+FFFD) as string values are.
is_deeply($attr{'http.request.header.accept'},
          { arrayValue => { values => [
              { stringValue => 'text/html' },
              { stringValue => 'application/xhtm' },
              { stringValue => "x\x{fffd}y" } ] } },
          'string array: arrayValue with one stringValue per item');

done_testing;
