#!/usr/bin/env bats
# hull's virtio devices under this machine's real /dev/kvm: the freestanding
# test guest drives virtio-blk, virtio-net and virtio-console as a front end
# and reports over the serial port; the host side is checked here (disk
# contents, frames on the TAP, console port files).

load helpers
bats_require_minimum_version 1.5.0

TESTGUEST="$SRC_DIR/build/testguest/testguest.elf"
FRAME_PEER="$SRC_DIR/build/tools/vmm_frame_peer"

# `hull vm` once the CLI table has it, else build/vmm-boot (same argv).
vm() {
    timeout 120 "${VM[@]}" "$@"
}

setup() {
    requires root kvm
    [ -f "$TESTGUEST" ] || fail "test guest not built: make $TESTGUEST"
    if "$HULL_BIN" vm --help >/dev/null 2>&1; then
        VM=("$HULL_BIN" vm)
    else
        VM=("$SRC_DIR/build/vmm-boot")
    fi
    DISK="$BATS_TEST_TMPDIR/disk.img"
    NETNS=""
    PEER_PID=""
    LOOPDEV=""
}

teardown() {
    if [ -n "$LOOPDEV" ]; then
        losetup -d "$LOOPDEV" 2>/dev/null || true
    fi
    if [ -n "$PEER_PID" ]; then
        kill "$PEER_PID" 2>/dev/null || true
        wait "$PEER_PID" 2>/dev/null || true
    fi
    if [ -n "$NETNS" ]; then
        ip netns del "$NETNS" 2>/dev/null || true
    fi
}

make_disk() {
    printf 'HULL-DISK-SECTOR0 hello' >"$DISK"
    truncate -s 1M "$DISK"
}

@test "virtio-blk: the guest reads, writes, flushes and reads back a disk" {
    make_disk
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$DISK" --cmdline "scenario=virtio-blk" </dev/null
    assert_success
    assert_line "blk: capacity 2048 sectors, ro 0"
    assert_line "blk: get-id status 0 id hull-vda"
    assert_line "blk: read sector 0 status 0: HULL-DISK-SECTOR0 hello"
    assert_line "blk: write sector 1 status 0"
    assert_line "blk: flush status 0"
    assert_line "blk: read back sector 1 status 0: match"
    assert_line "blk: read past the end status 1"
    assert_line "TESTGUEST-EXIT 0"
    # The guest's write reached the file.
    run dd if="$DISK" bs=512 skip=1 count=1 status=none
    [[ "$output" == "written by the hull test guest"* ]] || fail "sector 1: $output"
}

@test "virtio-blk: the completion interrupt reaches the guest (irqfd, IOAPIC, its vector)" {
    make_disk
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$DISK" --cmdline "scenario=virtio-blk irq=1" </dev/null
    assert_success
    assert_line "blk: interrupt on irq 5, InterruptStatus 1, used 1"
    assert_line "TESTGUEST-EXIT 0"
}

@test "virtio-blk: a read-only disk refuses the guest's write and stays unchanged" {
    make_disk
    local before
    before=$(sha256sum <"$DISK")
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$DISK,ro" --cmdline "scenario=virtio-blk" </dev/null
    assert_success
    assert_line "blk: capacity 2048 sectors, ro 1"
    assert_line "blk: read sector 0 status 0: HULL-DISK-SECTOR0 hello"
    assert_line "blk: write sector 1 status 1"
    assert_line "TESTGUEST-EXIT 0"
    [ "$(sha256sum <"$DISK")" = "$before" ] || fail "read-only disk was modified"
}

@test "virtio-blk: a block device (loop) as the disk, capacity from the device" {
    command -v losetup >/dev/null || skip "needs losetup"
    make_disk
    truncate -s 2M "$DISK"
    LOOPDEV=$(losetup -f --show "$DISK") || skip "no loop device available"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$LOOPDEV" --cmdline "scenario=virtio-blk" </dev/null
    assert_success
    assert_line "blk: capacity 4096 sectors, ro 0"
    assert_line "blk: read sector 0 status 0: HULL-DISK-SECTOR0 hello"
    assert_line "blk: read back sector 1 status 0: match"
    assert_line "TESTGUEST-EXIT 0"
    losetup -d "$LOOPDEV"
    LOOPDEV=""
    run dd if="$DISK" bs=512 skip=1 count=1 status=none
    [[ "$output" == "written by the hull test guest"* ]] || fail "sector 1: $output"
}

@test "virtio-blk: a second disk is a second device" {
    make_disk
    cp "$DISK" "$BATS_TEST_TMPDIR/disk2.img"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$DISK,ro" --disk "$BATS_TEST_TMPDIR/disk2.img" \
        --cmdline "scenario=cmdline" </dev/null
    assert_success
    assert_output --partial "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6"
}

@test "virtio-blk: a missing disk file is a clear error" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$BATS_TEST_TMPDIR/nope.img" </dev/null
    assert_failure
    [[ "$stderr" == *"nope.img"*"No such file or directory"* ]] || fail "stderr: $stderr"
}

