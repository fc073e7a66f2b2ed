#!/bin/bash
# Runs TAP-producing test programs and bats suites, prints their output, and
# ends with one line "N passed, M failed[, K skipped]".  Exit status 0 only
# when nothing failed.
#
#   tests/run-tests.sh [--unit BIN...] [--bats FILE...]
set -u
passed=0 failed=0 skipped=0
mode=unit
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

count_tap() {   # count one TAP stream; a crashed program or a bad plan is one failure
    local file=$1 rc=$2 name=$3 ok notok skip plan points
    ok=$(grep -cE '^ok ' "$file" | tr -d ' ')
    skip=$(grep -cE '^ok .*# [sS][kK][iI][pP]' "$file" | tr -d ' ')
    notok=$(grep -cE '^not ok ' "$file" | tr -d ' ')
    plan=$(grep -oE '^1\.\.[0-9]+' "$file" | head -1 | cut -d. -f3)
    points=$((ok + notok))
    passed=$((passed + ok - skip)); skipped=$((skipped + skip)); failed=$((failed + notok))
    if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
        echo "# $name exited with status $rc" ; failed=$((failed + 1))
    elif [ -z "$plan" ] || [ "$plan" -ne "$points" ]; then
        echo "# $name: plan ${plan:-missing} but $points test points"; failed=$((failed + 1))
    fi
}

for arg in "$@"; do
    case $arg in
    --unit) mode=unit; continue ;;
    --bats) mode=bats; continue ;;
    esac
    out="$results/$(basename "$arg").tap"
    echo "# --- $arg"
    if [ "$mode" = unit ]; then
        "$arg" > "$out" 2>&1; rc=$?
    else
        bats --tap "$arg" > "$out" 2>&1; rc=$?
    fi
    cat "$out"
    count_tap "$out" "$rc" "$arg"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
