#!/usr/bin/env bats
# podman drives hull (`podman --runtime build/hull`, through conmon): a private
# podman (its own storage, run root, database and events log, network none,
# cgroupfs; tests/engines/podman.sh) runs a busybox image built locally
# (tests/engines/busybox-image.sh, no registry).  podman passes no --root, so
# hull keeps these containers in its default state dir, /run/hull.

load helpers
bats_require_minimum_version 1.5.0

ENGINES=$TESTS_DIR/engines
IMAGE=localhost/hull-busybox:latest
DEFAULT_ROOT=/run/hull

setup_file() {
    requires root
    "$ENGINES/podman.sh" install >"$BATS_FILE_TMPDIR/install.log" 2>&1 \
        || skip "podman cannot be installed: $(tail -n 1 "$BATS_FILE_TMPDIR/install.log")"
    [ -x "$HULL_BIN" ] || fail "$HULL_BIN not built"
    PM_DIR=$(mktemp -d /tmp/hull-podman.XXXXXX)
    export PM_DIR
    "$ENGINES/podman.sh" setup "$PM_DIR"
    "$ENGINES/busybox-image.sh" "$PM_DIR/busybox.tar" hull-busybox:latest
    pm load -q -i "$PM_DIR/busybox.tar" >/dev/null
}

teardown_file() {
    [ -n "${PM_DIR:-}" ] || return 0
    "$ENGINES/podman.sh" clean "$PM_DIR" "$HULL_BIN"
    [ ! -e "$PM_DIR" ] || fail "$PM_DIR left behind"
    ! grep -q "$PM_DIR" /proc/self/mountinfo || fail "mounts left behind under $PM_DIR"
}

setup() {
    NAME=$(test_id)
}

teardown() {
    local cid
    cid=$(pm inspect --format '{{.Id}}' "$NAME" 2>/dev/null) || cid=
    pm rm -f -t 0 "$NAME" >/dev/null 2>&1
    [ -z "$cid" ] || "$HULL_BIN" delete --force "$cid" >/dev/null 2>&1
    true
}

# A hung engine fails its test instead of the whole suite.
pm() {
    timeout -k 10 300 "$ENGINES/podman.sh" podman "$PM_DIR" --runtime "$HULL_BIN" "$@"
}

pm_cmdline() {
    # --foreground: timeout must stay in the terminal's foreground process
    # group, or the engine's tcsetattr on it stops with SIGTTOU (script(1)
    # runs the line through $SHELL, and dash forks instead of exec'ing).
    printf '%q ' timeout --foreground -k 10 300 "$ENGINES/podman.sh" podman "$PM_DIR" --runtime "$HULL_BIN" "$@"
}

wait_running() {
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" = running ] && return 0
        sleep 0.1
    done
    echo "container $1 not running after 30s" >&2
    return 1
}

wait_for_log() {   # NAME TEXT
    local i
    for ((i = 0; i < 300; i++)); do
        pm logs "$1" 2>/dev/null | grep -qxF "$2" && return 0
        sleep 0.1
    done
    echo "no '$2' in the logs of $1 after 30s: $(pm logs "$1" 2>&1)" >&2
    return 1
}

# Nothing of container CID left in hull's default state dir or the cgroups.
assert_runtime_clean() {
    local cid=$1 left
    [ ! -e "$DEFAULT_ROOT/$cid" ] || fail "hull state dir $DEFAULT_ROOT/$cid left behind"
    left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$cid*" 2>/dev/null | head -3)
    [ -z "$left" ] || fail "cgroups left behind: $left"
}

@test "podman: run through hull returns the output and the exit code, and leaves nothing" {
    run pm run --name "$NAME" "$IMAGE" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
    assert_equal "$status" 3
    assert_line to-stdout
    assert_line to-stderr
    local cid
    cid=$(pm inspect --format '{{.Id}}' "$NAME")
    assert_equal "$(pm inspect --format '{{.State.ExitCode}}' "$NAME")" 3
    assert_equal "$(pm inspect --format '{{.OCIRuntime}}' "$NAME")" "$HULL_BIN"
    run pm rm "$NAME"
    assert_success
    assert_runtime_clean "$cid"
}

