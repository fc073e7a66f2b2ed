#!/usr/bin/env bats
# Terminals and inherited fds: --console-socket (the pty master reaches the
# caller's socket), run's own pty proxy, --preserve-fds and LISTEN_FDS.

load helpers

RECVTTY="$SRC_DIR/build/tools/recvtty"

setup() {
    requires root
    [ -x "$RECVTTY" ] || fail "$RECVTTY is missing: make test-tools"
    setup_bundle
    ID=$(test_id)
}

teardown() {
    [ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
    teardown_bundle
}

start_recvtty() {   # start_recvtty [recvtty options]: socket at $SOCK, output in $TTY_OUT
    SOCK="$BATS_TEST_TMPDIR/tty.sock"
    TTY_OUT="$BATS_TEST_TMPDIR/tty.out"
    "$RECVTTY" --ready "$BATS_TEST_TMPDIR/ready" --out "$TTY_OUT" "$@" "$SOCK" </dev/null >/dev/null 2>&1 &
    RECV_PID=$!
    for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && return 0; sleep 0.05; done
    fail "recvtty did not start"
}

@test "tty: create --console-socket hands the pty master over; the process has a terminal" {
    update_config '.process.terminal = true | .process.args = ["sh", "-c", "tty; read line; echo got:$line"]'
    start_recvtty --input $'hello\n'
    run hullq create --bundle "$BUNDLE" --console-socket "$SOCK" "$ID"
    assert_success
    hull start "$ID"
    wait "$RECV_PID"
    RECV_PID=
    run tr -d '\r' <"$TTY_OUT"
    assert_line --regexp '^/dev/pts/[0-9]+$'
    assert_line "got:hello"
    wait_for_status "$ID" stopped
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "tty: run in the foreground with terminal: true proxies the pty to its stdio" {
    command -v script >/dev/null || skip "needs script(1) from bsdutils"
    update_config '.process.terminal = true | .process.args = ["sh", "-c", "tty; exit 3"]'
    run script -qec "$HULL_BIN $HULL_ISOLATION_FLAG --root $HULL_ROOT run --bundle $BUNDLE $ID" /dev/null
    [ "$status" -eq 3 ]
    assert_output --regexp '/dev/pts/[0-9]+'
    assert_no_leftovers "$ID"
}

@test "fds: --preserve-fds passes fds 3.. and nothing else leaks" {
    if [ "$HULL_ISOLATION" = microvm ]; then
        assert_microvm_refuses_preserve_fds
        return
    fi
    echo three >"$BATS_TEST_TMPDIR/f3"
    echo four >"$BATS_TEST_TMPDIR/f4"
    update_config '.process.args = ["sh", "-c", "cat <&3; cat <&4; [ -e /proc/self/fd/5 ] && echo fd5-open || echo fd5-closed"]'
    run hull run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5</dev/null
    assert_success
    assert_output "$(printf 'three\nfour\nfd5-closed')"
    update_config '.process.args = ["sh", "-c", "[ -e /proc/self/fd/3 ] && echo fd3-open || echo fd3-closed"]'
    run hull run --bundle "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/f3"
    assert_success
    assert_output "fd3-closed"
    assert_no_leftovers "$ID"
}

@test "fds: LISTEN_FDS for hull's pid passes the sockets and sets LISTEN_FDS/LISTEN_PID" {
    echo activated >"$BATS_TEST_TMPDIR/f3"
    if [ "$HULL_ISOLATION" = microvm ]; then
        # Sockets cannot cross into a VM: refused at create, nothing left.
        run env HULL_BIN="$HULL_BIN" HULL_ISOLATION_FLAG="$HULL_ISOLATION_FLAG" HULL_ROOT="$HULL_ROOT" BUNDLE="$BUNDLE" ID="$ID" \
            sh -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$HULL_BIN" $HULL_ISOLATION_FLAG --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID" 3<"$0"' \
            "$BATS_TEST_TMPDIR/f3"
        assert_failure
        assert_output "hull: LISTEN_FDS (socket activation) is not supported with microvm isolation: Operation not supported"
        assert_no_leftovers "$ID"
        return
    fi
    update_config '.process.args = ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; cat <&3"]'
    run env HULL_BIN="$HULL_BIN" HULL_ISOLATION_FLAG="$HULL_ISOLATION_FLAG" HULL_ROOT="$HULL_ROOT" BUNDLE="$BUNDLE" ID="$ID" \
        sh -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$HULL_BIN" $HULL_ISOLATION_FLAG --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID" 3<"$0"' \
        "$BATS_TEST_TMPDIR/f3"
    assert_success
    assert_output "$(printf '1 1\nactivated')"
    assert_no_leftovers "$ID"
}
