#!/usr/bin/env bats
# Bad input: one clear line on stderr, a non-zero exit, and nothing left
# behind (state dir, mounts, cgroups, processes).

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

# create must fail with exactly one line containing $1, and leave nothing.
create_fails_with() {
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_failure
    [ "${#lines[@]}" -eq 1 ] || fail "expected one line, got: $output"
    assert_output --regexp "^hull: "
    assert_output --partial "$1"
    assert_no_leftovers "$ID"
    [ -z "$(ls "$HULL_ROOT")" ] || fail "state root not empty: $(ls "$HULL_ROOT")"
}

@test "errors: malformed config.json" {
    echo '{"ociVersion": "1.2.0", "process": {' >"$BUNDLE/config.json"
    create_fails_with "config.json"
}

@test "errors: config.json that is not an object" {
    echo '[1, 2, 3]' >"$BUNDLE/config.json"
    create_fails_with "config.json"
}

@test "errors: missing process.args" {
    update_config 'del(.process.args)'
    create_fails_with "process.args"
}

@test "errors: wrong-typed fields" {
    cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
    update_config '.process.args = "sh"'
    create_fails_with "process.args"
    cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
    update_config '.process.user.uid = "root"'
    create_fails_with "process.user.uid"
    cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
    update_config '.linux.namespaces = {"type": "pid"}'
    create_fails_with "linux.namespaces"
}

@test "errors: missing root.path and missing process" {
    update_config 'del(.root)'
    create_fails_with "root"
    update_config --arg r rootfs '.root = {"path": $r} | del(.process)'
    create_fails_with "process"
}

@test "errors: missing rootfs directory" {
    update_config '.root.path = "no-such-rootfs"'
    create_fails_with "no-such-rootfs"
}

@test "errors: rootfs that is a file" {
    touch "$BUNDLE/afile"
    update_config '.root.path = "afile"'
    create_fails_with "afile"
}

@test "errors: unreadable bundle: missing, or config.json that is not a file" {
    run hullq create --bundle "$BATS_TEST_TMPDIR/no-bundle" "$ID"
    assert_failure
    [ "${#lines[@]}" -eq 1 ]
    assert_output --partial "no-bundle"
    assert_no_leftovers "$ID"
    rm "$BUNDLE/config.json"
    mkdir "$BUNDLE/config.json"
    create_fails_with "config.json"
    rmdir "$BUNDLE/config.json"
    create_fails_with "config.json"
}

@test "errors: invalid container ids" {
    local bad
    for bad in "a/b" ".." "." "x y" "a:b"; do
        run hullq create --bundle "$BUNDLE" "$bad"
        assert_failure
        [ "${#lines[@]}" -eq 1 ]
        assert_output --partial "invalid container id"
    done
    run hullq create --bundle "$BUNDLE" ""
    assert_failure
    assert_output "hull: container id cannot be empty"
    [ -z "$(ls "$HULL_ROOT")" ]
}

@test "errors: duplicate id" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    local pid
    pid=$(hull state "$ID" | jq -r .pid)
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: container with id $ID already exists"
    # The first container is untouched.
    [ "$(hull state "$ID" | jq -r .pid)" = "$pid" ]
    [ "$(hull state "$ID" | jq -r .status)" = created ]
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "errors: unknown id for every command" {
    local cmd
    for cmd in start state delete kill; do
        run hull $cmd "nosuch-$ID"
        assert_failure
        assert_output "hull: container nosuch-$ID does not exist"
    done
}

# containerd's shim and podman clean up with delete --force after a failed
# create: runc and crun succeed silently there.
@test "errors: delete --force of an unknown id succeeds silently, as runc and crun" {
    run hull delete --force "nosuch-$ID"
    assert_success
    assert_output ""
    # A directory left by an aborted create (no state.json yet) goes too.
    mkdir -p "$HULL_ROOT/partial-$ID"
    run hull delete --force "partial-$ID"
    assert_success
    [ ! -e "$HULL_ROOT/partial-$ID" ]
}

