#!/bin/bash
# hull side by side with crun and runc on the container level, interleaved in
# one run and reported as ratios (hull / crun, hull / runc: below 1.00 means
# hull is faster or smaller).
#
#   bench/run.sh [-n ITERATIONS] [-c CONTAINERS] [--runtimes "hull crun runc"]
#                [--no-fix-cgroups] [--markdown FILE]
#
#   -n N               iterations per row and runtime (default 30)
#   -c N               containers alive for the state/list rows (default 100)
#   --runtimes LIST    which runtimes (default "hull crun runc"); paths with
#                      HULL=..., CRUN=..., RUNC=... (default build/hull, crun, runc)
#   --no-fix-cgroups   report crun as unavailable on a hybrid host whose
#                      cgroup2 holds controllers instead of working around it
#   --markdown FILE    also write the result table as markdown to FILE
#
# Rows: `run` of /bin/true (median, p90), the create / start / delete split
# (medians), peak RSS of the runtime process during `run` and `create`
# (wait4's ru_maxrss, as /usr/bin/time -f %M), `state` and `list` with -c
# containers created.  Each iteration runs every runtime once, in rotating
# order.  A runtime that cannot run the bundle is reported as n/a with its
# error.  Every runtime gets a private --root; everything is deleted at exit.
# Must run as root.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
ITER=30
TIMEOUT=${BENCH_TIMEOUT:-20}   # seconds any one runtime invocation may take
NCTR=100
RUNTIMES="hull crun runc"
BIN=([hull]=${HULL:-$SRC/build/hull} [crun]=${CRUN:-crun} [runc]=${RUNC:-runc})

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=${2:?}; shift 2 ;;
    -c) NCTR=${2:?}; shift 2 ;;
    --runtimes) RUNTIMES=${2:?}; shift 2 ;;
    --no-fix-cgroups) FIX_CGROUPS=0; shift ;;
    --markdown) MARKDOWN=${2:?}; shift 2 ;;
    -h|--help) bench_usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $ITER =~ ^[1-9][0-9]*$ && $NCTR =~ ^[1-9][0-9]*$ ]] || die "-n and -c take positive integers"
bench_init hull-bench "hb$$"

wait_stopped() {   # untimed: poll until the container's process has exited
    local rt=$1 id=$2 i
    for ((i = 0; i < 200; i++)); do
        rt_cmd "$rt" state "$id" 2>/dev/null | grep -q '"status": *"stopped"' && return 0
        sleep 0.02
    done
    return 1
}

setup_bundle() {
    busybox_rootfs "$WORK/bundle/rootfs"
    # what `runc spec` writes, with /bin/true as the process
    default_config '"/bin/true"' bench 1.0.2 >"$WORK/bundle/config.json"
    # the probe bundle: same rootfs, a process whose exit status proves it ran
    mkdir -p "$WORK/probe"
    default_config '"/bin/sh", "-c", "exit 7"' bench 1.0.2 \
        | sed "s|\"path\": \"rootfs\"|\"path\": \"$WORK/bundle/rootfs\"|" >"$WORK/probe/config.json"
}

probe() {   # can RT run a container (and return its exit status)?  sets STATE[rt]=ok or n/a with WHY[rt]
    local rt=$1 out
    runtime_usable "$rt" || return
    out=$(timed "$rt" run --bundle "$WORK/probe" "$TAG-probe-$rt")
    if [ "${out##* }" = 7 ]; then
        STATE[$rt]=ok
    elif [ "${out##* }" = 0 ]; then
        STATE[$rt]=n/a; WHY[$rt]="run exits 0 for a container process that exits 7"
        delete_all "$rt"
    else
        STATE[$rt]=n/a; WHY[$rt]="run failed (status ${out##* }): $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"
        delete_all "$rt"
    fi
}

# ------------------------------------------------------------------ rows
bench_run() {
    local i rt
    for ((i = 0; i < ITER + 3; i++)); do
        for rt in $(rotation "$i"); do
            if [ $i -lt 3 ]; then   # warm-up: page cache, dentries
                timed "$rt" run --bundle "$WORK/bundle" "$TAG-w$i-$rt" >/dev/null
                delete_all "$rt"
                continue
            fi
            timed_row run "$rt" run --bundle "$WORK/bundle" "$TAG-r$i-$rt" || delete_all "$rt"
        done
    done
}

bench_split() {
    local i rt id
    for ((i = 0; i < ITER; i++)); do
        for rt in $(rotation "$i"); do
            id=$TAG-s$i-$rt
            if timed_row create "$rt" create --bundle "$WORK/bundle" "$id" \
                && timed_row start "$rt" start "$id" && wait_stopped "$rt" "$id"; then
                timed_row delete "$rt" delete "$id"
            fi
            delete_all "$rt"
        done
    done
}

bench_state_list() {
    local i rt n id
    for rt in $(rotation 0); do
        for ((n = 0; n < NCTR; n++)); do
            rt_cmd "$rt" create --bundle "$WORK/bundle" "$TAG-m$n-$rt" >/dev/null 2>"$WORK/err-$rt" || {
                echo "create of container $n failed: $(head -c 200 "$WORK/err-$rt")" >>"$WORK/fail-state-$rt"; break; }
        done
    done
    for ((i = 0; i < ITER; i++)); do
        for rt in $(rotation "$i"); do
            id=$TAG-m$(( (i * 37) % NCTR ))-$rt
            timed_row state "$rt" state "$id"
            timed_row list "$rt" list
        done
    done
    for rt in $(rotation 0); do delete_all "$rt"; done
}

# ------------------------------------------------------------------ report
report() {
    print_table 32 10 "hull crun runc" \
        "run /bin/true, median|run|median|ms" \
        "run /bin/true, p90|run|p90|ms" \
        "create, median|create|median|ms" \
        "start, median|start|median|ms" \
        "delete, median|delete|median|ms" \
        "peak RSS, run (median)|rss-run|median|mib" \
        "peak RSS, create (median)|rss-create|median|mib" \
        "state, $NCTR containers, median|state|median|ms" \
        "list, $NCTR containers, median|list|median|ms"
    print_failures
}

# ------------------------------------------------------------------ main
setup_bundle
echo "# hull bench $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPUs: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "# $ITER iterations per row, $NCTR containers for state/list, interleaved in rotating order; load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
for rt in $RUNTIMES; do
    probe "$rt"
    v=$("${BIN[$rt]}" --version 2>/dev/null | head -1)
    echo "# $rt: ${BIN[$rt]}: ${v:-?}: ${STATE[$rt]}${WHY[$rt]:+ (${WHY[$rt]})}"
done
[ -n "$(rotation 0)" ] || die "no runtime can run the bundle"
[ -z "${MNT[crun]:-}" ] || echo "# crun: worked around 'cgroups in hybrid mode not supported': crun runs in a private mount namespace: $(tail -1 "$WORK/fix.log") (bench/crun-cgroups.sh); the host is not changed"
bench_run
bench_split
bench_state_list
report
