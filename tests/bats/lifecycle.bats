#!/usr/bin/env bats
# The OCI lifecycle through hull's CLI: create/start/state/kill/delete and
# run, with the states exactly as the runtime-spec gives them.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

status_of() {
    hull state "$1" | jq -r .status
}

@test "lifecycle: create -> created, start -> running, kill -> stopped, delete -> gone" {
    update_config '.process.args = ["sleep", "1000"]'
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_success
    assert_output ""
    [ "$(status_of "$ID")" = created ]
    run hull start "$ID"
    assert_success
    [ "$(status_of "$ID")" = running ]
    run hull kill "$ID" KILL
    assert_success
    wait_for_status "$ID" stopped
    run hull delete "$ID"
    assert_success
    run hull state "$ID"
    assert_failure
    assert_output "hull: container $ID does not exist"
    assert_no_leftovers "$ID"
}

@test "lifecycle: state JSON has the spec's fields and the config's annotations" {
    update_config '.process.args = ["sleep", "1000"] | .annotations = {"org.example.key": "value"}'
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    run hull state "$ID"
    assert_success
    local pid
    pid=$(jq -r .pid <<<"$output")
    jq -e --arg id "$ID" --arg b "$BUNDLE" '
        .ociVersion == "1.2.0" and .id == $id and .status == "created" and .bundle == $b
        and .rootfs == ($b + "/rootfs") and (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))
        and .annotations["org.example.key"] == "value"' <<<"$output"
    [ "$pid" -gt 1 ]
    [ -d "/proc/$pid" ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "lifecycle: the pid file holds the container's init, which is the process" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/init.pid" "$ID" >/dev/null
    local pid
    pid=$(cat "$BATS_TEST_TMPDIR/init.pid")
    [ "$pid" = "$(hull state "$ID" | jq -r .pid)" ]
    if [ "$HULL_ISOLATION" = microvm ]; then
        # The init is the VM monitor, with QEMU under it; the workload runs
        # in the guest kernel, so no host pid is "sleep 1000".
        pgrep -P "$pid" -f qemu-system >/dev/null || fail "no QEMU under the init pid $pid"
        hull start "$ID"
        wait_for_status "$ID" running
        [ "$pid" = "$(hull state "$ID" | jq -r .pid)" ]
        hull delete --force "$ID"
        assert_no_leftovers "$ID"
        return
    fi
    # Before start the init is hull itself, re-executed from a sealed memfd.
    [[ "$(readlink "/proc/$pid/exe")" == /memfd:hull* ]]
    hull start "$ID"
    # After start the same pid is the workload (execve keeps the pid).
    for _ in $(seq 100); do
        [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "sleep 1000 " ]] && break
        sleep 0.1
    done
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "sleep 1000 " ]]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "lifecycle: a process that exits on its own is stopped, then delete works without --force" {
    update_config '.process.args = ["true"]'
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    hull start "$ID"
    wait_for_status "$ID" stopped
    run hull state "$ID"
    assert_success
    jq -e '.pid == null or .pid == 0' <<<"$output"
    run hull delete "$ID"
    assert_success
    assert_no_leftovers "$ID"
}

@test "lifecycle: delete of a created container needs no --force (as runc)" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    local pid
    pid=$(hull state "$ID" | jq -r .pid)
    run hull delete "$ID"
    assert_success
    [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
    assert_no_leftovers "$ID"
}

@test "lifecycle: delete of a running container fails without --force, works with it" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq run --detach --bundle "$BUNDLE" "$ID" >/dev/null
    run hull delete "$ID"
    assert_failure
    assert_output "hull: cannot delete container $ID that is not stopped: running"
    [ "$(status_of "$ID")" = running ]
    run hull delete --force "$ID"
    assert_success
    assert_no_leftovers "$ID"
}

