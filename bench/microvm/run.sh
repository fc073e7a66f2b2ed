#!/bin/bash
# hull's microVM level against crun (and hull's container level), interleaved
# in one run and reported as ratios (microvm / crun: above 1.00 the microVM
# is slower or larger).
#
#   bench/microvm/run.sh [-n ITERATIONS] [--runtimes "microvm crun container"]
#                        [--markdown FILE]
#
#   -n N               iterations per row and runtime (default 10)
#   --runtimes LIST    which columns (default "microvm crun container");
#                      binaries with HULL=... and CRUN=... (default build/hull, crun)
#   --markdown FILE    also write the result table as markdown to FILE
#
# Rows: `run` of /bin/true (median, p90) and wait4's peak RSS of the runtime
# process during it; then, per runtime, a container running `sleep` (started,
# status running): the host-side memory of its init's process tree (for the
# microVM: the VM monitor and the VMM under it, QEMU or hull's own), RSS and
# PSS summed from /proc/PID/smaps_rollup, and the guest RAM configured.
# The microVM engine is chosen as the runtime does (hull's built-in VMM where
# /proc/cpuinfo has vmx/svm, QEMU elsewhere; QEMU uses KVM or TCG by the same
# test) and the engine that actually ran is read from the VMM's command line
# and printed.  Same bundle as bench/run.sh (what `runc spec` writes, busybox
# rootfs).  crun runs in a private mount namespace on hybrid cgroup hosts
# (bench/crun-cgroups.sh, as in bench/run.sh).  Must run as root; everything
# is deleted at exit.
set -u
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
ITER=10
TIMEOUT=${BENCH_TIMEOUT:-120}
RUNTIMES="microvm crun container"
HULL=${HULL:-$SRC/build/hull}
BIN=([microvm]=$HULL [container]=$HULL [crun]=${CRUN:-crun})
FLAGS=([microvm]="--isolation microvm" [container]="--isolation container" [crun]="")

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=${2:?}; shift 2 ;;
    --runtimes) RUNTIMES=${2:?}; shift 2 ;;
    --markdown) MARKDOWN=${2:?}; shift 2 ;;
    -h|--help) bench_usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $ITER =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive integer"
bench_init hull-bench-vm "hv$$"
export HULL_IMAGE_CACHE=$WORK/images   # built by the warm-up runs, removed at exit

setup_bundle() {   # the bundle of bench/run.sh: `runc spec`'s config, busybox
    local r=$WORK/bundle/rootfs
    busybox_rootfs "$r"
    "$HULL" spec --bundle "$WORK/bundle" >/dev/null 2>&1 || rm -f "$WORK/bundle/config.json"
    [ -s "$WORK/bundle/config.json" ] || die "hull spec did not write a config"
    jq '.ociVersion = "1.0.2" | .process.args = ["/bin/true"] | .process.terminal = false | .hostname = "bench"' \
        "$WORK/bundle/config.json" >"$WORK/c.json" && mv "$WORK/c.json" "$WORK/bundle/config.json"
    # the probe and the resident container: same rootfs
    mkdir -p "$WORK/probe" "$WORK/sleep"
    jq --arg r "$r" '.root.path = $r | .process.args = ["/bin/sh", "-c", "exit 7"]' \
        "$WORK/bundle/config.json" >"$WORK/probe/config.json"
    jq --arg r "$r" '.root.path = $r | .process.args = ["sleep", "100000"]' \
        "$WORK/bundle/config.json" >"$WORK/sleep/config.json"
}

probe() {
    local rt=$1 out
    runtime_usable "$rt" || return
    out=$(timed "$rt" run --bundle "$WORK/probe" "$TAG-probe-$rt")
    if [ "${out##* }" = 7 ]; then
        STATE[$rt]=ok
    else
        STATE[$rt]=n/a; WHY[$rt]="run failed (status ${out##* }): $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"
        delete_all "$rt"
    fi
}

bench_run() {
    local i rt out ns rss st
    for ((i = 0; i < ITER + 2; i++)); do
        for rt in $(rotation "$i"); do
            out=$(timed "$rt" run --bundle "$WORK/bundle" "$TAG-r$i-$rt") || out="0 0 125"
            read -r ns rss st <<<"$out"
            if [ "$st" != 0 ]; then
                echo "$st $(head -c 200 "$WORK/err-$rt" | tr '\n' ' ')" >>"$WORK/fail-run-$rt"
                delete_all "$rt"
            elif [ $i -ge 2 ]; then   # the first two are warm-up
                record run "$rt" "$ns"
                record rss-run "$rt" "$rss"
            fi
        done
    done
}

