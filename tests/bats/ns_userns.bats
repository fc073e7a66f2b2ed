#!/usr/bin/env bats
# Namespaces: all eight types, new or joined by path (type checked), user
# namespaces with id maps, time namespace offsets.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

@test "userns: id maps, root inside, the host uid outside" {
    userns_config
    update_config '.root.readonly = false'
    run_in 'id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s " " | sed "s/^ //"; touch /created; stat -c %u /created'
    assert_success
    assert_line --index 0 0
    assert_line --index 1 '0 100000 65536'
    assert_line --index 2 '0 100000 65536'
    assert_line --index 3 0
    [ "$(stat -c %u "$BUNDLE/rootfs/created")" = 100000 ]
}

@test "userns: a non-root user inside the user namespace" {
    userns_config
    update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5]}'
    run_in 'id -u; id -g; grep ^Groups /proc/self/status'
    assert_success
    assert_line --index 0 1000
    assert_line --index 1 1000
    assert_line --index 2 --regexp 'Groups:[[:space:]]+5[[:space:]]*$'
}

@test "userns: an unmapped process uid is refused at create" {
    userns_config
    update_config '.process.user.uid = 70000'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'not mapped'
    assert_no_leftovers "$ID"
}

@test "userns: mappings are required with a new user namespace" {
    update_config '.linux.namespaces += [{"type": "user"}]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'uidMappings'
    assert_no_leftovers "$ID"
}

@test "userns: read-only root, proc, sysfs, hostname and sysctl in a user namespace" {
    userns_config
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    run_in 'touch /x || echo root-ro; hostname; cat /proc/sys/net/ipv4/ip_forward; ls /sys/class/net'
    assert_line root-ro
    assert_line hull
    assert_line 1
    assert_line lo
}

@test "namespaces: every type is new" {
    update_config '.linux.namespaces = [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}, {"type": "time"}]'
    userns_config
    run_in 'for n in pid net ipc uts mnt cgroup time user; do echo "$n $(readlink /proc/self/ns/$n)"; done'
    assert_success
    local n
    for n in pid net ipc uts mnt cgroup time user; do
        refute_line "$n $(readlink /proc/self/ns/$n)"
        assert_line --regexp "^$n $n:\[[0-9]+\]$"
    done
}

@test "namespaces: without a pid, network, ipc namespace the host's are shared" {
    update_config '.linux.namespaces = [{"type": "mount"}, {"type": "uts"}]'
    update_config '.mounts |= map(select(.type != "mqueue" and .type != "sysfs"))'
    run_in 'for n in pid net ipc; do echo "$n $(readlink /proc/self/ns/$n)"; done'
    assert_success
    assert_line "pid $(readlink /proc/self/ns/pid)"
    assert_line "net $(readlink /proc/self/ns/net)"
    assert_line "ipc $(readlink /proc/self/ns/ipc)"
}

@test "namespaces: join another container's network, uts, ipc and user namespaces by path" {
    userns_config
    update_config '.process.args = ["sleep", "1000"] | .hostname = "first"'
    hull run --detach --bundle "$BUNDLE" "$ID"
    local pid
    pid=$(hull state "$ID" | jq -r .pid)

    local id2="${ID}-2"
    update_config --arg p "$pid" '.hostname = null | .process.args = ["sh", "-c", "hostname; for n in net uts ipc user; do readlink /proc/self/ns/$n; done"]
        | .linux.namespaces = [{"type": "pid"}, {"type": "mount"}, {"type": "network", "path": "/proc/\($p)/ns/net"},
            {"type": "uts", "path": "/proc/\($p)/ns/uts"}, {"type": "ipc", "path": "/proc/\($p)/ns/ipc"},
            {"type": "user", "path": "/proc/\($p)/ns/user"}]
        | del(.linux.uidMappings) | del(.linux.gidMappings)'
    run hull run --bundle "$BUNDLE" "$id2"
    assert_success
    assert_line --index 0 first
    assert_line --index 1 "$(readlink /proc/$pid/ns/net)"
    assert_line --index 2 "$(readlink /proc/$pid/ns/uts)"
    assert_line --index 3 "$(readlink /proc/$pid/ns/ipc)"
    assert_line --index 4 "$(readlink /proc/$pid/ns/user)"
    hull delete --force "$ID"
}

@test "namespaces: a path of the wrong type, or no namespace at all, is refused" {
    update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'is not a network namespace'
    assert_no_leftovers "$ID"

    update_config '.linux.namespaces |= map(if .type == "network" then .path = "/etc/passwd" else . end)'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'not a namespace'
    assert_no_leftovers "$ID"

    update_config '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end)'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial '/nonexistent/ns'
    assert_no_leftovers "$ID"
}

@test "timens: monotonic and boottime offsets" {
    update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 1728000}}'
    run_in 'cut -d. -f1 /proc/uptime'
    assert_success
    [ "$output" -ge 864000 ]
    [ "$output" -lt $((864000 + $(cut -d. -f1 /proc/uptime) + 60)) ]
}

@test "timens: offsets without a time namespace are refused" {
    update_config '.linux.timeOffsets = {"boottime": {"secs": 10}}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial timeOffsets
    assert_no_leftovers "$ID"
}

@test "namespaces: cgroup namespace root is the container's cgroup" {
    requires cgroup1
    run_in 'grep -E "^[0-9]+:(memory|pids):" /proc/self/cgroup'
    assert_success
    assert_line --regexp '^[0-9]+:memory:/$'
    assert_line --regexp '^[0-9]+:pids:/$'
}

@test "namespaces: none at all: the host's namespaces, nothing mounted, chroot into the rootfs" {
    local before
    before=$(wc -l </proc/self/mountinfo)
    update_config 'del(.linux.namespaces) | del(.hostname) | .process.args = ["sh", "-c", "ls /bin/busybox && echo chrooted"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    assert_line chrooted
    [ "$(wc -l </proc/self/mountinfo)" = "$before" ]
    [ -z "$(ls -A "$BUNDLE/rootfs/proc")" ]
}
