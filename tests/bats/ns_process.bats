#!/usr/bin/env bats
# process.*: args and PATH lookup, env, cwd, user, rlimits, umask, hostname,
# domainname, sysctl, personality, oomScoreAdj, terminal, preserved fds.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

@test "process: args run with the env of the config, nothing else" {
    update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
    run_in 'env | sort'
    assert_success
    assert_line 'FOO=bar baz'
    assert_line 'PATH=/bin'
    assert_line 'EMPTY='
    refute_output --partial BATS_
    refute_output --partial HULL_ROOT
}

@test "process: the executable is looked up in the container's PATH from process.env" {
    mkdir -p "$BUNDLE/rootfs/opt/tools"
    printf '#!/bin/sh\necho found-in-opt\n' >"$BUNDLE/rootfs/opt/tools/mytool"
    chmod +x "$BUNDLE/rootfs/opt/tools/mytool"
    update_config '.process.env = ["PATH=/opt/tools:/bin"] | .process.args = ["mytool"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    assert_output found-in-opt
}

@test "process: a missing executable fails at create with runc's message and leaves nothing" {
    update_config '.process.args = ["no-such-binary"]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'exec: "no-such-binary": executable file not found in $PATH'
    assert_no_leftovers "$ID"
    run hull state "$ID"
    assert_failure
}

@test "process: a missing absolute executable fails at create" {
    update_config '.process.args = ["/bin/nope"]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial '/bin/nope'
    assert_no_leftovers "$ID"
}

@test "process: cwd is honoured and created when missing" {
    update_config '.process.cwd = "/work/dir"'
    run_in 'pwd'
    assert_success
    assert_output /work/dir
    # In a microVM the writes stay in the VM's copy of the rootfs image.
    [ "$HULL_ISOLATION" = microvm ] || [ -d "$BUNDLE/rootfs/work/dir" ]
}

@test "process: relative cwd is refused" {
    update_config '.process.cwd = "tmp"'
    run_in 'pwd'
    assert_failure
}

@test "process: user, group and additionalGids" {
    update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534]}'
    run_in 'id -u; id -g; cat /proc/self/status | grep ^Groups'
    assert_success
    assert_line --index 0 1000
    assert_line --index 1 1000
    assert_line --index 2 --regexp '^Groups:[[:space:]]+5 65534[[:space:]]*$'
}

@test "process: a non-root user drops every capability that is not ambient" {
    update_config '.process.user = {"uid": 1000, "gid": 1000}'
    run_in 'grep -E "^Cap(Eff|Prm)" /proc/self/status'
    assert_success
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
}

@test "process: rlimits are applied" {
    update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}, {"type": "RLIMIT_NPROC", "soft": 77, "hard": 78}]'
    run_in 'ulimit -n; ulimit -Hn; ulimit -u'
    assert_success
    assert_line --index 0 123
    assert_line --index 1 456
    assert_line --index 2 77
}

@test "process: raising RLIMIT_NOFILE above the hard limit fails at create naming the rlimit" {
    container_only "the limit is the host's hard RLIMIT_NOFILE, which root here cannot raise without CAP_SYS_RESOURCE; a microVM's process gets its rlimits from the guest kernel, whose root may raise them"
    local hard
    hard=$(ulimit -Hn)
    [ "$hard" != unlimited ] || skip "hard RLIMIT_NOFILE is unlimited here"
    update_config --argjson h "$((hard + 1))" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial RLIMIT_NOFILE
    assert_no_leftovers "$ID"
}

@test "process: an unknown rlimit is refused" {
    update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial RLIMIT_BOGUS
    assert_no_leftovers "$ID"
}

@test "process: umask" {
    update_config '.process.user.umask = 63 | .root.readonly = false'
    run_in 'umask; touch /tmp/f; stat -c %a /tmp/f'
    assert_success
    assert_line --index 0 0077
    assert_line --index 1 600
}

@test "process: hostname and domainname" {
    update_config '.hostname = "box1" | .domainname = "example.org"'
    run_in 'hostname; cat /proc/sys/kernel/domainname'
    assert_success
    assert_line --index 0 box1
    assert_line --index 1 example.org
    [ "$(hostname)" != box1 ]
}

@test "process: hostname without a uts namespace is refused" {
    container_only "without a UTS namespace the hostname would be the host's; a microVM's hostname is the guest kernel's own, whatever the namespaces"
    update_config '.linux.namespaces |= map(select(.type != "uts"))'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'UTS namespace'
    assert_no_leftovers "$ID"
}

@test "process: sysctl in the container's namespaces" {
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "12345678", "kernel.domainname": "sysctl.example"}'
    run_in 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/domainname'
    assert_success
    assert_line --index 0 1
    assert_line --index 1 12345678
    assert_line --index 2 sysctl.example
    [ "$(cat /proc/sys/kernel/shmmax)" != 12345678 ]
}

@test "process: sysctl outside the container's namespaces is refused at create" {
    container_only "vm.swappiness would be the host's; in a microVM every sysctl is the guest kernel's own (microvm/README.md)"
    update_config '.linux.sysctl = {"vm.swappiness": "10"}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial vm.swappiness
    assert_no_leftovers "$ID"

    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial net.ipv4.ip_forward
    assert_no_leftovers "$ID"
}

