#!/bin/bash
# Containers per second under containerd: `ctr run --rm IMAGE ID /bin/true`
# through the standard runc shim (io.containerd.runc.v2) with hull, crun and
# runc as the shim's runtime binary, interleaved in one run, as ratios.
#
#   bench/engines/containerd-rate.sh [-n ITERATIONS] [--runtimes "hull crun runc"]
#                                    [--no-fix-cgroups] [--markdown FILE]
#
#   -n N               containers per runtime (default 50), after 3 warm-ups
#   --runtimes LIST    default "hull crun runc"; binaries from HULL=, CRUN=,
#                      RUNC= (default build/hull, crun, runc from $PATH)
#   --no-fix-cgroups   run containerd on the host's cgroup layout even where
#                      crun refuses it (crun is then n/a)
#   --markdown FILE    also write the table as markdown to FILE
#
# One private containerd (tests/engines/containerd.sh) serves every runtime;
# each iteration runs one container per runtime, in an order rotated every
# iteration.  A container's time is the wall clock of the whole `ctr run
# --rm` (create, start, wait, delete: client, daemon, shim and runtime), so
# the rate is the number of complete container lives per second, one at a
# time.  Ratios are hull's rate over the other's: above 1.00 hull is faster.
# Must run as root; everything is removed at exit.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/../lib.sh"
ENGINES=$SRC/tests/engines
ITER=50
RUNTIMES="hull crun runc"
NS=bench-$$
BIN=([hull]=${HULL:-$SRC/build/hull} [crun]=${CRUN:-crun} [runc]=${RUNC:-runc})

die() { echo "containerd-rate: $*" >&2; exit 2; }

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
[ "$(id -u)" = 0 ] || die "must run as root"
command -v containerd >/dev/null && command -v ctr >/dev/null \
    || die "needs containerd: tests/engines/containerd.sh install"

rts=()
for rt in $RUNTIMES; do
    [ -n "${BIN[$rt]:-}" ] || die "unknown runtime $rt"
    path=$(command -v "${BIN[$rt]}") || { note "$rt: ${BIN[$rt]} not found, left out"; continue; }
    BIN[$rt]=$(readlink -f "$path")
    rts+=("$rt")