@test "errors: commands in the wrong state" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    run hull start "$ID"
    assert_failure
    assert_output "hull: cannot start container $ID: it is running, not created"
    run hull delete "$ID"
    assert_failure
    assert_output "hull: cannot delete container $ID that is not stopped: running"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped
    run hull kill "$ID" TERM
    assert_failure
    assert_output "hull: container $ID: container not running"
    run hull start "$ID"
    assert_failure
    assert_output --partial "container not running"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "errors: invalid signal" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    run hull kill "$ID" SIGNOPE
    assert_failure
    assert_output "hull: invalid signal \`SIGNOPE\`"
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "errors: terminal without --console-socket, and a console socket nobody listens on" {
    update_config '.process.terminal = true'
    create_fails_with "--console-socket is required"
    run hullq create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$ID"
    assert_failure
    [ "${#lines[@]}" -eq 1 ]
    assert_output --partial "nobody.sock"
    assert_no_leftovers "$ID"
    update_config '.process.terminal = false'
    run hullq create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$ID"
    assert_failure
    assert_output "hull: --console-socket given but process.terminal is false"
    assert_no_leftovers "$ID"
}

@test "errors: a process that cannot be executed fails create, nothing left" {
    update_config '.process.args = ["/no/such/binary"]'
    run hullq create --bundle "$BUNDLE" "$ID"
    # runc fails at create when the binary is missing; a lazy check would
    # fail at start instead: both must leave nothing after delete.
    if [ "$status" -eq 0 ]; then
        hullq start "$ID" >/dev/null || true
        wait_for_status "$ID" stopped
        hull delete "$ID"
    else
        [ "${#lines[@]}" -eq 1 ]
    fi
    assert_no_leftovers "$ID"
}

@test "errors: --preserve-fds beyond the open fds" {
    run hullq create --bundle "$BUNDLE" --preserve-fds 50 "$ID"
    assert_failure
    assert_output --regexp "^hull: --preserve-fds 50: fd [0-9]+ is not open$"
    assert_no_leftovers "$ID"
    run hullq create --bundle "$BUNDLE" --preserve-fds -1 "$ID"
    assert_failure
    assert_output --partial "not a non-negative number"
}

@test "errors: --preserve-fds of a closed fd 3 is refused even when --log would take that number" {
    local log=$BATS_TEST_TMPDIR/hull.log
    update_config '.process.args = ["true"]'
    # The caller has no fd 3: hull's own log file must not pass for it.
    run hullq --log "$log" create --bundle "$BUNDLE" --preserve-fds 1 "$ID" 3>&-
    assert_failure
    assert_output "hull: --preserve-fds 1: fd 3 is not open"
    assert_no_leftovers "$ID"
    # A hole: fd 3 closed, fd 4 open.
    run hullq --log "$log" create --bundle "$BUNDLE" --preserve-fds 2 "$ID" 3>&- 4</dev/null
    assert_failure
    assert_output "hull: --preserve-fds 2: fd 3 is not open"
    assert_no_leftovers "$ID"
    # Under a low fd limit the log cannot move up and does take fd 3.
    low_limit() {
        ulimit -n 64
        hullq --log "$log" create --bundle "$BUNDLE" --preserve-fds 1 "$ID" 3>&-
    }
    run low_limit
    assert_failure
    assert_output "hull: --preserve-fds 1: fd 3 is not open"
    assert_no_leftovers "$ID"
    grep -q "fd 3 is not open" "$log" || fail "the log file has no error: $(cat "$log")"
    # The same for exec.
    update_config '.process.args = ["sleep", "1000"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    run hullq --log "$log" exec --preserve-fds 1 "$ID" true 3>&-
    assert_failure
    assert_output --partial "fd 3 is not open"
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "errors: a corrupt state.json: state fails clearly, delete --force removes it" {
    update_config '.process.args = ["true"]'
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    wait_for_status "$ID" stopped
    echo '{"id": ' >"$HULL_ROOT/$ID/state.json"
    run hull state "$ID"
    assert_failure
    [ "${#lines[@]}" -eq 1 ]
    assert_output --partial "container $ID"
    run hull delete "$ID"
    assert_failure
    run hull delete --force "$ID"
    assert_success
    assert_output --partial "warning"
    assert_no_leftovers "$ID"
}
