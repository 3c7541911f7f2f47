#!/bin/sh
# The Linux guest kit: a stock Debian kernel and an initramfs with busybox, the verify workload and /init.
#
# Usage: src/linux/build-kit.sh [OUT_DIR]
#
# Downloads with apt (no installation, no root needed when the package lists are there): the kernel package that
# linux-image-cloud-amd64 depends on and busybox-static, unpacks them with dpkg-deb -x, and caches both under
# ${XDG_CACHE_HOME:-~/.cache}/jkvm/linux/ (nothing is committed). Builds jkvm-verify, the firmware's writer and
# checker as a static Linux program (src/linux/verify + src/firmware/workload.c, cmdline.c), and writes to OUT_DIR
# (default: the cache's kit/ folder):
#
#   vmlinuz              the Debian kernel (a bzImage)
#   vmlinux              the same kernel as an ELF, for the PVH entry (when the host has its decompressor: lz4,
#                        xz, zstd or gzip, by the payload's format)
#   initramfs.cpio.gz    /init (src/linux/init), busybox, jkvm-verify, the evdev, button, virtio-blk and
#                        virtio-net modules
#   cmdline              a kernel command line for jkvm: console=ttyS0, tsc=reliable (see src/linux/README.md)
#                        and the verify workload's settings
#   kit.env              KERNEL=, INITRD=, KERNEL_VERSION=, VMLINUX= when there is one (for scripts and tests)
#   jkvm-linux.xml       a libvirt domain booting them (src/linux/jkvm-linux.xml with these paths)
#
# Needs apt-get, apt-cache, dpkg-deb, gcc with static glibc (libc6-dev), gzip. The archive is written by
# busybox's own cpio (newc), so the host needs no cpio. Environment: JKVM_KERNEL_PACKAGE overrides the kernel
# package (default: what linux-image-cloud-amd64 depends on, e.g. linux-image-6.1.0-57-cloud-amd64).
# Exit status: 0 and the kit's paths on stdout; 2 when apt cannot download (no package lists or no network), with
# one line on stderr saying so; 1 on any other failure.
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
FW="$SRC/../firmware"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jkvm/linux"
OUT=${1:-$CACHE/kit}
export LC_ALL=C
mkdir -p "$CACHE/debs" "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

die() {
    echo "build-kit: $2" >&2
    exit "$1"
}

for tool in apt-get apt-cache dpkg-deb gcc gzip; do
    command -v "$tool" >/dev/null 2>&1 || die 2 "$tool is not installed; install it (apt-get install apt dpkg gcc gzip)"
done

# The versioned kernel package behind the metapackage (the first linux-image-* dependency).
kpkg=${JKVM_KERNEL_PACKAGE:-$(apt-cache depends linux-image-cloud-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)}
[ -n "$kpkg" ] || die 2 "apt knows no linux-image-cloud-amd64; run apt-get update (as root) first"
kver=${kpkg#linux-image-}

# Downloads PACKAGE into the cache unless a .deb of it is there already; prints the .deb's path.
fetch() {
    deb=$(ls "$CACHE/debs/$1"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        (cd "$CACHE/debs" && apt-get download "$1" >"$WORK/apt.log" 2>&1) \
            || die 2 "apt-get download $1 failed (no network, or no package lists: run apt-get update as root): $(tail -n 1 "$WORK/apt.log")"
        deb=$(ls "$CACHE/debs/$1"_*.deb | head -n 1)
    fi
    echo "$deb"
}

kdir="$CACHE/$kpkg"
if [ ! -f "$kdir/boot/vmlinuz-$kver" ]; then
    deb=$(fetch "$kpkg")
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
    dpkg-deb -x "$deb" "$kdir.tmp"
    rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
fi
bdir="$CACHE/busybox-static"
if [ ! -x "$bdir/bin/busybox" ]; then
    deb=$(fetch busybox-static)
    rm -rf "$bdir.tmp" && mkdir -p "$bdir.tmp"
    dpkg-deb -x "$deb" "$bdir.tmp"
    rm -rf "$bdir" && mv "$bdir.tmp" "$bdir"
fi
busybox="$bdir/bin/busybox"

# The bzImage's payload (boot protocol: setup_sects at 0x1f1, payload_offset and payload_length at 0x248 and
# 0x24c, counted from the protected-mode kernel) decompressed: the kernel as an ELF with its PVH note. Skipped,
# with a line on stderr, when the host lacks the payload's decompressor.
# Tests of several worktrees may run this script at the same time while engines read the kit: every output file
# is written beside its place under a name of this run and renamed over it (an atomic replacement).
publish() {
    cp "$1" "$2.$$" && mv -f "$2.$$" "$2"
}

extract_vmlinux() {
    u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
    u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
    sects=$(u8 "$1" 497)
    [ "$sects" -eq 0 ] && sects=4
    start=$(( (sects + 1) * 512 + $(u32 "$1" 584) ))
    magic=$(od -An -tx1 -j "$start" -N4 "$1" | tr -d ' ')
    case "$magic" in
        02214c18) tool="lz4 -dc" ;;
        fd377a58) tool="xz -dc" ;;
        28b52ffd) tool="zstd -dcq" ;;
        1f8b*) tool="gzip -dc" ;;
        *) echo "build-kit: the kernel's payload has an unknown format ($magic); no vmlinux" >&2; return 0 ;;
    esac
    command -v "${tool%% *}" >/dev/null 2>&1 \
        || { echo "build-kit: ${tool%% *} is not installed; no vmlinux (PVH boot) in the kit" >&2; return 0; }
    tail -c +"$((start + 1))" "$1" | head -c "$(u32 "$1" 588)" | $tool >"$2.$$" 2>/dev/null || true
    if [ "$(od -An -tx1 -N4 "$2.$$" | tr -d ' ')" = 7f454c46 ]; then
        mv -f "$2.$$" "$2"
    else
        rm -f "$2.$$"
        echo "build-kit: $tool did not give an ELF; no vmlinux in the kit" >&2
    fi
}

