#!/bin/sh
# Builds the jkvm guest firmware: src/firmware/jkvm-fw.elf and its 32-bit build jkvm-fw32.elf (or in OUT_DIR).
#
# Usage: src/firmware/build.sh [OUT_DIR]
#
# The C and assembly are compiled as x86-64, linked at 1 MiB (link.ld), then converted to a 32-bit ELF,
# because QEMU's multiboot loader refuses 64-bit ELF files. The build is deterministic: no build id, no
# debug info, no compiler ident, paths mapped with -ffile-prefix-map, symbols stripped; the same gcc and
# binutils give the same bytes (a test in bundles/firmware compares a rebuild with the committed image).
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$SRC}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
export LC_ALL=C
CC=${CC:-gcc}
CFLAGS="-m64 -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic -fno-pie
 -mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-stack-protector -fcf-protection=none
 -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns -fno-builtin
 -fno-ident -g0 -ffile-prefix-map=$SRC=."
OBJS=""
for f in boot.S main.c serial.c print.c cmdline.c memory.c tsc.c workload.c pci.c virtio.c virtio_blk.c disk.c disk_bench.c net.c virtio_net.c; do
    o="$WORK/${f%.*}.o"
    # shellcheck disable=SC2086
    (cd "$SRC" && $CC $CFLAGS -c "$f" -o "$o")
    OBJS="$OBJS $o"
done
# shellcheck disable=SC2086
ld -m elf_x86_64 -nostdlib -static --build-id=none -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
    -T "$SRC/link.ld" -o "$WORK/fw64.elf" $OBJS
objcopy -O elf32-i386 --strip-all "$WORK/fw64.elf" "$WORK/jkvm-fw.elf"
mv "$WORK/jkvm-fw.elf" "$OUT/jkvm-fw.elf"
echo "built $OUT/jkvm-fw.elf ($(wc -c < "$OUT/jkvm-fw.elf") bytes)"

# jkvm-fw32: the same C as i386 code, entered through multiboot in 32-bit protected mode without paging
# (boot32.S, link32.ld); div64.c stands in for libgcc's 64-bit division.
CFLAGS32=$(printf '%s' "$CFLAGS" | sed 's/-m64/-m32 -march=i686/; s/ -mno-red-zone//; s/ -mcmodel=small//')
OBJS32=""
for f in boot32.S main.c serial.c print.c cmdline.c memory.c tsc.c workload.c pci.c virtio.c virtio_blk.c disk.c disk_bench.c net.c virtio_net.c div64.c; do
    o="$WORK/32-${f%.*}.o"
    # shellcheck disable=SC2086
    (cd "$SRC" && $CC $CFLAGS32 -c "$f" -o "$o")
    OBJS32="$OBJS32 $o"
done
# shellcheck disable=SC2086
ld -m elf_i386 -nostdlib -static --build-id=none -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
    -T "$SRC/link32.ld" -o "$WORK/fw32.elf" $OBJS32
objcopy --strip-all "$WORK/fw32.elf" "$WORK/jkvm-fw32.elf"
mv "$WORK/jkvm-fw32.elf" "$OUT/jkvm-fw32.elf"
echo "built $OUT/jkvm-fw32.elf ($(wc -c < "$OUT/jkvm-fw32.elf") bytes)"
