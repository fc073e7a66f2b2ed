#!/usr/bin/env bats
# End to end through QEMU -M microvm (TCG here; KVM where the host has
# vmx/svm): the rootfs image, the guest kernel, hull-init and the control
# protocol, driven by build/microvm/hull-microvm-run.  Each test boots one
# VM (about a second under TCG), so tests check several things per boot.

load helpers
bats_require_minimum_version 1.5.0

RUNNER=$SRC_DIR/build/microvm/hull-microvm-run

setup_file() {
    command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86"
    local dir
    dir=$("$SRC_DIR/microvm/guest/kernel/build.sh" --print-path 2>/dev/null) \
        || skip "the guest kernel is not built (run: make guest-kernel)"
    [ -x "$RUNNER" ] || skip "build/microvm/hull-microvm-run is not built (run: make microvm)"
    export GUEST_KERNEL=$dir/bzImage
    export IMAGE_CACHE=$BATS_FILE_TMPDIR/images
}

setup() {
    requires root qemu
    setup_bundle
    export TMPDIR=$BATS_TEST_TMPDIR/tmp
    mkdir -p "$TMPDIR"
}

teardown() {
    teardown_bundle
    # Nothing of a run may survive it: no QEMU, no work directory, no image copy.
    local left
    left=$(pgrep -f "$BATS_TEST_TMPDIR" || true)
    if [ -n "$left" ]; then
        kill -9 $left 2>/dev/null || true
        fail "processes left behind: $left"
    fi
    [ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
}

teardown_file() {
    rm -rf "$IMAGE_CACHE"
}

vm_run() {
    "$RUNNER" --kernel "$GUEST_KERNEL" --image-cache "$IMAGE_CACHE" --boot-timeout 300 "$@" "$BUNDLE"
}

@test "microvm qemu: echo hello streams stdout back and exits 0" {
    update_config '.process.args = ["echo", "hello"]'
    run vm_run </dev/null
    assert_success
    assert_output "hello"
}

@test "microvm qemu: exit status, stdout and stderr kept apart" {
    update_config '.process.args = ["sh", "-c", "echo out; echo err >&2; exit 3"]'
    run --separate-stderr vm_run </dev/null
    assert_equal "$status" 3
    assert_output "out"
    assert_equal "$stderr" "err"
}

@test "microvm qemu: env, cwd, user, groups, hostname, rlimits, caps and no_new_privs applied" {
    update_config '.process.args = ["sh", "-c", "echo env=$FOO; pwd; id -u; id -g; id -G; hostname; ulimit -n; grep -E \"^(CapBnd|CapEff|NoNewPrivs)\" /proc/self/status"]
                   | .process.env += ["FOO=bar baz"] | .process.cwd = "/tmp"
                   | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20]}
                   | .hostname = "vmhost"
                   | .process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256}]'
    run vm_run </dev/null
    assert_success
    assert_line --index 0 "env=bar baz"
    assert_line --index 1 "/tmp"
    assert_line --index 2 "1000"
    assert_line --index 3 "1000"
    assert_line --index 4 "1000 10 20"
    assert_line --index 5 "vmhost"
    assert_line --index 6 "256"
    # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    assert_line --regexp '^CapBnd:[[:space:]]+0000000020000420$'
    assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
}

@test "microvm qemu: stdin is forwarded and its EOF ends cat" {
    update_config '.process.args = ["sh", "-c", "cat; echo done"]'
    run vm_run < <(printf 'line one\nline two\n')
    assert_success
    assert_output "$(printf 'line one\nline two\ndone')"
}

