#!/usr/bin/env bats
# OCI hooks: all six kinds at the spec's moments and in order, the state on
# stdin, args and env, timeouts, and the failure semantics.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
    LOGDIR="$BATS_TEST_TMPDIR/hooklog"
    LOG="$LOGDIR/log"
    mkdir -p "$LOGDIR"
    # "KIND STATE-JSON" per call; the same script serves on the host and,
    # for startContainer, inside the container (busybox sh).
    HOOK="$BATS_TEST_TMPDIR/hook.sh"
    printf '#!/bin/sh\necho "$1 $(cat)" >> "$2"\n' >"$HOOK"
    chmod +x "$HOOK"
    cp "$HOOK" "$BUNDLE/rootfs/bin/hook.sh"
    # The log directory is bind-mounted, so a hook in the container writes
    # the same file.
    update_config --arg d "$LOGDIR" '
        .mounts += [{"destination": "/hooklog", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]
        | .root.readonly = false
        | .process.args = ["sh", "-c", "echo ran >> /hooklog/workload; sleep 1000"]'
}

teardown() {
    teardown_bundle
}

hook() {   # hook KIND [PATH] [LOG]: a hook object
    jq -n --arg p "${2:-$HOOK}" --arg k "$1" --arg l "${3:-$LOG}" '{"path": $p, "args": [$p, $k, $l]}'
}

add_hook() {   # add_hook KIND HOOK-JSON
    update_config --arg k "$1" --argjson h "$2" '.hooks[$k] += [$h]'
}

kinds() {
    awk '{print $1}' "$LOG" | tr '\n' ' '
}

@test "hooks: all six kinds run in the spec's order with the state on stdin" {
    local k
    for k in prestart createRuntime createContainer poststart poststop; do add_hook "$k" "$(hook "$k")"; done
    add_hook startContainer "$(hook startContainer /bin/hook.sh /hooklog/log)"

    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    [ "$(kinds)" = "prestart createRuntime createContainer " ]
    local pid
    pid=$(hull state "$ID" | jq -r .pid)

    run hullq start "$ID"
    assert_success
    [ "$(kinds)" = "prestart createRuntime createContainer startContainer poststart " ]
    for _ in $(seq 100); do [ -e "$LOGDIR/workload" ] && break; sleep 0.1; done
    [ -e "$LOGDIR/workload" ]

    hull delete --force "$ID"
    [ "$(kinds)" = "prestart createRuntime createContainer startContainer poststart poststop " ]
    assert_no_leftovers "$ID"

    # Every hook got the state document: id, bundle, pid, the right status.
    local line kind json
    while read -r kind json; do
        jq -e --arg id "$ID" --arg b "$BUNDLE" '.ociVersion and .id == $id and .bundle == $b' <<<"$json" >/dev/null \
            || fail "$kind: bad state $json"
        case $kind in
        prestart | createRuntime | createContainer) jq -e --argjson p "$pid" '.status == "created" and .pid == $p' <<<"$json" ;;
        startContainer) jq -e '.status == "created" and .pid > 0' <<<"$json" ;;
        poststart) jq -e --argjson p "$pid" '.status == "running" and .pid == $p' <<<"$json" ;;
        poststop) jq -e '.status == "stopped"' <<<"$json" ;;
        esac >/dev/null || fail "$kind: wrong status or pid in $json"
    done <"$LOG"
}

