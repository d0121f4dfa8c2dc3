# A third-party tracer plugin built against the installed SDK only:
# `make install DESTDIR=<tmp>` puts ot_tracer.h, the SDK headers,
# libottracer.a and ottracer.pc in place; examples/tracer_example is
# compiled with pkg-config pointing into <tmp> (no path into the source
# tree), loaded with TraceTracer into a real httpd, and its spans arrive.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use OTTest;

plan skip_all => 'pkg-config is needed (make deps)' unless -x '/usr/bin/pkg-config';

my $repo = $OTTest::REPO;
my $build = $OTTest::BUILD;
my $dest = tempdir('ot_sdk.XXXXXX', DIR => '/tmp', CLEANUP => 1);
my $out = `make -s -C '$repo' B='$build' install DESTDIR='$dest' 2>&1`;
is($?, 0, 'make install DESTDIR=...') or diag $out;

my $libdir = `apxs -q LIBDIR`;
chomp $libdir;
local $ENV{PKG_CONFIG_LIBDIR} = "$dest$libdir/pkgconfig";
local $ENV{PKG_CONFIG_PATH} = '';
local $ENV{PKG_CONFIG_SYSROOT_DIR} = $dest;
my $flags = `pkg-config --cflags --libs ottracer`;
is($?, 0, 'pkg-config finds the installed ottracer.pc');
chomp $flags;
unlike($flags, qr/\Q$repo\E/, 'the flags point into the install, not the tree');
like($flags, qr/-lottracer/, 'and link libottracer');

my $h = OTTest->new(tracer => undef);
my $so = $h->dir . '/tracer_example.so';
# Compiled from a copy outside the tree, so that no header next to it can
# come from the source tree either.
my $src = $h->dir . '/tracer_example.c';
system('cp', "$repo/examples/tracer_example/tracer_example.c", $src) == 0 or die;
my $cmd = "cd /tmp && cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $flags "
    . "-o '$so' '$src' $flags 2>&1";
$out = `$cmd`;
is($?, 0, 'the example plugin builds against the installed files only')
    or diag "$cmd\n$out";

$h->reconfigure(extra => "TraceTracer $so '{\"path\": \"\@DIR\@/example.log\", \"schedule_delay_ms\": 100}'\n");
$h->start;
my $ok = 0;
for my $i (1 .. 5) {
    $ok++ if $h->get("/index.html?i=$i")->{status} == 200;
}
is($ok, 5, 'five requests served');
$h->stop;
my @lines = split /\n/, OTTest::slurp($h->dir . '/example.log') // '';
is(scalar @lines, 5, 'one line per request from the third-party plugin');
like($lines[0] // '', qr/^[0-9a-f]{32} [0-9a-f]{16} GET \d+$/,
     'trace id, span id, name, duration');
is_deeply([$h->error_log_unexpected(
    qr/OT00004: mod_opentracing [\d.]+: example tracer \(\S+\) configured by inline JSON$/)],
    [], 'no unexpected error-log lines');
done_testing;
