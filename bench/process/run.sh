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
BENCH=$(cd "$HERE/.." && pwd)
SRC=$(cd "$BENCH/.." && pwd)
ITER=30
TIMEOUT=${BENCH_TIMEOUT:-20}
RUNTIMES="hull crun runc"
FIX_CGROUPS=1
MARKDOWN=""
BUSYBOX=${BUSYBOX:-/bin/busybox}
BENCHRUN=${BENCHRUN:-$SRC/build/bench/benchrun}
declare -A BIN=([hull]=${HULL:-$SRC/build/hull} [crun]=${CRUN:-crun} [runc]=${RUNC:-runc})

die() { echo "bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=${2:?}; shift 2 ;;
    --runtimes) RUNTIMES=${2:?}; shift 2 ;;
    --no-fix-cgroups) FIX_CGROUPS=0; shift ;;
    --markdown) MARKDOWN=${2:?}; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $ITER =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive integer"
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$BUSYBOX" ] || die "needs busybox-static ($BUSYBOX)"
if [ ! -x "$BENCHRUN" ]; then
    BENCHRUN=$(mktemp /tmp/benchrun.XXXXXX)
    cc -O2 -D_GNU_SOURCE -o "$BENCHRUN" "$BENCH/benchrun.c" || die "cannot build benchrun"
    BENCHRUN_TMP=$BENCHRUN
fi

WORK=$(mktemp -d /tmp/hull-bench-process.XXXXXX)
chmod 755 "$WORK"
TAG=hp$$
NSDIR=$WORK/ns
NSFILE=""
declare -A STATE=() WHY=() MNT=()

rt_cmd() {
    local rt=$1; shift
    if [ -n "${MNT[$rt]:-}" ]; then
        timeout -s KILL "$TIMEOUT" nsenter --mount="${MNT[$rt]}" -- "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
    else
        timeout -s KILL "$TIMEOUT" "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
    fi
}

timed() {
    local rt=$1; shift
    local ns=()
    [ -z "${MNT[$rt]:-}" ] || ns=(--mntns "${MNT[$rt]}")
    "$BENCHRUN" "${ns[@]}" --timeout "$TIMEOUT" --stderr "$WORK/err-$rt" -- "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
}

cleanup() {
    local rt id left
    trap - EXIT INT TERM
    for rt in $RUNTIMES; do
        for id in $(ls "$WORK/root-$rt" 2>/dev/null); do
            rt_cmd "$rt" resume "$id" >/dev/null 2>&1
            rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1
        done
    done
    if [ -n "$NSFILE" ]; then umount "$NSFILE" 2>/dev/null && umount "$NSDIR" 2>/dev/null; fi
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-*" 2>/dev/null)
    for d in $(echo "$left" | sort -r); do rmdir "$d" 2>/dev/null; done
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-*" 2>/dev/null)
    [ -z "$left" ] || echo "# warning: cgroups left behind: $left" >&2
    if grep -q " $WORK" /proc/self/mountinfo; then
        echo "# warning: mounts left under $WORK, not removing it" >&2
    else
        rm -rf --one-file-system "$WORK"
    fi
    [ -z "${BENCHRUN_TMP:-}" ] || rm -f "$BENCHRUN_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundle of bench/run.sh (runc spec's defaults, busybox), with `sleep`.
setup_bundle() {
    local r=$WORK/bundle/rootfs applet
    mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin,var,run}
    cp "$BUSYBOX" "$r/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
    chmod 1777 "$r/tmp"
    "${BIN[runc]}" spec --bundle "$WORK/bundle" 2>/dev/null || "$SRC/build/hull" spec --bundle "$WORK/bundle" \
        || die "cannot write a config"
    jq '.process.terminal = false | .process.args = ["sleep", "1000000"] | .hostname = "bench"
        | .linux.resources.memory = { "limit": 268435456 } | .linux.resources.pids = { "limit": 1000 }' \
        "$WORK/bundle/config.json" >"$WORK/bundle/c.json" && mv "$WORK/bundle/c.json" "$WORK/bundle/config.json"
}

