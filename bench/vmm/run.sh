#!/bin/bash
# hull's VMM next to QEMU `-M microvm` (Debian's qemu-system-x86), both on
# /dev/kvm, both booting the same freestanding test guest (hull through the
# 64-bit Linux boot protocol, QEMU through the guest's PVH note).  Iterations
# are interleaved (hull, QEMU, hull, ...) so both see the same host load.
#
#   bench/vmm/run.sh [-n ITERATIONS] [-l LOOPS] [--markdown FILE]
#
# Rows (medians over the iterations):
#   start-up     process start to the guest's first serial byte (VMM set-up,
#                boot, the guest's first instructions); the baseline row is
#                fork+exec of /bin/echo to its first byte on the same host
#   exit cost    ns per guest port write to an unclaimed port (LOOPS of them,
#                timed between two serial lines on the host)
#   total        process start to VMM exit for the same run
#   RSS          VmRSS of the VMM with a 128 MiB guest idling after boot;
#                for hull also without the guest RAM the guest touched
#                (RssShmem: guest memory is a shared memfd)
# Must run as root with /dev/kvm; QEMU rows are n/a when it is missing.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
ITER=20
LOOPS=50000
MARKDOWN=""
VMMBENCH=${VMMBENCH:-$SRC/build/bench/vmmbench}
VMM_BOOT=${VMM_BOOT:-$SRC/build/vmm-boot}
GUEST=${GUEST:-$SRC/build/testguest/testguest.elf}
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "bench/vmm: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=$2; shift 2 ;;
    -l) LOOPS=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
    esac
done
for f in "$VMMBENCH" "$VMM_BOOT" "$GUEST"; do
    [ -x "$f" ] || [ -f "$f" ] || die "missing $f (run: make bench-vmm)"
done
[ -c /dev/kvm ] || die "needs /dev/kvm"
have_qemu=1
command -v "$QEMU" >/dev/null || have_qemu=0

hull_cmd() {   # $1: guest command line, $2: MiB; sets CMD
    CMD=("$VMM_BOOT" boot --kernel "$GUEST" --memory "$2" --cmdline "$1")
}
# x-option-roms=off, rtc=off: no firmware or devices the guest does not use;
# -cpu host minus arch-capabilities: this host's KVM refuses MSR 0x10a.
qemu_cmd() {
    CMD=("$QEMU" -M microvm,x-option-roms=off,rtc=off -accel kvm -cpu host,-arch-capabilities
        -m "$2" -smp 1 -nodefaults -no-user-config -nographic -no-reboot -serial stdio
        -kernel "$GUEST" -append "$1 reboot=t")
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for ((i = 0; i < ITER; i++)); do
    "$VMMBENCH" run -- /bin/echo x >>"$tmp/baseline"
    hull_cmd "scenario=exits loops=$LOOPS" 128
    "$VMMBENCH" run -- "${CMD[@]}" >>"$tmp/hull"
    if [ $have_qemu = 1 ]; then
        qemu_cmd "scenario=exits loops=$LOOPS" 128
        "$VMMBENCH" run -- "${CMD[@]}" >>"$tmp/qemu"
    fi
done
for ((i = 0; i < 5; i++)); do
    hull_cmd "scenario=idle" 128
    "$VMMBENCH" rss -- "${CMD[@]}" >>"$tmp/hull.rss"
    if [ $have_qemu = 1 ]; then
        qemu_cmd "scenario=idle" 128
        "$VMMBENCH" rss -- "${CMD[@]}" >>"$tmp/qemu.rss"
    fi
done

median() {   # column $1 of file $2
    [ -s "$2" ] || { echo n/a; return; }
    awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'
}
bad=$(awk '$4 != 0' "$tmp/hull" | wc -l)
[ "$bad" -eq 0 ] || echo "# warning: $bad hull runs exited non-zero" >&2

hs=$(median 1 "$tmp/hull") he=$(median 2 "$tmp/hull") ht=$(median 3 "$tmp/hull")
qs=$(median 1 "$tmp/qemu") qe=$(median 2 "$tmp/qemu") qt=$(median 3 "$tmp/qemu")
bs=$(median 1 "$tmp/baseline")
hr=$(median 1 "$tmp/hull.rss") hanon=$(median 2 "$tmp/hull.rss") hfile=$(median 3 "$tmp/hull.rss") hshm=$(median 4 "$tmp/hull.rss")
qr=$(median 1 "$tmp/qemu.rss")
ratio() { [ "$1" = n/a ] || [ "$2" = n/a ] && { echo n/a; return; }; awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

table() {
    echo "| metric (median of $ITER; RSS of 5) | hull | QEMU microvm | hull / QEMU |"
    echo "|---|---|---|---|"
    echo "| start-up: process start to first guest serial byte (µs) | $hs | $qs | $(ratio "$hs" "$qs") |"
    echo "| (host baseline: fork+exec of /bin/echo to its first byte, µs) | $bs | | |"
    echo "| cost per exit: guest port write (ns) | $he | $qe | $(ratio "$he" "$qe") |"
    echo "| process start to VMM exit, $LOOPS exits included (µs) | $ht | $qt | $(ratio "$ht" "$qt") |"
    echo "| VMM RSS, 128 MiB guest idle (KiB) | $hr | $qr | $(ratio "$hr" "$qr") |"
    echo "| hull RSS without guest RAM: RssAnon + RssFile (KiB) | $((hanon + hfile)) | | |"
    echo "| hull guest RAM touched (RssShmem, KiB) | $hshm | | |"
}
echo "# $(uname -r), $(nproc) CPUs, KVM module: $( [ -d /sys/module/kvm_pvm ] && echo kvm_pvm || echo hardware), QEMU: $($QEMU --version 2>/dev/null | head -1)"
table
[ -z "$MARKDOWN" ] || table >"$MARKDOWN"
