#!/usr/bin/env bats
# hull kill: signal names with and without SIG, numbers, the SIGTERM
# default, --all, and the errors containerd classifies.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
    # A process that logs every signal it gets to /dev/shm/sigs (read from
    # the host with ctr_cat) and is ready once /dev/shm/ready exists.
    update_config '.process.args = ["sh", "-c", "for s in HUP USR1 USR2 TERM INT; do trap \"echo $s >> /dev/shm/sigs\" $s; done; touch /dev/shm/ready; while true; do sleep 0.05; done"]'
}

teardown() {
    teardown_bundle
}

start_logger() {
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    local i
    for i in $(seq 100); do ctr_cat "$ID" /dev/shm/ready >/dev/null && return 0; sleep 0.1; done
    fail "the container did not get ready"
}

wait_for_line() {   # wait until /dev/shm/sigs in the container has $1 lines
    local i
    for i in $(seq 100); do
        [ "$(ctr_cat "$ID" /dev/shm/sigs | wc -l)" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "expected $1 signals, got: $(ctr_cat "$ID" /dev/shm/sigs)"
}

@test "kill: names with and without SIG, any case, and numbers" {
    start_logger
    hull kill "$ID" USR1
    wait_for_line 1
    hull kill "$ID" SIGUSR2
    wait_for_line 2
    hull kill "$ID" 1
    wait_for_line 3
    hull kill "$ID" sigint
    wait_for_line 4
    run ctr_cat "$ID" /dev/shm/sigs
    assert_output "$(printf 'USR1\nUSR2\nHUP\nINT')"
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "kill: the default signal is SIGTERM" {
    start_logger
    hull kill "$ID"
    wait_for_line 1
    run ctr_cat "$ID" /dev/shm/sigs
    assert_output "TERM"
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "kill: KILL stops the container; a second kill says container not running" {
    start_logger
    run hull kill "$ID" 9
    assert_success
    wait_for_status "$ID" stopped
    run hull kill "$ID" KILL
    assert_failure
    assert_output "hull: container $ID: container not running"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "kill: --all signals every process of the container" {
    # No pid namespace, so killing the init alone would leave its children.
    update_config '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]'
    if [ "$HULL_ISOLATION" = microvm ]; then
        # The workload's processes are guest processes, not host children of
        # the init (the VM monitor): --all must still end the container.
        hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
        run hull kill --all "$ID" KILL
        assert_success
        wait_for_status "$ID" stopped 60
        hull delete "$ID"
        assert_no_leftovers "$ID"
        return
    fi
    hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
    local pid cg i
    pid=$(hull state "$ID" | jq -r .pid)
    for i in $(seq 100); do [ "$(pgrep -P "$pid" | wc -l)" -ge 2 ] && break; sleep 0.1; done
    local children
    children=$(pgrep -P "$pid")
    [ "$(echo "$children" | wc -l)" -eq 2 ]
    run hull kill --all "$ID" KILL
    assert_success
    wait_for_status "$ID" stopped
    for c in $children; do
        for i in $(seq 100); do [ -e "/proc/$c" ] && [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" != Z ] || break; sleep 0.1; done
        [ ! -e "/proc/$c" ] || [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" = Z ] || fail "child $c survived kill --all"
    done
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "kill: an invalid signal is refused and nothing is sent" {
    start_logger
    local sig
    for sig in NOPE SIGFOO 0 65 -9 ""; do
        run hull kill "$ID" "$sig"
        assert_failure
        assert_output "hull: invalid signal \`$sig\`"
    done
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    run ctr_cat "$ID" /dev/shm/sigs
    assert_failure
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "kill: an unknown container does not exist" {
    run hull kill nosuch-"$ID" KILL
    assert_failure
    assert_output "hull: container nosuch-$ID does not exist"
}
