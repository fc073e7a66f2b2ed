#!/usr/bin/env bats
# hull list: runc's table, --format json, --quiet.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

@test "list: an empty root prints the header, [] and nothing" {
    run hull list
    assert_success
    assert_output --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER$'
    run hull list --format json
    assert_success
    assert_output "[]"
    run hull list -q
    assert_success
    assert_output ""
    # A root that does not exist yet lists nothing either.
    run "$HULL_BIN" --root "$BATS_TEST_TMPDIR/none" list -q
    assert_success
    assert_output ""
}

@test "list: table, json and quiet show created, running and stopped containers" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq create --bundle "$BUNDLE" "$ID-a" >/dev/null
    hullq run -d --bundle "$BUNDLE" "$ID-b" >/dev/null
    update_config '.process.args = ["true"]'
    hullq run -d --bundle "$BUNDLE" "$ID-c" >/dev/null
    wait_for_status "$ID-c" stopped

    run hull list -q
    assert_success
    assert_output "$(printf '%s\n%s\n%s' "$ID-a" "$ID-b" "$ID-c")"

    run hull list
    assert_success
    [ "${#lines[@]}" -eq 4 ]
    assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER$'
    assert_line --index 1 --regexp "^$ID-a +[0-9]+ +created +$BUNDLE +[0-9T:.-]+Z +root$"
    assert_line --index 2 --regexp "^$ID-b +[0-9]+ +running +$BUNDLE "
    assert_line --index 3 --regexp "^$ID-c +0 +stopped +$BUNDLE "

    run hull list --format=json
    assert_success
    jq -e --arg a "$ID-a" --arg b "$ID-b" --arg c "$ID-c" --arg bundle "$BUNDLE" '
        length == 3 and map(.id) == [$a, $b, $c]
        and map(.status) == ["created", "running", "stopped"]
        and all(.[]; .bundle == $bundle and .ociVersion == "1.2.0")
        and (.[0].pid > 0) and (.[1].pid > 0)' <<<"$output"
    run hull list -f json
    assert_success
    [ "$(jq length <<<"$output")" -eq 3 ]

    hull delete --force "$ID-a" "$ID-b" "$ID-c"
    assert_no_leftovers "$ID-a"
    assert_no_leftovers "$ID-b"
    assert_no_leftovers "$ID-c"
}

@test "list: an unknown format is an error" {
    run hull list --format yaml
    assert_failure
    assert_output "hull: list: invalid --format \`yaml\`: use table or json"
}