@test "virtio-net: a frame goes out through the TAP and the answer comes back in" {
    [ -x "$FRAME_PEER" ] || fail "helper not built: make $FRAME_PEER"
    NETNS="hull-vt-$$-$BATS_TEST_NUMBER"
    ip netns add "$NETNS"
    ip -n "$NETNS" tuntap add dev hulltap0 mode tap
    ip -n "$NETNS" link set hulltap0 up
    ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true

    ip netns exec "$NETNS" "$FRAME_PEER" hulltap0 60 >"$BATS_TEST_TMPDIR/peer.out" 2>&1 &
    PEER_PID=$!
    # The peer is listening once it says so (the guest also resends).
    for _ in $(seq 50); do grep -q listening "$BATS_TEST_TMPDIR/peer.out" && break; sleep 0.1; done

    run --separate-stderr ip netns exec "$NETNS" timeout 120 "${VM[@]}" boot --kernel "$TESTGUEST" --net hulltap0 \
        --cmdline scenario=virtio-net </dev/null
    assert_success
    assert_line --regexp "^net: mac [0-9a-f:]+ link up$"
    assert_line "net: sent hull-guest-frame"
    assert_line "net: received hull-host-frame (num_buffers 1)"
    assert_line "TESTGUEST-EXIT 0"

    wait "$PEER_PID"
    local peer_rc=$?
    PEER_PID=""
    [ "$peer_rc" -eq 0 ] || fail "peer: $(cat "$BATS_TEST_TMPDIR/peer.out")"
    grep -q "peer: got hull-guest-frame from" "$BATS_TEST_TMPDIR/peer.out"

    # The VMM never creates or removes TAPs: the test's own is still there.
    ip -n "$NETNS" link show hulltap0 >/dev/null
}

@test "virtio-net: a TAP that does not exist is a clear error, nothing created" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --net hull-no-such-tap </dev/null
    assert_failure
    [[ "$stderr" == *"hull-no-such-tap"* ]] || fail "stderr: $stderr"
    run ip link show hull-no-such-tap
    assert_failure
}

@test "virtio-console: named ports, a line each way on hull.control, hvc0 output" {
    printf 'reply from the host\n' >"$BATS_TEST_TMPDIR/control.in"
    run --separate-stderr vm boot --kernel "$TESTGUEST" \
        --port "hull.control,in=$BATS_TEST_TMPDIR/control.in,out=$BATS_TEST_TMPDIR/control.out" \
        --port hull.stdio --cmdline "scenario=virtio-console" </dev/null
    assert_success
    assert_line "console: 3 ports"
    assert_line "console: port 1 is hull.control"
    assert_line "console: port 2 is hull.stdio"
    assert_line "console: hello on hvc0"
    assert_line "console: received reply from the host"
    assert_line "TESTGUEST-EXIT 0"
    [ "$(cat "$BATS_TEST_TMPDIR/control.out")" = "hello from the guest on hull.control" ] ||
        fail "control.out: $(cat "$BATS_TEST_TMPDIR/control.out")"
}

@test "virtio-console: the guest finds a port by name whatever its position" {
    printf 'stdio input\n' >"$BATS_TEST_TMPDIR/stdio.in"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port hull.control \
        --port "hull.stdio,in=$BATS_TEST_TMPDIR/stdio.in,out=$BATS_TEST_TMPDIR/stdio.out" \
        --cmdline "scenario=virtio-console port=hull.stdio" </dev/null
    assert_success
    assert_line "console: received stdio input"
    [ "$(cat "$BATS_TEST_TMPDIR/stdio.out")" = "hello from the guest on hull.stdio" ]
}

@test "virtio-console: a FIFO carries host input, output appends to a file" {
    mkfifo "$BATS_TEST_TMPDIR/in.fifo"
    printf 'earlier line\n' >"$BATS_TEST_TMPDIR/out.log"
    # Held open read-write here, so the VMM sees the line and no end of file.
    local fifo_fd
    exec {fifo_fd}<>"$BATS_TEST_TMPDIR/in.fifo"
    printf 'through a fifo\n' >&"$fifo_fd"
    run --separate-stderr vm boot --kernel "$TESTGUEST" \
        --port "hull.control,in=$BATS_TEST_TMPDIR/in.fifo,out=$BATS_TEST_TMPDIR/out.log" \
        --cmdline "scenario=virtio-console" </dev/null
    assert_success
    exec {fifo_fd}>&-
    assert_line "console: received through a fifo"
    [ "$(head -1 "$BATS_TEST_TMPDIR/out.log")" = "earlier line" ]
    [ "$(tail -1 "$BATS_TEST_TMPDIR/out.log")" = "hello from the guest on hull.control" ]
}

@test "virtio-console: a port on an inherited fd (fd=N), used both ways" {
    mkfifo "$BATS_TEST_TMPDIR/both.fifo"
    local port_fd
    exec {port_fd}<>"$BATS_TEST_TMPDIR/both.fifo"
    printf 'reply over an inherited fd\n' >&"$port_fd"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port "hull.control,fd=$port_fd" \
        --cmdline "scenario=virtio-console" </dev/null
    assert_success
    assert_line "console: received reply over an inherited fd"
    # What the guest wrote went to the same fd (a FIFO here, so it is ours to read).
    local line
    read -r -t 5 line <&"$port_fd"
    exec {port_fd}>&-
    [ "$line" = "hello from the guest on hull.control" ] || fail "read back: $line"
}

@test "virtio-console: bad --port values are clear errors" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port ",in=x" </dev/null
    assert_failure
    [[ "$stderr" == *"--port"*"NAME[,in=FILE][,out=FILE]"* ]] || fail "stderr: $stderr"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port "p,fd=3,in=x" </dev/null
    assert_failure
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port "p,fd=200" </dev/null
    assert_failure
    [[ "$stderr" == *"Bad file descriptor"* ]] || fail "stderr: $stderr"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --port "p,in=$BATS_TEST_TMPDIR/missing" </dev/null
    assert_failure
    [[ "$stderr" == *"missing"*"No such file or directory"* ]] || fail "stderr: $stderr"
}
