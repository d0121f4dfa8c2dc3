package OTProc;

# Processes for the tests and the benchmark (bench/run): run a command and
# capture its output, start one in the background, and read /proc: the
# children of a process, the CPU time of a process tree and of the
# machine, the resident memory of a server's children.  Linux only (/proc);
# Perl core modules only.
#
#   use OTProc qw(capture children_of tree_cpu);
#   my ($status, $out) = capture('apache2', '-v');
#   my @kids = children_of($h->server_pid);

use strict;
use warnings;

use Exporter qw(import);
use OTTest ();
use POSIX qw(WNOHANG);

our @EXPORT_OK = qw(capture spawn gone proc_stat children_of tree_cpu
                    proc_cpu system_cpu own_children_cpu children_rss);

my $CLK_TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

sub slurp { OTTest::slurp(@_) }

# Run a command (list form, no shell); stdout and stderr together.
sub capture {
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!\n";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($?, $out);
}

# Start a command in the background, output to $log (OTTest::spawn).
sub spawn { OTTest::spawn(@_) }

# Reap a child of ours if it exited; true when it is gone.
sub gone {
    my ($pid) = @_;
    my $r = waitpid($pid, WNOHANG);
    return 1 if $r == $pid || $r == -1;
    return !kill(0, $pid);
}

# utime + stime (+ cutime + cstime) in clock ticks.
sub proc_stat {
    my ($pid) = @_;
    my $s = slurp("/proc/$pid/stat") // return undef;
    $s =~ s/^.*\)\s+//s or return undef;
    my @f = split /\s+/, $s;    # $f[0] is field 3 (state)
    return { ppid => $f[1], utime => $f[11], stime => $f[12],
             cutime => $f[13], cstime => $f[14] };
}

sub children_of {
    my ($ppid) = @_;
    my @kids;
    opendir my $dh, '/proc' or return ();
    for my $d (readdir $dh) {
        next unless $d =~ /^\d+$/;
        my $st = proc_stat($d);
        push @kids, $d + 0 if $st && $st->{ppid} == $ppid;
    }
    closedir $dh;
    return sort { $a <=> $b } @kids;
}

# CPU seconds of a process tree: the parent, its reaped children (cutime,
# cstime: children that exited are not lost), the live children.
sub tree_cpu {
    my ($pid) = @_;
    my $st = proc_stat($pid) or return undef;
    my $t = $st->{utime} + $st->{stime} + $st->{cutime} + $st->{cstime};
    for my $k (children_of($pid)) {
        my $ks = proc_stat($k) or next;
        $t += $ks->{utime} + $ks->{stime};
    }
    return $t / $CLK_TCK;
}

# CPU seconds of the whole machine (/proc/stat): busy (all but idle and
# iowait), and of that the interrupt and softirq part (loopback traffic is
# mostly softirq work).
sub system_cpu {
    my $s = slurp('/proc/stat') // return undef;
    my ($line) = $s =~ /^cpu\s+(.*)$/m or return undef;
    my @f = split /\s+/, $line;
    my $busy = 0;
    for my $i (0 .. $#f) {
        next if $i == 3 || $i == 4 || $i >= 8;  # idle, iowait; guest*
        $busy += $f[$i];
    }
    return { busy => $busy / $CLK_TCK, irq => ($f[5] + $f[6]) / $CLK_TCK };
}

# CPU seconds of our own reaped children (wrk, ab...).
sub own_children_cpu {
    my (undef, undef, $cu, $cs) = times;
    return $cu + $cs;
}

sub proc_cpu {
    my ($pid) = @_;
    my $st = proc_stat($pid) or return undef;
    return ($st->{utime} + $st->{stime}) / $CLK_TCK;
}

# Sum of VmRSS (KiB) of the children of $pid, and how many.
sub children_rss {
    my ($pid) = @_;
    my ($sum, $n) = (0, 0);
    for my $k (children_of($pid)) {
        my $s = slurp("/proc/$k/status") // next;
        next unless $s =~ /^VmRSS:\s+(\d+)\s+kB/m;
        $sum += $1;
        $n++;
    }
    return { kib => $sum, children => $n };
}

1;
