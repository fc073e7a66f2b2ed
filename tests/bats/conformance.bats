#!/usr/bin/env bats
# The OCI runtime-tools validation suite (../shared/oci-validation) against
# build/hull, through .ci/conformance: hull may fail only the programs listed
# in .ci/conformance-expected-failures, and no more programs than crun does on
# this kind of machine (.ci/conformance-crun-failures).  A full run takes a
# few minutes; the results stay in build/conformance for reading.
load helpers

SUITE=${OCI_VALIDATION:-$SRC_DIR/../shared/oci-validation}

@test "committed conformance lists are well-formed and within crun's" {
    export LC_ALL=C
    local expected crun races
    expected=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$SRC_DIR/.ci/conformance-expected-failures" | sort)
    crun=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$SRC_DIR/.ci/conformance-crun-failures" | sort)
    [ -n "$crun" ]
    # No duplicates, and never more allowed failures than crun has.
    [ "$(echo "$expected" | uniq -d)" = "" ]
    races=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$SRC_DIR/.ci/conformance-races" | sort)
    [ -z "$(comm -12 <(echo "$expected") <(echo "$races"))" ]
    [ "$(echo "$expected" | grep -c .)" -le "$(echo "$crun" | grep -c .)" ]
    if [ -x "$SUITE/run.sh" ]; then
        # Every name is a program of the suite (its list needs the suite built).
        local programs
        programs=$(OCI_VALIDATION_BIN=${OCI_VALIDATION_BIN:-/var/cache/hull/oci-validation} "$SUITE/run.sh" --list 2>/dev/null) \
            || skip "cannot build the suite's program list"
        run comm -23 <({ echo "$expected"; echo "$crun"; echo "$races"; } | sort -u) <(echo "$programs" | sort)
        assert_output ""
    fi
}

@test "OCI validation suite: hull fails only expected programs, no more than crun" {
    requires root
    [ -x "$SUITE/run.sh" ] || skip "OCI validation suite not found at $SUITE"
    local status=0
    # Suite races and controllers the host will not rebind are reported, not
    # counted (.ci/conformance --help); `make conformance` counts them.
    "$SRC_DIR/.ci/conformance" --tolerate-races --suite "$SUITE" --results "$SRC_DIR/build/conformance" "$HULL_BIN" \
        >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
    # On failure bats shows this: the verdict, not the whole table.
    grep -E '^(# |conformance: )' "$BATS_TEST_TMPDIR/out" || tail -n 20 "$BATS_TEST_TMPDIR/out"
    [ "$status" = 0 ]
    grep -qE '^conformance: OK, [0-9]+ failing programs \(crun: [0-9]+\), all expected$' "$BATS_TEST_TMPDIR/out"
}

# A results directory as the harness writes it: summary.tsv rows are
# name ok not-ok skip todo status whole-program-failure secs implicit-pass.
fake_results() {
    mkdir -p "$BATS_TEST_TMPDIR/results/run"
    printf '%s\n' "$@" | tr ' ' '\t' >"$BATS_TEST_TMPDIR/results/run/summary.tsv"
    echo "1 passed, 0 failed" >"$BATS_TEST_TMPDIR/results/run/summary.txt"
}

compare() {
    run "$SRC_DIR/.ci/conformance" --compare-only "$@" --results "$BATS_TEST_TMPDIR/results"
}

@test "compare: failures on the expected list only, and hook programs without points, pass" {
    fake_results "create 4 0 0 0 ok 0 0.1 0" "default 270 0 39 0 ok 0 1.0 0" \
                 "delete 3 2 0 0 fail 0 13 0" "linux_cgroups_blkio 0 0 0 0 CRASH(rc=1) 1 0.3 0" \
                 "poststart 0 0 0 0 ok:implicit 0 0.2 1" "process_rlimits_fail 0 0 0 0 ok:implicit 0 0.2 1"
    compare
    assert_success
    assert_line "# failing programs (2; crun: 2): delete linux_cgroups_blkio"
    assert_line "conformance: OK, 2 failing programs (crun: 2), all expected"
}

@test "compare: an unexpected failure fails, and a fixed program is pointed out" {
    fake_results "create 2 1 0 0 fail 0 0.1 0" "delete 5 0 0 0 ok 0 13 0" "state 3 0 0 0 ok 0 0.3 0"
    compare
    assert_failure 1
    assert_line "# now passing, remove from .ci/conformance-expected-failures: delete"
    assert_line --partial "# UNEXPECTED failures"
    assert_line --regexp "^# UNEXPECTED failures .*: create$"
    assert_line "conformance: FAILED, 1 failing programs (crun: 1), 1 unexpected"
}

@test "compare: an in-container program that printed no test point is a failure, not a pass" {
    fake_results "default 0 0 0 0 ok:implicit 0 0.1 1" "prestart_fail 0 0 0 0 ok:implicit 0 0.1 1"
    compare
    assert_failure 1
    assert_line "# of which printed no test point at all (counted as failing): default"
    assert_line "conformance: FAILED, 1 failing programs (crun: 0), 1 unexpected"
}

@test "compare: without results it says so" {
    run "$SRC_DIR/.ci/conformance" --compare-only --results "$BATS_TEST_TMPDIR/none"
    assert_failure 2
    assert_output "conformance: no results to compare in $BATS_TEST_TMPDIR/none/run"
}

@test "compare: a suite race is never unexpected; counted unless races are tolerated" {
    fake_results "create 4 0 0 0 ok 0 0.1 0" "killsig 2 1 0 0 fail 0 1 0" "delete 3 2 0 0 fail 0 13 0"
    compare
    assert_failure 1
    assert_line "# failing programs (2; crun: 1): delete killsig"
    assert_line "conformance: FAILED, 2 failing programs (crun: 1), 0 unexpected"
    compare --tolerate-races
    assert_success
    assert_line "# not counted (suite races, or a controller the host would not rebind): killsig"
    assert_line "conformance: OK, 1 failing programs (crun: 1), all expected"
}

@test "compare: hugetlb programs are excused only when the host would not rebind hugetlb" {
    fake_results "linux_cgroups_hugetlb 0 0 0 0 CRASH(rc=1) 1 0.3 0" "create 4 0 0 0 ok 0 0.1 0"
    compare --tolerate-races
    assert_failure 1
    assert_line --regexp "^# UNEXPECTED failures .*: linux_cgroups_hugetlb$"
    echo "--fix-cgroups: could not mount hugetlb as v1 (left as it is)" >"$BATS_TEST_TMPDIR/results/run.log"
    compare --tolerate-races
    assert_success
    assert_line "# not counted (suite races, or a controller the host would not rebind): linux_cgroups_hugetlb"
    compare
    assert_failure 1
}
