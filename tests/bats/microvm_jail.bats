#!/usr/bin/env bats
# The microVM's VMM: chosen by --vmm or io.hull.vmm, allowed its devices in
# the container's device cgroup, and jailed (empty root, no capabilities,
# no_new_privs, seccomp) inside the container's cgroup and network
# namespace.  Linux guests boot under QEMU/TCG here: few boots.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

# A createRuntime hook that saves the init's device cgroup rules (v1).
save_devices_list_hook() {
    local out=$1
    update_config --arg out "$out" '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c",
        "pid=$(sed -n \"s/.*\\\"pid\\\": *\\([0-9]*\\).*/\\1/p\"); cg=$(awk -F: \"\\$2 == \\\"devices\\\" { print \\$3 }\" /proc/$pid/cgroup); cat /sys/fs/cgroup/devices$cg/devices.list >" + $out]}]'
}

@test "microvm vmm: --vmm is checked, contradicting io.hull.vmm is refused, hull --help lists it" {
    run hull --vmm firecracker list
    assert_failure
    assert_output "hull: invalid --vmm \`firecracker\`: use qemu or builtin"
    update_config '.annotations["io.hull.isolation"] = "microvm" | .annotations["io.hull.vmm"] = "builtin"'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: annotation io.hull.vmm=builtin contradicts --vmm qemu"
    assert_no_leftovers "$ID"
    update_config '.annotations["io.hull.vmm"] = "kvmtool"'
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: invalid annotation io.hull.vmm=\`kvmtool\`: use qemu or builtin"
    assert_no_leftovers "$ID"
    run hull --help
    assert_output --partial "--vmm builtin|qemu"
}

@test "microvm vmm: features lists the io.hull.* annotations" {
    run hull features
    assert_success
    jq -e '.annotations | has("io.hull.isolation") and has("io.hull.vmm") and has("io.hull.vm.cpus")
           and has("io.hull.vm.memory") and has("io.hull.vm.disk-size")' <<<"$output"
}

@test "microvm vmm: the built-in VMM gets /dev/kvm in the device cgroup, a container does not" {
    requires cgroup1 guest_kernel
    [ -d /sys/fs/cgroup/devices ] || skip "needs the v1 devices controller"
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    local list=$BATS_TEST_TMPDIR/devices.list
    update_config '.process.args = ["true"]'
    save_devices_list_hook "$list"
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_success
    grep -q '^c 1:3 rwm$' "$list" || fail "the hook saw no device rules: $(cat "$list")"
    ! grep -q '^c 10:232 ' "$list" || fail "a container got /dev/kvm"
    hull delete --force "$ID"
    rm -f "$list"

    # --vmm builtin: the rule is there before the VMM starts (on a host
    # without hardware KVM the engine is then refused, cleanly).
    update_config '.annotations["io.hull.isolation"] = "microvm"'
    run hullq --vmm builtin create --bundle "$BUNDLE" "$ID"
    if [ "$status" -eq 0 ]; then
        jq -e '.annotations["io.hull.vmm"] == "builtin"' "$HULL_ROOT/$ID/state.json"
        hull delete --force "$ID"
    else
        assert_output --partial "needs hardware KVM"
    fi
    assert_no_leftovers "$ID"
    grep -q '^c 10:232 rwm$' "$list" || fail "no /dev/kvm rule for the built-in VMM: $(cat "$list")"
}

# The pid of the VMM under the monitor (the container's init pid).
vmm_pid_of() {
    local init=$1 pid
    for pid in $(pgrep -P "$init"); do
        case $(readlink "/proc/$pid/exe") in
            *qemu-system-*) echo "$pid"; return 0 ;;
        esac
    done
    return 1
}

@test "microvm jail: QEMU runs jailed in the container's cgroup and netns, and the workload runs" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    update_config '.annotations["io.hull.isolation"] = "microvm" | .process.args = ["sleep", "1000"]'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_success
    jq -e '.annotations["io.hull.vmm"] == "qemu" and .extra.vmm == "qemu"' "$HULL_ROOT/$ID/state.json" \
        || fail "the VMM is not in the state: $(cat "$HULL_ROOT/$ID/state.json")"
    local init vmm
    init=$(hull state "$ID" | jq -r .pid)
    vmm=$(vmm_pid_of "$init") || fail "no QEMU under the init pid $init"

    # No capabilities in any set, none to gain, QEMU's seccomp filter.
    local st=/proc/$vmm/status
    grep -qE '^CapInh:\s+0+$' "$st" && grep -qE '^CapPrm:\s+0+$' "$st" && grep -qE '^CapEff:\s+0+$' "$st" \
        && grep -qE '^CapBnd:\s+0+$' "$st" && grep -qE '^CapAmb:\s+0+$' "$st" || fail "capabilities: $(grep ^Cap "$st")"
    grep -qE '^NoNewPrivs:\s+1$' "$st" || fail "$(grep NoNewPrivs "$st")"
    grep -qE '^Seccomp:\s+2$' "$st" || fail "$(grep Seccomp "$st")"

    # Its root is the jail: the guest's files, QEMU's /usr and nothing else.
    run ls -A "/proc/$vmm/root/"
    assert_success
    assert_equal "$(echo $output)" "bin dev lib lib64 usr vm"
    run ls -A "/proc/$vmm/root/dev"
    assert_equal "$(echo $output)" "null"
    run ls -A "/proc/$vmm/root/vm"
    assert_equal "$(echo $output)" "disk initrd kernel"
    [ ! -e "/proc/$vmm/root/etc" ] && [ ! -e "/proc/$vmm/root/proc" ]
    ! touch "/proc/$vmm/root/new" 2>/dev/null || fail "the jail's root is writable"
    [ "$(stat -L -c %i "/proc/$vmm/root/vm/disk")" = "$(stat -c %i "$HULL_ROOT/$ID/microvm-rootfs.ext4")" ]
    # Its mount, ipc and uts namespaces are its own; cgroup and network namespace the container's.
    local ns
    for ns in mnt ipc uts; do
        [ "$(readlink "/proc/$vmm/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ] || fail "the host's $ns namespace"
    done
    [ "$(readlink "/proc/$vmm/ns/net")" = "$(readlink "/proc/$init/ns/net")" ]
    [ "$(readlink "/proc/$vmm/ns/net")" != "$(readlink /proc/self/ns/net)" ]
    # The monitor is pid 1 of the container's new pid namespace, QEMU in it
    # beside it (so it can signal no host process); ipc, uts and cgroup
    # namespaces are the container's too.
    for ns in pid ipc uts cgroup; do
        [ "$(readlink "/proc/$init/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ] || fail "the monitor is in the host's $ns namespace"
    done
    [ "$(readlink "/proc/$vmm/ns/pid")" = "$(readlink "/proc/$init/ns/pid")" ] || fail "QEMU is not in the container's pid namespace"
    [ "$(readlink "/proc/$vmm/ns/cgroup")" = "$(readlink "/proc/$init/ns/cgroup")" ]
    run awk '$1 == "NSpid:" { $1 = ""; print }' "/proc/$init/status"
    assert_output " $init 1"
    run awk '$1 == "NSpid:" { print NF - 1, $NF }' "/proc/$vmm/status"
    assert_output --regexp '^2 [0-9]+$'
    [ "$(cat "/proc/$vmm/cgroup")" = "$(cat "/proc/$init/cgroup")" ]
    grep -q "$ID" "/proc/$vmm/cgroup" || fail "not in the container's cgroup: $(cat "/proc/$vmm/cgroup")"
    # QEMU/TCG uses no /dev/kvm, so the device cgroup does not allow it.
    if [ -d /sys/fs/cgroup/devices ]; then
        local cg
        cg=$(awk -F: '$2 == "devices" { print $3 }' "/proc/$vmm/cgroup")
        if grep -qwE 'vmx|svm' /proc/cpuinfo; then
            grep -q '^c 10:232 rwm$' "/sys/fs/cgroup/devices$cg/devices.list"
        else
            ! grep -q '^c 10:232 ' "/sys/fs/cgroup/devices$cg/devices.list"
        fi
    fi

    # The guest still serves its container.
    hull start "$ID"
    run --separate-stderr hull exec "$ID" sh -c 'echo from-exec; echo oops >&2; exit 3'
    assert_equal "$status" 3
    assert_output "from-exec"
    assert_equal "$stderr" "oops"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm jail: the monitor joins a pid namespace given by path, and stays in the host's without one" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    # A container (container isolation) whose pid namespace the VM joins.
    local holder=${ID}h holder_bundle=$BATS_TEST_TMPDIR/holder init holder_pid
    cp -a "$BUNDLE" "$holder_bundle"
    jq '.process.args = ["sleep", "1000"] | del(.annotations["io.hull.isolation"])' "$BUNDLE/config.json" \
        >"$holder_bundle/config.json"
    hull --isolation container run -d --bundle "$holder_bundle" "$holder" </dev/null
    holder_pid=$(hull state "$holder" | jq -r .pid)

    update_config --arg ns "/proc/$holder_pid/ns/pid" '.annotations["io.hull.isolation"] = "microvm"
        | .process.args = ["sleep", "1000"]
        | .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_success
    init=$(hull state "$ID" | jq -r .pid)
    [ "$(readlink "/proc/$init/ns/pid")" = "$(readlink "/proc/$holder_pid/ns/pid")" ] \
        || fail "the monitor is not in the given pid namespace"
    # The runtime itself went back to its own: hooks and exec ran there.
    hull delete --force "$ID"
    hull delete --force "$holder"
    assert_no_leftovers "$ID"

    update_config '.linux.namespaces |= map(select(.type != "pid"))'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_success
    init=$(hull state "$ID" | jq -r .pid)
    [ "$(readlink "/proc/$init/ns/pid")" = "$(readlink /proc/self/ns/pid)" ] || fail "a pid namespace nobody asked for"
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm jail: a namespace path of another type is refused clearly, and nothing is left" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    update_config '.annotations["io.hull.isolation"] = "microvm"
        | .linux.namespaces |= map(if .type == "pid" then .path = "/proc/self/ns/net" else . end)'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: namespace path \`/proc/self/ns/net\` is not a pid namespace"
    assert_no_leftovers "$ID"
}

@test "microvm jail: with a user namespace QEMU runs as the host ids of the container's root" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    userns_config
    update_config '.annotations["io.hull.isolation"] = "microvm" | .process.args = ["sleep", "1000"]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_success
    local init vmm st
    init=$(hull state "$ID" | jq -r .pid)
    vmm=$(vmm_pid_of "$init") || fail "no QEMU under the init pid $init"
    st=/proc/$vmm/status
    run awk '$1 == "Uid:" || $1 == "Gid:" || $1 == "Groups:" { $1 = $1; print }' "$st"
    assert_output "$(printf 'Uid: 100000 100000 100000 100000\nGid: 200000 200000 200000 200000\nGroups:')"
    grep -qE '^CapEff:\s+0+$' "$st" && grep -qE '^CapPrm:\s+0+$' "$st" && grep -qE '^CapBnd:\s+0+$' "$st" \
        || fail "capabilities: $(grep ^Cap "$st")"
    grep -qE '^NoNewPrivs:\s+1$' "$st"
    [ "$(stat -c %u:%g "$HULL_ROOT/$ID/microvm-rootfs.ext4")" = 100000:200000 ]

    hull start "$ID"
    run hull exec "$ID" sh -c 'echo from-exec; exit 4'
    assert_equal "$status" 4
    assert_output "from-exec"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "microvm jail: a jailed QEMU runs the workload to its exit code, with its stdio" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    update_config '.annotations["io.hull.isolation"] = "microvm" | .annotations["io.hull.vmm"] = "qemu"
        | .process.args = ["sh", "-c", "echo guest says hi; echo oops >&2; exit 5"]'
    run --separate-stderr hull run --bundle "$BUNDLE" "$ID" </dev/null
    assert_equal "$status" 5
    assert_output "guest says hi"
    [[ "$stderr" == *"oops"* ]] || fail "stderr: $stderr"
    assert_no_leftovers "$ID"
}

@test "microvm jail: with a virtio-9p share QEMU gets a read-only procfs of process directories, and the guest creates files there" {
    requires guest_kernel qemu
    export HULL_IMAGE_CACHE=$BATS_TEST_TMPDIR/images
    local share=$BATS_TEST_TMPDIR/share
    mkdir "$share"
    echo from-host >"$share/in"
    update_config '.annotations["io.hull.isolation"] = "microvm" | .process.args = ["sleep", "1000"]
        | .mounts += [{"destination": "/mnt/share", "type": "bind", "source": "'"$share"'", "options": ["rbind", "rw"]}]'
    run hullq --vmm qemu create --bundle "$BUNDLE" "$ID"
    assert_success
    local init vmm
    init=$(hull state "$ID" | jq -r .pid)
    vmm=$(vmm_pid_of "$init") || fail "no QEMU under the init pid $init"

    # QEMU's 9p backend sets modes through /proc/self/fd: a procfs, and only that, is added.
    run ls -A "/proc/$vmm/root/"
    assert_equal "$(echo $output)" "bin dev lib lib64 proc usr vm"
    run ls -A "/proc/$vmm/root/vm"
    assert_equal "$(echo $output)" "disk initrd kernel share0"
    # mountinfo: ... mount-point options [optional...] - type source super-options
    run awk '$5 == "/proc" { sub(/.* - /, $6 " - "); print }' "/proc/$vmm/mountinfo"
    assert_output --regexp '^ro,nosuid,nodev,noexec[^ ]* - proc proc [^ ]*subset=pid'
    [ ! -e "/proc/$vmm/root/proc/sys" ] && [ ! -e "/proc/$vmm/root/proc/sysrq-trigger" ] || fail "more than process directories"
    ! touch "/proc/$vmm/root/new" 2>/dev/null || fail "the jail's root is writable"

    hull start "$ID"
    run hull exec "$ID" sh -c 'cat /mnt/share/in; echo from-guest >/mnt/share/out; mkdir /mnt/share/d; touch /mnt/share/d/f; chmod 640 /mnt/share/out; ls /mnt/share/d'
    assert_success
    assert_output "$(printf 'from-host\nf')"
    [ "$(cat "$share/out")" = from-guest ]
    [ "$(stat -c %a "$share/out")" = 640 ]
    [ -f "$share/d/f" ]
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