@test "microvm qemu: SIGTERM to the driver reaches the guest process" {
    update_config '.process.args = ["sh", "-c", "trap \"echo got-term; exit 42\" TERM; echo ready; while :; do sleep 0.1; done"]'
    local out=$BATS_TEST_TMPDIR/out
    # A simple command, so that $! is the driver itself.
    "$RUNNER" --kernel "$GUEST_KERNEL" --image-cache "$IMAGE_CACHE" "$BUNDLE" </dev/null >"$out" 2>&1 &
    local pid=$! i
    for ((i = 0; i < 600; i++)); do
        grep -q ready "$out" && break
        sleep 0.5
    done
    grep -q ready "$out" || { kill -9 $pid; fail "guest never got ready: $(cat "$out")"; }
    kill -TERM $pid
    local rc=0
    wait $pid || rc=$?
    assert_equal "$rc" 42
    grep -q got-term "$out"
}

@test "microvm qemu: mounts, a read-only root, and a file bind mount copied into the image" {
    echo "10.1.2.3 injected.example" >"$BATS_TEST_TMPDIR/hosts"
    update_config --arg h "$BATS_TEST_TMPDIR/hosts" '.process.args = ["sh", "-c",
        "cat /etc/hosts; touch /rootfile 2>/dev/null && echo root-writable || echo root-readonly; echo x > /dev/shm/f && echo shm-ok; ls /dev/null /dev/zero /dev/urandom | wc -l; grep -c cgroup2 /proc/mounts; test -e /dev/vda && echo vda-visible || echo vda-hidden"]
        | .mounts += [{"destination": "/etc/hosts", "type": "bind", "source": $h, "options": ["rbind", "ro"]}]'
    run vm_run </dev/null
    assert_success
    assert_line --index 0 "10.1.2.3 injected.example"
    assert_line --index 1 "root-readonly"
    assert_line --index 2 "shm-ok"
    assert_line --index 3 "3"
    assert_line --index 4 "1"
    assert_line --index 5 "vda-hidden"
}

# The guest checks the executable before READY, as runc does at create: the
# driver fails like `hull run` of such a container (status 1, runc's words;
# podman maps the message to 127), and no process is started.
@test "microvm qemu: a missing executable fails before start with runc's message" {
    update_config '.process.args = ["/no/such/binary"]'
    run -1 --separate-stderr vm_run </dev/null
    [[ "$stderr" == *'exec: "/no/such/binary": No such file or directory'* ]] || fail "stderr: $stderr"
    update_config '.process.args = ["no-such-command"]'
    run -1 --separate-stderr vm_run </dev/null
    [[ "$stderr" == *'exec: "no-such-command": executable file not found in $PATH'* ]] || fail "stderr: $stderr"
}

@test "microvm qemu: the rootfs image is cached and reused while the rootfs is unchanged" {
    update_config '.process.args = ["true"]'
    vm_run </dev/null
    local first
    first=$(ls "$IMAGE_CACHE")
    vm_run </dev/null
    assert_equal "$(ls "$IMAGE_CACHE")" "$first"
    echo changed >"$BUNDLE/rootfs/etc/motd"
    vm_run </dev/null
    [ "$(ls "$IMAGE_CACHE" | wc -l)" -eq $(($(echo "$first" | wc -l) + 1)) ] \
        || fail "a changed rootfs must get a new image: $(ls "$IMAGE_CACHE")"
}

# Bad input: no VM is booted for these.

@test "microvm qemu: a missing guest kernel is a clear error" {
    update_config '.process.args = ["true"]'
    run --separate-stderr "$RUNNER" --kernel /nonexistent/bzImage --image-cache "$IMAGE_CACHE" "$BUNDLE"
    assert_failure
    [[ "$stderr" == *"guest kernel \`/nonexistent/bzImage\`: No such file or directory"* ]] || fail "stderr: $stderr"
}

@test "microvm qemu: a rootfs too large for the image size is a clear error" {
    head -c $((8 * 1024 * 1024)) /dev/urandom >"$BUNDLE/rootfs/big"
    run --separate-stderr vm_run --disk-size 8 </dev/null
    assert_failure
    [[ "$stderr" == *"more than the image size of 8 MiB"* ]] || fail "stderr: $stderr"
}

