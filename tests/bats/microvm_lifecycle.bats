#!/usr/bin/env bats
# The microVM isolation level through hull's own lifecycle (QEMU as the VMM,
# TCG here): create boots the VM and the guest waits, start releases it,
# kill forwards, delete leaves nothing.  One VM boot per test.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
    command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86"
    "$SRC_DIR/microvm/guest/kernel/build.sh" --print-path >/dev/null 2>&1 \
        || skip "the guest kernel is not built (run: make guest-kernel)"
    export HULL_IMAGE_CACHE=$BATS_FILE_TMPDIR/images
}

setup() {
    requires root qemu
    setup_bundle
    update_config '.annotations["io.hull.isolation"] = "microvm"'
}

teardown() {
    teardown_bundle
    local left
    left=$(pgrep -f "$BATS_TEST_TMPDIR" || true)
    if [ -n "$left" ]; then
        kill -9 $left 2>/dev/null || true
        fail "processes left behind: $left"
    fi
}

teardown_file() {
    rm -rf "$HULL_IMAGE_CACHE"
}

@test "microvm lifecycle: run by annotation boots the guest kernel and returns the exit code" {
    update_config '.process.args = ["sh", "-c", "uname -r; echo hello; exit 4"]'
    local id
    id=$(test_id)
    run hull run -b "$BUNDLE" "$id" </dev/null
    assert_equal "$status" 4
    assert_line --index 0 --regexp 'microvm'
    assert_line --index 1 "hello"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: run with piped stdin: the bytes and their EOF reach the guest process" {
    # A generous bound: before the fix the monitor's stdin was lost and run hung.
    local ID
    ID=$(test_id)
    update_config '.process.args = ["cat"]'
    run --separate-stderr timeout 300 "$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID" < <(printf 'to-guest\nline two\n')
    assert_success
    assert_output "$(printf 'to-guest\nline two')"
    assert_no_leftovers "$ID"
    update_config '.process.args = ["wc", "-c"]'
    run --separate-stderr timeout 300 "$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID" < <(head -c 100000 /dev/zero)
    assert_success
    assert_equal "$(echo $output)" 100000
    assert_no_leftovers "$ID"
}

@test "microvm lifecycle: create waits, start runs, kill forwards, delete cleans up" {
    update_config '.process.args = ["sh", "-c", "trap \"echo got-term; exit 7\" TERM; echo up; while :; do sleep 0.1; done"]'
    local id out=$BATS_TEST_TMPDIR/out
    id=$(test_id)
    hull create -b "$BUNDLE" "$id" </dev/null >"$out" 2>&1
    run hull state "$id"
    assert_success
    [ "$(echo "$output" | jq -r .status)" = created ]
    local pid
    pid=$(echo "$output" | jq -r .pid)
    # QEMU runs as a child of the init pid, inside the container's cgroup.
    pgrep -P "$pid" -f qemu-system-x86_64 >/dev/null || fail "no QEMU under the init pid $pid"
    ! grep -q up "$out" || fail "the process ran before start"
    # exec works in a created container (as runc's does).
    run hull exec "$id" sh -c 'echo exec-before-start; exit 3'
    assert_equal "$status" 3
    assert_output "exec-before-start"

    hull start "$id"
    wait_for_status "$id" running
    local i
    for ((i = 0; i < 600; i++)); do grep -q up "$out" && break; sleep 0.1; done
    grep -q up "$out" || fail "the process never ran: $(cat "$out")"

    hull kill "$id" TERM
    wait_for_status "$id" stopped 60
    grep -q got-term "$out" || fail "SIGTERM did not reach the guest process: $(cat "$out")"
    hull delete "$id"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: SIGKILL before start ends the VM" {
    update_config '.process.args = ["sh", "-c", "echo never"]'
    local id
    id=$(test_id)
    hull create -b "$BUNDLE" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
    hull kill "$id" KILL
    wait_for_status "$id" stopped 30
    hull delete "$id"
    assert_no_leftovers "$id"
    ! grep -q never "$BATS_TEST_TMPDIR/out"
}

