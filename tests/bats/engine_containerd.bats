#!/usr/bin/env bats
# containerd drives hull through its standard runc shim (io.containerd.runc.v2,
# `ctr run --runc-binary build/hull`): a private containerd (its own root,
# state, sockets and runc root, tests/engines/containerd.sh) runs a busybox
# image built locally (tests/engines/busybox-image.sh, no registry).

load helpers

ENGINES=$TESTS_DIR/engines
IMAGE=hull-busybox:latest

setup_file() {
    requires root
    "$ENGINES/containerd.sh" install >"$BATS_FILE_TMPDIR/install.log" 2>&1 \
        || skip "containerd cannot be installed: $(tail -n 1 "$BATS_FILE_TMPDIR/install.log")"
    [ -x "$HULL_BIN" ] || fail "$HULL_BIN not built"
    CTRD_DIR=$(mktemp -d /tmp/hull-ctrd.XXXXXX)
    CTRD_NS=hull-engine-$$
    export CTRD_DIR CTRD_NS
    "$ENGINES/containerd.sh" start "$CTRD_DIR"
    "$ENGINES/busybox-image.sh" "$CTRD_DIR/busybox.tar" "$IMAGE"
    ctr_ images import "$CTRD_DIR/busybox.tar" >/dev/null
}

teardown_file() {
    [ -n "${CTRD_DIR:-}" ] || return 0
    "$ENGINES/containerd.sh" stop "$CTRD_DIR" "$HULL_BIN"
    [ ! -e "$CTRD_DIR" ] || fail "$CTRD_DIR left behind"
    local left
    left=$(ls -d /sys/fs/cgroup/*/"$CTRD_NS" /sys/fs/cgroup/"$CTRD_NS" 2>/dev/null || true)
    [ -z "$left" ] || fail "cgroups left behind: $left"
    ! grep -q "$CTRD_DIR" /proc/self/mountinfo || fail "mounts left behind under $CTRD_DIR"
}

setup() {
    ID=$(test_id)
}

teardown() {
    local bg
    for bg in ${BG_PIDS:-}; do
        kill "$bg" 2>/dev/null
    done
    ctr_ task kill -a -s SIGKILL "$ID" >/dev/null 2>&1
    for bg in ${BG_PIDS:-}; do
        wait "$bg" 2>/dev/null
    done
    ctr_ task delete --force "$ID" >/dev/null 2>&1
    ctr_ containers delete "$ID" >/dev/null 2>&1
    true
}

# A hung engine fails its test instead of the whole suite.
ctr_() {
    timeout -k 10 300 "$ENGINES/containerd.sh" ctr "$CTRD_DIR" -n "$CTRD_NS" "$@"
}

# ctr_run [FLAGS...] IMAGE ID [ARGS...]: `ctr run` with hull as the shim's runtime.
ctr_run() {
    ctr_ run --runtime io.containerd.runc.v2 --runc-binary "$HULL_BIN" --runc-root "$CTRD_DIR/runc" "$@"
}

# The same as one shell command line, for `script` (a pty for --tty).
ctr_cmdline() {
    # --foreground: timeout must stay in the terminal's foreground process
    # group, or the engine's tcsetattr on it stops with SIGTTOU (script(1)
    # runs the line through $SHELL, and dash forks instead of exec'ing).
    printf '%q ' timeout --foreground -k 10 300 "$ENGINES/containerd.sh" ctr "$CTRD_DIR" -n "$CTRD_NS" "$@"
}

task_field() {   # task_field ID pid|status
    ctr_ task ls 2>/dev/null | awk -v id="$1" -v f="$2" '$1 == id { print (f == "pid" ? $2 : $3) }'
}

wait_task_status() {
    local id=$1 want=$2 i
    for ((i = 0; i < 300; i++)); do
        [ "$(task_field "$id" status)" = "$want" ] && return 0
        sleep 0.1
    done
    echo "task $id: status $(task_field "$id" status), not $want after 30s" >&2
    return 1
}

wait_for_file_line() {   # FILE PATTERN
    local i
    for ((i = 0; i < 300; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "no '$2' in $1 after 30s: $(cat "$1")" >&2
    return 1
}

# The container's cgroup directory for CONTROLLER (v1) or the cgroup2 one.
cgroup_dir_of() {
    local pid=$1 ctrl=$2 path
    path=$(awk -F: -v c="$ctrl" '$2 == c { print $3 }' "/proc/$pid/cgroup")
    if [ -n "$path" ] && [ -d "/sys/fs/cgroup/$ctrl$path" ]; then
        echo "/sys/fs/cgroup/$ctrl$path"
        return
    fi
    path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        echo "/sys/fs/cgroup$path"
    else
        echo "/sys/fs/cgroup/unified$path"
    fi
}

@test "containerd: ctr run through hull returns the output and the exit code, and leaves nothing" {
    run ctr_run --rm "$IMAGE" "$ID" sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
    assert_equal "$status" 7
    assert_line to-stdout
    assert_line to-stderr
    ! ctr_ task ls -q | grep -qxF "$ID" || fail "task $ID still listed"
    ! ctr_ containers ls -q | grep -qxF "$ID" || fail "container $ID still listed"
    [ ! -e "$CTRD_DIR/runc/$CTRD_NS/$ID" ] || fail "hull's state dir left: $(ls "$CTRD_DIR/runc/$CTRD_NS/$ID")"
    local left
    left=$(ls -d /sys/fs/cgroup/*/"$CTRD_NS/$ID" 2>/dev/null || true)
    [ -z "$left" ] || fail "cgroups left behind: $left"
}