@test "microvm qemu: directory bind mounts are shared with the host over virtio-9p, read-only ones stay so" {
    local rw=$BATS_TEST_TMPDIR/rw ro=$BATS_TEST_TMPDIR/ro
    mkdir -p "$rw" "$ro"
    echo from-host >"$rw/in"
    echo also-from-host >"$ro/in"
    update_config --arg rw "$rw" --arg ro "$ro" '.mounts += [
            {"destination": "/data", "type": "bind", "source": $rw, "options": ["rbind", "rw"]},
            {"destination": "/config", "type": "bind", "source": $ro, "options": ["rbind", "ro"]}]
        | .process.args = ["sh", "-c", "cat /data/in /config/in; echo from-guest > /data/out; (echo x > /config/out) 2>/dev/null && echo ro-writable || echo ro-refused"]'
    run vm_run </dev/null
    assert_success
    assert_line --index 0 "from-host"
    assert_line --index 1 "also-from-host"
    assert_line --index 2 "ro-refused"
    assert_equal "$(cat "$rw/out")" "from-guest"
    [ ! -e "$ro/out" ]
}

@test "microvm qemu: a guest that dies before speaking is a clear error, nothing left behind" {
    # An initramfs without /init: the guest kernel panics and the VM stops.
    "$SRC_DIR/build/microvm/mkinitramfs" dir dev 0755 nod dev/console 0600 c 5 1 \
        | gzip -n >"$BATS_TEST_TMPDIR/empty.cpio.gz"
    update_config '.process.args = ["true"]'
    run --separate-stderr vm_run --initrd "$BATS_TEST_TMPDIR/empty.cpio.gz" </dev/null
    assert_failure
    [[ "$stderr" == *"the VM stopped"*"before the guest reported"* ]] || fail "stderr: $stderr"
    [[ "$stderr" == *"guest console"* ]] || fail "no console tail in: $stderr"
}

@test "microvm qemu: exec runs more processes in the running guest" {
    update_config '.process.args = ["sh", "-c", "echo up; while [ ! -e /tmp/stop ]; do sleep 0.1; done; echo main-done"]
                   | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
    local out=$BATS_TEST_TMPDIR/out sock=$BATS_TEST_TMPDIR/sock i
    mkdir "$sock"
    "$RUNNER" --kernel "$GUEST_KERNEL" --image-cache "$IMAGE_CACHE" --exec-server "$sock" "$BUNDLE" </dev/null >"$out" 2>&1 &
    local pid=$!
    for ((i = 0; i < 600; i++)); do grep -q up "$out" && break; sleep 0.5; done
    grep -q up "$out" || { kill -9 $pid; fail "guest never got up: $(cat "$out")"; }

    run --separate-stderr "$RUNNER" --exec "$sock" sh -c 'echo exec-out; echo exec-err >&2; id -u; exit 9'
    assert_equal "$status" 9
    assert_equal "$output" "$(printf 'exec-out\n0')"
    assert_equal "$stderr" "exec-err"

    run "$RUNNER" --exec "$sock" sh -c 'cat; echo eof'  < <(printf 'piped\n')
    assert_success
    assert_output "$(printf 'piped\neof')"

    run -127 --separate-stderr "$RUNNER" --exec "$sock" /no/such/binary
    [[ "$stderr" == *"exec \`/no/such/binary\`"* ]] || fail "stderr: $stderr"

    "$RUNNER" --exec "$sock" touch /tmp/stop
    local rc=0
    wait $pid || rc=$?
    assert_equal "$rc" 0
    grep -q main-done "$out"
    [ -z "$(ls -A "$sock")" ] || fail "exec socket left behind: $(ls -A "$sock")"
}

