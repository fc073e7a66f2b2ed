#!/usr/bin/env bats
# mounts[]: tmpfs, bind, rbind, options, propagation, recursive attributes,
# proc/sysfs/mqueue/devpts/cgroup, rootfsPropagation, read-only root,
# --no-pivot; nothing shows up in the host's mount table.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
    HOSTDIR="$BATS_TEST_TMPDIR/hostdir"
    mkdir -p "$HOSTDIR"
}

teardown() {
    teardown_bundle
    # submounts the tests made on the host side
    if grep -q " $BATS_TEST_TMPDIR/" /proc/self/mountinfo; then
        awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
    fi
}

add_mount() {   # add_mount JSON
    update_config --argjson m "$1" '.mounts += [$m]'
}

# The mountinfo line of a mount point inside the container.
mi_line() {
    echo "grep -E '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ $1 ' /proc/self/mountinfo"
}

@test "mounts: tmpfs with size, mode and flags" {
    add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1700"]}'
    run_in "$(mi_line /data); stat -c %a /data"
    assert_success
    assert_line --index 0 --regexp ' /data rw,nosuid,nodev,noexec[, ]'
    assert_line --index 0 --partial 'size=1024k'
    assert_line --index 1 1700
}

@test "mounts: read-only tmpfs" {
    add_mount '{"destination": "/ro", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}'
    run_in 'touch /ro/x'
    assert_failure
    assert_output --partial 'Read-only file system'
}

@test "mounts: bind mount of a host directory, writes reach the host" {
    echo from-host >"$HOSTDIR/in"
    update_config '.root.readonly = false'
    add_mount "{\"destination\": \"/mnt/host\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"rw\"]}"
    run_in 'cat /mnt/host/in; echo from-container >/mnt/host/out'
    assert_success
    assert_output from-host
    [ "$(cat "$HOSTDIR/out")" = from-container ]
}

@test "mounts: read-only bind mount" {
    add_mount "{\"destination\": \"/mnt/ro\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\", \"ro\", \"nosuid\"]}"
    run_in "touch /mnt/ro/x; $(mi_line /mnt/ro)"
    assert_output --partial 'Read-only file system'
    assert_output --regexp ' /mnt/ro ro,nosuid'
    [ ! -e "$HOSTDIR/x" ]
}

@test "mounts: bind mount of a file onto a path that does not exist yet" {
    echo file-content >"$HOSTDIR/file"
    add_mount "{\"destination\": \"/etc/new/dir/file.conf\", \"type\": \"bind\", \"source\": \"$HOSTDIR/file\", \"options\": [\"bind\"]}"
    run_in 'cat /etc/new/dir/file.conf'
    assert_success
    assert_output file-content
}

@test "mounts: relative bind source is relative to the bundle" {
    mkdir -p "$BUNDLE/shared"
    echo in-bundle >"$BUNDLE/shared/f"
    add_mount '{"destination": "/shared", "type": "bind", "source": "shared", "options": ["bind"]}'
    run_in 'cat /shared/f'
    assert_success
    assert_output in-bundle
}

@test "mounts: rbind carries submounts, bind does not" {
    microvm_gap "a virtio-9p share serves the host directory with its submounts, so a non-recursive bind cannot hide them"
    mkdir -p "$HOSTDIR/sub"
    mount -t tmpfs tmpfs "$HOSTDIR/sub"
    echo sub-content >"$HOSTDIR/sub/f"
    add_mount "{\"destination\": \"/r\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\"]}"
    add_mount "{\"destination\": \"/b\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\"]}"
    run_in 'cat /r/sub/f; ls /b/sub | wc -l'
    umount "$HOSTDIR/sub"
    assert_success
    assert_line --index 0 sub-content
    assert_line --index 1 0
}

@test "mounts: propagation options are applied" {
    container_only "propagation peers a mount with the host's; a microVM reaches a host directory over virtio-9p, which has no peer groups across the VM boundary"
    add_mount "{\"destination\": \"/sh\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"rshared\"]}"
    add_mount '{"destination": "/pr", "type": "tmpfs", "source": "tmpfs", "options": ["private"]}'
    add_mount '{"destination": "/ub", "type": "tmpfs", "source": "tmpfs", "options": ["unbindable"]}'
    run_in "$(mi_line /sh); $(mi_line /pr); $(mi_line /ub)"
    assert_success
    assert_line --index 0 --partial 'shared:'
    refute_line --index 1 --partial 'shared:'
    assert_line --index 2 --partial 'unbindable'
}

@test "mounts: recursive attributes (rro, rnosuid) reach submounts" {
    microvm_gap "submounts of a directory share are not recreated in the guest, so rro/rnosuid have no submount to reach"
    mkdir -p "$HOSTDIR/sub"
    mount -t tmpfs tmpfs "$HOSTDIR/sub"
    add_mount "{\"destination\": \"/rr\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"rro\", \"rnosuid\"]}"
    run_in "$(mi_line /rr/sub); touch /rr/sub/x"
    umount "$HOSTDIR/sub"
    assert_line --index 0 --regexp ' /rr/sub ro,nosuid'
    assert_output --partial 'Read-only file system'
}

