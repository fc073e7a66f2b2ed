#!/usr/bin/env bats
# Capabilities (five sets), noNewPrivileges, seccomp (actions, errno, argument
# rules, flags, architectures), masked and read-only paths.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    [ -z "${AGENT_PID:-}" ] || { kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; } || true
    teardown_bundle
}

capline() {   # capline NAME -> the hex mask of /proc/self/status Cap<NAME>
    echo "grep ^Cap$1 /proc/self/status | cut -f2"
}

@test "caps: the five sets are exactly the requested ones" {
    update_config '.process.capabilities = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_AUDIT_WRITE"],
        "effective": ["CAP_KILL", "CAP_CHOWN"],
        "permitted": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"]}'
    run_in "$(capline Bnd); $(capline Eff); $(capline Prm); $(capline Inh); $(capline Amb)"
    assert_success
    # KILL=5 (0x20) CHOWN=0 (0x1) NET_BIND_SERVICE=10 (0x400) AUDIT_WRITE=29 (0x20000000)
    # execve: the ambient capability joins permitted and effective
    assert_line --index 0 0000000020000421
    assert_line --index 1 0000000000000421
    assert_line --index 2 0000000000000421
    assert_line --index 3 0000000000000400
    assert_line --index 4 0000000000000400
}

@test "caps: ambient capabilities survive a non-root user" {
    update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
        "bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
    run_in "id -u; $(capline Eff); $(capline Amb)"
    assert_success
    assert_line --index 0 1000
    assert_line --index 1 0000000000000400
    assert_line --index 2 0000000000000400
}

@test "caps: a capability the effective set lacks is not usable" {
    update_config '.root.readonly = false'
    run_in 'touch /f && chown 1000 /f && echo chowned'
    assert_output --partial 'Operation not permitted'
    update_config '.process.capabilities.effective += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"] | .process.capabilities.bounding += ["CAP_CHOWN"]'
    run_in 'touch /f && chown 1000 /f && echo chowned'
    assert_output chowned
}

@test "caps: an unknown capability fails create" {
    update_config '.process.capabilities.bounding += ["CAP_TEST"]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'unknown capability CAP_TEST'
    assert_no_leftovers "$ID"
}

@test "caps: a capability the runtime itself lacks is left out, not an error" {
    grep -q '^CapBnd:' /proc/self/status
    local bnd
    bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
    # CAP_SYS_RESOURCE is 24
    [ $(( 0x$bnd & (1 << 24) )) -eq 0 ] || skip "this host's bounding set has CAP_SYS_RESOURCE"
    update_config '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"] | .process.capabilities.effective += ["CAP_SYS_RESOURCE"] | .process.capabilities.permitted += ["CAP_SYS_RESOURCE"]'
    run_in "$(capline Eff)"
    assert_success
    assert_output 0000000020000420
}

@test "caps: no capabilities object keeps the runtime's capabilities" {
    update_config 'del(.process.capabilities)'
    run_in "$(capline Eff)"
    assert_success
    assert_output "$(awk '/^CapEff/ { print $2 }' /proc/self/status)"
}

@test "no_new_privs: set and unset" {
    run_in 'grep NoNewPrivs /proc/self/status'
    assert_output --regexp 'NoNewPrivs:[[:space:]]+1'
    update_config '.process.noNewPrivileges = false'
    run_in 'grep NoNewPrivs /proc/self/status'
    assert_output --regexp 'NoNewPrivs:[[:space:]]+0'
}

seccomp() {   # seccomp JSON-profile
    update_config --argjson s "$1" '.linux.seccomp = $s'
}

@test "seccomp: SCMP_ACT_ERRNO with errnoRet, default allow" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
              "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
    run_in 'mkdir /dev/shm/x; grep ^Seccomp: /proc/self/status'
    assert_output --partial 'Function not implemented'
    assert_line --regexp 'Seccomp:[[:space:]]+2'
}

@test "seccomp: SCMP_ACT_ERRNO defaults to EPERM" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
    run_in 'mkdir /dev/shm/x'
    assert_failure
    assert_output --partial 'Operation not permitted'
}

@test "seccomp: defaultAction errno with defaultErrnoRet, allow list" {
    # What the init needs after the filter (fcntl, close_range, execve) and
    # what busybox sh needs to run mkdir; mkdir itself is left out.
    seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 95, "syscalls": [{"names": [
        "arch_prctl", "brk", "clone", "clone3", "execve", "getpid", "getppid", "getrandom", "getuid", "geteuid", "getgid",
        "getegid", "mprotect", "mmap", "munmap", "newfstatat", "fstat", "stat", "prctl", "prlimit64", "readlink", "rseq",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "set_robust_list", "set_tid_address", "uname", "wait4", "write",
        "writev", "read", "exit", "exit_group", "fcntl", "close", "close_range", "dup2", "ioctl", "getcwd", "futex",
        "getpgrp", "setpgid", "vfork", "fork", "open", "openat", "access", "lseek", "sigaltstack", "getdents64"],
        "action": "SCMP_ACT_ALLOW"}]}'
    run_in 'mkdir /dev/shm/x || echo mkdir-refused'
    assert_output --partial 'Operation not supported'
    assert_line mkdir-refused
}

