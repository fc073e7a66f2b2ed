#!/usr/bin/env bats
# hull events: --stats fields from the cgroup, the stream every --interval,
# OOM notices, the end of the stream when the container stops.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    [ -z "${EVENTS_PID:-}" ] || kill "$EVENTS_PID" 2>/dev/null || true
    teardown_bundle
}

start_limited() {
    update_config '.process.args = ["sleep", "1000"]
                   | .linux.resources.memory = { "limit": 67108864 } | .linux.resources.pids = { "limit": 40 }'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
}

wait_for_lines() {   # FILE N PATTERN: until FILE has N lines matching
    local i
    for ((i = 0; i < 600; i++)); do
        [ "$(grep -c "$3" "$1" 2>/dev/null)" -ge "$2" ] && return 0
        sleep 0.1
    done
    echo "$1: fewer than $2 lines matching $3: $(cat "$1")" >&2
    return 1
}

@test "events: --stats prints one stats event with cpu, memory and pids" {
    start_limited
    run hull events --stats "$ID"
    assert_success
    [ "${#lines[@]}" -eq 1 ]
    echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id
        and .data.memory.usage.limit == 67108864 and .data.memory.usage.usage > 0
        and .data.pids.current == 1 and .data.pids.limit == 40
        and (.data.cpu.usage.total | type) == "number"'
    hull exec --detach "$ID" sleep 1000 </dev/null >/dev/null 2>&1
    hull events --stats "$ID" | jq -e '.data.pids.current == 2'
}

@test "events: streams stats every --interval, reports an OOM kill, ends when the container stops" {
    local out="$BATS_TEST_TMPDIR/events.out"
    start_limited
    "$HULL_BIN" --root "$HULL_ROOT" events --interval 200ms "$ID" >"$out" 2>&1 &
    EVENTS_PID=$!
    wait_for_lines "$out" 2 '"type":"stats"'
    # a memory hog exec'd into the container is OOM-killed
    run hull exec "$ID" sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'
    [ "$status" -eq 137 ]
    wait_for_lines "$out" 1 '"type":"oom"'
    grep '"type":"oom"' "$out" | head -1 | jq -e --arg id "$ID" '. == {"type": "oom", "id": $id}'
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    local i
    for ((i = 0; i < 300; i++)); do kill -0 "$EVENTS_PID" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$EVENTS_PID" 2>/dev/null
    wait "$EVENTS_PID"
    EVENTS_PID=
}

@test "events: bad input and a stopped container are clear errors" {
    start_limited
    run hull events --interval 5 "$ID"
    assert_failure
    assert_output --partial "--interval"
    run hull events --interval -1s "$ID"
    assert_failure
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    run hull events --stats "$ID"
    assert_failure
    assert_output --partial "container not running"
    run hull events --stats nope
    assert_failure
    assert_output --partial "does not exist"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
