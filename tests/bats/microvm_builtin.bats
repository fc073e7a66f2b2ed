#!/usr/bin/env bats
# The microVM level with hull's own VMM (io.hull.vmm=builtin) through the
# whole lifecycle, on any KVM.  Linux guests need hardware KVM, so the guest
# here is the test guest's hull-agent scenario (microvm/vmm/testguest/
# hull_agent.c): it speaks the control protocol as hull-init does and plays
# the process its args describe ("exit N", "wait", or echo its args).  What
# is real: the monitor, the jailed built-in VMM with its seccomp allowlist,
# virtio-console, the protocol, signals, exec, exit status, cleanup.

load helpers
bats_require_minimum_version 1.5.0

TESTGUEST=$SRC_DIR/build/testguest/testguest.elf

setup() {
    requires root kvm
    [ -f "$TESTGUEST" ] || skip "needs $TESTGUEST (make check builds it)"
    setup_bundle
    ID=$(test_id)
    export HULL_VMM_SOFT_KVM=1 HULL_GUEST_KERNEL=$TESTGUEST HULL_GUEST_APPEND=scenario=hull-agent
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    update_config '.annotations["io.hull.isolation"] = "microvm" | .annotations["io.hull.vmm"] = "builtin"'
}

teardown() {
    teardown_bundle
}

# Built-in VMMs started by this test (their environment names its
# directory), to prove none is left.
vmms_of_this_test() {
    local pid
    for pid in $(pgrep -x hull-vmm); do
        grep -qzF "$BATS_TEST_TMPDIR" "/proc/$pid/environ" 2>/dev/null && echo "$pid"
    done
    true
}

# The container's init pid: the built-in VMM itself, the monitor its child.
vmm_pid_of_init() {
    local init
    init=$(hull state "$1" | jq -r .pid)
    [ "$(cat "/proc/$init/comm")" = hull-vmm ] || { echo "the init pid $init is $(cat "/proc/$init/comm")" >&2; return 1; }
    echo "$init"
}

@test "microvm builtin: run returns the guest process's stdout and exit code, and leaves nothing" {
    update_config '.process.args = ["exit", "7"]'
    run --separate-stderr hull run --bundle "$BUNDLE" "$ID" </dev/null
    assert_equal "$status" 7
    assert_output "agent: exit 7"
    assert_no_leftovers "$ID"
    [ -z "$(vmms_of_this_test)" ] || fail "a VMM is left: $(vmms_of_this_test)"
}

@test "microvm builtin: the jailed VMM is the init pid, the monitor its child; kill reaches the guest process" {
    update_config '.process.args = ["wait"]'
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_success
    jq -e '.extra.vmm == "builtin"' "$HULL_ROOT/$ID/state.json"
    local vmm monitor st
    vmm=$(vmm_pid_of_init "$ID") || fail "the init pid is not the VMM"
    monitor=$(pgrep -P "$vmm")
    [ "$(cat "/proc/$monitor/comm")" = hull-microvm ] || fail "no monitor under the VMM: $monitor"
    st=/proc/$vmm/status
    grep -qE '^CapEff:\s+0+$' "$st" && grep -qE '^CapPrm:\s+0+$' "$st" && grep -qE '^CapBnd:\s+0+$' "$st" \
        || fail "capabilities: $(grep ^Cap "$st")"
    grep -qE '^NoNewPrivs:\s+1$' "$st"
    grep -qE '^Seccomp:\s+2$' "$st"
    run ls -A "/proc/$vmm/root/"
    assert_equal "$(echo $output)" "dev vm"
    run ls -A "/proc/$vmm/root/dev" "/proc/$vmm/root/vm"
    assert_output --partial "kvm"
    assert_output --partial "disk"
    [ "$(cat "/proc/$vmm/cgroup")" = "$(cat "/proc/$monitor/cgroup")" ]
    grep -q "$ID" "/proc/$vmm/cgroup" || fail "not in the container's cgroup: $(cat "/proc/$vmm/cgroup")"
    run awk '$1 == "NSpid:" { $1 = ""; print }' "/proc/$vmm/status"
    assert_output " $vmm 1"
    [ "$(readlink "/proc/$vmm/ns/pid")" = "$(readlink "/proc/$monitor/ns/pid")" ]
    [ "$(readlink "/proc/$vmm/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
    [ "$(readlink "/proc/$monitor/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] || fail "the monitor is jailed"
    # ps lists both.
    run hull ps --format json "$ID"
    assert_success
    jq -e --argjson a "$vmm" --argjson b "$monitor" 'index($a) != null and index($b) != null' <<<"$output"

    hull start "$ID"
    wait_for_status "$ID" running 10
    hull kill "$ID" TERM
    wait_for_status "$ID" stopped 30
    grep -q "agent: ready" "$HULL_ROOT/$ID/microvm-console.log"
    hull delete "$ID"
    assert_no_leftovers "$ID"
    # Gone, or a zombie its new parent has not reaped yet.
    [ ! -e "/proc/$vmm" ] || grep -qE '^State:\s+Z' "/proc/$vmm/status" || fail "the VMM outlived its container"
}

@test "microvm builtin: run exits 128+n when kill's signal ended the guest process" {
    update_config '.process.args = ["wait"]'
    hull run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
    local bg=$! i
    for ((i = 0; i < 100; i++)); do
        [ "$(hull state "$ID" 2>/dev/null | jq -r .status)" = running ] && break
        sleep 0.1
    done
    hull kill "$ID" TERM
    local rc=0
    wait "$bg" || rc=$?
    [ "$rc" = 143 ] || fail "run exited $rc: $(cat "$BATS_TEST_TMPDIR/out")"
    assert_no_leftovers "$ID"
}

@test "microvm builtin: exec runs processes in the guest with their output and exit codes" {
    update_config '.process.args = ["wait"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    run --separate-stderr hull exec "$ID" exit 5
    assert_equal "$status" 5
    assert_output "agent: exit 5"
    run --separate-stderr hull exec "$ID" echo from exec
    assert_success
    assert_output "echo from exec"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm builtin: with a user namespace the VMM runs as the container's root, /dev/kvm opened before" {
    userns_config
    update_config '.process.args = ["wait"]'
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_success
    local vmm
    vmm=$(vmm_pid_of_init "$ID") || fail "the init pid is not the VMM"
    run awk '$1 == "Uid:" || $1 == "Gid:" { $1 = $1; print }' "/proc/$vmm/status"
    assert_output "$(printf 'Uid: 100000 100000 100000 100000\nGid: 100000 100000 100000 100000')"
    hull start "$ID"
    run hull exec "$ID" exit 3
    assert_equal "$status" 3
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm builtin: a VMM that dies ends the container, and nothing is left" {
    update_config '.process.args = ["wait"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    local vmm
    vmm=$(vmm_pid_of_init "$ID") || fail "the init pid is not the VMM"
    kill -9 "$vmm"
    wait_for_status "$ID" stopped 30
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm builtin: a guest that never speaks fails create clearly, and nothing is left" {
    export HULL_GUEST_APPEND="scenario=hello"
    run --separate-stderr hull create --bundle "$BUNDLE" "$ID" </dev/null
    assert_failure
    [[ "$stderr" == *"waiting for the guest to boot"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$ID"
    [ -z "$(vmms_of_this_test)" ] || fail "a VMM is left: $(vmms_of_this_test)"
}