done
[ ${#rts[@]} -gt 0 ] || die "no runtime to measure"

DIR=$(mktemp -d /tmp/hull-bench-ctrd.XXXXXX)
TIMES=$DIR/times
cleanup() {
    local bins=() rt
    for rt in "${rts[@]}"; do bins+=("${BIN[$rt]}"); done
    "$ENGINES/containerd.sh" stop "$DIR" "${bins[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# crun 1.8 refuses hybrid hosts whose cgroup2 holds a controller; then the
# daemon (and so every runtime) runs where only the v1 hierarchies are seen.
layout="host cgroup layout"
if [ $FIX_CGROUPS = 1 ] && [[ " ${rts[*]} " == *" crun "* ]] && crun_needs_fix; then
    export CONTAINERD_WRAPPER=$HERE/cgroup-v1-only.sh
    layout="cgroup v1 hierarchies only (private mount namespace; cgroup2 holds [$(cat /sys/fs/cgroup/unified/cgroup.controllers)] here, which crun refuses)"
fi
note "containerd: $(containerd --version | awk '{ print $3 }'), $layout"
CONTAINERD_LOG_LEVEL=warn "$ENGINES/containerd.sh" start "$DIR" || die "containerd did not start"
"$ENGINES/busybox-image.sh" "$DIR/busybox.tar" hull-busybox:latest || die "cannot build the image"
ctr_() { "$ENGINES/containerd.sh" ctr "$DIR" -n "$NS" "$@"; }
ctr_ images import "$DIR/busybox.tar" >/dev/null || die "cannot import the image"

# run_one RT ID ARGS...: one `ctr run --rm`; its milliseconds on stdout.
run_one() {
    local rt=$1 id=$2 t0 t1 rc
    shift 2
    t0=$EPOCHREALTIME
    timeout -k 5 60 "$ENGINES/containerd.sh" ctr "$DIR" -n "$NS" run --rm --null-io \
        --runc-binary "${BIN[$rt]}" --runc-root "$DIR/runc" hull-busybox:latest "$id" "$@" 2>"$DIR/err"
    rc=$?
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
    return $rc
}

declare -A NA=()
ok=()
for rt in "${rts[@]}"; do
    version=$("${BIN[$rt]}" --version 2>/dev/null | head -1)
    run_one "$rt" "probe-$rt" sh -c 'exit 7' >/dev/null
    rc=$?
    if [ $rc -ne 7 ]; then
        NA[$rt]="exit $rc, not 7: $(tail -n 1 "$DIR/err")"
        note "$rt: n/a (${NA[$rt]})"
        ctr_ task delete --force "probe-$rt" >/dev/null 2>&1; ctr_ containers delete "probe-$rt" >/dev/null 2>&1
        continue
    fi
    note "$rt: ${BIN[$rt]} ($version)"
    ok+=("$rt")
    for w in 1 2 3; do run_one "$rt" "warm-$rt-$w" /bin/true >/dev/null; done
done
[ ${#ok[@]} -gt 0 ] || die "no runtime could run the image"

: >"$TIMES"
failures=0
for ((i = 0; i < ITER; i++)); do
    n=${#ok[@]}
    for ((k = 0; k < n; k++)); do
        rt=${ok[$(((i + k) % n))]}
        if ms=$(run_one "$rt" "c-$rt-$i" /bin/true); then
            echo "$rt $ms" >>"$TIMES"
        else
            failures=$((failures + 1))
            note "$rt: iteration $i failed: $(tail -n 1 "$DIR/err")"
            ctr_ task delete --force "c-$rt-$i" >/dev/null 2>&1; ctr_ containers delete "c-$rt-$i" >/dev/null 2>&1
        fi
    done
done

# Per runtime: containers/s (count over summed time), median and p90 in ms.
stats() {
    awk -v rt="$1" '$1 == rt { print $2 }' "$TIMES" | sort -n | awk '
        { v[NR] = $1; s += $1 }
        END { if (NR == 0) { print "n/a n/a n/a"; exit }
              p = int(NR * 0.9 + 0.5); if (p < 1) p = 1; if (p > NR) p = NR
              m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.2f %.2f %.2f\n", NR * 1000 / s, m, v[p] }'
}
declare -A RATE MED P90
for rt in "${rts[@]}"; do
    if [ -n "${NA[$rt]:-}" ]; then RATE[$rt]=n/a; MED[$rt]=n/a; P90[$rt]=n/a; continue; fi
    read -r RATE[$rt] MED[$rt] P90[$rt] < <(stats "$rt")
done
ratio() {   # ratio ROW OTHER: hull's figure against OTHER's, as speed (above 1: hull faster)
    local a=$2 b=$3
    [[ $a == n/a || $b == n/a ]] && { echo n/a; return; }
    if [ "$1" = rate ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
    else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }'
    fi
}
others=()
for rt in "${rts[@]}"; do [ "$rt" = hull ] || others+=("$rt"); done
header="| row |"; sep="|---|"
for rt in "${rts[@]}"; do header+=" $rt |"; sep+="---:|"; done
if [[ " ${rts[*]} " == *" hull "* ]]; then
    for o in "${others[@]}"; do header+=" hull vs $o |"; sep+="---:|"; done
fi
table=("$header" "$sep")
for row in rate median p90; do
    case $row in
    rate) label="containers/s (ctr run --rm /bin/true)"; unit="" ;;
    median) label="one ctr run --rm, median"; unit=" ms" ;;
    p90) label="one ctr run --rm, p90"; unit=" ms" ;;
    esac
    line="| $label |"
    for rt in "${rts[@]}"; do
        case $row in rate) v=${RATE[$rt]} ;; median) v=${MED[$rt]} ;; p90) v=${P90[$rt]} ;; esac
        [ "$v" = n/a ] && line+=" n/a |" || line+=" $v$unit |"
    done
    if [[ " ${rts[*]} " == *" hull "* ]]; then
        for o in "${others[@]}"; do
            case $row in
            rate) line+=" $(ratio rate "${RATE[hull]}" "${RATE[$o]}") |" ;;
            median) line+=" $(ratio time "${MED[hull]}" "${MED[$o]}") |" ;;
            p90) line+=" $(ratio time "${P90[hull]}" "${P90[$o]}") |" ;;
            esac
        done
    fi
    table+=("$line")
done
echo "# $ITER containers per runtime, interleaved; load average $(cut -d' ' -f1-3 /proc/loadavg); hull vs X: X's time / hull's (above 1.00: hull faster)"
printf '%s\n' "${table[@]}"
[ -z "$MARKDOWN" ] || printf '%s\n' "${table[@]}" >"$MARKDOWN"
[ $failures -eq 0 ] || note "$failures runs failed"
exit 0
