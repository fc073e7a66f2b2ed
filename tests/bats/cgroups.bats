#!/usr/bin/env bats
# cgroups through `hull run`: placement, every resource the host has (read
# back from the cgroup files and from inside the container), behaviour (an
# OOM kill, pids.max against a fork bomb), bad values leave nothing behind.

load helpers

setup() {
    requires root cgroup1
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

# The host path of hierarchy $2 (memory, pids, ... or "" for cgroup2) for pid $1.
cgroup_dir_of() {
    local pid=$1 key=$2 rel mount
    rel=$(awk -F: -v k="$key" '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == k) print $3; if (k == "" && $1 == "0") print $3 }' "/proc/$pid/cgroup" | head -1)
    if [ -z "$key" ]; then mount=/sys/fs/cgroup/unified; else mount=/sys/fs/cgroup/$key; fi
    echo "$mount$rel"
}

run_detached() {   # start the container with `sleep` as its process and print its pid
    update_config '.process.args = ["sleep", "1000"]'
    hull run --detach --bundle "$BUNDLE" "$ID" >/dev/null
    hull state "$ID" | jq -r .pid
}

@test "cgroups: default path is the container id under hull's own cgroup, as runc" {
    local pid own
    pid=$(run_detached)
    own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
    [ "$(cgroup_dir_of "$pid" memory)" = "/sys/fs/cgroup/memory${own%/}/$ID" ]
    [ "$(cgroup_dir_of "$pid" pids)" = "/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" { print $3 }' /proc/self/cgroup | sed 's|/$||')/$ID" ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: absolute cgroupsPath is used as is in every hierarchy, cgroup2 included" {
    local pid
    update_config ".linux.cgroupsPath = \"/hulltest-$ID/ctr\""
    pid=$(run_detached)
    [ "$(cgroup_dir_of "$pid" memory)" = "/sys/fs/cgroup/memory/hulltest-$ID/ctr" ]
    [ "$(cgroup_dir_of "$pid" freezer)" = "/sys/fs/cgroup/freezer/hulltest-$ID/ctr" ]
    [ "$(cgroup_dir_of "$pid" "")" = "/sys/fs/cgroup/unified/hulltest-$ID/ctr" ]
    hull delete --force "$ID"
    [ ! -d "/sys/fs/cgroup/memory/hulltest-$ID/ctr" ]
    find /sys/fs/cgroup -maxdepth 2 -name "hulltest-$ID" -type d -delete
}

@test "cgroups: the systemd form of cgroupsPath is refused with a clear error" {
    update_config '.linux.cgroupsPath = "system.slice:hull:x"'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "systemd form"
    assert_no_leftovers "$ID"
}

@test "cgroups: memory, cpu, pids and blkio limits land in the cgroup files" {
    local pid mem cpu pids blkio disk major minor
    disk=$(ls /sys/block | grep -v '^loop' | head -1)
    [ -n "$disk" ] || skip "no block device"
    IFS=: read -r major minor <"/sys/block/$disk/dev"
    update_config '.linux.resources.memory = { "limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 10 }
        | .linux.resources.cpu = { "shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0" }
        | .linux.resources.pids = { "limit": 40 }
        | .linux.resources.blockIO = { "throttleReadBpsDevice": [ { "major": '"$major"', "minor": '"$minor"', "rate": 1048576 } ] }'
    pid=$(run_detached)
    mem=$(cgroup_dir_of "$pid" memory)
    cpu=$(cgroup_dir_of "$pid" cpu)
    pids=$(cgroup_dir_of "$pid" pids)
    blkio=$(cgroup_dir_of "$pid" blkio)
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$mem/memory.soft_limit_in_bytes")" = 33554432 ]
    [ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 134217728 ]
    [ "$(cat "$mem/memory.swappiness")" = 10 ]
    [ "$(cat "$cpu/cpu.shares")" = 512 ]
    [ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ]
    [ "$(cat "$(cgroup_dir_of "$pid" cpuset)/cpuset.cpus")" = 0 ]
    [ "$(cat "$pids/pids.max")" = 40 ]
    grep -qx "$major:$minor 1048576" "$blkio/blkio.throttle.read_bps_device"
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: device rules: /dev/null usable, a denied device refused inside the container" {
    update_config '.process.args = ["sh", "-c", "echo ok >/dev/null && mknod /dev/hostdisk b 254 0 && head -c1 /dev/hostdisk; echo rc=$?"]
        | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
        | .process.capabilities.permitted += ["CAP_MKNOD"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_output --partial "Operation not permitted"
    assert_output --partial "rc=1"
    assert_no_leftovers "$ID"
}

@test "cgroups: a linux.devices entry is allowed in the device cgroup, as runc does" {
    [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
    update_config '.linux.devices = [ { "path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438 } ]
        | .process.args = ["sh", "-c", "exec 3<>/dev/fuse && echo opened"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    assert_output "opened"
    assert_no_leftovers "$ID"
}

@test "cgroups: --debug says which cgroup layout was found" {
    update_config '.process.args = ["true"]'
    run hull --debug run --bundle "$BUNDLE" "$ID"
    assert_success
    assert_output --regexp "cgroups: (v1|v2|hybrid)"
    assert_no_leftovers "$ID"
}

@test "cgroups: a memory hog is OOM-killed at memory.limit" {
    update_config '.linux.resources.memory = { "limit": 16777216, "swap": 16777216 }
        | .process.args = ["sh", "-c", "x=0123456789abcdef; while true; do x=$x$x; done"]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 137 ]
    assert_no_leftovers "$ID"
}

@test "cgroups: a fork bomb stops at pids.max" {
    # The inner shell forks until the kernel refuses; the outer one stays.
    update_config '.linux.resources.pids = { "limit": 20 }
        | .process.args = ["sh", "-c", "sh -c \"while true; do sleep 60 & done\"; sleep 1000"]'
    hull run --detach --bundle "$BUNDLE" "$ID" >/dev/null
    local pid pids i refused=0
    pid=$(hull state "$ID" | jq -r .pid)
    pids=$(cgroup_dir_of "$pid" pids)
    for ((i = 0; i < 300; i++)); do
        refused=$(awk '$1 == "max" { print $2 }' "$pids/pids.events")
        [ "$refused" -gt 0 ] && break
        sleep 0.1
    done
    [ "$refused" -gt 0 ]
    [ "$(cat "$pids/pids.current")" -le 20 ]
    [ "$(cat "$pids/pids.current")" -ge 2 ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: an invalid resource value is a clear error and leaves nothing" {
    update_config '.linux.resources.memory = { "limit": 104857600, "swap": 1048576 }'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "linux.resources.memory.swap"
    assert_no_leftovers "$ID"
}

@test "cgroups: a controller this host lacks is a clear error naming it" {
    [ -d /sys/fs/cgroup/net_cls ] && skip "net_cls is mounted here"
    update_config '.linux.resources.network = { "classID": 1048577 }'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "net_cls"
    assert_no_leftovers "$ID"
}

@test "cgroups: hugepage limits land on cgroup2 where the host keeps hugetlb" {
    grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "hugetlb is not on cgroup2 here"
    [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
    update_config '.linux.resources.hugepageLimits = [ { "pageSize": "2MB", "limit": 4194304 } ]'
    local pid
    pid=$(run_detached)
    [ "$(cat "$(cgroup_dir_of "$pid" "")/hugetlb.2MB.max")" = 4194304 ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: delete removes sub-cgroups the workload created" {
    local pid mem
    pid=$(run_detached)
    mem=$(cgroup_dir_of "$pid" memory)
    mkdir -p "$mem/child/grandchild"
    echo "$pid" >"$mem/child/grandchild/cgroup.procs"
    hull delete --force "$ID"
    [ ! -d "$mem" ]
    assert_no_leftovers "$ID"
}

# A detached container counting into /dev/count (a tmpfs): prints its pid.
run_counter() {
    update_config '.process.args = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i >/dev/count; done"]'
    hull run --detach --bundle "$BUNDLE" "$ID" >/dev/null
    hull state "$ID" | jq -r .pid
}

counter_of() {
    cat "/proc/$1/root/dev/count" 2>/dev/null || echo 0
}

@test "cgroups: pause freezes the container (a counter stops), resume thaws it" {
    hull pause --help >/dev/null 2>&1 || skip "hull has no pause command yet"
    local pid a b c i
    pid=$(run_counter)
    for ((i = 0; i < 300; i++)); do [ "$(counter_of "$pid")" -gt 0 ] && break; sleep 0.1; done
    hull pause "$ID"
    wait_for_status "$ID" paused 30
    [ "$(cat "$(cgroup_dir_of "$pid" freezer)/freezer.state")" = FROZEN ]
    a=$(counter_of "$pid")
    sleep 0.5
    b=$(counter_of "$pid")
    [ "$a" = "$b" ]
    hull resume "$ID"
    wait_for_status "$ID" running 30
    for ((i = 0; i < 300; i++)); do
        c=$(counter_of "$pid")
        [ "$c" != "$b" ] && break
        sleep 0.1
    done
    [ "$c" != "$b" ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: delete --force of a paused container removes everything" {
    hull pause --help >/dev/null 2>&1 || skip "hull has no pause command yet"
    run_counter >/dev/null
    hull pause "$ID"
    wait_for_status "$ID" paused 30
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: update changes the limits in the cgroup files" {
    hull update --help >/dev/null 2>&1 || skip "hull has no update command yet"
    local pid mem pids
    update_config '.linux.resources.memory = { "limit": 67108864 } | .linux.resources.pids = { "limit": 40 }'
    pid=$(run_detached)
    mem=$(cgroup_dir_of "$pid" memory)
    pids=$(cgroup_dir_of "$pid" pids)
    hull update --memory 100M --pids-limit 50 "$ID"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 104857600 ]
    [ "$(cat "$pids/pids.max")" = 50 ]
    echo '{ "memory": { "limit": 83886080 }, "cpu": { "shares": 256 } }' | hull update --resources - "$ID"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 83886080 ]
    [ "$(cat "$(cgroup_dir_of "$pid" cpu)/cpu.shares")" = 256 ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: an invalid update is a clear error and changes nothing" {
    hull update --help >/dev/null 2>&1 || skip "hull has no update command yet"
    local pid mem pids
    update_config '.linux.resources.memory = { "limit": 67108864 } | .linux.resources.pids = { "limit": 40 }'
    pid=$(run_detached)
    mem=$(cgroup_dir_of "$pid" memory)
    pids=$(cgroup_dir_of "$pid" pids)
    run hull update --resources - "$ID" <<<'{ "pids": { "limit": 77 }, "memory": { "limit": 104857600, "swap": 1048576 } }'
    assert_failure
    assert_output --partial "memory.swap"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$pids/pids.max")" = 40 ]
    # a value the kernel refuses after other values were written: those are put back
    run hull update --resources - "$ID" <<<'{ "memory": { "limit": 104857600 }, "cpu": { "cpus": "999" } }'
    assert_failure
    assert_output --partial "cpu.cpus"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "cgroups: events --stats reports memory and pids from the cgroup" {
    hull events --help >/dev/null 2>&1 || skip "hull has no events command yet"
    update_config '.linux.resources.memory = { "limit": 67108864 } | .linux.resources.pids = { "limit": 40 }'
    run_detached >/dev/null
    run hull events --stats "$ID"
    assert_success
    echo "$output" | jq -e '.type == "stats" and .data.memory.usage.limit == 67108864 and .data.pids.current >= 1 and .data.pids.limit == 40'
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}
