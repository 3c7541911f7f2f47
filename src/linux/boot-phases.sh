#!/usr/bin/env bash
# Boots the Linux kit once to the init script's first line and prints where the time went, phase by phase, in
# wall-clock seconds and in CPU seconds of the engine process (for jkvm also its vCPU thread and its JIT compiler
# threads). On a shared machine the wall-clock figures move with the load; the CPU figures are the ones to compare.
#
#   src/linux/boot-phases.sh [jkvm|qemu] [bzimage|pvh] [EXTRA KERNEL ARGS...]
#
# Defaults: jkvm (software CPU, as JKVM_KVM_DEVICE=/nonexistent), bzimage. The kernel command line is the kit's
# plus printk.time=1 plus the extra words. Needs the kit (src/linux/build-kit.sh) and perl; the serial log with a
# time stamp per line is kept in $OUT (default /tmp/jkvm-boot-phases.NAME). JKVM_JAVA_OPTS passes JVM options to
# the engine, e.g. -Djkvm.softcpu.sampleRip=FILE (see bundles/softcpu/DESIGN.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
who="${1:-jkvm}"; image="${2:-bzimage}"; shift $(( $# > 2 ? 2 : $# )) || true
kit="${JKVM_LINUX_KIT:-${XDG_CACHE_HOME:-$HOME/.cache}/jkvm/linux/kit}"
case "$image" in
    bzimage) kernel="$kit/vmlinuz" ;;
    pvh) kernel="$kit/vmlinux" ;;
    *) echo "boot-phases: image '$image' is neither bzimage nor pvh" >&2; exit 2 ;;
esac
[ -f "$kernel" ] || { echo "boot-phases: no $kernel; run src/linux/build-kit.sh first" >&2; exit 2; }
out="${OUT:-/tmp/jkvm-boot-phases.$who-$image}"
rm -rf "$out" && mkdir -p "$out"
cmdline="$(cat "$kit/cmdline") printk.time=1 $*"
mkfifo "$out/serial.fifo"
common=(-m 512M -kernel "$kernel" -initrd "$kit/initramfs.cpio.gz" -append "$cmdline" -serial "file:$out/serial.fifo")
case "$who" in
    qemu) qemu-system-x86_64 -accel tcg -machine pc -display none -nodefaults -no-user-config "${common[@]}" \
        >"$out/engine.out" 2>&1 & ;;
    jkvm) JKVM_KVM_DEVICE=/nonexistent "$root/bin/jkvm-engine" -accel tcg "${common[@]}" >"$out/engine.out" 2>&1 & ;;
    *) echo "boot-phases: engine '$who' is neither jkvm nor qemu" >&2; exit 2 ;;
esac
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
# One line per console line: wall s, process CPU s, vCPU-thread CPU s, JIT-thread CPU s (from /proc), the line.
perl -MTime::HiRes=time -e '
    $| = 1; $t0 = time; $p = shift;
    sub cpu { open(my $f, "<", $_[0]) or return 0; my $x = <$f>; close $f; $x =~ s/.*\) //;
              my @s = split(/ /, $x); return ($s[11] + $s[12]) / 100; }
    while (<STDIN>) {
        my ($v, $c) = (0, 0);
        for my $t (glob("/proc/$p/task/*")) {
            open(my $g, "<", "$t/comm") or next; my $n = <$g>; close $g;
            if ($n =~ /^vcpu/) { $v += cpu("$t/stat") } elsif ($n =~ /^C[12] /) { $c += cpu("$t/stat") }
        }
        printf "%8.3f %7.2f %7.2f %7.2f %s", time - $t0, cpu("/proc/$p/stat"), $v, $c, $_;
        exit 0 if /jkvm-init: start/;
    }' "$pid" <"$out/serial.fifo" >"$out/serial"
# Milestones of the kit kernel's boot (6.1), in order; a phase is the time from the previous milestone seen.
perl -e '
    my @m = ("Linux version", "Freeing SMP alternatives", "devtmpfs: initialized", "HugeTLB: registered",
             "ACPI: Interpreter enabled", "Trying to unpack", "Freeing initrd memory", "Loading compiled-in X.509",
             "Loaded X.509", "Freeing unused decrypted", "Run /init", "jkvm-init: start");
    my %at; my @order;
    while (<>) { my @f = split(" ", $_, 5);
        for my $m (@m) { if (!exists $at{$m} && index($f[4], $m) >= 0) { $at{$m} = [@f[0..3]]; push @order, $m } } }
    printf "%-28s %9s %9s %9s %9s\n", "phase ends at", "wall s", "CPU s", "vCPU s", "JIT s";
    my @prev = (0, 0, 0, 0);
    for my $m (@order) { my @t = @{$at{$m}};
        printf "%-28s %9.2f %9.2f %9.2f %9.2f\n", $m, map { $t[$_] - $prev[$_] } 0..3; @prev = @t }
    printf "%-28s %9.2f %9.2f %9.2f %9.2f\n", "total", @prev;' "$out/serial"
echo "(load average $(cut -d" " -f1-3 /proc/loadavg); serial log with times: $out/serial)"
