# shellcheck shell=bash
# Shared by the bench scripts that measure runtimes side by side
# (bench/run.sh, bench/process/run.sh, bench/microvm/run.sh; containerd-rate
# takes only the crun check and the helpers): sourced, after
# `set -u`, before the script fills BIN (runtime -> binary) and optionally
# FLAGS (runtime -> extra global flags) and RUNTIMES.
#
#   bench_usage                 print the script's header comment (--help)
#   bench_init PREFIX TAG       check root, busybox and benchrun; make $WORK;
#                               every container id starts with $TAG
#   bench_cleanup               delete every container, cgroup and $WORK
#   rt_cmd RT ARGS... / timed RT ARGS...   the runtime with its private root
#   runtime_usable RT           found, and on a hybrid host crun worked around
#   record / stat_of / timed_row / rotation   the samples and their order
#   print_table / print_failures              the report
#
# crun on a hybrid host whose cgroup2 holds controllers runs in a private
# mount namespace with a /sys/fs/cgroup it accepts (bench/crun-cgroups.sh);
# the host is not changed.

BENCH_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SRC=$(cd "$BENCH_DIR/.." && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
BENCHRUN=${BENCHRUN:-$SRC/build/bench/benchrun}
FIX_CGROUPS=1
MARKDOWN=""
NSFILE=""
declare -A BIN=() FLAGS=() STATE=() WHY=() MNT=()

# shellcheck source=tests/lib/rootfs.sh
source "$SRC/tests/lib/rootfs.sh"

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "# $*" >&2; }

bench_usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

bench_init() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -x "$BUSYBOX" ] || die "needs busybox-static ($BUSYBOX): apt-get install -y busybox-static"
    if [ ! -x "$BENCHRUN" ]; then
        BENCHRUN=$(mktemp /tmp/benchrun.XXXXXX)
        cc -O2 -D_GNU_SOURCE -o "$BENCHRUN" "$BENCH_DIR/benchrun.c" || die "cannot build benchrun"
        BENCHRUN_TMP=$BENCHRUN
    fi
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$WORK"
    TAG=$2
    NSDIR=$WORK/ns
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

rt_cmd() {   # rt_cmd RT ARGS...: the runtime with its private root (and namespace)
    local rt=$1; shift
    local ns=()
    [ -z "${MNT[$rt]:-}" ] || ns=(nsenter --mount="${MNT[$rt]}" --)
    # shellcheck disable=SC2086 # FLAGS are zero or more words
    timeout -s KILL "$TIMEOUT" "${ns[@]}" "${BIN[$rt]}" ${FLAGS[$rt]:-} --root "$WORK/root-$rt" "$@"
}

timed() {   # timed RT ARGS...: one timed invocation; prints "ns rss status"
    local rt=$1; shift
    local ns=()
    [ -z "${MNT[$rt]:-}" ] || ns=(--mntns "${MNT[$rt]}")
    # shellcheck disable=SC2086
    "$BENCHRUN" "${ns[@]}" --timeout "$TIMEOUT" --stderr "$WORK/err-$rt" -- \
        "${BIN[$rt]}" ${FLAGS[$rt]:-} --root "$WORK/root-$rt" "$@"
}

delete_all() {   # every container of one runtime's private root
    local rt=$1 id
    [ -d "$WORK/root-$rt" ] || return 0
    for id in $(ls "$WORK/root-$rt" 2>/dev/null); do
        rt_cmd "$rt" kill "$id" KILL >/dev/null 2>&1
        rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || rt_cmd "$rt" delete "$id" >/dev/null 2>&1
    done
}

bench_cleanup() {
    local rt d left
    trap - EXIT INT TERM
    for rt in $RUNTIMES; do delete_all "$rt"; done
    # nothing outside the namespace changed: dropping it is the restore
    if [ -n "$NSFILE" ]; then umount "$NSFILE" 2>/dev/null && umount "$NSDIR" 2>/dev/null; fi
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-*" 2>/dev/null)
    for d in $(echo "$left" | sort -r); do rmdir "$d" 2>/dev/null; done
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$TAG-*" 2>/dev/null)
    [ -z "$left" ] || note "warning: cgroups left behind: $left"
    if grep -q " $WORK" /proc/self/mountinfo; then
        note "warning: mounts left under $WORK, not removing it"
    else
        rm -rf --one-file-system "$WORK"
    fi
    [ -z "${BENCHRUN_TMP:-}" ] || rm -f "$BENCHRUN_TMP"
}

