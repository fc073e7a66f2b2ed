#!/usr/bin/env bats
# containerd and podman each run a microVM container, chosen by the
# annotation io.hull.isolation=microvm, through their usual paths (the runc
# shim; conmon), with the private engines of tests/engines/.  QEMU/TCG here.

load helpers

ENGINES=$TESTS_DIR/engines

setup_file() {
    requires root
    command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86"
    "$SRC_DIR/microvm/guest/kernel/build.sh" --print-path >/dev/null 2>&1 \
        || skip "the guest kernel is not built (run: make guest-kernel)"
    [ -x "$HULL_BIN" ] || fail "$HULL_BIN not built"
    export HULL_IMAGE_CACHE=$BATS_FILE_TMPDIR/images
}

teardown_file() {
    rm -rf "$HULL_IMAGE_CACHE"
}

teardown() {
    if [ -n "${CTRD_DIR:-}" ]; then
        ctr_ task kill -a -s SIGKILL "$ID" >/dev/null 2>&1
        ctr_ task delete --force "$ID" >/dev/null 2>&1
        ctr_ containers delete "$ID" >/dev/null 2>&1
        "$ENGINES/containerd.sh" stop "$CTRD_DIR" "$HULL_BIN"
        [ ! -e "$CTRD_DIR" ] || fail "$CTRD_DIR left behind"
    fi
    if [ -n "${PM_DIR:-}" ]; then
        "$ENGINES/podman.sh" clean "$PM_DIR" "$HULL_BIN"
        [ ! -e "$PM_DIR" ] || fail "$PM_DIR left behind"
    fi
    local left
    left=$(pgrep -f "qemu-system-x86_64.*${ID:-none}" || true)
    [ -z "$left" ] || { kill -9 $left; fail "QEMU left behind: $left"; }
}

ctr_() {
    "$ENGINES/containerd.sh" ctr "$CTRD_DIR" -n "hull-vm-$$" "$@"
}

pm() {
    "$ENGINES/podman.sh" podman "$PM_DIR" --runtime "$HULL_BIN" "$@"
}

@test "microvm engines: containerd runs, execs into and kills a microVM container chosen by annotation" {
    "$ENGINES/containerd.sh" install >"$BATS_TEST_TMPDIR/install.log" 2>&1 \
        || skip "containerd cannot be installed: $(tail -n 1 "$BATS_TEST_TMPDIR/install.log")"
    ID=$(test_id)
    CTRD_DIR=$(mktemp -d /tmp/hull-ctrd.XXXXXX)
    # The shim and hull inherit containerd's environment.
    HULL_IMAGE_CACHE=$HULL_IMAGE_CACHE "$ENGINES/containerd.sh" start "$CTRD_DIR"
    "$ENGINES/busybox-image.sh" "$CTRD_DIR/busybox.tar" hull-busybox:latest
    ctr_ images import "$CTRD_DIR/busybox.tar" >/dev/null
    local run=(run --annotation io.hull.isolation=microvm --runtime io.containerd.runc.v2
               --runc-binary "$HULL_BIN" --runc-root "$CTRD_DIR/runc")

    run ctr_ "${run[@]}" --rm hull-busybox:latest "$ID" sh -c 'uname -r; echo in-vm; exit 4'
    assert_equal "$status" 4
    assert_line --index 0 --regexp 'microvm$'
    assert_line --index 1 "in-vm"

    ctr_ "${run[@]}" -d hull-busybox:latest "$ID" sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
    run ctr_ task exec --exec-id probe "$ID" sh -c 'uname -r; exit 2'
    assert_equal "$status" 2
    assert_output --regexp 'microvm$'
    ctr_ task kill -s SIGTERM "$ID"
    local i
    for ((i = 0; i < 300; i++)); do
        ctr_ task ls | grep -q "^$ID .*STOPPED" && break
        sleep 0.1
    done
    ctr_ task ls | grep -q "^$ID .*STOPPED" || fail "the task did not stop: $(ctr_ task ls)"
}

@test "microvm engines: podman runs a microVM container chosen by annotation" {
    "$ENGINES/podman.sh" install >"$BATS_TEST_TMPDIR/install.log" 2>&1 \
        || skip "podman cannot be installed: $(tail -n 1 "$BATS_TEST_TMPDIR/install.log")"
    ID=$(test_id)
    PM_DIR=$(mktemp -d /tmp/hull-podman.XXXXXX)
    "$ENGINES/podman.sh" setup "$PM_DIR"
    "$ENGINES/busybox-image.sh" "$PM_DIR/busybox.tar" hull-busybox:latest
    pm load -q -i "$PM_DIR/busybox.tar" >/dev/null
    # podman bind-mounts /etc/hosts, /etc/hostname, /etc/resolv.conf (copied
    # into the image) and a /dev/shm directory (the guest's own tmpfs).
    run pm run --rm --name "$ID" --annotation io.hull.isolation=microvm localhost/hull-busybox:latest \
        sh -c 'uname -r; hostname; grep -c " /dev/shm " /proc/mounts; exit 5'
    assert_equal "$status" 5
    assert_line --index 0 --regexp 'microvm$'
    assert_line --index 2 "1"
}
