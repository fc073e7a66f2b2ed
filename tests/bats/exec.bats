#!/usr/bin/env bats
# hull exec: the process joins the container (namespaces, cgroups, root,
# env, cwd, hostname), each runc flag shapes it, exit statuses and signals
# come back, and exec into a paused or stopped container is refused with
# nothing started.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

# Start the container with `sleep` as its init; print the init's pid.
start_sleeper() {
    update_config '.process.args = ["sleep", "1000"] | .process.env += ["FROM_CONFIG=yes"] | .process.cwd = "/home/user"'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    hull state "$ID" | jq -r .pid
}

# exec --detach with its stdio on files (a detached process holds them).
exec_detached() {
    hull exec --detach "$@" </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>"$BATS_TEST_TMPDIR/exec.err"
}

wait_for_file() {
    local f=$1 i
    for ((i = 0; i < 300; i++)); do [ -e "$f" ] && return 0; sleep 0.1; done
    echo "$f did not appear" >&2
    return 1
}

@test "exec: runs a command in the container and returns its output and status" {
    start_sleeper >/dev/null
    run hull exec "$ID" sh -c 'echo hello from $(hostname)'
    assert_success
    assert_output "hello from hull"
    run hull exec "$ID" sh -c 'exit 3'
    [ "$status" -eq 3 ]
    run hull exec "$ID" sh -c 'kill -KILL $$'
    [ "$status" -eq 137 ]
    run hull exec "$ID" /nonexistent
    assert_failure
    assert_output --partial nonexistent
}

@test "exec: the process has the container's env, cwd, user and root" {
    start_sleeper >/dev/null
    run hull exec "$ID" sh -c 'echo $FROM_CONFIG; pwd; id -u; ls /bin/busybox'
    assert_success
    assert_line --index 0 yes
    assert_line --index 1 /home/user
    assert_line --index 2 0
    assert_line --index 3 /bin/busybox
}

@test "exec: the process is in every namespace and cgroup of the init" {
    local init pid ns
    init=$(start_sleeper)
    exec_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 1000
    pid=$(cat "$BATS_TEST_TMPDIR/pid")
    if [ "$HULL_ISOLATION" = microvm ]; then
        # The process is in the guest kernel's namespaces; the pid file names
        # the host-side proxy that stands for it (containerd waits on it).
        kill -0 "$pid"
        run hull exec "$ID" ps -o pid,args
        assert_output --partial "sleep 1000"
        return
    fi
    # the pid file names the process itself, which containerd waits on
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
    for ns in mnt pid net ipc uts cgroup user; do
        [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$init/ns/$ns")" ] || fail "namespace $ns differs"
    done
    diff "/proc/$init/cgroup" "/proc/$pid/cgroup"
    grep -q "$ID" "/proc/$pid/cgroup"
    [ "$(stat -Lc %i "/proc/$pid/root/bin/busybox")" = "$(stat -Lc %i "$BUNDLE/rootfs/bin/busybox")" ]
    # and the container sees it in its pid namespace
    run hull exec "$ID" ps -o pid,args
    assert_output --partial "sleep 1000"
}

@test "exec: --env, --cwd, --user, --additional-gids" {
    start_sleeper >/dev/null
    run hull exec --env FOO=bar -e FROM_CONFIG=overridden --cwd /tmp --user 1000:1000 -g 5 -g 7 "$ID" \
        sh -c 'echo $FOO $FROM_CONFIG; env | grep -c ^FROM_CONFIG=; pwd; id -u; id -g; id -G'
    assert_success
    assert_line --index 0 "bar overridden"
    assert_line --index 1 1
    assert_line --index 2 /tmp
    assert_line --index 3 1000
    assert_line --index 4 1000
    assert_line --index 5 "1000 5 7"
    run hull exec --user 1000 "$ID" id -u
    assert_output 1000
    run hull exec --user abc "$ID" true
    assert_failure
    assert_output --partial "--user"
}

@test "exec: --cap adds a capability, --no-new-privs sets no_new_privs" {
    update_config '.process.noNewPrivileges = false'
    start_sleeper >/dev/null
    # CAP_SYS_ADMIN is bit 21: 0x200000
    run hull exec "$ID" grep CapEff /proc/self/status
    assert_success
    [ $((0x$(echo "$output" | awk '{print $2}') & 0x200000)) -eq 0 ]
    run hull exec --cap CAP_SYS_ADMIN "$ID" grep CapEff /proc/self/status
    assert_success
    [ $((0x$(echo "$output" | awk '{print $2}') & 0x200000)) -ne 0 ]
    run hull exec "$ID" grep NoNewPrivs /proc/self/status
    assert_output --regexp 'NoNewPrivs:[[:space:]]+0'
    run hull exec --no-new-privs "$ID" grep NoNewPrivs /proc/self/status
    assert_output --regexp 'NoNewPrivs:[[:space:]]+1'
}

@test "exec: --preserve-fds passes fd 3 and nothing above it" {
    start_sleeper >/dev/null
    if [ "$HULL_ISOLATION" = microvm ]; then
        # An fd cannot cross into a VM: refused clearly, nothing started.
        run hull exec --preserve-fds 1 "$ID" sh -c 'echo should-not-run' 3</dev/null
        assert_failure
        assert_output "hull: --preserve-fds is not supported with microvm isolation: Operation not supported"
        return
    fi
    echo preserved-content >"$BATS_TEST_TMPDIR/pfile"
    run_preserve() {
        hull exec --preserve-fds 1 "$ID" sh -c 'cat <&3; [ -e /proc/self/fd/9 ] && echo fd9-leaked; echo done' \
            3<"$BATS_TEST_TMPDIR/pfile" 9</dev/null
    }
    run run_preserve
    assert_success
    assert_line --index 0 preserved-content
    assert_line --index 1 done
}

