#!/bin/bash
# Runs TAP-producing test programs and bats suites, prints their output, lists
# what failed, and ends with exactly one line "N passed, M failed" (skipped
# tests are counted on the line before it).  Exit status 0 only when nothing
# failed.
#
#   tests/run-tests.sh [--build-log LOG] [--timeout SEC] [--env VAR=VALUE]
#                      [--unit BIN...] [--bats FILE...]
#
# --build-log is the output of the `make -k` that built the test programs:
# every target it names as failed counts as one failure, and a test program
# among them is not run (an older binary may still be there).
#
# --timeout applies to each program or suite from then on (default
# $HULL_TEST_TIMEOUT, else 300 s for unit programs and 900 s for bats
# suites): a hung one is killed with its process group and counted as one
# failure, so it cannot eat the rest of the run.
#
# --env VAR=VALUE sets VAR for the programs and suites after it (repeat it
# for more; --env VAR= sets it empty); each one is then reported as
# "VAR=VALUE FILE", so a suite run twice (e.g. HULL_ISOLATION=microvm for the
# microVM parity run) counts as two separate entries.
#
# Counting: "ok" points pass, "not ok" points fail, "ok ... # skip" points
# are skipped; "not ok ... # TODO" points are known gaps, counted as skipped.
# A program that exits non-zero without a "not ok", or whose plan does not
# match its points, adds one failure.
set -u
passed=0 failed=0 skipped=0 runs=0
mode=unit
timeout_arg=${HULL_TEST_TIMEOUT:-}
results=$(mktemp -d)
failures=$results/failures
: >"$failures"
current=
run_env=()
trap '[ -z "$current" ] || kill "$current" 2>/dev/null; rm -rf "$results"' EXIT

count_tap() {
    local file=$1 rc=$2 name=$3 ok notok skip todo plan points
    ok=$(grep -cE '^ok ' "$file")
    skip=$(grep -ciE '^ok .*# skip' "$file")
    notok=$(grep -cE '^not ok ' "$file")
    todo=$(grep -ciE '^not ok .*# todo' "$file")
    plan=$(grep -oE '^1\.\.[0-9]+' "$file" | head -1 | cut -d. -f3)
    points=$((ok + notok))
    passed=$((passed + ok - skip))
    skipped=$((skipped + skip + todo))
    failed=$((failed + notok - todo))
    grep -E '^not ok ' "$file" | grep -viE '# todo' | sed "s|^|$name: |" >>"$failures"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "# $name: timed out after ${limit}s"
        echo "$name: timed out after ${limit}s" >>"$failures"; failed=$((failed + 1))
    elif [ "$rc" -ne 0 ] && [ $((notok - todo)) -eq 0 ]; then
        local why="exited with status $rc"
        [ "$rc" -gt 128 ] && why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
        echo "# $name: $why"
        echo "$name: $why" >>"$failures"; failed=$((failed + 1))
    elif [ -z "$plan" ] || [ "$plan" -ne "$points" ]; then
        echo "# $name: plan ${plan:-missing} but $points test points"
        echo "$name: plan ${plan:-missing} but $points test points" >>"$failures"; failed=$((failed + 1))
    fi
}

# Targets a `make -k` log names as failed or not remade, one per line.
failed_targets() {
    sed -nE -e "s/^make(\[[0-9]+\])?: \*\*\* \[[^]]*: ([^]]+)\] Error [0-9]+$/\2/p" \
            -e "s/^make(\[[0-9]+\])?: Target '([^']+)' not remade because of errors\.$/\2/p" "$1" | sort -u
}

not_built=
note_build_failures() {
    local target
    not_built=$(failed_targets "$1")
    for target in $not_built; do
        echo "# $target: did not build (make's errors are above)"
        echo "$target: did not build" >>"$failures"
        failed=$((failed + 1))
    done
}

run_one() {
    local arg=$1 out rc start name
    if printf '%s\n' $not_built | grep -qxF -- "$arg"; then
        return   # counted by note_build_failures
    fi
    # A fresh file each time: tail must never see the previous program's.
    runs=$((runs + 1))
    out="$results/$runs.tap"
    : >"$out"
    if [ -n "$timeout_arg" ]; then limit=$timeout_arg
    elif [ "$mode" = unit ]; then limit=300
    else limit=900
    fi
    name="${run_env[*]}${run_env[*]:+ }$arg"
    echo "# --- $name"
    start=$SECONDS
    # The output goes to a file (a process the test leaked may keep it open
    # for ever, which must not block the run) and is streamed from there so
    # a long suite shows its progress.  The subshell keeps the shell's own
    # "Segmentation fault" notes in the file too.
    if [ ! -e "$arg" ]; then
        echo "# $arg: no such file" | tee "$out"; rc=127
    elif [ "$mode" = bats ] && ! command -v bats >/dev/null; then
        echo "# $arg: bats is not installed (run: .ci/install-deps test)" | tee "$out"; rc=127
    else
        if [ "$mode" = unit ]; then
            (timeout -k 10 "$limit" env "${run_env[@]}" "$arg") </dev/null >>"$out" 2>&1 &
        else
            (timeout -k 30 "$limit" env "${run_env[@]}" bats --tap "$arg") </dev/null >>"$out" 2>&1 &
        fi
        current=$!
        tail -n +1 -s 0.2 -f --pid="$current" "$out"
        { wait "$current"; } 2>/dev/null; rc=$?
        current=
    fi
    count_tap "$out" "$rc" "$name"
    echo "# --- $name: $((SECONDS - start))s"
}

while [ $# -gt 0 ]; do
    case $1 in
    --unit) mode=unit ;;
    --bats) mode=bats ;;
    --timeout) timeout_arg=${2:?--timeout needs seconds}; shift ;;
    --env)
        case ${2:-} in
        [A-Za-z_]*=*) run_env+=("$2") ;;
        *) echo "run-tests.sh: --env needs VAR=VALUE" >&2; exit 2 ;;
        esac
        shift ;;
    --build-log) note_build_failures "${2:?--build-log needs a file}"; shift ;;
    *) run_one "$1" ;;
    esac
    shift
done

if [ -s "$failures" ]; then
    echo "# Failed:"
    sed 's/^/#   /' "$failures"
fi
echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