crun_needs_fix() {
    [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}
setup_crun_namespace() {
    mkdir -p "$NSDIR"
    mount --bind "$NSDIR" "$NSDIR" && mount --make-private "$NSDIR" || return 1
    touch "$NSDIR/mnt"
    NSFILE=$NSDIR/mnt
    unshare --mount="$NSFILE" --propagation private "$BENCH/crun-cgroups.sh" >"$WORK/fix.log" 2>&1 || return 1
    MNT[crun]=$NSFILE
}

# Start RT's container and check that exec returns the process's status.
prepare() {
    local rt=$1 out
    if ! command -v "${BIN[$rt]}" >/dev/null; then STATE[$rt]=n/a; WHY[$rt]="${BIN[$rt]} not found"; return; fi
    mkdir -p "$WORK/root-$rt"
    if [ "$rt" = crun ] && crun_needs_fix; then
        if [ $FIX_CGROUPS = 0 ]; then STATE[$rt]=n/a; WHY[$rt]="hybrid host (--no-fix-cgroups)"; return; fi
        setup_crun_namespace || { STATE[$rt]=n/a; WHY[$rt]="cgroup work-around failed: $(tail -1 "$WORK/fix.log")"; return; }
    fi
    if ! rt_cmd "$rt" run --detach --bundle "$WORK/bundle" "$TAG-$rt" </dev/null >/dev/null 2>"$WORK/err-$rt"; then
        STATE[$rt]=n/a; WHY[$rt]="run --detach failed: $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"; return
    fi
    out=$(timed "$rt" exec "$TAG-$rt" /bin/sh -c 'exit 7')
    if [ "${out##* }" = 7 ]; then STATE[$rt]=ok
    else STATE[$rt]=n/a; WHY[$rt]="exec did not return the status 7 (got ${out##* }): $(head -c 300 "$WORK/err-$rt" | tr '\n' ' ')"; fi
}

record() { echo "$3" >>"$WORK/data-$1-$2"; }
stat_of() {
    local f=$WORK/data-$1-$2
    [ -s "$f" ] || return 0
    sort -n "$f" | awk -v what="$3" '{ v[NR] = $1 } END {
        if (what == "median") print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        else { i = int(0.9 * NR); if (i < 0.9 * NR) i++; print v[i] } }'
}
timed_row() {   # timed_row ROW RT ARGS...
    local row=$1 rt=$2; shift 2
    local out ns rss st
    out=$(timed "$rt" "$@") || out="0 0 125"
    read -r ns rss st <<<"$out"
    if [ "$st" = 0 ]; then record "$row" "$rt" "$ns"; return 0; fi
    echo "$st $(head -c 200 "$WORK/err-$rt" | tr '\n' ' ')" >>"$WORK/fail-$row-$rt"
    return 1
}
rotation() {
    local all=() rt i n
    for rt in $RUNTIMES; do [ "${STATE[$rt]}" = ok ] && all+=("$rt"); done
    n=${#all[@]}
    for ((i = 0; i < n; i++)); do echo "${all[$(( ($1 + i) % n ))]}"; done
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

ms() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.2f ms", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

report() {
    local rows=(
        "exec /bin/true, median|exec|median"
        "exec /bin/true, p90|exec|p90"
        "exec --detach, median|exec-d|median"
        "ps (table), median|ps|median"
        "ps --format json, median|ps-json|median"
        "update --memory --pids-limit, median|update|median"
        "pause, median|pause|median"
        "resume, median|resume|median"
    )
    local line label row what rt f cells
    declare -A val=()
    printf '%-36s %12s %12s %12s %10s %10s\n' "row" hull crun runc "hull/crun" "hull/runc"
    [ -z "$MARKDOWN" ] || printf '| row | hull | crun | runc | hull/crun | hull/runc |\n|---|---:|---:|---:|---:|---:|\n' >"$MARKDOWN"
    for line in "${rows[@]}"; do
        IFS='|' read -r label row what <<<"$line"
        for rt in hull crun runc; do val[$rt]=$(stat_of "$row" "$rt" "$what"); done
        cells=("$label" "$(ms "${val[hull]}")" "$(ms "${val[crun]}")" "$(ms "${val[runc]}")"
               "$(ratio "${val[hull]}" "${val[crun]}")" "$(ratio "${val[hull]}" "${val[runc]}")")
        printf '%-36s %12s %12s %12s %10s %10s\n' "${cells[@]}"
        [ -z "$MARKDOWN" ] || printf '| %s | %s | %s | %s | %s | %s |\n' "${cells[@]}" >>"$MARKDOWN"
    done
    for rt in $RUNTIMES; do
        [ "${STATE[$rt]:-}" = ok ] || echo "$rt: n/a: ${WHY[$rt]:-not run}"
        for f in "$WORK"/fail-*-"$rt"; do
            [ -s "$f" ] || continue
            row=${f#"$WORK"/fail-}; row=${row%-"$rt"}
            echo "$rt: $(wc -l <"$f") failed $row invocation(s), first: $(head -1 "$f")"
        done
    done
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