@test "microvm qemu: the guest takes over the container's veth (address, MAC, MTU, route) through a TAP" {
    requires root
    command -v tc >/dev/null || skip "needs tc (iproute2)"
    veth_netns vm 10.231.7 1400
    local mac
    mac=$(ip netns exec "$CNS" cat /sys/class/net/eth0/address)
    ip netns exec "$HNS" timeout 120 "$BUSYBOX" nc -l -p 7777 >"$BATS_TEST_TMPDIR/received" &
    update_config --arg ns "/var/run/netns/$CNS" '.process.args = ["sh", "-c",
        "ip -o -4 addr show dev eth0; cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; ip route show default; echo hello-net | nc -w 10 10.231.7.1 7777"]
        | .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)'
    run vm_run </dev/null
    wait
    assert_success
    assert_line --index 0 --partial "inet 10.231.7.2/24"
    assert_line --index 1 "$mac"
    assert_line --index 2 "1400"
    assert_line --index 3 --partial "default via 10.231.7.1 dev eth0"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/received")" "hello-net"
    # The redirect is taken off the veth again.
    run ip netns exec "$CNS" tc qdisc show dev eth0 ingress
    refute_output --partial "ingress"
}

# An initramfs whose /init (busybox sh) writes $1 (printf format) to the
# control port, then idles: a guest that speaks garbage.
hostile_initrd() {
    local dir=$BATS_TEST_TMPDIR/hostile
    mkdir -p "$dir"
    cat >"$dir/init" <<SCRIPT
#!/bin/sh
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs dev /dev
while :; do
    for p in /sys/class/virtio-ports/*; do
        [ -e "\$p/name" ] && /bin/busybox printf '$1' > /dev/\$(/bin/busybox basename \$p) && exec /bin/busybox sleep 1000
    done
    /bin/busybox sleep 0.1
done
SCRIPT
    "$SRC_DIR/build/microvm/mkinitramfs" dir dev 0755 nod dev/console 0600 c 5 1 dir sys 0555 dir bin 0755 \
        file bin/sh 0755 "$BUSYBOX" file bin/busybox 0755 "$BUSYBOX" file init 0755 "$dir/init" \
        | gzip -n >"$dir.cpio.gz"
    echo "$dir.cpio.gz"
}

@test "microvm qemu: a guest that speaks garbage or another protocol version is stopped with a clear error" {
    file -L "$BUSYBOX" | grep -q 'statically linked' || skip "needs a static busybox ($BUSYBOX)"
    update_config '.process.args = ["true"]'
    local initrd
    initrd=$(hostile_initrd 'GARBAGE-GARBAGE-GARBAGE\n')
    run --separate-stderr vm_run --initrd "$initrd" </dev/null
    assert_failure
    [[ "$stderr" == *"the guest sent a corrupt frame"* ]] || fail "stderr: $stderr"

    # A well-formed HELLO with version 99.
    initrd=$(hostile_initrd '\010\000\000\000\001\000\000\000\000\000\000\000HULL\143\000\000\000')
    run --separate-stderr vm_run --initrd "$initrd" </dev/null
    assert_failure
    [[ "$stderr" == *"another protocol version"* ]] || fail "stderr: $stderr"
}

@test "microvm qemu: sysctl, masked and read-only paths, oomScoreAdj applied in the guest" {
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.domainname": "vm.example"}
                   | .process.oomScoreAdj = 100 | .linux.maskedPaths += ["/etc/passwd", "/home"]
                   | .process.args = ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname /proc/self/oom_score_adj; wc -c < /etc/passwd; ls -A /home | wc -l; (echo 0 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null && echo sys-writable || echo sys-readonly"]'
    [ -n "$(ls -A "$BUNDLE/rootfs/home")" ] && [ -s "$BUNDLE/rootfs/etc/passwd" ]
    run vm_run </dev/null
    assert_success
    assert_line --index 0 "1"
    assert_line --index 1 "vm.example"
    assert_line --index 2 "100"
    assert_line --index 3 "0"
    assert_line --index 4 "0"
    assert_line --index 5 "sys-readonly"
}

@test "microvm qemu: the container's seccomp profile is enforced in the guest" {
    update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                       "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
                   | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
                   | .process.args = ["sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/d 2>&1; touch /tmp/f && echo touch-ok"]'
    run vm_run </dev/null
    assert_success
    assert_line --index 0 --regexp '^Seccomp:[[:space:]]+2$'
    assert_line --index 1 --partial "Function not implemented"
    assert_line --index 2 "touch-ok"
}