@test "microvm lifecycle: a bad io.hull.vm.cpus value is a clear error and nothing is left" {
    update_config '.annotations["io.hull.vm.cpus"] = "lots"'
    local id
    id=$(test_id)
    run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
    assert_failure
    [[ "$stderr" == *"io.hull.vm.cpus: \`lots\` is not a number"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: terminal: true gives the process a pty of the configured size" {
    update_config '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}
                   | .process.args = ["sh", "-c", "tty; stty size; [ -t 1 ] && echo stdout-is-tty; exit 6"]'
    local id
    id=$(test_id)
    run hull run -b "$BUNDLE" "$id" </dev/null
    assert_equal "$status" 6
    assert_output --partial "/dev/pts/0"
    assert_output --partial "30 100"
    assert_output --partial "stdout-is-tty"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: unknown io.hull.vm.* keys and io.hull.vmm values are refused before any boot" {
    local id
    id=$(test_id)
    update_config '.annotations["io.hull.vm.cpu"] = "2"'
    run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
    assert_failure
    [[ "$stderr" == *"unknown annotation \`io.hull.vm.cpu\`"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$id"
    update_config 'del(.annotations["io.hull.vm.cpu"]) | .annotations["io.hull.vmm"] = "firecracker"'
    run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
    assert_failure
    [[ "$stderr" == *"io.hull.vmm=\`firecracker\`: use qemu or builtin"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: a rootfs too large for io.hull.vm.disk-size is a clear error and nothing is left" {
    head -c $((6 * 1024 * 1024)) /dev/urandom >"$BUNDLE/rootfs/big"
    update_config '.annotations["io.hull.vm.disk-size"] = "4"'
    local id
    id=$(test_id)
    run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
    assert_failure
    [[ "$stderr" == *"more than the image size of 4 MiB"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: a guest that cannot boot fails create with the console's last words" {
    "$SRC_DIR/build/microvm/mkinitramfs" dir dev 0755 nod dev/console 0600 c 5 1 | gzip -n >"$BATS_TEST_TMPDIR/empty.cpio.gz"
    local id
    id=$(test_id)
    HULL_GUEST_INITRD=$BATS_TEST_TMPDIR/empty.cpio.gz run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
    assert_failure
    [[ "$stderr" == *"before the guest reported"*"guest console:"*"Kernel panic"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: a container in a netns with a veth (as podman/CNI set up) reaches its peer" {
    command -v tc >/dev/null || skip "needs tc (iproute2)"
    veth_netns vl 10.231.9
    ip netns exec "$HNS" timeout 120 "$BUSYBOX" nc -l -p 7778 >"$BATS_TEST_TMPDIR/received" &
    update_config --arg ns "/var/run/netns/$CNS" '.process.args = ["sh", "-c", "echo via-hull | nc -w 10 10.231.9.1 7778"]
        | .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)'
    local id
    id=$(test_id)
    run hull run -b "$BUNDLE" "$id" </dev/null
    wait
    assert_success
    assert_equal "$(cat "$BATS_TEST_TMPDIR/received")" "via-hull"
    run ip -n "$CNS" link show
    refute_output --partial "hulltap"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: exec runs processes in the running guest, with stdio, exit codes and errors" {
    update_config '.process.args = ["sh", "-c", "while [ ! -e /tmp/stop ]; do sleep 0.1; done; echo main-done"]
                   | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
    local id
    id=$(test_id)
    hull run -d -b "$BUNDLE" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
    wait_for_status "$id" running

    run --separate-stderr hull exec "$id" sh -c 'echo exec-out; echo exec-err >&2; cat /proc/1/comm; exit 3'
    assert_equal "$status" 3
    assert_equal "$output" "$(printf 'exec-out\ninit')"
    assert_equal "$stderr" "exec-err"

    run hull exec "$id" sh -c 'cat; echo eof' < <(printf 'to-guest\n')
    assert_success
    assert_output "$(printf 'to-guest\neof')"

    run -127 --separate-stderr hull exec "$id" /no/such/binary
    [[ "$stderr" == *"exec \`/no/such/binary\`"* ]] || fail "stderr: $stderr"

    # pause freezes the VMM in the container's cgroup; ps lists it.
    hull pause "$id"
    wait_for_status "$id" paused
    hull resume "$id"
    wait_for_status "$id" running
    run hull exec "$id" echo after-resume
    assert_output "after-resume"
    run hull ps "$id"
    assert_output --partial "qemu-system-x86_64"

    hull exec "$id" touch /tmp/stop
    wait_for_status "$id" stopped 60
    grep -q main-done "$BATS_TEST_TMPDIR/out"
    hull delete "$id"
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: the six hooks run in order (createContainer and startContainer in the VMM's namespaces)" {
    local log=$BATS_TEST_TMPDIR/hooks.log hook=$BATS_TEST_TMPDIR/hook.sh k
    printf '#!/bin/sh\necho "$1 $(cat | jq -r .status)" >> "$2"\n' >"$hook"
    chmod +x "$hook"
    for k in prestart createRuntime createContainer startContainer poststart poststop; do
        update_config --arg k "$k" --arg p "$hook" --arg l "$log" '.hooks[$k] += [{"path": $p, "args": [$p, $k, $l]}]'
    done
    update_config '.process.args = ["true"]'
    local id
    id=$(test_id)
    hull create -b "$BUNDLE" "$id" </dev/null
    assert_equal "$(awk '{print $1}' "$log" | tr '\n' ' ')" "prestart createRuntime createContainer "
    hull start "$id"
    wait_for_status "$id" stopped 60
    hull delete "$id"
    assert_equal "$(awk '{print $1}' "$log" | tr '\n' ' ')" \
        "prestart createRuntime createContainer startContainer poststart poststop "
    assert_no_leftovers "$id"
}

@test "microvm lifecycle: io.hull.vmm=builtin boots with hardware KVM, and is refused clearly without it" {
    update_config '.annotations["io.hull.vmm"] = "builtin" | .process.args = ["sh", "-c", "uname -r; exit 6"]'
    local id
    id=$(test_id)
    if grep -qwE 'vmx|svm' /proc/cpuinfo; then
        run hull run -b "$BUNDLE" "$id" </dev/null
        assert_equal "$status" 6
        assert_output --regexp 'microvm'
    else
        run --separate-stderr hull create -b "$BUNDLE" "$id" </dev/null
        assert_failure
        [[ "$stderr" == *"io.hull.vmm=builtin needs hardware KVM"*"use io.hull.vmm=qemu"* ]] || fail "stderr: $stderr"
    fi
    assert_no_leftovers "$id"
}