@test "exec: --process FILE runs that process as is" {
    start_sleeper >/dev/null
    cat >"$BATS_TEST_TMPDIR/process.json" <<'JSON'
{ "terminal": false, "user": { "uid": 1000, "gid": 1000 }, "args": ["sh", "-c", "echo $ONLY_HERE; pwd; id -u; exit 5"],
  "env": ["PATH=/bin", "ONLY_HERE=from-process-file"], "cwd": "/etc" }
JSON
    run hull exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
    [ "$status" -eq 5 ]
    assert_line --index 0 from-process-file
    assert_line --index 1 /etc
    assert_line --index 2 1000
    echo '{ "args": [] , "cwd": "/" }' >"$BATS_TEST_TMPDIR/bad.json"
    run hull exec --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
    assert_failure
    assert_output --partial "args"
}

@test "exec: --detach returns at once; the process keeps running" {
    start_sleeper >/dev/null
    exec_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sh -c 'sleep 1000'
    kill -0 "$(cat "$BATS_TEST_TMPDIR/pid")"
    run hull ps --format json "$ID"
    assert_success
    echo "$output" | jq -e --argjson p "$(cat "$BATS_TEST_TMPDIR/pid")" 'index($p) != null'
}

@test "exec: signals sent to hull reach the process (SIGTERM to a trap)" {
    local init hpid rc=0
    init=$(start_sleeper)
    # hull itself, not the `hull` shell function, so $! is its pid
    # shellcheck disable=SC2086
    "$HULL_BIN" $HULL_ISOLATION_FLAG --root "$HULL_ROOT" exec "$ID" sh -c 'trap "exit 42" TERM; touch /dev/shm/ready; while :; do sleep 0.1; done' \
        </dev/null >/dev/null 2>&1 &
    hpid=$!
    local i
    for ((i = 0; i < 300; i++)); do ctr_cat "$ID" /dev/shm/ready >/dev/null && break; sleep 0.1; done
    ctr_cat "$ID" /dev/shm/ready >/dev/null || fail "/dev/shm/ready did not appear in the container"
    kill -TERM "$hpid"
    wait "$hpid" || rc=$?
    [ "$rc" -eq 42 ]
}

@test "exec: --tty with --console-socket gives the process a pty" {
    local sock="$BATS_TEST_TMPDIR/tty.sock" out="$BATS_TEST_TMPDIR/tty.out" rpid
    start_sleeper >/dev/null
    "$SRC_DIR/build/tools/recvtty" --out "$out" --ready "$BATS_TEST_TMPDIR/ready" "$sock" &
    rpid=$!
    wait_for_file "$BATS_TEST_TMPDIR/ready"
    run hull exec --tty --console-socket "$sock" "$ID" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys'
    assert_success
    wait "$rpid" || true
    run cat "$out"
    assert_line --partial /dev/pts/
    assert_line --partial both-ttys
    # detached with a tty needs the socket
    run hull exec --detach --tty "$ID" true
    assert_failure
    assert_output --partial "console socket"
    run hull exec --console-socket "$sock" "$ID" true
    assert_failure
    assert_output --partial "console socket"
}

@test "exec: --tty in the foreground without a socket: hull proxies a pty of its own" {
    command -v script >/dev/null || skip "needs script(1) (util-linux) for a terminal"
    start_sleeper >/dev/null
    run script -qec "$HULL_BIN $HULL_ISOLATION_FLAG --root $HULL_ROOT exec --tty $ID sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 4'" /dev/null
    [ "$status" -eq 4 ]
    assert_output --partial /dev/pts/
    assert_output --partial stdin-is-a-tty
}

@test "exec: a paused container is refused, nothing is started" {
    local init before
    init=$(start_sleeper)
    hull pause "$ID"
    before=$(cat "$(awk -F: '$2 == "pids" { print "/sys/fs/cgroup/pids" $3 }' "/proc/$init/cgroup")/cgroup.procs" | wc -l)
    run hull exec "$ID" sh -c 'echo should-not-run'
    assert_failure
    assert_output "hull: cannot exec in a paused container"
    [ "$(cat "$(awk -F: '$2 == "pids" { print "/sys/fs/cgroup/pids" $3 }' "/proc/$init/cgroup")/cgroup.procs" | wc -l)" -eq "$before" ]
    hull resume "$ID"
    run hull exec "$ID" echo after-resume
    assert_success
    assert_output after-resume
}

@test "exec: a stopped container is refused" {
    update_config '.process.args = ["true"]'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    wait_for_status "$ID" stopped 30
    run hull exec "$ID" echo should-not-run
    assert_failure
    assert_output "hull: cannot exec in a stopped container"
    run hull exec does-not-exist true
    assert_failure
    assert_output --partial "does not exist"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "exec: bad input is a clear error" {
    start_sleeper >/dev/null
    run hull exec "$ID"
    assert_failure
    assert_output --partial "COMMAND or --process"
    run hull exec --process /nonexistent.json "$ID"
    assert_failure
    assert_output --partial "--process"
    run hull exec --cwd relative "$ID" true
    assert_failure
    assert_output --partial "absolute"
    run hull exec --preserve-fds 5 "$ID" true
    assert_failure
    assert_output --partial "not open"
    run hull exec --cap CAP_NOT_A_CAP "$ID" true
    assert_failure
    assert_output --partial CAP_NOT_A_CAP
}