tree_of() {   # tree_of PID: PID and all its descendants
    local p
    echo "$1"
    for p in $(pgrep -P "$1"); do tree_of "$p"; done
}

# One resident container per runtime at a time, measured once it runs:
# host-side RSS and PSS (kB) of its init's process tree.
bench_memory() {
    local i rt id pid p rss pss kind
    for ((i = 0; i < ITER; i++)); do
        for rt in $(rotation "$i"); do
            id=$TAG-m$i-$rt
            if ! rt_cmd "$rt" run --detach --bundle "$WORK/sleep" "$id" </dev/null >/dev/null 2>"$WORK/err-$rt"; then
                echo "run -d: $(head -c 200 "$WORK/err-$rt" | tr '\n' ' ')" >>"$WORK/fail-mem-$rt"
                delete_all "$rt"; continue
            fi
            pid=$(rt_cmd "$rt" state "$id" | jq -r .pid)
            sleep 1   # let the guest settle after starting its process
            rss=0 pss=0
            for p in $(tree_of "$pid"); do
                read -r a b < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' "/proc/$p/smaps_rollup" 2>/dev/null)
                rss=$((rss + ${a:-0})); pss=$((pss + ${b:-0}))
                if [ "$rt" = microvm ] && [ $i -eq 0 ]; then
                    kind=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
                    case $kind in
                    qemu-system*)
                        ENGINE="QEMU -M microvm, $(echo "$kind" | grep -oE -- '-accel [a-z]+' | cut -d' ' -f2)"
                        GUEST_MIB=$(echo "$kind" | grep -oE -- '-m [0-9]+' | cut -d' ' -f2) ;;
                    esac
                fi
            done
            record mem-rss "$rt" "$rss"
            record mem-pss "$rt" "$pss"
            record mem-procs "$rt" "$(tree_of "$pid" | wc -l)"
            delete_all "$rt"
        done
    done
}

ms() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.1f ms", v / 1e6 }'; }

report() {
    print_table 58 12 "microvm crun container" \
        "run /bin/true, median|run|median|ms" \
        "run /bin/true, p90|run|p90|ms" \
        "peak RSS of the runtime during run (median)|rss-run|median|mib" \
        "resident container: host RSS of its process tree (median)|mem-rss|median|mib" \
        "resident container: host PSS of its process tree (median)|mem-pss|median|mib" \
        "resident container: processes in the tree|mem-procs|median|num"
    echo "guest RAM configured per microVM: ${GUEST_MIB:-?} MiB (io.hull.vm.memory, else the OCI memory limit, else 256); engine: ${ENGINE:-?}"
    [ -z "$MARKDOWN" ] || echo "Guest RAM configured per microVM: ${GUEST_MIB:-?} MiB; engine: ${ENGINE:-?}." >>"$MARKDOWN"
    print_failures
}

# What the runtime will pick (microvm/README.md): the built-in VMM with
# hardware KVM, else QEMU; QEMU itself takes KVM with vmx/svm, else TCG.
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
    EXPECT="hull's built-in VMM on hardware KVM (vmx/svm in /proc/cpuinfo)"
else
    EXPECT="QEMU -M microvm under TCG (no vmx/svm in /proc/cpuinfo: /dev/kvm, if any, cannot boot a Linux guest)"
fi
ENGINE="" GUEST_MIB=""
setup_bundle
echo "# hull microVM bench $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPUs: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "# $ITER iterations per row, interleaved in rotating order; load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "# microVM engine the runtime chooses here: $EXPECT"
for rt in $RUNTIMES; do
    probe "$rt"
    echo "# $rt: ${BIN[$rt]} ${FLAGS[$rt]}: ${STATE[$rt]}${WHY[$rt]:+ (${WHY[$rt]})}"
done
[ -n "$(rotation 0)" ] || die "no runtime can run the bundle"
[ -z "${MNT[crun]:-}" ] || echo "# crun: in a private mount namespace whose /sys/fs/cgroup it accepts (bench/crun-cgroups.sh); the host is not changed"
bench_run
bench_memory
echo "# microVM engine that ran: ${ENGINE:-built-in VMM or unknown}"
report
