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
    local expected crun
    expected=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$SRC_DIR/.ci/conformance-expected-failures" | sort)
    crun=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$SRC_DIR/.ci/conformance-crun-failures" | sort)
    [ -n "$crun" ]
    # No duplicates, and never more allowed failures than crun has.
    [ "$(echo "$expected" | uniq -d)" = "" ]
    [ "$(echo "$expected" | grep -c .)" -le "$(echo "$crun" | grep -c .)" ]
    if [ -x "$SUITE/run.sh" ]; then
        # Every name is a program of the suite (its list needs the suite built).
        local programs
        programs=$(OCI_VALIDATION_BIN=${OCI_VALIDATION_BIN:-/var/cache/hull/oci-validation} "$SUITE/run.sh" --list 2>/dev/null) \
            || skip "cannot build the suite's program list"
        run comm -23 <({ echo "$expected"; echo "$crun"; } | sort -u) <(echo "$programs" | sort)
        assert_output ""
    fi
}

@test "OCI validation suite: hull fails only expected programs, no more than crun" {
    requires root
    [ -x "$SUITE/run.sh" ] || skip "OCI validation suite not found at $SUITE"
    local status=0
    "$SRC_DIR/.ci/conformance" --suite "$SUITE" --results "$SRC_DIR/build/conformance" "$HULL_BIN" \
        >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
    # On failure bats shows this: the verdict, not the whole table.
    grep -E '^(# |conformance: )' "$BATS_TEST_TMPDIR/out" || tail -n 20 "$BATS_TEST_TMPDIR/out"
    [ "$status" = 0 ]
    grep -qE '^conformance: OK, [0-9]+ failing programs \(crun: [0-9]+\), all expected$' "$BATS_TEST_TMPDIR/out"
}