@test "mounts: mount options runc knows are accepted" {
    add_mount '{"destination": "/o1", "type": "tmpfs", "source": "tmpfs", "options": ["sync", "dirsync", "noatime", "nodiratime", "mode=700"]}'
    add_mount '{"destination": "/o2", "type": "tmpfs", "source": "tmpfs", "options": ["strictatime", "nosuid", "nodev", "noexec", "ro"]}'
    run_in "$(mi_line /o1); $(mi_line /o2)"
    assert_success
    assert_line --index 0 --regexp ' /o1 rw,noatime,nodiratime - tmpfs [^ ]+ rw,sync,dirsync,mode=700'
    assert_line --index 1 --regexp ' /o2 ro,nosuid,nodev,noexec( |,)'
}

@test "mounts: proc, devpts, mqueue, sysfs and cgroup from the default config" {
    run_in 'for d in /proc /dev/pts /dev/mqueue /sys /sys/fs/cgroup /dev/shm; do awk -v d=$d "\$5 == d { print d, \$(NF-2) }" /proc/self/mountinfo | head -1; done'
    assert_success
    assert_line '/proc proc'
    assert_line '/dev/pts devpts'
    assert_line '/dev/mqueue mqueue'
    assert_line '/sys sysfs'
    # runc's layout: a tmpfs of hierarchies on v1/hybrid hosts, cgroup2 on v2;
    # a microVM's guest kernel mounts its own cgroup2 (microvm/README.md)
    if [ "$HULL_ISOLATION" = microvm ] || [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        assert_line '/sys/fs/cgroup cgroup2'
    else
        assert_line '/sys/fs/cgroup tmpfs'
    fi
    assert_line '/dev/shm tmpfs'
}

@test "mounts: cgroup v1 layout, read-only, the container's cgroup at the root of a cgroup namespace" {
    container_only "the guest kernel mounts its own cgroup2 for a cgroup mount (microvm/README.md); the host's v1 hierarchies and its cgroup of the container do not exist in the VM"
    requires cgroup1
    run_in 'ls /sys/fs/cgroup; cat /proc/self/cgroup | grep memory; ls /sys/fs/cgroup/memory/memory.limit_in_bytes; touch /sys/fs/cgroup/memory/x'
    assert_line memory
    assert_line pids
    assert_line unified
    assert_line --regexp '^[0-9]+:memory:/$'
    assert_line /sys/fs/cgroup/memory/memory.limit_in_bytes
    assert_output --partial 'Read-only file system'
}

@test "mounts: cgroup without a cgroup namespace shows the container's own cgroup" {
    container_only "the guest kernel mounts its own cgroup2; the host's cgroup of the container (which holds the VM monitor) is not visible in the VM"
    requires cgroup1
    update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
    run_in 'cat /sys/fs/cgroup/memory/cgroup.procs'
    assert_success
    # only the container's processes (its pid namespace shows them as 1..)
    assert_line --index 0 1
}

@test "mounts: cgroup2 mount" {
    add_mount '{"destination": "/cg2", "type": "cgroup2", "source": "cgroup2", "options": ["ro", "nosuid"]}'
    run_in "$(mi_line /cg2); ls /cg2/cgroup.procs"
    assert_success
    assert_line --index 0 --partial ' - cgroup2 '
    assert_line --index 0 --regexp ' /cg2 ro,nosuid'
}

@test "mounts: sysfs without a network namespace is the host's, bound" {
    container_only "a guest's sysfs is always the guest kernel's; there is no host sysfs to bind into a VM"
    # an interface of the host's (other suites add and remove taps meanwhile)
    local ifc
    ifc=$(ls /sys/class/net | grep -v -e '^lo$' -e tap | head -1)
    [ -n "$ifc" ] || skip "the host has no network interface but lo"
    update_config '.linux.namespaces |= map(select(.type != "network"))'
    run_in 'ls /sys/class/net'
    assert_success
    assert_line "$ifc"
    update_config '.linux.namespaces += [{"type": "network"}]'
    run_in 'ls /sys/class/net'
    assert_success
    refute_line "$ifc"
}

@test "mounts: read-only root" {
    run_in 'touch /x'
    assert_failure
    assert_output --partial 'Read-only file system'
    update_config '.root.readonly = false'
    run_in 'touch /x && echo wrote'
    assert_success
    assert_output wrote
    # In a microVM the writes stay in the VM's copy of the rootfs image.
    [ "$HULL_ISOLATION" = microvm ] || [ -e "$BUNDLE/rootfs/x" ]
}

@test "mounts: rootfsPropagation shared, slave, private, unbindable as seen from inside" {
    local p
    for p in shared slave private unbindable; do
        update_config --arg p "$p" '.linux.rootfsPropagation = $p | .root.readonly = false | del(.process.capabilities)'
        run_in 'mkdir -p /t /m /s; touch /s/f; mount --rbind / /t || echo bind-refused; mount --bind /s /m 2>/dev/null; ls /t/m 2>/dev/null'
        case $p in
        shared) assert_output f ;;
        unbindable) assert_output --partial bind-refused ;;
        *) assert_output "" ;;
        esac
        hull delete --force "$ID" >/dev/null 2>&1 || true
    done
    ! grep -q "$BUNDLE" /proc/self/mountinfo
}