crun_needs_fix() {   # a hybrid host whose cgroup2 holds controllers
    [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}

setup_crun_namespace() {
    mkdir -p "$NSDIR"
    mount --bind "$NSDIR" "$NSDIR" && mount --make-private "$NSDIR" || return 1
    touch "$NSDIR/mnt"
    NSFILE=$NSDIR/mnt
    unshare --mount="$NSFILE" --propagation private "$BENCH_DIR/crun-cgroups.sh" >"$WORK/fix.log" 2>&1 || return 1
    MNT[crun]=$NSFILE
}

# runtime_usable RT: its binary is there and it has a private root; for crun
# on a hybrid host, the work-around is in place (unless FIX_CGROUPS=0).
# Otherwise STATE[RT]=n/a with WHY[RT], and false.
runtime_usable() {
    local rt=$1
    if ! command -v "${BIN[$rt]}" >/dev/null; then
        STATE[$rt]=n/a; WHY[$rt]="${BIN[$rt]} not found"; return 1
    fi
    mkdir -p "$WORK/root-$rt"
    [ "$rt" = crun ] && crun_needs_fix || return 0
    if [ "$FIX_CGROUPS" = 0 ]; then
        STATE[$rt]=n/a; WHY[$rt]="hybrid host with [$(cat /sys/fs/cgroup/unified/cgroup.controllers)] on cgroup2 (--no-fix-cgroups)"
        return 1
    fi
    if ! setup_crun_namespace; then
        STATE[$rt]=n/a; WHY[$rt]="cgroup work-around failed: $(tail -1 "$WORK/fix.log")"; return 1
    fi
}

# ------------------------------------------------------------------ samples
record() { echo "$3" >>"$WORK/data-$1-$2"; }   # record ROW RT VALUE

stat_of() {   # stat_of ROW RT median|p90|max -> value or empty
    local f=$WORK/data-$1-$2
    [ -s "$f" ] || return 0
    sort -n "$f" | awk -v what="$3" '{ v[NR] = $1 } END {
        if (what == "median") print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        else if (what == "p90") { i = int(0.9 * NR); if (i < 0.9 * NR) i++; print v[i] }
        else print v[NR] }'
}

# timed_row ROW RT ARGS...: one timed invocation, its time recorded under ROW
# and its peak RSS under rss-ROW; a failure goes to $WORK/fail-ROW-RT.
timed_row() {
    local row=$1 rt=$2; shift 2
    local out ns rss st
    out=$(timed "$rt" "$@") || out="0 0 125"
    read -r ns rss st <<<"$out"
    if [ "$st" = 0 ]; then
        record "$row" "$rt" "$ns"
        record "rss-$row" "$rt" "$rss"
        return 0
    fi
    echo "$st $(head -c 200 "$WORK/err-$rt" | tr '\n' ' ')" >>"$WORK/fail-$row-$rt"
    return 1
}

rotation() {   # the available runtimes, rotated by $1
    local all=() rt i n
    for rt in $RUNTIMES; do [ "${STATE[$rt]}" = ok ] && all+=("$rt"); done
    n=${#all[@]}
    for ((i = 0; i < n; i++)); do echo "${all[$(( ($1 + i) % n ))]}"; done
}

# ------------------------------------------------------------------ report
ms() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.2f ms", v / 1e6 }'; }
mib() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.1f MiB", v / 1024 }'; }
num() { echo "${1:-n/a}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# print_table LABEL_WIDTH RATIO_WIDTH "A B C" ROW...: one line per ROW
# ("label|row|median|p90|max|ms|mib|num"), columns A, B, C and the ratios
# A/B and A/C; also as markdown to $MARKDOWN when set.
print_table() {
    local lw=$1 rw=$2 a b c line label row what unit rt cells
    read -r a b c <<<"$3"
    shift 3
    local fmt="%-${lw}s %12s %12s %12s %${rw}s %${rw}s\n"
    declare -A val=()
    # shellcheck disable=SC2059 # the widths are in the format
    printf "$fmt" row "$a" "$b" "$c" "$a/$b" "$a/$c"
    [ -z "$MARKDOWN" ] || printf '| row | %s | %s | %s | %s/%s | %s/%s |\n|---|---:|---:|---:|---:|---:|\n' \
        "$a" "$b" "$c" "$a" "$b" "$a" "$c" >"$MARKDOWN"
    for line in "$@"; do
        IFS='|' read -r label row what unit <<<"$line"
        for rt in "$a" "$b" "$c"; do val[$rt]=$(stat_of "$row" "$rt" "$what"); done
        cells=("$label" "$($unit "${val[$a]}")" "$($unit "${val[$b]}")" "$($unit "${val[$c]}")"
               "$(ratio "${val[$a]}" "${val[$b]}")" "$(ratio "${val[$a]}" "${val[$c]}")")
        # shellcheck disable=SC2059
        printf "$fmt" "${cells[@]}"
        [ -z "$MARKDOWN" ] || printf '| %s | %s | %s | %s | %s | %s |\n' "${cells[@]}" >>"$MARKDOWN"
    done
}

print_failures() {   # the runtimes left out, and the invocations that failed
    local rt f row
    for rt in $RUNTIMES; do
        [ "${STATE[$rt]:-}" = ok ] || echo "$rt: n/a: ${WHY[$rt]:-not run}"
        for f in "$WORK"/fail-*-"$rt"; do
            [ -s "$f" ] || continue
            row=${f#"$WORK"/fail-}; row=${row%-"$rt"}
            echo "$rt: $(wc -l <"$f") failed $row invocation(s), first: $(head -1 "$f")"
        done
    done
}