@test "seccomp: SCMP_ACT_KILL_PROCESS and SCMP_ACT_KILL" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
    update_config '.process.args = ["mkdir", "/dev/shm/x"]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq $((128 + 31)) ]
    hull delete --force "$ID" 2>/dev/null || true
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq $((128 + 31)) ]
}

@test "seccomp: SCMP_ACT_TRAP delivers SIGSYS" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRAP"}]}'
    update_config '.process.args = ["mkdir", "/dev/shm/x"]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq $((128 + 31)) ]
}

@test "seccomp: SCMP_ACT_LOG and SCMP_ACT_TRACE (no tracer: ENOSYS)" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_LOG"}, {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_TRACE", "errnoRet": 1}]}'
    run_in 'echo $PPID; mkdir /dev/shm/x'
    assert_line --index 0 0
    assert_output --partial 'Function not implemented'
}

@test "seccomp: argument rules: two conditions on one argument (OR), on two arguments (AND)" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 1, "value": 384, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 416, "op": "SCMP_CMP_EQ"}]},
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
    run_in 'touch /dev/shm/f; chmod 600 /dev/shm/f && echo 600; chmod 640 /dev/shm/f && echo 640; chmod 644 /dev/shm/f && echo 644; kill -0 $$ && echo kill-self; kill -0 0 && echo kill-group'
    refute_line 600
    refute_line 640
    assert_line 644
    refute_line kill-self
    assert_line kill-group
}

@test "seccomp: argument rules: SCMP_CMP_MASKED_EQ (value is the mask, valueTwo the datum)" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 1, "value": 7, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
    run_in 'touch /dev/shm/f; chmod 707 /dev/shm/f && echo 707; chmod 617 /dev/shm/f && echo 617; chmod 706 /dev/shm/f && echo 706'
    refute_line 707
    refute_line 617
    assert_line 706
}

@test "seccomp: flags and unknown syscalls are accepted" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
              "syscalls": [{"names": ["no_such_syscall_at_all", "mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
    run_in 'mkdir /dev/shm/x'
    assert_output --partial 'Operation not permitted'
}

@test "seccomp: the filter comes after the cwd check (getcwd may be blocked)" {
    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}'
    update_config '.process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
}

@test "seccomp: bad profiles fail at create" {
    seccomp '{"defaultAction": "SCMP_ACT_SOMETIMES"}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial SCMP_ACT_SOMETIMES
    assert_no_leftovers "$ID"

    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial SCMP_ARCH_Z80
    assert_no_leftovers "$ID"

    seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial listenerPath
    assert_no_leftovers "$ID"
}

@test "seccomp: SCMP_ACT_NOTIFY sends the listener the container's state, with its id, and the agent answers" {
    container_only "the notify fd goes to a host-side listener from the host's init"
    local agent=$SRC_DIR/build/tools/seccomp_agent sock=$BATS_TEST_TMPDIR/agent.sock state=$BATS_TEST_TMPDIR/state.json
    [ -x "$agent" ] || fail "$agent is not built (make test-tools)"
    "$agent" --state "$state" --errno 28 --ready "$BATS_TEST_TMPDIR/ready" "$sock" 3>&- &
    AGENT_PID=$!
    for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
    seccomp "$(jq -n --arg p "$sock" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p, "listenerMetadata": "meta-x",
                                       "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}')"
    run_in 'mkdir /tmp/notified || echo refused; [ -e /tmp/notified ] || echo absent'
    assert_success
    assert_line refused
    assert_line absent
    wait "$AGENT_PID"
    AGENT_PID=
    jq -e --arg id "$ID" --arg b "$BUNDLE" '.fds == ["seccompFd"] and .metadata == "meta-x" and .state.id == $id
        and .state.bundle == $b and .state.pid > 0' "$state" >/dev/null || fail "state: $(cat "$state")"
}

@test "masked paths: files read as empty, directories are empty and read-only" {
    mkdir -p "$BUNDLE/rootfs/secret-dir"
    echo classified >"$BUNDLE/rootfs/secret-dir/doc"
    echo hidden >"$BUNDLE/rootfs/etc/secret"
    update_config '.linux.maskedPaths = ["/etc/secret", "/secret-dir", "/does/not/exist", "/proc/kcore"]'
    run_in 'echo "[$(cat /etc/secret)]"; ls -A /secret-dir | wc -l; touch /secret-dir/x || echo dir-ro'
    assert_success
    assert_line --index 0 '[]'
    assert_line --index 1 0
    assert_line dir-ro
    [ "$(cat "$BUNDLE/rootfs/etc/secret")" = hidden ]
}

@test "readonly paths: read-only inside, writable outside them" {
    update_config '.root.readonly = false | .linux.readonlyPaths = ["/proc/sys", "/etc", "/nope"]'
    run_in 'echo 1 >/proc/sys/kernel/ns_last_pid || echo sys-ro; touch /etc/x || echo etc-ro; touch /tmp/x && echo tmp-rw'
    assert_line sys-ro
    assert_line etc-ro
    assert_line tmp-rw
}

@test "lsm: an AppArmor profile on a host without AppArmor fails create; an SELinux label without SELinux is ignored" {
    if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
        skip "AppArmor is enabled on this host"
    fi
    update_config '.process.apparmorProfile = "hull-test-profile"'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'AppArmor is not enabled'
    assert_no_leftovers "$ID"

    [ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled on this host"
    update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0" | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
}
