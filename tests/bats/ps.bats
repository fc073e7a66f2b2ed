#!/usr/bin/env bats
# hull ps: the container's processes, from its cgroup, as JSON pids or as
# ps(1) output filtered on the PID column.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

start_two() {   # init `sleep 1000` and a detached `sleep 999`; prints both pids
    update_config '.process.args = ["sleep", "1000"]'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    hull exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 999 </dev/null >/dev/null 2>&1
    echo "$(hull state "$ID" | jq -r .pid) $(cat "$BATS_TEST_TMPDIR/pid")"
}

@test "ps: --format json lists exactly the container's pids" {
    local pids
    read -r -a pids <<<"$(start_two)"
    run hull ps --format json "$ID"
    assert_success
    echo "$output" | jq -e --argjson a "${pids[0]}" --argjson b "${pids[1]}" 'sort == ([$a, $b] | sort)'
    run hull ps -f json "$ID"
    assert_success
    echo "$output" | jq -e 'length == 2'
}

@test "ps: the table is ps -ef filtered to the container, header first" {
    local pids
    read -r -a pids <<<"$(start_two)"
    run hull ps "$ID"
    assert_success
    assert_line --index 0 --regexp '^UID +PID +PPID'
    [ "${#lines[@]}" -eq 3 ]
    assert_line --regexp "^root +${pids[0]} .*sleep 1000"
    assert_line --regexp "^root +${pids[1]} .*sleep 999"
    refute_output --partial bats
}

@test "ps: options after the id go to ps(1); the PID column is found where it is" {
    local pids
    read -r -a pids <<<"$(start_two)"
    run hull ps "$ID" -o comm,pid
    assert_success
    assert_line --index 0 --regexp '^COMMAND +PID'
    assert_line --regexp "^sleep +${pids[1]}\$"
    [ "${#lines[@]}" -eq 3 ]
    run hull ps "$ID" -o comm
    assert_failure
    assert_output --partial "PID field"
}

@test "ps: a stopped or unknown container and a bad format are clear errors" {
    update_config '.process.args = ["true"]'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    wait_for_status "$ID" stopped 30
    run hull ps "$ID"
    assert_failure
    assert_output --partial "not running"
    run hull ps nope
    assert_failure
    assert_output --partial "does not exist"
    run hull ps --format yaml "$ID"
    assert_failure
    assert_output --partial "--format"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
