package OTTest;

# Integration-test harness for mod_opentracing: runs a private apache2
# (Debian's binary, as root, children as www-data) from a fresh temporary
# ServerRoot, and reads back what it produced: spans (OTLP/JSON lines
# written by build/tracer_file.so), the access log and the error log.
#
#   my $h = OTTest->new(mpm => 'event', extra => $conf, tracer => $json);
#   $h->start;
#   my $res = $h->get('/index.html', { 'User-Agent' => 'x' });
#   my @spans = $h->spans(min => 1);
#   $h->stop;
#
# new() arguments, all optional:
#   mpm         event (default: OT_MPM in the environment, else event),
#               worker or prefork
#   extra       configuration appended to httpd.conf
#   plugin      file (default), otlp or zipkin: build/tracer_<plugin>.so;
#               a path (with a /) is taken as is (a test plugin:
#               @BUILD@/unit/plugin_fault.so)
#   tracer      the JSON of TraceTracer (default: the file tracer writing
#               <dir>/spans.jsonl every 100 ms); undef: no TraceTracer line
#   spans_path  where spans() reads (default <dir>/spans.jsonl)
#   servername  ServerName (default ot-test.invalid)
#   mpm_conf    configuration for the MPM (default: small, one process
#               except where a test asks for more)
#   module      0: no LoadModule opentracing_module (and no TraceTracer
#               line): an httpd without the module (default 1)
#   build       where mod_opentracing.so and tracer_<plugin>.so are taken
#               from (default OT_BUILD_DIR or the checkout's build/)
#   modules     the httpd modules loaded besides the MPM (default
#               [qw(authz_core mime dir alias rewrite)])
#   cgi         0: no mod_cgi/mod_cgid, no /cgi-bin/ (needs alias; default 1)
#   access_log  0: no CustomLog (default 1)
#   loglevel    LogLevel (default info)
#   files       { path relative to the ServerRoot => content }, written (folders made)
#               after htdocs and cgi-bin were copied (e.g. 'htdocs/x.html')
#   tmpdir      where the temporary ServerRoot is made (default /tmp)
#   cleanup     0: leave the ServerRoot to the caller (default 1, unless
#               OT_KEEP)
# In extra, tracer and spans_path, @DIR@ is the temporary ServerRoot,
# @REPO@ the checkout, @MODDIR@ apxs's LIBEXECDIR, @PORT@ the port and
# @BUILD@ the build folder (OT_BUILD_DIR or build/).
# Only Perl core modules are used: Apache::Test refuses to run as root.
# OT_KEEP=1 in the environment keeps the temporary directories;
# OT_MPM=prefork|worker|event is the MPM of a test that does not choose
# one (make integration-mpm);
# OT_BUILD_DIR=<dir> tests <dir>/mod_opentracing.so and tracer_file.so
# instead of the checkout's build/.
# OT_H2=1 (make integration-h2): every server with a threaded MPM loads
# mod_http2 with "Protocols h2c http/1.1", and get(), request() and
# raw_get() speak HTTP/2 to it (curl --http2-prior-knowledge, h2c); a
# server a test runs under prefork (mod_http2 serves nothing there) stays
# HTTP/1.1 and says so.  raw() and a test's own HTTP::Tiny stay HTTP/1.1.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Find qw(find);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir tempfile);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our $REPO = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
our $T_DIR = "$REPO/t";
our $APACHE = $ENV{APACHE2} || 'apache2';
our $H2 = $ENV{OT_H2} ? 1 : 0;

my $MODDIR;
# GLIBC_TUNABLES for a process that callgrind measures.  callgrind counts
# each byte that a "rep movsb" or "rep stosb" moves as an instruction,
# where the CPU retires one instruction that moves 32 or more bytes a
# cycle; glibc uses them for copies and fills of a few KiB and more (curl
# copying a batch into its upload buffer, a pool clearing a large
# record).  With the thresholds out of reach glibc copies with vector
# loops, which callgrind counts as the CPU does.
sub callgrind_tunables {
    return join ':', grep { defined && $_ ne '' } $ENV{GLIBC_TUNABLES},
        'glibc.cpu.x86_rep_movsb_threshold=2147483647',
        'glibc.cpu.x86_rep_stosb_threshold=2147483647';
}

sub moddir {
    return $MODDIR if defined $MODDIR;
    my $d = `apxs -q LIBEXECDIR 2>/dev/null`;
    chomp $d;
    $d = '/usr/lib/apache2/modules' unless $d && -d $d;
    return $MODDIR = $d;
}

# Every live harness, so that END can stop what a dying test left running.
my %LIVE;

