#!/bin/bash
# A private containerd for tests and benchmarks: its root, state, sockets,
# runc root and log all live under one directory, and `stop` leaves nothing
# behind (tasks, shims, mounts, cgroups, files).
#
#   tests/engines/containerd.sh install          apt-get install containerd if missing
#   tests/engines/containerd.sh start DIR        start it; returns once it answers
#   tests/engines/containerd.sh ctr DIR ARGS...  ctr against it
#   tests/engines/containerd.sh stop DIR [RUNTIME...]
#       kill and delete every task and container, stop the daemon and its
#       shims, `RUNTIME --root R delete --force` whatever a runtime left in
#       DIR/runc, remove the namespaces' cgroups, unmount, remove DIR.
#
# CONTAINERD_WRAPPER, when set, is a command line the daemon is started
# under (`$CONTAINERD_WRAPPER containerd --config ...`), e.g. a private mount
# namespace; it must exec containerd so that the pid stays the daemon's.
#
# Layout of DIR: config.toml, containerd.sock, containerd.log, root/, state/,
# runc/ (pass `--runc-root DIR/runc/<namespace>` to `ctr run`; the shim
# would otherwise use /run/containerd/runc).
set -uo pipefail

die() { echo "containerd.sh: $*" >&2; exit 1; }

ctr_in() {
    local dir=$1; shift
    ctr --address "$dir/containerd.sock" "$@"
}

install() {
    local p missing=()
    for p in containerd runc; do
        dpkg-query -W -f='${Status}\n' $p 2>/dev/null | grep -qx 'install ok installed' || missing+=($p)
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2 \
        || { apt-get -q update >&2 && DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2; }
}

start() {
    local dir=$1 i
    command -v containerd >/dev/null && command -v ctr >/dev/null || die "containerd is not installed"
    mkdir -p "$dir/root" "$dir/state" "$dir/runc"
    # Only the plugins a `ctr run` needs; the CRI plugin would want CNI and
    # image pulls, the btrfs/zfs/devmapper/aufs snapshotters cannot load here.
    cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt",
                    "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
    ${CONTAINERD_WRAPPER:-} containerd --config "$dir/config.toml" --log-level "${CONTAINERD_LOG_LEVEL:-debug}" >"$dir/containerd.log" 2>&1 </dev/null &
    echo $! >"$dir/containerd.pid"
    for ((i = 0; i < 600; i++)); do
        if [ -S "$dir/containerd.sock" ] && ctr_in "$dir" version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || { tail -n 20 "$dir/containerd.log" >&2; die "containerd exited at start"; }
        sleep 0.1
    done
    tail -n 20 "$dir/containerd.log" >&2
    die "containerd did not answer on $dir/containerd.sock in 60s"
}

# Pids of the processes whose command line mentions the daemon's socket:
# the shims it started.
shim_pids() {
    local dir=$1 p
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "-address $dir/containerd.sock " && echo "${p#/proc/}"
    done
}

wait_gone() {
    local pid=$1 i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

stop() {
    local dir=$1; shift
    local runtimes=("$@") namespaces=() ns id pid rt m cg
    [ -d "$dir" ] || return 0
    if [ -f "$dir/containerd.pid" ] && kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
        mapfile -t namespaces < <(ctr_in "$dir" namespaces ls -q 2>/dev/null)
        for ns in "${namespaces[@]}"; do
            for id in $(ctr_in "$dir" -n "$ns" task ls -q 2>/dev/null); do
                ctr_in "$dir" -n "$ns" task kill -a -s SIGKILL "$id" >/dev/null 2>&1
            done
            for id in $(ctr_in "$dir" -n "$ns" task ls -q 2>/dev/null); do
                timeout 30 ctr_in "$dir" -n "$ns" task delete --force "$id" >/dev/null 2>&1
            done
            for id in $(ctr_in "$dir" -n "$ns" containers ls -q 2>/dev/null); do
                ctr_in "$dir" -n "$ns" containers delete "$id" >/dev/null 2>&1
            done
        done
        pid=$(cat "$dir/containerd.pid")
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; wait_gone "$pid"; }
    fi
    # Containers a runtime still holds (a shim killed mid-way, a task that
    # would not die), then the shims themselves.
    for ns in "$dir"/runc/*/; do
        [ -d "$ns" ] || continue
        for id in "$ns"*/; do
            [ -d "$id" ] || continue
            for rt in "${runtimes[@]}"; do
                "$rt" --root "${ns%/}" delete --force "$(basename "$id")" >/dev/null 2>&1 && break
            done
        done
        namespaces+=("$(basename "$ns")")
    done
    for pid in $(shim_pids "$dir"); do
        kill -KILL "$pid" 2>/dev/null && wait_gone "$pid"
    done
    # cgroups: ctr puts a container in /<namespace>/<id>.
    for ns in $(printf '%s\n' "${namespaces[@]}" | sort -u); do
        for cg in /sys/fs/cgroup/*/"$ns" /sys/fs/cgroup/"$ns"; do
            [ -d "$cg" ] || continue
            find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
    done
    for m in $(awk -v d="$dir" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    rm -rf "$dir"
    # The shims' sockets and ctr's fifos go to /run/containerd whatever the
    # config says; remove the directories when they are empty.
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc /run/containerd 2>/dev/null
    return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install) install ;;
start) [ $# -eq 1 ] || die "usage: containerd.sh start DIR"; start "$1" ;;
stop) [ $# -ge 1 ] || die "usage: containerd.sh stop DIR [RUNTIME...]"; stop "$@" ;;
ctr) [ $# -ge 1 ] || die "usage: containerd.sh ctr DIR ARGS..."; ctr_in "$@" ;;
*) die "usage: containerd.sh install|start DIR|ctr DIR ARGS...|stop DIR [RUNTIME...]" ;;
esac
