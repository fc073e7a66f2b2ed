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
SRC=$(cd "$HERE/.." && pwd)
ITER=30
TIMEOUT=${BENCH_TIMEOUT:-20}   # seconds any one runtime invocation may take
NCTR=100
RUNTIMES="hull crun runc"
FIX_CGROUPS=1
MARKDOWN=""
BUSYBOX=${BUSYBOX:-/bin/busybox}
BENCHRUN=${BENCHRUN:-$SRC/build/bench/benchrun}
declare -A BIN=([hull]=${HULL:-$SRC/build/hull} [crun]=${CRUN:-crun} [runc]=${RUNC:-runc})

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "# $*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
    -n) ITER=${2:?}; shift 2 ;;
    -c) NCTR=${2:?}; shift 2 ;;
    --runtimes) RUNTIMES=${2:?}; shift 2 ;;
    --no-fix-cgroups) FIX_CGROUPS=0; shift ;;
    --markdown) MARKDOWN=${2:?}; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ $ITER =~ ^[1-9][0-9]*$ && $NCTR =~ ^[1-9][0-9]*$ ]] || die "-n and -c take positive integers"
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$BUSYBOX" ] || die "needs busybox-static ($BUSYBOX): apt-get install -y busybox-static"
if [ ! -x "$BENCHRUN" ]; then
    BENCHRUN=$(mktemp /tmp/benchrun.XXXXXX)
    cc -O2 -D_GNU_SOURCE -o "$BENCHRUN" "$HERE/benchrun.c" || die "cannot build benchrun"
    BENCHRUN_TMP=$BENCHRUN
fi

WORK=$(mktemp -d /tmp/hull-bench.XXXXXX)
chmod 755 "$WORK"
TAG=hb$$
NSDIR=$WORK/ns
NSFILE=""
declare -A STATE=() WHY=() MNT=()

# ------------------------------------------------------------------ cleanup
delete_all() {   # every container of one runtime's private root
    local rt=$1 id
    [ -d "$WORK/root-$rt" ] || return 0
    for id in $(ls "$WORK/root-$rt" 2>/dev/null); do
        rt_cmd "$rt" kill "$id" KILL >/dev/null 2>&1
        rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || rt_cmd "$rt" delete "$id" >/dev/null 2>&1
    done
}

release_crun_namespace() {   # nothing outside it changed: dropping it is the restore
    [ -n "$NSFILE" ] || return 0
    umount "$NSFILE" 2>/dev/null && umount "$NSDIR" 2>/dev/null
    NSFILE=""
}

cleanup() {
    local rt left
    trap - EXIT INT TERM
    for rt in $RUNTIMES; do delete_all "$rt"; done
    release_crun_namespace
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
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ runtimes
rt_cmd() {   # rt_cmd RT ARGS...: the runtime with its private root (and namespace)
    local rt=$1; shift
    if [ -n "${MNT[$rt]:-}" ]; then
        timeout -s KILL "$TIMEOUT" nsenter --mount="${MNT[$rt]}" -- "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
    else
        timeout -s KILL "$TIMEOUT" "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
    fi
}

# timed RT ARGS...: one timed invocation; prints "ns rss status"
timed() {
    local rt=$1; shift
    local ns=()
    [ -z "${MNT[$rt]:-}" ] || ns=(--mntns "${MNT[$rt]}")
    "$BENCHRUN" "${ns[@]}" --timeout "$TIMEOUT" --stderr "$WORK/err-$rt" -- "${BIN[$rt]}" --root "$WORK/root-$rt" "$@"
}

wait_stopped() {   # untimed: poll until the container's process has exited
    local rt=$1 id=$2 i
    for ((i = 0; i < 200; i++)); do
        rt_cmd "$rt" state "$id" 2>/dev/null | grep -q '"status": *"stopped"' && return 0
        sleep 0.02
    done
    return 1
}

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
    # what `runc spec` writes, with /bin/true as the process
    cat >"$WORK/bundle/config.json" <<'JSON'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/true" ],
    "env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "bench",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
  ],
  "linux": {
    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" } ],
    "maskedPaths": [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                     "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi" ],
    "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
  }
}
JSON
    # the probe bundle: same rootfs, a process whose exit status proves it ran
    mkdir -p "$WORK/probe"
    sed -e 's|"args": \[ "/bin/true" \]|"args": [ "/bin/sh", "-c", "exit 7" ]|' \
        -e "s|\"path\": \"rootfs\"|\"path\": \"$WORK/bundle/rootfs\"|" \
        "$WORK/bundle/config.json" >"$WORK/probe/config.json"
}