# Error-log lines that a healthy start, graceful restart or stop produces
# at LogLevel info.  Anything else is "unexpected".
our @ALLOWED = (
    # start (prefork, worker, event)
    qr/\] OT00004: mod_opentracing [\d.]+: (?:file|otlp|zipkin) tracer \(\S+\) configured by (?:inline JSON|\/\S+)$/,
    qr/\] AH00163: Apache\/[\d.]+ \(Debian\) configured -- resuming normal operations$/,
    qr/\] AH00292: Apache\/[\d.]+ \(Debian\) configured -- resuming normal operations$/,
    qr/\] AH00489: Apache\/[\d.]+ \(Debian\) configured -- resuming normal operations$/,
    qr/\] AH0(?:0164|0293|0490): Server built: /,
    qr/\] AH00094: Command line: '[^']*'$/,
    qr/\] AH03090: mod_http2 \(v[\d.]+, feats=\S*, nghttp2 [\d.]+\), initializing\.\.\.$/,
    qr/\] h2_workers: created with min=\d+ max=\d+ idle_ms=\d+$/,
    # graceful restart
    qr/\] AH00171: Graceful restart requested, doing restart$/,
    qr/\] AH00297: SIGUSR1 received\.  Doing graceful restart$/,
    qr/\] AH00493: SIGUSR1 received\.  Doing graceful restart$/,
    # restart
    qr/\] AH00173: SIGHUP received\.  Attempting to restart$/,
    qr/\] AH00298: SIGHUP received\.  Attempting to restart$/,
    qr/\] AH00494: SIGHUP received\.  Attempting to restart$/,
    # stop
    qr/\] AH00096: removed PID file \S+ \(pid=\d+\)$/,
    qr/\] AH00169: caught SIGTERM, shutting down$/,
    qr/\] AH00295: caught SIGTERM, shutting down$/,
    qr/\] AH00491: caught SIGTERM, shutting down$/,
);

