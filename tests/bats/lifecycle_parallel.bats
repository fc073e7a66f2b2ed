#!/usr/bin/env bats
# Many commands at once: on many ids, and racing on one id.  The state
# directory's lock and its atomic creation make every outcome clean.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
    update_config '.process.args = ["sleep", "1000"]'
}

teardown() {
    teardown_bundle
}

@test "parallel: 10 creates, starts and deletes on 10 ids" {
    local i pids=()
    for i in $(seq 10); do
        "$HULL_BIN" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err-$i" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || fail "create $((i + 1)) failed: $(cat "$BATS_TEST_TMPDIR/err-$((i + 1))")"
    done
    [ "$(hull list -q | wc -l)" -eq 10 ]
    [ "$(hull list -f json | jq '[.[] | select(.status == "created")] | length')" -eq 10 ]

    pids=()
    for i in $(seq 10); do hull start "$ID-$i" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    [ "$(hull list -f json | jq '[.[] | select(.status == "running")] | length')" -eq 10 ]

    pids=()
    for i in $(seq 10); do hull delete --force "$ID-$i" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    [ "$(hull list -q | wc -l)" -eq 0 ]
    for i in $(seq 10); do assert_no_leftovers "$ID-$i"; done
}

@test "parallel: 5 creates of one id: exactly one wins, the others say it exists" {
    local i ok=0 exists=0
    for i in $(seq 5); do
        ( rc=0; "$HULL_BIN" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err-$i" || rc=$?
          echo "$rc" >"$BATS_TEST_TMPDIR/rc-$i" ) &
    done
    wait
    for i in $(seq 5); do
        if [ "$(cat "$BATS_TEST_TMPDIR/rc-$i")" = 0 ]; then
            ok=$((ok + 1))
        else
            run cat "$BATS_TEST_TMPDIR/err-$i"
            assert_output "hull: container with id $ID already exists"
            exists=$((exists + 1))
        fi
    done
    [ "$ok" -eq 1 ] && [ "$exists" -eq 4 ]
    [ "$(hull state "$ID" | jq -r .status)" = created ]
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "parallel: two deletes racing on one id: one deletes, the other finds nothing" {
    local round
    for round in 1 2 3; do
        hullq run -d --bundle "$BUNDLE" "$ID" >/dev/null
        local n
        for n in 1 2; do
            ( rc=0; "$HULL_BIN" --root "$HULL_ROOT" delete --force "$ID" 2>"$BATS_TEST_TMPDIR/e$n" || rc=$?
              echo "$rc" >"$BATS_TEST_TMPDIR/r$n" ) &
        done
        wait
        local r1 r2
        r1=$(cat "$BATS_TEST_TMPDIR/r1") r2=$(cat "$BATS_TEST_TMPDIR/r2")
        # One succeeds; the other either lost the race cleanly or ran second.
        [ $((r1 + r2)) -le 1 ] || fail "both deletes failed: $(cat "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e2")"
        if [ "$r1" != 0 ]; then run cat "$BATS_TEST_TMPDIR/e1"; assert_output "hull: container $ID does not exist"; fi
        if [ "$r2" != 0 ]; then run cat "$BATS_TEST_TMPDIR/e2"; assert_output "hull: container $ID does not exist"; fi
        assert_no_leftovers "$ID"
    done
}

@test "parallel: state and list while containers come and go never fail" {
    local i
    ( for i in $(seq 5); do
          "$HULL_BIN" --root "$HULL_ROOT" run -d --bundle "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>&1
          "$HULL_BIN" --root "$HULL_ROOT" delete --force "$ID-$i" >/dev/null 2>&1
      done ) &
    local churn=$!
    while kill -0 "$churn" 2>/dev/null; do
        run hull list -f json
        assert_success
        jq -e 'type == "array"' <<<"$output" >/dev/null
    done
    wait "$churn"
    [ "$(hull list -q | wc -l)" -eq 0 ]
}