# crun on a hybrid host whose cgroup2 holds controllers: a private mount
# namespace with a /sys/fs/cgroup crun accepts (bench/crun-cgroups.sh).
crun_needs_fix() {
    [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}
setup_crun_namespace() {
    mkdir -p "$NSDIR"
    mount --bind "$NSDIR" "$NSDIR" && mount --make-private "$NSDIR" || return 1
    touch "$NSDIR/mnt"
    NSFILE=$NSDIR/mnt
    unshare --mount="$NSFILE" --propagation private "$HERE/crun-cgroups.sh" >"$WORK/fix.log" 2>&1 || return 1
    MNT[crun]=$NSFILE
}

probe() {   # can RT run a container (and return its exit status)?  sets STATE[rt]=ok or n/a with WHY[rt]
    local rt=$1 out
    if ! command -v "${BIN[$rt]}" >/dev/null; then
        STATE[$rt]=n/a; WHY[$rt]="${BIN[$rt]} not found"; return
    fi
    mkdir -p "$WORK/root-$rt"
    if [ "$rt" = crun ] && crun_needs_fix; then
        if [ $FIX_CGROUPS = 0 ]; then
            STATE[$rt]=n/a; WHY[$rt]="hybrid host with [$(cat /sys/fs/cgroup/unified/cgroup.controllers)] on cgroup2 (--no-fix-cgroups)"
            return
        fi
        if ! setup_crun_namespace; then
            STATE[$rt]=n/a; WHY[$rt]="cgroup work-around failed: $(tail -1 "$WORK/fix.log")"; return
        fi
    fi
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

# ------------------------------------------------------------------ statistics
record() { echo "$3" >>"$WORK/data-$1-$2"; }   # record ROW RT VALUE
stat_of() {   # stat_of ROW RT median|p90|max -> value or empty
    local f=$WORK/data-$1-$2
    [ -s "$f" ] || return 0
    sort -n "$f" | awk -v what="$3" '{ v[NR] = $1 } END {
        if (what == "median") print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        else if (what == "p90") { i = int(0.9 * NR); if (i < 0.9 * NR) i++; print v[i] }
        else print v[NR] }'
}

# timed_row ROW RT ARGS...: one timed invocation recorded under ROW
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
ms() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.2f ms", v / 1e6 }'; }
mib() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.1f MiB", v / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

report() {
    local rows=(
        "run /bin/true, median|run|median|ms"
        "run /bin/true, p90|run|p90|ms"
        "create, median|create|median|ms"
        "start, median|start|median|ms"
        "delete, median|delete|median|ms"
        "peak RSS, run (median)|rss-run|median|mib"
        "peak RSS, create (median)|rss-create|median|mib"
        "state, $NCTR containers, median|state|median|ms"
        "list, $NCTR containers, median|list|median|ms"
    )
    local line label row what unit rt f cells
    declare -A val=()
    printf '%-32s %12s %12s %12s %10s %10s\n' "row" hull crun runc "hull/crun" "hull/runc"
    [ -z "$MARKDOWN" ] || printf '| row | hull | crun | runc | hull/crun | hull/runc |\n|---|---:|---:|---:|---:|---:|\n' >"$MARKDOWN"
    for line in "${rows[@]}"; do
        IFS='|' read -r label row what unit <<<"$line"
        for rt in hull crun runc; do val[$rt]=$(stat_of "$row" "$rt" "$what"); done
        cells=("$label" "$($unit "${val[hull]}")" "$($unit "${val[crun]}")" "$($unit "${val[runc]}")"
               "$(ratio "${val[hull]}" "${val[crun]}")" "$(ratio "${val[hull]}" "${val[runc]}")")
        printf '%-32s %12s %12s %12s %10s %10s\n' "${cells[@]}"
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