sub new {
    my ($class, %a) = @_;
    my $mpm = $a{mpm} || $ENV{OT_MPM} || 'event';
    croak "unknown mpm $mpm" unless $mpm =~ /^(?:event|worker|prefork)$/;
    croak 'OT_H2 needs a threaded MPM (mod_http2 does not serve under prefork)'
        if $H2 && !$a{mpm} && $mpm eq 'prefork';
    my $h2 = $H2 && $mpm ne 'prefork';
    if ($H2 && !$h2 && defined &Test::More::note) {
        Test::More::note('OT_H2: this server runs prefork (a choice of the test), '
                         . 'where mod_http2 serves nothing: it stays HTTP/1.1');
    }
    my @modules = @{ $a{modules} || [qw(authz_core mime dir alias rewrite)] };
    push @modules, 'http2' if $h2 && !grep { $_ eq 'http2' } @modules;
    my $dir = tempdir('mod_ot_test.XXXXXX', DIR => $a{tmpdir} // '/tmp',
                      CLEANUP => 0);
    chmod 0755, $dir or croak "chmod $dir: $!";
    my $self = bless {
        mpm        => $mpm,
        dir        => $dir,
        port       => free_port(),
        servername => $a{servername} || 'ot-test.invalid',
        extra      => $a{extra} // '',
        mpm_conf   => $a{mpm_conf},
        plugin     => $a{plugin} || 'file',     # tracer_<plugin>.so
        keep       => $ENV{OT_KEEP},
        owner_pid  => $$,
        module_on  => $a{module} // 1,
        build      => $a{build},                # undef: $BUILD
        modules    => \@modules,
        h2         => $h2,
        # LoadModule opentracing before the other modules (as Debian's
        # a2enmod order does for mod_proxy: "opentracing" < "proxy")
        module_first => $a{module_first},
        cgi        => $a{cgi} // 1,
        access_on  => $a{access_log} // 1,
        loglevel   => $a{loglevel} || 'info',
        cleanup    => $a{cleanup} // 1,
    }, $class;
    $self->{tracer} = exists $a{tracer}
        ? $a{tracer}
        : '{"path": "@DIR@/spans.jsonl", "schedule_delay_ms": 100}';
    $self->{spans_path} = $self->subst($a{spans_path} // '@DIR@/spans.jsonl');
    $self->setup_tree;
    for my $f (sort keys %{ $a{files} || {} }) {
        make_path(dirname("$dir/$f"), { mode => 0755 });
        $self->write_file("$dir/$f", $a{files}{$f}, 0644);
    }
    $self->write_file($self->conf_file, $self->config(undef));
    return $self;
}

# Change extra, tracer or spans_path and rewrite httpd.conf (for a
# graceful restart to pick up).
sub reconfigure {
    my ($self, %a) = @_;
    $self->{extra} = $a{extra} if exists $a{extra};
    $self->{tracer} = $a{tracer} if exists $a{tracer};
    $self->{spans_path} = $self->subst($a{spans_path}) if exists $a{spans_path};
    $self->write_file($self->conf_file, $self->config(undef));
    return $self;
}

sub dir        { $_[0]{dir} }
sub port       { $_[0]{port} }
sub mpm        { $_[0]{mpm} }
sub conf_file  { "$_[0]{dir}/conf/httpd.conf" }
sub error_log  { "$_[0]{dir}/logs/error_log" }
sub access_log { "$_[0]{dir}/logs/access_log" }
sub pid_file   { "$_[0]{dir}/run/httpd.pid" }
sub spans_path { $_[0]{spans_path} }
sub url        { "http://127.0.0.1:$_[0]{port}$_[1]" }
# OT_BUILD_DIR: test the module and plugin of another build.
our $BUILD = $ENV{OT_BUILD_DIR} ? abs_path($ENV{OT_BUILD_DIR}) : "$REPO/build";
sub plugin {
    my ($self) = @_;
    return $self->subst($self->{plugin}) if $self->{plugin} =~ m{/};
    return ($self->{build} // $BUILD) . "/tracer_$self->{plugin}.so";
}
sub module     { ($_[0]{build} // $BUILD) . '/mod_opentracing.so' }

sub subst {
    my ($self, $s) = @_;
    return $s unless defined $s;
    my $moddir = moddir();
    $s =~ s/\@DIR\@/$self->{dir}/g;
    $s =~ s/\@REPO\@/$REPO/g;
    $s =~ s/\@MODDIR\@/$moddir/g;
    $s =~ s/\@PORT\@/$self->{port}/g;
    $s =~ s/\@BUILD\@/$self->{build} \/\/ $BUILD/ge;
    return $s;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "cannot bind a free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub write_file {
    my ($self, $path, $text, $mode) = @_;
    open my $fh, '>', $path or croak "write $path: $!";
    print $fh $text;
    close $fh or croak "close $path: $!";
    chmod $mode, $path if defined $mode;
    return $path;
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}

# htdocs and cgi-bin copied from t/, readable (and CGIs executable) by
# www-data; conf, logs and run of our own.
sub setup_tree {
    my ($self) = @_;
    my $d = $self->{dir};
    for my $sub (qw(htdocs cgi-bin)) {
        my $src = "$T_DIR/$sub";
        make_path("$d/$sub");
        chmod 0755, "$d/$sub";
        find({ no_chdir => 1, wanted => sub {
            my $rel = File::Spec->abs2rel($File::Find::name, $src);
            return if $rel eq '.';
            my $to = "$d/$sub/$rel";
            if (-d $File::Find::name) {
                make_path($to);
                chmod 0755, $to;
            }
            else {
                copy($File::Find::name, $to) or croak "copy $rel: $!";
                chmod(($sub eq 'cgi-bin' ? 0755 : 0644), $to);
            }
        } }, $src) if -d $src;
    }
    make_path("$d/conf", "$d/logs", "$d/run");
    chmod 0755, "$d/conf", "$d/logs";
    # cgid's socket lives in run/: the daemon runs as www-data.
    my ($uid, $gid) = (getpwnam('www-data'))[2, 3];
    if (!defined $uid) {
        # Debian's apache2 brings it; create it where it is missing.
        system('useradd', '--system', '--no-create-home', '--user-group',
               '--shell', '/usr/sbin/nologin', 'www-data');
        ($uid, $gid) = (getpwnam('www-data'))[2, 3];
        croak 'no www-data user, and useradd could not create it' unless defined $uid;
    }
    chown $uid, $gid, "$d/run";
    chmod 0755, "$d/run";
}

sub default_mpm_conf {
    my ($self) = @_;
    return <<'EOC' if $self->{mpm} eq 'prefork';
StartServers 1
MinSpareServers 1
MaxSpareServers 2
MaxRequestWorkers 10
EOC
    return <<'EOC';
StartServers 1
ServerLimit 2
ThreadsPerChild 10
MaxRequestWorkers 20
MinSpareThreads 1
MaxSpareThreads 20
ThreadLimit 10
EOC
}

# The httpd.conf text; $body replaces the tracer line and extra when
# given (configtest).
sub config {
    my ($self, $body) = @_;
    my $d = $self->{dir};
    my $m = moddir();
    my $mpm = $self->{mpm};
    my $cgi = !$self->{cgi} ? ''
        : $mpm eq 'prefork'
        ? "LoadModule cgi_module $m/mod_cgi.so\n"
        : "LoadModule cgid_module $m/mod_cgid.so\nScriptSock $d/run/cgid.sock\n";
    my $loads = join '', map { "LoadModule ${_}_module $m/mod_$_.so\n" }
        @{ $self->{modules} };
    my $mpm_conf = $self->{mpm_conf} // $self->default_mpm_conf;
    # OT_H2: h2c (prior knowledge) and HTTP/1.1, for every virtual host
    my $protocols = $self->{h2} ? "Protocols h2c http/1.1\n" : '';
    if (!defined $body) {
        $body = '';
        if (defined $self->{tracer} && $self->{module_on}) {
            $body .= sprintf "TraceTracer %s '%s'\n", $self->plugin,
                $self->subst($self->{tracer});
        }
        $body .= $self->subst($self->{extra});
    }
    else {
        $body = $self->subst($body);
    }
    my $otload = $self->{module_on}
        ? 'LoadModule opentracing_module ' . $self->module . "\n" : '';
    my $cgi_conf = !$self->{cgi} ? '' : <<"EOC";
<Directory $d/cgi-bin>
    Require all granted
</Directory>
EOC
    my $script_alias = $self->{cgi} ? "ScriptAlias /cgi-bin/ $d/cgi-bin/\n" : '';
    my $access_log = !$self->{access_on} ? '' : <<"EOC";
LogFormat "%{ot-trace-id}n %{ot-span-id}n %>s %U%<q %{ot-sampled}n" ot
CustomLog $d/logs/access_log ot
EOC
    return <<"EOC";
# Generated by t/lib/OTTest.pm
ServerRoot "$d"
ServerName $self->{servername}
Listen 127.0.0.1:$self->{port}
PidFile $d/run/httpd.pid
DefaultRuntimeDir $d/run
User www-data
Group www-data
ErrorLog $d/logs/error_log
LogLevel $self->{loglevel}
LoadModule mpm_${mpm}_module $m/mod_mpm_${mpm}.so
${\ ($self->{module_first} ? "$otload$loads$cgi\n" : "$loads$cgi\n$otload")}$mpm_conf$protocols
Timeout 30
KeepAliveTimeout 5
TypesConfig /etc/mime.types
DocumentRoot $d/htdocs
DirectoryIndex index.html
${script_alias}<Directory />
    Require all denied
    AllowOverride None
</Directory>
<Directory $d/htdocs>
    Require all granted
</Directory>
$cgi_conf$access_log
$body
EOC
}

# ------------------------------------------------------------- life cycle

sub run_apache {
    my ($self, @args) = @_;
    my $out = `$APACHE -f '@{[$self->conf_file]}' @args 2>&1`;
    return ($?, $out);
}

sub server_pid {
    my ($self) = @_;
    my $p = slurp($self->pid_file);
    return undef unless defined $p && $p =~ /^(\d+)/;
    return $1;
}

sub port_answers {
    my ($self) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port},
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

sub wait_for {
    my ($timeout, $cond) = @_;
    my $end = time + $timeout;
    while (1) {
        return 1 if $cond->();
        return 0 if time > $end;
        sleep 0.02;
    }
}

sub start {
    my ($self) = @_;
    croak 'already running' if $self->{running};
    my $ready = $self->ready_count;
    my ($st, $out) = $self->run_apache('-k', 'start');
    $LIVE{$self} = $self;
    $self->{running} = 1;
    # -k start returns once the daemon detached: a failure after that
    # (post_config) shows in the error log only.
    my $failed = 0;
    my $ok = $st == 0 && wait_for(10, sub {
        $failed = 1 if (slurp($self->error_log) // '') =~ /\] AH00020: Configuration Failed/;
        $failed or defined $self->server_pid && kill(0, $self->server_pid)
            && $self->ready_count > $ready && $self->port_answers
    }) && !$failed;
    if (!$ok) {
        my $pid = $self->server_pid;
        $self->stop if $pid && kill 0, $pid;
        $self->{running} = 0;
        delete $LIVE{$self};
        die "apache2 did not start (status $st): $out\n--- error log:\n"
            . (slurp($self->error_log) // '') . "\n";
    }
    $self->{pid} = $self->server_pid;
    return $self;
}

sub stop {
    my ($self) = @_;
    return unless $self->{running};
    return $self->stop_wait($self->stop_signal);
}

# Stop several harnesses at once: -k stop to each, then wait for each
# (every one takes a while: its children flush their spans first).
sub stop_all {
    my ($class, @h) = @_;
    my @run = grep { $_ && $_->{running} } @h;
    my @pid = map { $_->stop_signal } @run;
    $run[$_]->stop_wait($pid[$_]) for 0 .. $#run;
    return;
}

# The two halves of stop: apache2 -k stop (returns the server's pid), and
# the wait until that pid is gone.
sub stop_signal {
    my ($self) = @_;
    my $pid = $self->server_pid // $self->{pid};
    $self->run_apache('-k', 'stop');
    return $pid;
}

sub stop_wait {
    my ($self, $pid) = @_;
    # The parent exits after its children, which flush their spans first.
    if ($pid && !wait_for(20, sub { !kill 0, $pid })) {
        kill 'KILL', $pid;
        wait_for(5, sub { !kill 0, $pid });
        warn "apache2 $pid did not stop within 20 s: killed\n";
    }
    $self->{running} = 0;
    delete $LIVE{$self};
    return $self;
}

# How many times the MPM said it runs (once per start or restart): the
# listening socket answers before that.
sub ready_count {
    my ($self) = @_;
    my $n = () = (slurp($self->error_log) // '')
        =~ /\] AH0(?:0163|0292|0489): .* resuming normal operations$/mg;
    return $n;
}

sub graceful {
    my ($self) = @_;
    my $before = $self->ready_count;
    my ($st, $out) = $self->run_apache('-k', 'graceful');
    die "apache2 -k graceful failed: $out" if $st;
    wait_for(10, sub { $self->ready_count > $before && $self->port_answers })
        or die "graceful restart did not complete:\n" . slurp($self->error_log);
    return $self;
}

# apache2 -k restart (not graceful): children are stopped at once.
sub restart {
    my ($self) = @_;
    my $before = $self->ready_count;
    my ($st, $out) = $self->run_apache('-k', 'restart');
    die "apache2 -k restart failed: $out" if $st;
    wait_for(10, sub { $self->ready_count > $before && $self->port_answers })
        or die "restart did not complete:\n" . slurp($self->error_log);
    return $self;
}

# Start a command in the background (list form, no shell), stdin from
# /dev/null, stdout and stderr to $log.  Returns its pid.
sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    return $pid;
}

# The command line of a single-process httpd (apache2 -X) on this
# harness's httpd.conf, after @wrapper (e.g. valgrind and its options).
sub foreground_command {
    my ($self, @wrapper) = @_;
    return (@wrapper, $APACHE, '-X', '-f', $self->conf_file);
}

# Run foreground_command(@{ wrapper }) in the background, its stdout and
# stderr to log (default <dir>/logs/foreground.log), and wait up to
# timeout seconds (default 60) until the port answers; dies with the log
# and the error log when it does not.  stop_foreground ends it.
sub start_foreground {
    my ($self, %o) = @_;
    croak 'already running' if $self->{running} || $self->{fg_pid};
    my $log = $o{log} // "$self->{dir}/logs/foreground.log";
    my @cmd = $self->foreground_command(@{ $o{wrapper} || [] });
    my $pid = spawn($log, @cmd);
    $self->{fg_pid} = $pid;
    $LIVE{$self} = $self;
    my $exited = 0;
    wait_for($o{timeout} // 60, sub {
        $exited = 1 if waitpid($pid, WNOHANG) == $pid;
        $exited || $self->port_answers;
    });
    if ($exited || !$self->port_answers) {
        delete $self->{fg_pid} if $exited;
        $self->stop_foreground(timeout => 5);
        die "@cmd did not start:\n" . (slurp($log) // '')
            . "--- error log:\n" . (slurp($self->error_log) // '') . "\n";
    }
    return $self;
}

# SIGTERM to what start_foreground started, SIGKILL after timeout seconds
# (default 60); its wait status ($?), undef when nothing ran.
sub stop_foreground {
    my ($self, %o) = @_;
    my $pid = delete $self->{fg_pid} or return undef;
    delete $LIVE{$self} unless $self->{running};
    my $status;
    my $reaped = sub {
        return 0 unless waitpid($pid, WNOHANG) == $pid;
        $status = $?;
        return 1;
    };
    kill 'TERM', $pid;
    if (!wait_for($o{timeout} // 60, $reaped)) {
        warn "$APACHE -X ($pid) did not stop: killed\n";
        kill 'KILL', $pid;
        waitpid $pid, 0;
        $status = $?;
    }
    return $status;
}

# apache2 -t on httpd.conf with $snippet in place of the TraceTracer line
# and extra (undef: the harness's own configuration).  Returns (exit code,
# combined output, signal).
sub configtest {
    my ($self, $snippet) = @_;
    my $f = "$self->{dir}/conf/configtest.conf";
    $self->write_file($f, $self->config($snippet));
    my $out = `$APACHE -t -f '$f' 2>&1`;
    my $st = $?;
    return ($st >> 8, $out, $st & 127);
}

sub DESTROY {
    my ($self) = @_;
    return unless $$ == ($self->{owner_pid} // 0);
    $self->stop if $self->{running};
    $self->stop_foreground if $self->{fg_pid};
    return unless $self->{cleanup} // 1;
    if ($self->{keep}) {
        print STDERR "# OT_KEEP: server root kept in $self->{dir}\n";
    }
    elsif ($self->{dir}) {
        remove_tree($self->{dir});
    }
}

END {
    for my $h (values %LIVE) {
        next unless $h && $$ == $h->{owner_pid};
        $h->stop if $h->{running};
        $h->stop_foreground if $h->{fg_pid};
    }
}

# ------------------------------------------------------------- requests

# GET through a new connection; HTTP::Tiny's response hash (protocol
# "HTTP/1.1", or "HTTP/2" when h2).  A header value may be an array ref:
# one header line per element.  Redirects are followed as HTTP::Tiny does.
sub get {
    my ($self, $path, $headers) = @_;
    # HTTP::Tiny will not send a Host of our choosing.
    return $self->raw_get($path, $headers)
        if grep { lc $_ eq 'host' } keys %{ $headers || {} };
    return $self->request('GET', $path, { headers => $headers });
}

# Any method through a new connection, HTTP/2 when h2; HTTP::Tiny's
# response hash.  %o: headers, content (a request body), max_redirect
# (default 5; redirects of a GET or HEAD are followed).
sub request {
    my ($self, $method, $path, $o) = @_;
    my %o = %{ $o || {} };
    return $self->h2_request($method, $path, \%o) if $self->{h2};
    my $ua = HTTP::Tiny->new(timeout => 15, keep_alive => 0, agent => 'OTTest/1.0',
                             max_redirect => $o{max_redirect} // 5);
    return $ua->request($method, $self->url($path), {
        headers => $o{headers} || {},
        (defined $o{content} ? (content => $o{content}) : ()) });
}

# request() over HTTP/2: curl with prior knowledge (h2c), the headers as
# HTTP::Tiny sends them (User-Agent OTTest/1.0 unless given, no Accept,
# Content-Type application/octet-stream for a body unless given; a Host
# becomes :authority).  Dies when the response is not HTTP/2: the mode
# must not fall back to HTTP/1.1 unseen.  A request that got no response
# is HTTP::Tiny's status 599, curl's message the content.  elapsed: the
# seconds curl measured from connecting to the response's end (a curl
# process's start-up, tens of ms on a loaded machine, left out).
sub h2_request {
    my ($self, $method, $path, $o) = @_;
    my %h = %{ $o->{headers} || {} };
    my $has = sub { my ($n) = @_; grep { lc $_ eq $n } keys %h };
    $h{'User-Agent'} = 'OTTest/1.0' unless $has->('user-agent');
    $h{'Content-Type'} = 'application/octet-stream'
        if defined $o->{content} && !$has->('content-type');
    # curl's default "Accept: */*" removed
    my @hdr = $has->('accept') ? () : ('-H', 'Accept:');
    for my $k (sort keys %h) {
        for my $v (ref $h{$k} ? @{ $h{$k} } : $h{$k}) {
            croak "h2_request: $k: a value HTTP/2 cannot carry" if $v =~ /[\r\n\0]/;
            # "Name;" sends an empty value ("Name:" would remove the header)
            push @hdr, '-H', $v eq '' ? "$k;" : "$k: $v";
        }
    }
    my $redirects = $o->{max_redirect} // 5;
    my @how = $method eq 'HEAD' ? ('--head') : $method eq 'GET' ? () : ('-X', $method);
    push @how, '--location', '--max-redirs', $redirects
        if $redirects && ($method eq 'GET' || $method eq 'HEAD');
    # curl's files: the request body, the header blocks, the body, errors
    my $tmp = tempdir('ot_h2.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    if (defined $o->{content}) {
        $self->write_file("$tmp/request", $o->{content});
        push @how, '--data-binary', "\@$tmp/request";
    }
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '--globoff', '--path-as-is',
               '--connect-timeout', 15, '--speed-limit', 1, '--speed-time', 15,
               '--stderr', "$tmp/stderr", '-D', "$tmp/head", '-o', "$tmp/body",
               '-w', '%{http_version} %{time_total}', @how, @hdr, $self->url($path));
    open my $out, '-|', @cmd or croak "curl: $!";
    my ($version, $elapsed) = split ' ', do { local $/; <$out> } // '';
    $version //= '0';
    close $out;
    my $exit = $? >> 8;
    my $err = slurp("$tmp/stderr") // '';
    # (curl --head writes the header block as the body too)
    my $content = $method eq 'HEAD' ? '' : slurp("$tmp/body") // '';
    # one header block per response: redirects first, then the last
    my @blocks = grep { /\S/ } split /\r\n\r\n/, slurp("$tmp/head") // '';
    remove_tree($tmp);
    if ($version eq '0' || !@blocks) {
        return { status => 599, reason => 'Internal Exception', headers => {},
                 content => $err, success => '', url => $self->url($path) };
    }
    die "OT_H2: $path was answered over HTTP/$version, not HTTP/2\n"
        unless $version eq '2';
    my @res = map { parse_head($_) } @blocks;
    my $res = pop @res;
    $res->{content} = $content;
    $res->{url} = $self->url($path);
    $res->{redirects} = \@res if @res;
    $res->{elapsed} = $elapsed;
    if ($exit) {
        # a response cut short: HTTP::Tiny's 599 too
        @$res{qw(status reason success content)} = (599, 'Internal Exception', '', $err);
    }
    return $res;
}

# A response's status line and header lines as HTTP::Tiny returns them:
# protocol, status, reason, headers (lowercase names, a repeated header
# an array ref), success.
sub parse_head {
    my ($head) = @_;
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($protocol, $status, $reason) = ($status_line // '') =~ m{^(HTTP/[\d.]+) (\d{3}) ?(.*)$};
    my %rh;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        $k = lc $k;
        if (!exists $rh{$k}) {
            $rh{$k} = $v;
        }
        else {
            $rh{$k} = [ ref $rh{$k} ? @{ $rh{$k} } : $rh{$k}, $v ];
        }
    }
    return { protocol => $protocol, status => $status // 599, reason => $reason // '',
             headers => \%rh, success => ($status // 0) =~ /^2/ ? 1 : '' };
}

# Send $text as is on a new connection, read until the server closes it;
# the raw response.
sub raw {
    my ($self, $text) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port},
                                  Proto => 'tcp', Timeout => 10)
        or die "connect: $!";
    binmode $s;
    print {$s} $text;
    my $out = '';
    local $SIG{ALRM} = sub { die "raw request: timeout\n" };
    alarm 15;
    1 while sysread($s, $out, 65536, length $out);
    alarm 0;
    close $s;
    return $out;
}

# GET with any Host header and any bytes in header values (HTTP::Tiny
# refuses both) over a raw connection, parsed like HTTP::Tiny's response:
# protocol, status, reason, headers (lowercase names), content.  Redirects
# are not followed.  Over HTTP/2 when h2 (a Host as :authority).
sub raw_get {
    my ($self, $path, $headers) = @_;
    return $self->h2_request('GET', $path, { headers => $headers, max_redirect => 0 })
        if $self->{h2};
    my %h = (%{ $headers || {} });
    my ($host) = grep { lc $_ eq 'host' } keys %h;
    my $req = "GET $path HTTP/1.1\r\nHost: " . ($host ? delete $h{$host} : "127.0.0.1:$self->{port}")
        . "\r\nConnection: close\r\n";
    $h{'User-Agent'} = 'OTTest/1.0' unless grep { lc $_ eq 'user-agent' } keys %h;
    for my $k (sort keys %h) {
        $req .= "$k: $_\r\n" for ref $h{$k} ? @{ $h{$k} } : $h{$k};
    }
    my $raw = $self->raw("$req\r\n");
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my $res = parse_head($head // '');
    if (($res->{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
        my ($in, $out) = ($body // '', '');
        while ($in =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $out .= substr($in, 0, $n, '');
            $in =~ s/\A\r\n//;
        }
        $body = $out;
    }
    $res->{content} = $body // '';
    return $res;
}

# ---------------------------------------------------------------- spans

sub flatten_kv {
    my ($list) = @_;
    my %h;
    for my $a (@{ $list || [] }) {
        my $v = $a->{value} || {};
        my ($type) = keys %$v;
        # an array (arrayValue: {values: [AnyValue...]}) as an array ref
        $h{ $a->{key} } = !defined $type ? undef
            : $type eq 'arrayValue' ? [ map { (values %$_)[0] } @{ $v->{$type}{values} || [] } ]
            : $v->{$type};
    }
    return \%h;
}

# Every span in $file (default spans_path), flattened: the span's own
# fields plus attr => {key => value}, resource => {key => value},
# scope => {...}, line => the line's number.  Dies on a line that is not
# a complete OTLP/JSON object: the file format is under test too.
sub read_spans {
    my ($self, $file) = @_;
    $file //= $self->{spans_path};
    open my $fh, '<:raw', $file or return ();
    my @out;
    my $json = JSON::PP->new->utf8;     # strict: the lines must be UTF-8
    my $n = 0;
    while (my $line = <$fh>) {
        $n++;
        # A line still being written has no newline yet: not ours to judge.
        last unless $line =~ /\n\z/;
        my $doc = eval { $json->decode($line) };
        die "$file line $n is not JSON: $@$line" unless $doc;
        die "$file line $n has no resourceSpans" unless ref $doc->{resourceSpans} eq 'ARRAY';
        for my $rs (@{ $doc->{resourceSpans} }) {
            my $res = flatten_kv($rs->{resource}{attributes});
            for my $ss (@{ $rs->{scopeSpans} || [] }) {
                for my $sp (@{ $ss->{spans} || [] }) {
                    push @out, { %$sp,
                                 attr => flatten_kv($sp->{attributes}),
                                 resource => $res,
                                 scope => $ss->{scope},
                                 line => $n };
                }
            }
        }
    }
    close $fh;
    return @out;
}

# Wait until at least min spans (default 1) are in the file, for at most
# timeout seconds (default 5); returns all the spans found.
sub spans {
    my ($self, %o) = @_;
    my $min = $o{min} // 1;
    my $timeout = $o{timeout} // 5;
    my @s;
    wait_for($timeout, sub { @s = $self->read_spans($o{file}); @s >= $min });
    return @s;
}

# Access-log lines (chomped), waiting for at least min of them.
sub access_log_lines {
    my ($self, %o) = @_;
    my $min = $o{min} // 0;
    my @l;
    wait_for($o{timeout} // 5, sub {
        my $t = slurp($self->access_log) // '';
        @l = split /\n/, $t;
        @l >= $min;
    });
    return @l;
}

sub error_log_lines {
    my ($self) = @_;
    return split /\n/, (slurp($self->error_log) // '');
}

# Error-log lines that say a child crashed (AH00052 "exit signal
# Segmentation fault") or had to be killed (AH00045, AH00046).
sub crash_lines {
    my ($self) = @_;
    return grep { /AH00052|Segmentation|exit signal|AH00045|AH00046/ } $self->error_log_lines;
}

# Error-log lines not on the allowlist of normal start/restart/stop lines
# (@ALLOWED) nor matching one of the extra patterns given.
sub error_log_unexpected {
    my ($self, @extra) = @_;
    my @allowed = (@ALLOWED, @extra);
    return grep {
        my $l = $_;
        !grep { $l =~ $_ } @allowed
    } $self->error_log_lines;
}

# Spans grouped by url.query: {query => [spans]}.  Tests mark each
# request with a query string of its own to find its span.
sub by_query {
    my ($class_or_self, @spans) = @_;
    my %h;
    push @{ $h{ $_->{attr}{'url.query'} // '' } }, $_ for @spans;
    return \%h;
}

# The spans of the proxied request marked with query $q: its server span
# and the CLIENT spans that are its children (by start time), waiting up
# to 10 s for the server span and at least $nclient of them.
sub proxy_spans {
    my ($self, $q, $nclient) = @_;
    my ($server, @client);
    wait_for(10, sub {
        my @all = $self->read_spans;
        ($server) = grep { $_->{kind} == 2 && ($_->{attr}{'url.query'} // '') eq $q } @all;
        @client = $server ? grep { $_->{kind} == 3 && ($_->{parentSpanId} // '') eq $server->{spanId} } @all : ();
        $server && @client >= $nclient;
    });
    return ($server, sort { $a->{startTimeUnixNano} <=> $b->{startTimeUnixNano} } @client);
}

# A self-signed certificate for 127.0.0.1 in the server's conf/ (cert.pem,
# key.pem), for mod_ssl; dies when openssl fails.
sub make_cert {
    my ($self) = @_;
    my $d = $self->dir;
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
           . "-addext subjectAltName=IP:127.0.0.1 -keyout $d/conf/key.pem "
           . "-out $d/conf/cert.pem >/dev/null 2>&1") == 0 or die "openssl failed";
    chmod 0644, "$d/conf/key.pem", "$d/conf/cert.pem";
}

# ------------------------------------------------- OpenTelemetry propagators

# Where the npm packages of the independent implementations are
# (OT_NPM_DIR, else the checkout's build/npm: `make integration`).
sub npm_dir { $ENV{OT_NPM_DIR} || "$REPO/build/npm" }

# Why t/tools/propagators.js cannot run here, or undef when it can.
sub otel_propagators_missing {
    my $nm = npm_dir() . '/node_modules/@opentelemetry';
    return 'node is needed' unless grep { -x "$_/node" } File::Spec->path;
    return "the OpenTelemetry propagators are not in $nm (make integration installs them)"
        unless -d "$nm/propagator-b3" && -d "$nm/propagator-jaeger" && -d "$nm/core";
    return undef;
}

# Run t/tools/propagators.js: $mode extract (\%in: headers) or inject
# (\%in: a context), $formats e.g. 'w3c' or 'w3c,baggage'.  Returns its
# output decoded; dies when it fails.
sub otel_propagators {
    my ($class_or_self, $mode, $formats, $in) = @_;
    my ($fh, $file) = tempfile('ot_prop.XXXXXX', TMPDIR => 1, UNLINK => 1);
    print $fh JSON::PP->new->utf8->canonical->encode($in);
    close $fh;
    local $ENV{OT_NPM_DIR} = npm_dir();
    my $out = `node '$T_DIR/tools/propagators.js' $mode '$formats' < '$file' 2>&1`;
    my $st = $?;
    unlink $file;
    die "propagators.js $mode $formats failed ($st): $out" if $st;
    return decode_json($out);
}

# The W3C traceparent a span's context propagates as.
sub traceparent_of {
    my ($class_or_self, $span) = @_;
    return sprintf '00-%s-%s-%02x', $span->{traceId}, $span->{spanId},
        ($span->{flags} // 0) & 0xff;
}

1;

