#!/usr/bin/env bats
# ns_exec through `hull exec`: the process joins every namespace of the
# init, its cgroups and root, gets its own user/cwd/env/capabilities, the
# container's seccomp filter, and never an fd of the runtime.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

start_sleeper() {
    update_config '.process.args = ["sleep", "1000"]'
    hull run --detach --bundle "$BUNDLE" "$ID"
    PID=$(hull state "$ID" | jq -r .pid)
}

@test "exec: joins every namespace of the init" {
    update_config '.linux.namespaces += [{"type": "time"}]'
    start_sleeper
    run hull exec "$ID" sh -c 'for n in pid net ipc uts mnt cgroup time user; do echo "$n $(readlink /proc/self/ns/$n)"; done'
    assert_success
    local n
    for n in pid net ipc uts mnt cgroup time user; do
        assert_line "$n $(readlink /proc/$PID/ns/$n)"
    done
}

@test "exec: sees the init as pid 1, the container's root and hostname" {
    start_sleeper
    run hull exec "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; hostname; ls /bin/busybox'
    assert_success
    assert_line --index 0 'sleep 1000 '
    assert_line --index 1 hull
    assert_line --index 2 /bin/busybox
}

@test "exec: is placed in the container's cgroups" {
    requires cgroup1
    start_sleeper
    run hull exec "$ID" sh -c 'cat /proc/self/cgroup'
    assert_success
    local line
    while read -r line; do
        assert_line "$line"
    done < <(grep -E ':(memory|pids|cpu):' "/proc/$PID/cgroup" | sed 's|:/.*$|:/|')
}

@test "exec: user, cwd, env and capabilities of its own" {
    start_sleeper
    run hull exec --user 1000:1000 --cwd /tmp --env FOO=bar "$ID" sh -c 'id -u; pwd; echo $FOO; grep ^CapEff /proc/self/status'
    assert_success
    assert_line --index 0 1000
    assert_line --index 1 /tmp
    assert_line --index 2 bar
    assert_line --index 3 --regexp 'CapEff:[[:space:]]+0000000000000000'
}

@test "exec: the container's seccomp profile applies" {
    update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
    start_sleeper
    run hull exec "$ID" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /dev/shm/x'
    assert_line --regexp 'Seccomp:[[:space:]]+2'
    assert_output --partial 'Function not implemented'
}

@test "exec: a missing executable fails with runc's message" {
    start_sleeper
    run hull exec "$ID" no-such-binary
    assert_failure
    assert_output --partial 'exec: "no-such-binary": executable file not found in $PATH'
}

@test "exec: only stdio and preserved fds reach the process" {
    start_sleeper
    run_exec() {
        hull exec --preserve-fds 1 "$ID" sh -c 'cat <&3; [ -e /proc/self/fd/9 ] && echo fd9-leaked; echo done' \
            3<<<"preserved" 9</
    }
    run run_exec
    assert_success
    assert_line --index 0 preserved
    assert_line --index 1 done
}

@test "exec: a cwd through a leaked fd is refused (CVE-2024-21626)" {
    start_sleeper
    run_exec() {
        hull exec --preserve-fds 1 --cwd /proc/self/fd/3 "$ID" pwd 3</
    }
    run run_exec
    assert_failure
    assert_output --partial 'outside of the container root'
}

@test "exec: with a terminal through the console socket" {
    start_sleeper
    local sock="$BATS_TEST_TMPDIR/tty.sock" out="$BATS_TEST_TMPDIR/tty.out"
    "$SRC_DIR/build/tools/recvtty" --out "$out" --ready "$BATS_TEST_TMPDIR/ready" "$sock" &
    local rpid=$!
    for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
    run hull exec --tty --console-socket "$sock" "$ID" sh -c '[ -t 0 ] && [ -t 1 ] && echo exec-tty'
    assert_success
    wait "$rpid" || true
    run cat "$out"
    assert_output --partial exec-tty
}

@test "exec: into a stopped container fails" {
    update_config '.process.args = ["true"]'
    hull run --detach --bundle "$BUNDLE" "$ID"
    local i
    for i in $(seq 100); do
        [ "$(hull state "$ID" | jq -r .status)" = stopped ] && break
        sleep 0.1
    done
    run hull exec "$ID" true
    assert_failure
}

@test "exec: into a container with a user namespace" {
    local d=$BUNDLE
    while [ "$d" != / ] && [ "$d" != "$(dirname "$BATS_RUN_TMPDIR")" ]; do chmod a+x "$d"; d=$(dirname "$d"); done
    chown -R 100000:100000 "$BUNDLE/rootfs"
    update_config '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
    start_sleeper
    run hull exec "$ID" sh -c 'id -u; readlink /proc/self/ns/user; tr -s " " </proc/self/uid_map'
    assert_success
    assert_line --index 0 0
    assert_line --index 1 "$(readlink /proc/$PID/ns/user)"
    assert_line --index 2 ' 0 100000 65536'
    run hull exec --user 1000:1000 "$ID" id -u
    assert_success
    assert_output 1000
}