@test "lifecycle: run -d returns with the container running" {
    update_config '.process.args = ["sleep", "1000"]'
    run hullq run -d --bundle "$BUNDLE" "$ID"
    assert_success
    [ "$(status_of "$ID")" = running ]
    hull delete -f "$ID"
    assert_no_leftovers "$ID"
}

@test "lifecycle: run in the foreground prints the output and deletes the container" {
    update_config '.process.args = ["echo", "hello from hull"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    assert_output "hello from hull"
    assert_no_leftovers "$ID"
}

@test "lifecycle: run exits with the container's exit status" {
    local code
    for code in 0 1 3 42 255; do
        update_config --arg c "$code" '.process.args = ["sh", "-c", "exit " + $c]'
        run hull run --bundle "$BUNDLE" "$ID-$code"
        [ "$status" -eq "$code" ] || fail "exit $code gave $status"
        assert_no_leftovers "$ID-$code"
    done
}

@test "lifecycle: run exits with 128+n when the process dies of signal n" {
    # Without a pid namespace the shell is not an init and can kill itself.
    update_config '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "kill -KILL $$"]'
    run hull run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 137 ]
    update_config '.process.args = ["sh", "-c", "kill -USR1 $$"]'
    run hull run --bundle "$BUNDLE" "$ID-2"
    [ "$status" -eq 138 ]
    assert_no_leftovers "$ID"
    assert_no_leftovers "$ID-2"
}

@test "lifecycle: run forwards signals to the container and reports a kill from outside" {
    update_config '.process.args = ["sh", "-c", "trap \"exit 7\" TERM; touch /dev/shm/ready; while true; do sleep 0.1; done"]'
    # shellcheck disable=SC2086
    "$HULL_BIN" $HULL_ISOLATION_FLAG --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
    local runner=$!
    wait_for_status "$ID" running
    # The shell has its trap once it touched the file.
    for _ in $(seq 100); do ctr_cat "$ID" /dev/shm/ready >/dev/null && break; sleep 0.1; done
    kill -TERM "$runner"
    local rc=0
    wait "$runner" || rc=$?
    [ "$rc" -eq 7 ] || fail "run exited with $rc"
    assert_no_leftovers "$ID"

    update_config '.process.args = ["sh", "-c", "touch /dev/shm/ready; exec sleep 1000"]'
    hull run --bundle "$BUNDLE" "$ID-k" </dev/null >"$BATS_TEST_TMPDIR/run-k.out" 2>&1 &
    runner=$!
    wait_for_status "$ID-k" running
    for _ in $(seq 100); do ctr_cat "$ID-k" /dev/shm/ready >/dev/null && break; sleep 0.1; done
    hull kill "$ID-k" KILL
    rc=0
    wait "$runner" || rc=$?
    [ "$rc" -eq 137 ] || fail "run exited with $rc after kill KILL: $(cat "$BATS_TEST_TMPDIR/run-k.out")"
    assert_no_leftovers "$ID-k"
}

@test "lifecycle: start of a running or stopped container fails" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    run hull start "$ID"
    assert_failure
    assert_output "hull: cannot start container $ID: it is running, not created"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped
    run hull start "$ID"
    assert_failure
    assert_output --partial "container not running"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "lifecycle: delete --force of a paused container" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    hull pause "$ID"
    [ "$(status_of "$ID")" = paused ]
    run hull delete "$ID"
    assert_failure
    assert_output "hull: cannot delete container $ID that is not stopped: paused"
    run hull delete --force "$ID"
    assert_success
    assert_no_leftovers "$ID"
}

@test "lifecycle: delete --force without a pid namespace kills every process of the container" {
    update_config '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    local pid i
    pid=$(hull state "$ID" | jq -r .pid)
    for i in $(seq 100); do [ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] && break; sleep 0.1; done
    local children
    children=$(pgrep -P "$pid")
    run hull delete --force "$ID"
    assert_success
    for c in $children; do
        [ ! -e "/proc/$c" ] || [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" = Z ] || fail "child $c survived"
    done
    assert_no_leftovers "$ID"
}