@test "podman: a missing command exits 127, a non-executable file 126" {
    run -127 pm run --rm "$IMAGE" no-such-command
    assert_equal "$status" 127
    assert_output --partial 'executable file not found'
    run -126 pm run --rm "$IMAGE" /etc/passwd
    assert_equal "$status" 126
    assert_output --partial 'ermission denied'
}

@test "podman: run -d, exec, logs, stop, rm; hull keeps the container in its default state dir" {
    run pm run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-TERM; exit 0" TERM; echo started; while :; do sleep 0.1; done'
    assert_success
    local cid=$output
    wait_running "$NAME"
    wait_for_log "$NAME" started
    # podman passed no --root: hull's own default.
    [ -f "$DEFAULT_ROOT/$cid/state.json" ] || fail "no $DEFAULT_ROOT/$cid/state.json"
    run "$HULL_BIN" state "$cid"
    assert_success
    jq -e --argjson pid "$(pm inspect --format '{{.State.Pid}}' "$NAME")" '.status == "running" and .pid == $pid' <<<"$output"

    run pm exec "$NAME" sh -c 'echo in-exec; exit 4'
    assert_equal "$status" 4
    assert_output in-exec
    run -127 pm exec "$NAME" no-such-command

    run pm stop -t 30 "$NAME"
    assert_success
    assert_equal "$(pm inspect --format '{{.State.Status}}' "$NAME")" exited
    assert_equal "$(pm inspect --format '{{.State.ExitCode}}' "$NAME")" 0
    run pm logs "$NAME"
    assert_success
    assert_output $'started\ngot-TERM'
    run pm rm "$NAME"
    assert_success
    assert_runtime_clean "$cid"
}

@test "podman: --memory and --pids-limit are the container's cgroup limits" {
    run pm run --rm --memory 64m --pids-limit 17 "$IMAGE" sh -c '
        cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
        cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
    assert_success
    assert_output $'67108864\n17'
}

@test "podman: update changes a running container's memory limit through hull update" {
    pm run -d --name "$NAME" --memory 64m "$IMAGE" sleep 1000
    wait_running "$NAME"
    run pm update --memory 128m "$NAME"
    assert_success
    run pm exec "$NAME" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
    assert_success
    assert_output 134217728
}

@test "podman: pause freezes the container, unpause thaws it" {
    pm run -d --name "$NAME" "$IMAGE" sleep 1000
    wait_running "$NAME"
    local pid path
    pid=$(pm inspect --format '{{.State.Pid}}' "$NAME")
    run pm pause "$NAME"
    assert_success
    assert_equal "$(pm inspect --format '{{.State.Status}}' "$NAME")" paused
    path=$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$pid/cgroup")
    if [ -n "$path" ]; then
        assert_equal "$(cat "/sys/fs/cgroup/freezer$path/freezer.state")" FROZEN
    else
        grep -q '^frozen 1$' "/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")/cgroup.events"
    fi
    run pm unpause "$NAME"
    assert_success
    assert_equal "$(pm inspect --format '{{.State.Status}}' "$NAME")" running
    if [ -n "$path" ]; then
        assert_equal "$(cat "/sys/fs/cgroup/freezer$path/freezer.state")" THAWED
    fi
}

@test "podman: --pids-limit stops a fork bomb at the limit" {
    # The inner shell forks sleepers until fork fails (ash then exits); the
    # outer one reads the pids controller's counters and kills the rest.
    run pm run --rm --pids-limit 10 "$IMAGE" sh -c '
        d=/sys/fs/cgroup/pids; [ -e $d/pids.current ] || d=/sys/fs/cgroup
        sh -c "while :; do sleep 1000 & done" 2>/dev/null
        read current <$d/pids.current; echo "current $current"
        while read key value; do [ "$key" = max ] && echo "refused $value"; done <$d/pids.events
        kill -9 -1; exit 0'
    assert_success
    local current refused
    current=$(sed -n 's/^current //p' <<<"$output")
    refused=$(sed -n 's/^refused //p' <<<"$output")
    [ -n "$current" ] && [ "$current" -le 10 ] && [ "$current" -ge 5 ] || fail "pids.current not in 5..10: $output"
    [ -n "$refused" ] && [ "$refused" -ge 1 ] || fail "no fork refused at pids.max: $output"
}