@test "containerd: the shim's runtime is hull (hull's state dir under the runc root, hull state agrees)" {
    ctr_run -d "$IMAGE" "$ID" sleep 1000
    wait_task_status "$ID" RUNNING
    local pid
    pid=$(task_field "$ID" pid)
    [ -f "$CTRD_DIR/runc/$CTRD_NS/$ID/state.json" ]
    run "$HULL_BIN" --root "$CTRD_DIR/runc/$CTRD_NS" state "$ID"
    assert_success
    jq -e --arg id "$ID" --argjson pid "$pid" '.id == $id and .status == "running" and .pid == $pid' <<<"$output"
    # The shim recorded the binary it runs.
    jq -e --arg b "$HULL_BIN" '.binary_name == $b' \
        "$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$ID/options.json"
}

@test "containerd: stdin reaches the container" {
    two_lines_into() {
        printf 'line-one\nline-two\n' | ctr_run --rm "$IMAGE" "$ID" sh -c 'read a; read b; echo "got:$a:$b"'
    }
    run two_lines_into
    assert_success
    assert_output "got:line-one:line-two"
}

@test "containerd: ctr task kill delivers SIGTERM to the container's trap" {
    local out=$BATS_TEST_TMPDIR/out
    ctr_run "$IMAGE" "$ID" sh -c 'trap "echo got-TERM; exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
        >"$out" 2>&1 </dev/null &
    local ctr_pid=$!
    BG_PIDS=$ctr_pid
    wait_for_file_line "$out" ready
    run ctr_ task kill "$ID"
    assert_success
    local rc=0
    wait "$ctr_pid" || rc=$?
    BG_PIDS=
    assert_equal "$rc" 42
    grep -qx got-TERM "$out" || fail "no got-TERM in: $(cat "$out")"
}

@test "containerd: ctr task exec returns the exec's output and exit code" {
    ctr_run -d "$IMAGE" "$ID" sleep 1000
    wait_task_status "$ID" RUNNING
    run ctr_ task exec --exec-id "e-$ID" "$ID" sh -c 'echo in-exec; echo exec-err >&2; exit 5'
    assert_equal "$status" 5
    assert_line in-exec
    assert_line exec-err
    run ctr_ task exec --exec-id "e2-$ID" "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    assert_success
    assert_output "sleep 1000 "
}

