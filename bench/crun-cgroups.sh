#!/bin/bash
# Run inside a private mount namespace (bench/run.sh starts it with
# `unshare --mount=FILE --propagation private`): give it a /sys/fs/cgroup on
# which crun accepts this hybrid host.  crun refuses hybrid hosts whose
# cgroup2 hierarchy holds controllers ("cgroups in hybrid mode not
# supported"); here hugetlb sits on cgroup2 because it has no v1 mount.
#
# In this namespace only: a fresh tmpfs on /sys/fs/cgroup and the host's v1
# hierarchies mounted again (same options, so the very same hierarchies) with
# the same symlinks, but no cgroup2: crun sees a plain cgroup v1 host and
# places containers in the same v1 hierarchies as on the host.  Nothing
# changes outside the namespace (moving hugetlb to a v1 hierarchy instead
# would be machine-wide, and impossible while cgroup2 has it enabled).
set -euo pipefail
cg=/sys/fs/cgroup
[ "$(stat -fc %T $cg)" = tmpfs ] || { echo "not a hybrid host"; exit 0; }
uni=$cg/unified
[ "$(stat -fc %T $uni 2>/dev/null)" = cgroup2fs ] || { echo "no cgroup2 at $uni"; exit 0; }
held=$(cat $uni/cgroup.controllers)
[ -n "$held" ] || { echo "cgroup2 has no controllers: nothing to do"; exit 0; }

# mount point and options of every v1 hierarchy, and the symlinks beside them
v1=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break
            if ($(i+1) == "cgroup" && index($5, "/sys/fs/cgroup/") == 1) print $5, $(i+3) }' /proc/self/mountinfo)
links=$(find $cg -maxdepth 1 -type l -printf '%f %l\n')

mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup-bench $cg
while read -r mp opts; do
    [ -n "$mp" ] || continue
    opts=$(echo "$opts" | tr ',' '\n' | grep -vx -e rw -e ro | paste -sd, -)
    case $opts in name=*) opts="none,$opts" ;; esac
    mkdir -p "$mp"
    mount -t cgroup -o "$opts" cgroup "$mp"
done <<<"$v1"
while read -r name target; do
    [ -n "$name" ] && ln -s "$target" "$cg/$name"
done <<<"$links"
echo "cgroup v1 only in the bench namespace (cgroup2, holding [$held], not mounted there)"
