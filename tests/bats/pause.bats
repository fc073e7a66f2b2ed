#!/usr/bin/env bats
# hull pause / resume: the cgroup freezer, seen in the cgroup files, in
# `state`, and in a counter that stops and starts again.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

start_counter() {   # prints the init pid; the counter is in /dev/count
    update_config '.process.args = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i >/dev/count; done"]'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    hull state "$ID" | jq -r .pid
}

counter_of() {
    cat "/proc/$1/root/dev/count" 2>/dev/null || echo 0
}

# "1" when frozen, from whichever freezer holds the container.
frozen_in_cgroup() {
    local pid=$1 rel
    rel=$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$pid/cgroup")
    if [ -n "$rel" ] && [ -e "/sys/fs/cgroup/freezer$rel/freezer.state" ]; then
        [ "$(cat "/sys/fs/cgroup/freezer$rel/freezer.state")" = FROZEN ] && echo 1 || echo 0
    else
        rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
        cat "/sys/fs/cgroup/unified$rel/cgroup.freeze" 2>/dev/null || cat "/sys/fs/cgroup$rel/cgroup.freeze"
    fi
}

@test "pause: the counter stops, state says paused, the freezer is set; resume undoes it" {
    local pid a b c i
    pid=$(start_counter)
    for ((i = 0; i < 300; i++)); do [ "$(counter_of "$pid")" -gt 0 ] && break; sleep 0.1; done
    hull pause "$ID"
    [ "$(hull state "$ID" | jq -r .status)" = paused ]
    [ "$(frozen_in_cgroup "$pid")" = 1 ]
    a=$(counter_of "$pid")
    sleep 0.5
    b=$(counter_of "$pid")
    [ "$a" = "$b" ]
    hull resume "$ID"
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    [ "$(frozen_in_cgroup "$pid")" = 0 ]
    for ((i = 0; i < 300; i++)); do
        c=$(counter_of "$pid")
        [ "$c" != "$b" ] && break
        sleep 0.1
    done
    [ "$c" != "$b" ]
}

@test "pause: an exec'd process is frozen with the rest" {
    local pid epid a b i
    pid=$(start_counter)
    hull exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" \
        sh -c 'i=0; while true; do i=$((i+1)); echo $i >/dev/count2; done' </dev/null >/dev/null 2>&1
    epid=$(cat "$BATS_TEST_TMPDIR/pid")
    for ((i = 0; i < 300; i++)); do [ "$(cat "/proc/$pid/root/dev/count2" 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.1; done
    hull pause "$ID"
    [ "$(frozen_in_cgroup "$epid")" = 1 ]
    a=$(cat "/proc/$pid/root/dev/count2")
    sleep 0.5
    b=$(cat "/proc/$pid/root/dev/count2")
    [ "$a" = "$b" ]
    hull resume "$ID"
}

@test "pause: kill --all and delete --force of a paused container work" {
    local pid
    pid=$(start_counter)
    hull pause "$ID"
    hull kill --all "$ID" KILL
    wait_for_status "$ID" stopped 30
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "pause: wrong states are errors with runc's words, nothing changes" {
    local pid
    pid=$(start_counter)
    run hull resume "$ID"
    assert_failure
    assert_output --partial "container not paused"
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    hull pause "$ID"
    run hull pause "$ID"
    assert_failure
    assert_output --partial "container not running"
    [ "$(hull state "$ID" | jq -r .status)" = paused ]
    hull resume "$ID"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    run hull pause "$ID"
    assert_failure
    assert_output --partial "container not running"
    run hull resume "$ID"
    assert_failure
    assert_output --partial "container not paused"
    run hull pause nope
    assert_failure
    assert_output --partial "does not exist"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
