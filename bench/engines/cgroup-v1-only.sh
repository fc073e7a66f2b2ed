#!/bin/bash
# bench/engines/cgroup-v1-only.sh COMMAND...: run COMMAND (exec) in a private
# mount namespace whose /sys/fs/cgroup shows this hybrid host's v1
# hierarchies only (bench/crun-cgroups.sh), where crun accepts the host.
# Used as CONTAINERD_WRAPPER so that one containerd, and every runtime under
# it, sees the same cgroup layout.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: cgroup-v1-only.sh COMMAND..." >&2; exit 2; }
if [ "${_HULL_V1_ONLY:-}" != 1 ]; then
    export _HULL_V1_ONLY=1
    exec unshare --mount --propagation private "$0" "$@"
fi
"$(dirname "$(readlink -f "$0")")/../crun-cgroups.sh" >&2
exec "$@"