@test "containerd: ctr task ps lists the container's processes" {
    ctr_run -d "$IMAGE" "$ID" sleep 1000
    wait_task_status "$ID" RUNNING
    local pid
    pid=$(task_field "$ID" pid)
    run ctr_ task ps "$ID"
    assert_success
    assert_line --regexp "^$pid[[:space:]]"
}

@test "containerd: ctr task pause freezes the container, resume thaws it" {
    ctr_run -d "$IMAGE" "$ID" sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
    wait_task_status "$ID" RUNNING
    local pid count=/proc/$(task_field "$ID" pid)/root/tmp/count
    pid=$(task_field "$ID" pid)
    wait_for_file_line "$count" '[0-9]'
    run ctr_ task pause "$ID"
    assert_success
    wait_task_status "$ID" PAUSED
    local freezer
    freezer=$(cgroup_dir_of "$pid" freezer)
    if [ -f "$freezer/freezer.state" ]; then
        assert_equal "$(cat "$freezer/freezer.state")" FROZEN
    else
        assert_equal "$(cat "$freezer/cgroup.freeze")" 1
    fi
    local before after
    before=$(cat "$count")
    sleep 1   # the interval over which a frozen counter must not move
    after=$(cat "$count")
    assert_equal "$after" "$before"
    run ctr_ task resume "$ID"
    assert_success
    wait_task_status "$ID" RUNNING
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(cat "$count")" -gt "$before" ] && break
        sleep 0.1
    done
    [ "$(cat "$count")" -gt "$before" ] || fail "counter still at $before 30s after resume"
}

@test "containerd: --memory-limit is the memory limit of the container's cgroup" {
    ctr_run -d --memory-limit 67108864 "$IMAGE" "$ID" sleep 1000
    wait_task_status "$ID" RUNNING
    local pid dir
    pid=$(task_field "$ID" pid)
    dir=$(cgroup_dir_of "$pid" memory)
    [[ $dir == */"$CTRD_NS/$ID" ]] || fail "container's memory cgroup is $dir, not .../$CTRD_NS/$ID"
    if [ -f "$dir/memory.limit_in_bytes" ]; then
        assert_equal "$(cat "$dir/memory.limit_in_bytes")" 67108864
    else
        assert_equal "$(cat "$dir/memory.max")" 67108864
    fi
}

@test "containerd: ctr run --tty gives the process a terminal" {
    local cmd
    cmd=$(ctr_cmdline run --runc-binary "$HULL_BIN" --runc-root "$CTRD_DIR/runc" --rm -t "$IMAGE" "$ID" \
              sh -c '[ -t 0 ] && [ -t 1 ] && echo "tty:$(tty)"; exit 4')
    SHELL=/bin/sh run script -qefc "$cmd" /dev/null </dev/null
    assert_equal "$status" 4
    assert_output --regexp 'tty:/dev/(pts/[0-9]+|console)'
}

@test "containerd: ctr task exec --tty gives the exec a terminal" {
    ctr_run -d "$IMAGE" "$ID" sleep 1000
    wait_task_status "$ID" RUNNING
    local cmd
    cmd=$(ctr_cmdline task exec -t --exec-id "e-$ID" "$ID" sh -c '[ -t 0 ] && [ -t 1 ] && echo "exec-tty:$(tty)"; exit 6')
    SHELL=/bin/sh run script -qefc "$cmd" /dev/null </dev/null
    assert_equal "$status" 6
    assert_output --regexp 'exec-tty:/dev/pts/[0-9]+'
}

@test "containerd: a missing command fails with hull's error and leaves nothing" {
    run ctr_run --rm "$IMAGE" "$ID" no-such-command
    assert_failure
    assert_output --partial 'executable file not found'
    ! ctr_ task ls -q | grep -qxF "$ID" || fail "task $ID still listed"
    [ ! -e "$CTRD_DIR/runc/$CTRD_NS/$ID" ] || fail "hull's state dir left behind"
}
