#!/bin/bash
# Process management, hull side by side with crun and runc, interleaved in
# one run and reported as ratios (hull / crun, hull / runc: below 1.00 means
# hull is faster).
#
#   bench/process/run.sh [-n ITERATIONS] [--runtimes "hull crun runc"]
#                        [--no-fix-cgroups] [--markdown FILE]
#
# One running container per runtime (the bundle of bench/run.sh, `sleep` as
# its process), then per iteration and runtime, in rotating order:
#   exec        `RT exec ID /bin/true` (foreground: join, run, wait)
#   exec -d     `RT exec --detach --pid-file F ID /bin/true`
#   ps          `RT ps ID` (table: ps -ef filtered) and `RT ps --format json ID`
#   update      `RT update --memory M --pids-limit P ID`, M and P alternating
#   pause       `RT pause ID`, then resume `RT resume ID`
# Medians (and p90 for exec).  Same binaries, cgroup work-around for crun and
# clean-up as bench/run.sh (HULL=, CRUN=, RUNC=, BENCH_TIMEOUT=).  Root only.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
ITER=30
TIMEOUT=${BENCH_TIMEOUT:-20}
RUNTIMES="hull crun runc"
BIN=([hull]=${HULL:-$SRC/build/hull} [crun]=${CRUN:-crun} [runc]=${RUNC:-runc})

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=${2:?}; shift 2 ;;
    --runtimes) RUNTIMES=${2:?}; shift 2 ;;
    --no-fix-cgroups) FIX_CGROUPS=0; shift ;;
    --markdown) MARKDOWN=${2:?}; shift 2 ;;
    -h|--help) bench_usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $ITER =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive integer"
bench_init hull-bench-process "hp$$"
# a paused container is resumed before it is deleted
resume_all() {
    local rt id
    for rt in $RUNTIMES; do
        for id in $(ls "$WORK/root-$rt" 2>/dev/null); do rt_cmd "$rt" resume "$id" >/dev/null 2>&1; done
    done
}
trap 'resume_all; bench_cleanup' EXIT

# The bundle of bench/run.sh (runc spec's defaults, busybox), with `sleep`.
setup_bundle() {
    busybox_rootfs "$WORK/bundle/rootfs"
    "${BIN[runc]}" spec --bundle "$WORK/bundle" 2>/dev/null || "$SRC/build/hull" spec --bundle "$WORK/bundle" \
        || die "cannot write a config"
    jq '.process.terminal = false | .process.args = ["sleep", "1000000"] | .hostname = "bench"
        | .linux.resources.memory = { "limit": 268435456 } | .linux.resources.pids = { "limit": 1000 }' \
        "$WORK/bundle/config.json" >"$WORK/bundle/c.json" && mv "$WORK/bundle/c.json" "$WORK/bundle/config.json"
}

# Start RT's container and check that exec returns the process's status.
prepare() {
    local rt=$1 out
    runtime_usable "$rt" || return
    if ! rt_cmd "$rt" run --detach --bundle "$WORK/bundle" "$TAG-$rt" </dev/null >/dev/null 2>"$WORK/err-$rt"; then
        STATE[$rt]=n/a; WHY[$rt]="run --detach failed: $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"; return
    fi
    out=$(timed "$rt" exec "$TAG-$rt" /bin/sh -c 'exit 7')
    if [ "${out##* }" = 7 ]; then STATE[$rt]=ok
    else STATE[$rt]=n/a; WHY[$rt]="exec did not return the status 7 (got ${out##* }): $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"; fi
}

bench_all() {
    local i rt id mem pids
    for ((i = 0; i < ITER + 2; i++)); do
        for rt in $(rotation "$i"); do
            id=$TAG-$rt
            if [ $i -lt 2 ]; then   # warm-up
                timed "$rt" exec "$id" /bin/true >/dev/null
                continue
            fi
            timed_row exec "$rt" exec "$id" /bin/true
            timed_row exec-d "$rt" exec --detach --pid-file "$WORK/pid-$rt" "$id" /bin/true
            timed_row ps "$rt" ps "$id"
            timed_row ps-json "$rt" ps --format json "$id"
            # bytes: crun 1.8 does not read sizes such as 200M
            if [ $((i % 2)) = 0 ]; then mem=209715200 pids=900; else mem=268435456 pids=1000; fi
            timed_row update "$rt" update --memory "$mem" --pids-limit "$pids" "$id"
            timed_row pause "$rt" pause "$id" && timed_row resume "$rt" resume "$id"
            rt_cmd "$rt" resume "$id" >/dev/null 2>&1
        done
    done
}

report() {
    print_table 36 10 "hull crun runc" \
        "exec /bin/true, median|exec|median|ms" \
        "exec /bin/true, p90|exec|p90|ms" \
        "exec --detach, median|exec-d|median|ms" \
        "ps (table), median|ps|median|ms" \
        "ps --format json, median|ps-json|median|ms" \
        "update --memory --pids-limit, median|update|median|ms" \
        "pause, median|pause|median|ms" \
        "resume, median|resume|median|ms"
    print_failures
}

setup_bundle
echo "# hull process bench $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPUs; $ITER iterations, rotating order; load average: $(cut -d" " -f1-3 /proc/loadavg)"
for rt in $RUNTIMES; do
    prepare "$rt"
    v=$("${BIN[$rt]}" --version 2>/dev/null | head -1)
    echo "# $rt: ${BIN[$rt]}: ${v:-?}: ${STATE[$rt]}${WHY[$rt]:+ (${WHY[$rt]})}"
done
[ -n "$(rotation 0)" ] || die "no runtime can exec"
[ -z "${MNT[crun]:-}" ] || echo "# crun: runs in a private mount namespace with cgroup v1 only (bench/crun-cgroups.sh); the host is not changed"
bench_all
report