@test "hooks: several hooks of one kind run in order, with their args and only their env" {
    local envhook="$BATS_TEST_TMPDIR/env.sh"
    printf '#!/bin/sh\necho "$1 $2 FOO=$FOO HOME=${HOME:-unset}" >> "%s"\n' "$LOG" >"$envhook"
    chmod +x "$envhook"
    add_hook createRuntime "$(jq -n --arg p "$envhook" '{"path": $p, "args": ["env.sh", "first", "x y"], "env": ["FOO=bar"]}')"
    add_hook createRuntime "$(jq -n --arg p "$envhook" '{"path": $p, "args": ["env.sh", "second"]}')"
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    run cat "$LOG"
    assert_output "$(printf 'first x y FOO=bar HOME=unset\nsecond  FOO= HOME=unset')"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "hooks: a hook past its timeout is killed and create fails cleanly" {
    local slow="$BATS_TEST_TMPDIR/slow.sh"
    printf '#!/bin/sh\nexec sleep 98765\n' >"$slow"
    chmod +x "$slow"
    add_hook createRuntime "$(jq -n --arg p "$slow" '{"path": $p, "timeout": 1}')"
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "createRuntime hook \`$slow\` timed out after 1s"
    [ "${#lines[@]}" -eq 1 ]
    ! pgrep -f "sleep 98765" >/dev/null || fail "the hook was not killed"
    assert_no_leftovers "$ID"
}

@test "hooks: a failing prestart, createRuntime or createContainer hook fails create, nothing left" {
    local fail="$BATS_TEST_TMPDIR/fail.sh" kind
    printf '#!/bin/sh\nexit 3\n' >"$fail"
    chmod +x "$fail"
    cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
    for kind in prestart createRuntime createContainer; do
        cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
        rm -f "$LOG"
        add_hook "$kind" "$(jq -n --arg p "$fail" '{"path": $p}')"
        add_hook poststop "$(hook poststop)"
        run hullq create --bundle "$BUNDLE" "$ID"
        assert_failure
        assert_output --partial "$kind hook \`$fail\` exited with status 3"
        assert_no_leftovers "$ID"
        [ ! -e "$LOGDIR/workload" ]
        # The lifecycle goes on at destroy: poststop hooks run.
        [ "$(kinds)" = "poststop " ] || fail "$kind: hooks run: $(kinds)"
    done
}

@test "hooks: a failing startContainer hook fails start and stops the container before the workload runs" {
    printf '#!/bin/sh\nexit 4\n' >"$BUNDLE/rootfs/bin/fail.sh"
    chmod +x "$BUNDLE/rootfs/bin/fail.sh"
    add_hook startContainer '{"path": "/bin/fail.sh"}'
    add_hook poststart "$(hook poststart)"
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    run hullq start "$ID"
    assert_failure
    assert_output --partial "startContainer hook \`/bin/fail.sh\` exited with status 4"
    [ "${#lines[@]}" -eq 1 ] || fail "not one line: $output"
    wait_for_status "$ID" stopped
    # start failed: no poststart hook ran.
    [ ! -e "$LOG" ] || fail "hooks run: $(kinds)"
    [ ! -e "$LOGDIR/workload" ]
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "hooks: failing poststart and poststop hooks only warn" {
    local fail="$BATS_TEST_TMPDIR/fail.sh"
    printf '#!/bin/sh\nexit 5\n' >"$fail"
    chmod +x "$fail"
    add_hook poststart "$(jq -n --arg p "$fail" '{"path": $p}')"
    add_hook poststop "$(jq -n --arg p "$fail" '{"path": $p}')"
    add_hook poststop "$(hook poststop)"
    hullq create --bundle "$BUNDLE" "$ID" >/dev/null
    run hullq start "$ID"
    assert_success
    assert_output "hull: warning: poststart hook \`$fail\` exited with status 5"
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    run hull delete --force "$ID"
    assert_success
    assert_output "hull: warning: poststop hook \`$fail\` exited with status 5"
    # The poststop hooks after the failing one still ran.
    [ "$(kinds)" = "poststop " ]
    assert_no_leftovers "$ID"
}

@test "hooks: the state is creating while createRuntime hooks run" {
    local gate="$BATS_TEST_TMPDIR/gate" waiter="$BATS_TEST_TMPDIR/wait.sh"
    printf '#!/bin/sh\ntouch "%s.in"\nwhile [ ! -e "%s" ]; do sleep 0.05; done\n' "$gate" "$gate" >"$waiter"
    chmod +x "$waiter"
    add_hook createRuntime "$(jq -n --arg p "$waiter" '{"path": $p, "timeout": 60}')"
    "$HULL_BIN" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
    local creator=$!
    for _ in $(seq 200); do [ -e "$gate.in" ] && break; sleep 0.05; done
    [ -e "$gate.in" ]
    run hull state "$ID"
    assert_success
    jq -e '.status == "creating" and (.pid == null)' <<<"$output"
    touch "$gate"
    wait "$creator"
    [ "$(hull state "$ID" | jq -r .status)" = created ]
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