@test "process: personality LINUX32" {
    update_config '.linux.personality = {"domain": "LINUX32"}'
    run_in 'uname -m'
    assert_success
    assert_output i686
}

@test "process: oomScoreAdj" {
    update_config '.process.oomScoreAdj = 421'
    run_in 'cat /proc/self/oom_score_adj'
    assert_success
    assert_output 421
}

@test "process: ioPriority and scheduler" {
    update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0} | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
    # policy is field 41 of stat (/proc/PID/sched needs CONFIG_SCHED_DEBUG,
    # which the microVM guest kernel does not have)
    run_in 'ionice -p $$; cut -d" " -f41 /proc/self/stat; cut -d" " -f19 /proc/self/stat'
    assert_success
    assert_line --index 0 idle
    assert_line --index 1 3
    assert_line --index 2 7
}

@test "process: execCPUAffinity final" {
    update_config '.process.execCPUAffinity = {"final": "0"}'
    run_in 'grep Cpus_allowed_list /proc/self/status'
    assert_success
    assert_output --regexp 'Cpus_allowed_list:[[:space:]]+0$'
}

@test "process: noNewPrivileges" {
    run_in 'grep NoNewPrivs /proc/self/status'
    assert_output --regexp 'NoNewPrivs:[[:space:]]+1'
    update_config '.process.noNewPrivileges = false'
    run_in 'grep NoNewPrivs /proc/self/status'
    assert_output --regexp 'NoNewPrivs:[[:space:]]+0'
}

@test "process: the exit status of the process is the status of run" {
    run_in 'exit 7'
    [ "$status" -eq 7 ]
}

@test "process: terminal true with a console socket gives a pty as stdio and /dev/console" {
    local sock="$BATS_TEST_TMPDIR/tty.sock" out="$BATS_TEST_TMPDIR/tty.out"
    "$SRC_DIR/build/tools/recvtty" --out "$out" --ready "$BATS_TEST_TMPDIR/ready" "$sock" &
    local rpid=$!
    for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
    update_config '.process.terminal = true | .process.consoleSize = {"height": 31, "width": 97}
                   | .process.args = ["sh", "-c", "tty; stty size; [ -t 0 ] && [ -t 1 ] && echo both-ttys; ls -l /dev/console | cut -c1"]'
    run hull run --console-socket "$sock" --bundle "$BATS_TEST_TMPDIR/bundle" "$ID"
    assert_success
    wait "$rpid" || true
    run cat "$out"
    assert_line --partial /dev/pts/0
    assert_line --partial '31 97'
    assert_line --partial both-ttys
    assert_line --partial c
}

@test "process: --preserve-fds keeps fd 3 and nothing else leaks" {
    if [ "$HULL_ISOLATION" = microvm ]; then
        assert_microvm_refuses_preserve_fds
        return
    fi
    echo preserved-content >"$BATS_TEST_TMPDIR/pfile"
    run_preserve() {
        hull run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/pfile" 9</dev/null
    }
    update_config '.process.args = ["sh", "-c", "cat <&3; [ -e /proc/self/fd/9 ] && echo fd9-leaked; echo done"]'
    run run_preserve
    assert_success
    assert_line --index 0 preserved-content
    assert_line --index 1 done
}

@test "process: a cwd reached through a leaked host fd is refused (CVE-2024-21626)" {
    run_leak() {
        hull run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3</
    }
    update_config '.process.cwd = "/proc/self/fd/3" | .process.args = ["sh", "-c", "pwd; ls"]'
    run run_leak
    assert_failure
    # A host fd never reaches a microVM: there the cwd is simply missing.
    [ "$HULL_ISOLATION" = microvm ] || assert_output --partial 'outside of the container root'
    assert_no_leftovers "$ID"
}

@test "process: HOME comes from the container's /etc/passwd when env has none" {
    update_config '.process.user = {"uid": 1000, "gid": 1000}'
    run_in 'echo "$HOME"'
    assert_success
    assert_output /home/user
    update_config '.process.env += ["HOME=/custom"]'
    run_in 'echo "$HOME"'
    assert_output /custom
    update_config '.process.user = {"uid": 4242, "gid": 4242} | .process.env = ["PATH=/bin"]'
    run_in 'echo "$HOME"'
    assert_output /
}

@test "process: lowering oomScoreAdj without CAP_SYS_RESOURCE fails at create with a clear error" {
    container_only "the refusal comes from the host's bounding set, which lacks CAP_SYS_RESOURCE; a microVM's oomScoreAdj is set by the guest kernel's root, which holds it"
    local bnd
    bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
    [ $(( 0x$bnd & (1 << 24) )) -eq 0 ] || skip "this host's bounding set has CAP_SYS_RESOURCE"
    update_config --argjson v "$(( $(cat /proc/self/oom_score_adj) - 100 ))" '.process.oomScoreAdj = $v'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'CAP_SYS_RESOURCE'
    assert_no_leftovers "$ID"
}
