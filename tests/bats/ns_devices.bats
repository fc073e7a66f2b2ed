#!/usr/bin/env bats
# /dev: default devices, /dev symlinks, linux.devices (mknod, or a bind of
# the host's node inside a user namespace), modes and owners.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

@test "devices: the default devices with their numbers and modes" {
    run_in 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a %u:%g" /dev/$d; done'
    assert_success
    assert_line '/dev/null character special file 1:3 666 0:0'
    assert_line '/dev/zero character special file 1:5 666 0:0'
    assert_line '/dev/full character special file 1:7 666 0:0'
    assert_line '/dev/random character special file 1:8 666 0:0'
    assert_line '/dev/urandom character special file 1:9 666 0:0'
    assert_line '/dev/tty character special file 5:0 666 0:0'
}

@test "devices: the default devices work" {
    run_in 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c && ! echo x >/dev/full'
    assert_success
    assert_line --index 0 ' 00 00 00 00'
    assert_line --index 1 8
}

@test "devices: /dev symlinks, /dev/pts, /dev/shm" {
    run_in 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; [ -d /dev/pts ] && [ -d /dev/shm ] && echo dirs'
    assert_success
    assert_line 'fd -> /proc/self/fd'
    assert_line 'stdin -> /proc/self/fd/0'
    assert_line 'stdout -> /proc/self/fd/1'
    assert_line 'stderr -> /proc/self/fd/2'
    assert_line 'ptmx -> pts/ptmx'
    assert_line dirs
}

@test "devices: linux.devices with fileMode, uid and gid" {
    update_config '.linux.devices = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 1000, "gid": 1001},
        {"path": "/dev/sub/dir/myzero", "type": "c", "major": 1, "minor": 5},
        {"path": "/dev/myfifo", "type": "p", "fileMode": 420}]'
    run_in 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/dir/myzero /dev/myfifo'
    assert_success
    assert_line '/dev/mynull character special file 1:3 600 1000:1001'
    assert_line '/dev/sub/dir/myzero character special file 1:5 666 0:0'
    assert_line '/dev/myfifo fifo 0:0 644 0:0'
}

@test "devices: a spec device overrides a default one" {
    update_config '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 432}]'
    run_in 'stat -c "%a" /dev/null'
    assert_success
    assert_output 660
}

@test "devices: block devices" {
    update_config '.linux.devices = [{"path": "/dev/myloop", "type": "b", "major": 7, "minor": 200, "fileMode": 432}]'
    run_in 'stat -c "%F %t:%T" /dev/myloop'
    assert_success
    assert_output 'block special file 7:c8'
}

@test "devices: a device outside /dev or with a bad type is refused" {
    update_config '.linux.devices = [{"path": "/etc/evil", "type": "c", "major": 1, "minor": 3}]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial /etc/evil
    assert_no_leftovers "$ID"
    [ ! -e "$BUNDLE/rootfs/etc/evil" ]

    update_config '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "linux.devices"
    assert_no_leftovers "$ID"
}

@test "devices: inside a user namespace device nodes are bind mounts of the host's" {
    userns_config
    update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]'
    run_in 'stat -c "%n %t:%T" /dev/null /dev/kmsg; grep -c " /dev/null " /proc/self/mountinfo; echo ok >/dev/null && echo writable'
    assert_success
    assert_line '/dev/null 1:3'
    assert_line '/dev/kmsg 1:b'
    assert_line 1
    assert_line writable
}

@test "devices: without a /dev mount the nodes go into the image's /dev" {
    update_config '.mounts |= map(select(.destination | startswith("/dev") | not)) | .root.readonly = false'
    run_in 'stat -c "%n %t:%T" /dev/null'
    assert_success
    assert_output '/dev/null 1:3'
    [ -c "$BUNDLE/rootfs/dev/null" ]
}