@test "podman: --read-only makes / read-only, /tmp stays writable" {
    run pm run --rm --read-only "$IMAGE" sh -c 'touch /x 2>&1 && echo wrote-root; touch /tmp/y && echo wrote-tmp'
    assert_success
    assert_line --partial 'Read-only file system'
    refute_line wrote-root
    assert_line wrote-tmp
}

@test "podman: --user 1000 runs as uid 1000" {
    run pm run --rm --user 1000 "$IMAGE" sh -c 'id -u; id -g'
    assert_success
    assert_output $'1000\n1000'
}

@test "podman: --cap-drop ALL leaves no capabilities" {
    run pm run --rm --cap-drop ALL "$IMAGE" sh -c 'grep -E "^Cap(Prm|Eff|Bnd|Amb):" /proc/self/status'
    assert_success
    assert_equal "$(grep -c ':[[:space:]]*0000000000000000$' <<<"$output")" 4
}

@test "podman: -e and -w set the environment and the working directory" {
    run pm run --rm -e HULL_TEST=some-value -w /tmp "$IMAGE" sh -c 'echo "$HULL_TEST"; pwd'
    assert_success
    assert_output $'some-value\n/tmp'
}

@test "podman: -i passes stdin to the container" {
    pipe_into() {
        printf 'line-one\nline-two\n' | pm run --rm -i "$IMAGE" sh -c 'read a; read b; echo "got:$a:$b"'
    }
    run pipe_into
    assert_success
    assert_output "got:line-one:line-two"
}

@test "podman: --tty gives the process a terminal, for run and exec" {
    SHELL=/bin/sh run script -qefc "$(pm_cmdline run --rm -t "$IMAGE" sh -c '[ -t 0 ] && [ -t 1 ] && echo "tty:$(tty)"; exit 5')" /dev/null </dev/null
    assert_equal "$status" 5
    assert_output --regexp 'tty:/dev/pts/[0-9]+'

    pm run -d --name "$NAME" "$IMAGE" sleep 1000
    wait_running "$NAME"
    SHELL=/bin/sh run script -qefc "$(pm_cmdline exec -t "$NAME" sh -c '[ -t 0 ] && [ -t 1 ] && echo "exec-tty:$(tty)"; exit 6')" /dev/null </dev/null
    assert_equal "$status" 6
    assert_output --regexp 'exec-tty:/dev/pts/[0-9]+'
}

@test "podman: RLIMIT_NOFILE within the hard limit is applied; above it without CAP_SYS_RESOURCE fails clearly, as with runc" {
    # --ulimit replaces the engine's default list, and podman then asks for
    # RLIMIT_NPROC 1048576 again: give one that the kernel allows.
    local nproc=(--ulimit nproc=1024:1024)
    run pm run --rm "${nproc[@]}" --ulimit nofile=1000:2000 "$IMAGE" sh -c 'ulimit -Sn; ulimit -Hn'
    assert_success
    assert_output $'1000\n2000'

    local hard cap_bnd
    hard=$(ulimit -Hn)
    cap_bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
    run pm run --rm "${nproc[@]}" --ulimit nofile=1048576:1048576 "$IMAGE" sh -c 'ulimit -Hn'
    if [ "$hard" != unlimited ] && [ "$hard" -lt 1048576 ] && (( (0x$cap_bnd >> 24 & 1) == 0 )); then
        assert_equal "$status" 126
        assert_output --partial RLIMIT_NOFILE
        assert_output --partial CAP_SYS_RESOURCE
    else
        assert_success
        assert_output 1048576
    fi
}
