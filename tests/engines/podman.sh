#!/bin/bash
# A private podman for tests and benchmarks: storage, run root, libpod
# database, events log, volumes and network configs all live under one
# directory, the network is "none" (no registry, no CNI, no netavark needed),
# cgroups go through cgroupfs, and `clean` leaves nothing behind.
#
#   tests/engines/podman.sh install                 apt-get install podman if missing
#   tests/engines/podman.sh setup DIR               write DIR's configuration
#   tests/engines/podman.sh podman DIR ARGS...      podman against DIR (add --runtime yourself)
#   tests/engines/podman.sh clean DIR [RUNTIME...]
#       remove every container (podman rm -fa), `RUNTIME delete --force`
#       whatever a runtime still holds for them, stop conmon, unmount the
#       storage, remove podman's cgroups and DIR.
#
# podman passes no --root to the runtime: the runtime keeps its state in its
# default directory (/run/hull for hull).
set -uo pipefail

die() { echo "podman.sh: $*" >&2; exit 1; }

podman_in() {
    local dir=$1; shift
    CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
        CONTAINERS_REGISTRIES_CONF=$dir/registries.conf podman "$@"
}

install() {
    dpkg-query -W -f='${Status}\n' podman 2>/dev/null | grep -qx 'install ok installed' && return 0
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends podman >&2 \
        || { apt-get -q update >&2 && DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends podman >&2; }
}

setup() {
    local dir=$1
    command -v podman >/dev/null && command -v conmon >/dev/null || die "podman is not installed"
    mkdir -p "$dir"/{root,runroot,tmp,static,volumes,networks}
    # podman asks root's containers for RLIMIT_NOFILE and RLIMIT_NPROC
    # 1048576; without CAP_SYS_RESOURCE no runtime (runc, crun, hull) may
    # raise a hard limit above its own, so the engine is configured with the
    # limits it can have.
    local nofile nproc
    nofile=$(ulimit -Hn)
    [ "$nofile" = unlimited ] && nofile=$(cat /proc/sys/fs/nr_open)
    # podman 4.3 itself lowers its RLIMIT_NPROC to 32768 at start, and that
    # is the hard limit the runtime inherits.
    nproc=$(ulimit -Hu)
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
    cat >"$dir/storage.conf" <<TOML
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/runroot"
TOML
    cat >"$dir/containers.conf" <<TOML
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = [ "nofile=$nofile:$nofile", "nproc=$nproc:$nproc" ]
[engine]
# The default shm locks live in one /dev/shm/libpod_lock for every podman on
# the host: two private podmans would share lock numbers.  File locks live in
# tmp_dir.
lock_type = "file"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
static_dir = "$dir/static"
volume_path = "$dir/volumes"
[network]
network_config_dir = "$dir/networks"
TOML
    echo 'unqualified-search-registries = []' >"$dir/registries.conf"
}

# conmon and the `podman container cleanup` it runs when a container exits:
# every process whose command line names a path under DIR.
engine_pids() {
    local dir=$1 p
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = $$ ] && continue
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$dir/" && echo "${p#/proc/}"
    done
}

clean() {
    local dir=$1; shift
    local runtimes=("$@") ids=() id rt pid m cg i
    [ -f "$dir/containers.conf" ] || { rm -rf "$dir"; return 0; }
    mapfile -t ids < <(podman_in "$dir" ps -aq --no-trunc 2>/dev/null)
    [ ${#ids[@]} -eq 0 ] || timeout 120 podman_in "$dir" rm -f -t 0 "${ids[@]}" >/dev/null 2>&1
    # What a runtime still holds for these containers (podman's state lost
    # track of it, a failed create).
    for id in "${ids[@]}"; do
        for rt in "${runtimes[@]}"; do
            "$rt" delete --force "$id" >/dev/null 2>&1 && break
        done
    done
    # Give the cleanups of containers that just exited (run --rm) their
    # time, then stop whatever is left.
    for ((i = 0; i < 300; i++)); do
        [ -z "$(engine_pids "$dir")" ] && break
        sleep 0.1
    done
    for pid in $(engine_pids "$dir"); do
        kill -KILL "$pid" 2>/dev/null
        for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    timeout 60 podman_in "$dir" system reset --force >/dev/null 2>&1
    for m in $(awk -v d="$dir" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    # cgroupfs puts containers (libpod-ID) and conmon under libpod_parent:
    # remove our containers' cgroups, then the shared parents if nobody else
    # (another podman on the host) still uses them; rmdir refuses a cgroup
    # that has tasks or children.
    for cg in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
        [ -d "$cg" ] || continue
        for id in "${ids[@]}"; do
            [ -d "$cg/libpod-$id" ] && find "$cg/libpod-$id" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
        rmdir "$cg/conmon" "$cg" 2>/dev/null
    done
    rm -rf "$dir"
    return 0
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install) install ;;
setup) [ $# -eq 1 ] || die "usage: podman.sh setup DIR"; setup "$1" ;;
clean) [ $# -ge 1 ] || die "usage: podman.sh clean DIR [RUNTIME...]"; clean "$@" ;;
podman) [ $# -ge 1 ] || die "usage: podman.sh podman DIR ARGS..."; podman_in "$@" ;;
*) die "usage: podman.sh install|setup DIR|podman DIR ARGS...|clean DIR [RUNTIME...]" ;;
esac