@test "mounts: invalid rootfsPropagation is refused" {
    update_config '.linux.rootfsPropagation = "sideways"'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial sideways
    assert_no_leftovers "$ID"
}

@test "mounts: --no-pivot (MS_MOVE + chroot)" {
    update_config '.process.args = ["sh", "-c", "ls /bin/busybox; cat /proc/self/mountinfo | wc -l"]'
    run hull run --no-pivot --bundle "$BUNDLE" "$ID"
    assert_success
    assert_line --index 0 /bin/busybox
}

@test "mounts: a failing mount names the destination and leaves nothing behind" {
    add_mount '{"destination": "/bad", "type": "no-such-fs", "source": "none"}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial '/bad'
    assert_no_leftovers "$ID"
}

@test "mounts: a missing bind source is an error" {
    add_mount "{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/nope\", \"options\": [\"bind\"]}"
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial nope
    assert_no_leftovers "$ID"
}

@test "mounts: nothing the container mounts reaches the host" {
    update_config '.linux.rootfsPropagation = "rshared" | del(.process.capabilities)'
    run_in 'mount -t tmpfs tmpfs /tmp && echo mounted'
    assert_success
    ! grep -q "$BUNDLE" /proc/self/mountinfo
}

@test "mounts: tmpcopyup fills the tmpfs with what it hides" {
    mkdir -p "$BUNDLE/rootfs/opt/app/sub"
    echo app-data >"$BUNDLE/rootfs/opt/app/sub/f"
    ln -s sub/f "$BUNDLE/rootfs/opt/app/link"
    chmod 750 "$BUNDLE/rootfs/opt/app/sub"
    add_mount '{"destination": "/opt/app", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}'
    run_in "cat /opt/app/sub/f; readlink /opt/app/link; stat -c %a /opt/app/sub; echo new >/opt/app/new && echo written; $(mi_line /opt/app)"
    assert_success
    assert_line --index 0 app-data
    assert_line --index 1 sub/f
    assert_line --index 2 750
    assert_line --index 3 written
    assert_line --index 4 --partial ' - tmpfs '
    [ ! -e "$BUNDLE/rootfs/opt/app/new" ]
}

# A VM's directory shares (virtio-9p) have no id-mapped mounts: refused.
assert_microvm_refuses_idmap() {   # assert_microvm_refuses_idmap DEST
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: mount \`$1\`: idmapped mounts are not supported with microvm isolation (a directory reaches the guest over virtio-9p, which has none)"
    assert_no_leftovers "$ID"
}

@test "mounts: idmap bind mount with its own mappings" {
    echo x >"$HOSTDIR/f"
    chown 0:0 "$HOSTDIR/f"
    add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"idmap\"],
                \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],
                \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]}"
    if [ "$HULL_ISOLATION" = microvm ]; then
        assert_microvm_refuses_idmap /idm
        return
    fi
    run_in "stat -c '%u %g' /idm/f; $(mi_line /idm)"
    assert_success
    assert_line --index 0 '100000 200000'
    assert_line --index 1 --partial idmapped
    [ "$(stat -c %u "$HOSTDIR/f")" = 0 ]
}

@test "mounts: idmap bind mount takes the container's user namespace mappings by default" {
    local d=$BUNDLE
    while [ "$d" != / ] && [ "$d" != "$(dirname "$BATS_RUN_TMPDIR")" ]; do chmod a+x "$d"; d=$(dirname "$d"); done
    chown -R 100000:100000 "$BUNDLE/rootfs"
    chmod a+rx "$HOSTDIR"
    echo x >"$HOSTDIR/f"
    update_config '.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
    add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\", \"idmap\"]}"
    if [ "$HULL_ISOLATION" = microvm ]; then
        assert_microvm_refuses_idmap /idm
        return
    fi
    run_in "stat -c '%u %g' /idm/f; echo y >>/idm/f && echo writable"
    assert_success
    assert_line --index 0 '0 0'
    assert_line --index 1 writable
}

@test "mounts: idmap on a non-bind mount, or without any mappings, is refused" {
    add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'idmap'
    assert_no_leftovers "$ID"

    update_config '.mounts |= map(select(.destination != "/t"))'
    add_mount "{\"destination\": \"/m\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"bind\", \"idmap\"]}"
    if [ "$HULL_ISOLATION" = microvm ]; then
        assert_microvm_refuses_idmap /m
        return
    fi
    run hull create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial 'uidMappings'
    assert_no_leftovers "$ID"
}