# jkvm-verify: the firmware's print.c, workload.c, cmdline.c, disk.c and disk_bench.c, unchanged, with the Linux
# hw.h and main.c, the block interface on /dev/vda (blk.c) and no NIC of its own (nonet.c).
mkdir -p "$WORK/verify"
cp "$FW/fw.h" "$FW/print.c" "$FW/workload.c" "$FW/cmdline.c" "$FW/disk.c" "$FW/disk_bench.c" "$FW/virtio_blk.h" \
    "$FW/net.h" "$SRC/verify/hw.h" "$SRC/verify/main.c" "$SRC/verify/blk.c" "$SRC/verify/nonet.c" "$WORK/verify/"
(cd "$WORK/verify" && gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -o jkvm-verify main.c print.c workload.c \
    cmdline.c disk.c disk_bench.c blk.c nonet.c) \
    || die 1 "cannot build jkvm-verify statically; install libc6-dev"

# The initramfs tree. /dev stays empty: /init mounts devtmpfs before it opens the console.
root="$WORK/root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc/acpi/PWRF" \
    "$root/lib/modules" "$root/var/log" "$root/var/run"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$WORK/verify/jkvm-verify" "$root/bin/jkvm-verify"
cp "$SRC/init" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox" "$root/bin/jkvm-verify"
# The power button's input path, and virtio-blk and virtio-net over PCI (virtio_pci, the ring and their helpers;
# virtio_net needs failover and net_failover): /init loads them in dependency order.
for m in drivers/input/evdev.ko drivers/acpi/button.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko \
    drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko \
    drivers/block/virtio_blk.ko net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko; do
    cp "$kdir/lib/modules/$kver/kernel/$m" "$root/lib/modules/"
done
# busybox acpid runs CONFDIR/PWRF/00000080 when the ACPI power button is pressed (virsh shutdown).
printf '#!/bin/sh\necho "jkvm-init: power button pressed, powering off"\nsync\nexec /bin/busybox poweroff -f\n' \
    >"$root/etc/acpi/PWRF/00000080"
chmod 0755 "$root/etc/acpi/PWRF/00000080"
printf 'PWRF PWRF/00000080\n' >"$root/etc/acpid.conf"
# Interactive shells: poweroff and reboot act at once (there is no init daemon to signal).
printf "alias poweroff='sync; /bin/busybox poweroff -f'\nalias reboot='sync; /bin/busybox reboot -f'\nPS1='jkvm# '\n" \
    >"$root/etc/profile"

(cd "$root" && find . | sort | "$busybox" cpio -o -H newc -R 0:0 --renumber-inodes --ignore-devno 2>/dev/null) \
    | gzip -9n >"$WORK/initramfs.cpio.gz"
cmp -s "$kdir/boot/vmlinuz-$kver" "$OUT/vmlinuz" || publish "$kdir/boot/vmlinuz-$kver" "$OUT/vmlinuz"
# The vmlinux is made again only for a new vmlinuz.
[ "$OUT/vmlinux" -nt "$OUT/vmlinuz" ] || extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux"
publish "$WORK/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
echo "console=ttyS0 panic=-1 tsc=reliable jkvm.workload=verify jkvm.mib=16 jkvm.rate=1000 jkvm.hb_ms=1000" >"$WORK/cmdline"
publish "$WORK/cmdline" "$OUT/cmdline"
printf 'KERNEL=%s\nINITRD=%s\nKERNEL_VERSION=%s\n' "$OUT/vmlinuz" "$OUT/initramfs.cpio.gz" "$kver" >"$WORK/kit.env"
if [ -f "$OUT/vmlinux" ]; then
    printf 'VMLINUX=%s\n' "$OUT/vmlinux" >>"$WORK/kit.env"
fi
publish "$WORK/kit.env" "$OUT/kit.env"
sed -e "s|@KERNEL@|$OUT/vmlinuz|" -e "s|@INITRD@|$OUT/initramfs.cpio.gz|" -e "s|@CMDLINE@|$(cat "$OUT/cmdline")|" \
    "$SRC/jkvm-linux.xml" >"$WORK/jkvm-linux.xml"
publish "$WORK/jkvm-linux.xml" "$OUT/jkvm-linux.xml"
echo "kernel:    $OUT/vmlinuz ($kpkg)"
if [ -f "$OUT/vmlinux" ]; then
    echo "vmlinux:   $OUT/vmlinux"
fi
echo "initramfs: $OUT/initramfs.cpio.gz ($(wc -c <"$OUT/initramfs.cpio.gz") bytes)"
echo "cmdline:   $(cat "$OUT/cmdline")"
echo "domain:    $OUT/jkvm-linux.xml"
