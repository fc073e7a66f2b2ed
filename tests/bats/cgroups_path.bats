#!/usr/bin/env bats
# cgroupsPath that must be refused, as runc refuses it: the root cgroup, and
# an existing cgroup that already holds processes (its own or in a
# sub-cgroup).  Each refusal leaves nothing behind and leaves the existing
# cgroup and its processes alone.

load helpers

setup() {
    requires root cgroup1
    setup_bundle
    ID=$(test_id)
    CG=hulltest-$ID
    STRANGER=
}

teardown() {
    [ -z "$STRANGER" ] || { kill -9 "$STRANGER" 2>/dev/null; wait "$STRANGER" 2>/dev/null; } || true
    teardown_bundle
    local d
    for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null); do
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

@test "cgroups path: the root cgroup is refused with a clear error, nothing left" {
    local p
    for p in / /a/.. //; do
        update_config --arg p "$p" '.linux.cgroupsPath = $p'
        run hull run --bundle "$BUNDLE" "$ID"
        assert_failure
        assert_output --partial "root cgroup"
        [ "${#lines[@]}" -eq 1 ] || fail "$p: not one line: $output"
        assert_no_leftovers "$ID"
    done
}

@test "cgroups path: an existing cgroup holding a process is refused (runc: container's cgroup is not empty)" {
    local pids_dir=/sys/fs/cgroup/pids/$CG
    mkdir -p "$pids_dir"
    sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
    STRANGER=$!
    echo "$STRANGER" >"$pids_dir/cgroup.procs"
    update_config --arg p "/$CG" '.linux.cgroupsPath = $p | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "container's cgroup is not empty: 1 process(es) found"
    [ "${#lines[@]}" -eq 1 ] || fail "not one line: $output"
    [ ! -e "$HULL_ROOT/$ID" ] || fail "state dir left behind"
    # The stranger and its cgroup are untouched; no other hierarchy got one.
    kill -0 "$STRANGER"
    grep -qx "$STRANGER" "$pids_dir/cgroup.procs"
    [ "$(find /sys/fs/cgroup -maxdepth 2 -type d -name "$CG" | wc -l)" -eq 1 ] \
        || fail "cgroups made: $(find /sys/fs/cgroup -maxdepth 2 -type d -name "$CG")"
}

@test "cgroups path: a process in a sub-cgroup of the target counts too" {
    local sub=/sys/fs/cgroup/memory/$CG/inner
    mkdir -p "$sub"
    sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
    STRANGER=$!
    echo "$STRANGER" >"$sub/cgroup.procs"
    update_config --arg p "/$CG" '.linux.cgroupsPath = $p | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "container's cgroup is not empty: 1 process(es) found"
    kill -0 "$STRANGER"
    grep -qx "$STRANGER" "$sub/cgroup.procs"
    [ ! -e "$HULL_ROOT/$ID" ] || fail "state dir left behind"
}

@test "cgroups path: a second container in a running container's cgroup is refused; the first keeps running" {
    update_config --arg p "/$CG" '.linux.cgroupsPath = $p | .process.args = ["sleep", "1000"]'
    hullq run --detach --bundle "$BUNDLE" "$ID" >/dev/null
    run hullq create --bundle "$BUNDLE" "$ID-2"
    assert_failure
    assert_output --partial "container's cgroup is not empty"
    [ ! -e "$HULL_ROOT/$ID-2" ] || fail "state dir left behind"
    [ "$(hull state "$ID" | jq -r .status)" = running ]
    grep -qx "$(hull state "$ID" | jq -r .pid)" "/sys/fs/cgroup/pids/$CG/cgroup.procs"
    hull delete --force "$ID"
    [ ! -d "/sys/fs/cgroup/pids/$CG" ] || fail "cgroup left behind"
}

@test "cgroups path: a frozen cgroup, or one under a frozen parent, is refused (runc: container's cgroup unexpectedly frozen)" {
    [ -d /sys/fs/cgroup/freezer ] || skip "needs the v1 freezer"
    local dir=/sys/fs/cgroup/freezer/$CG p
    mkdir -p "$dir"
    echo FROZEN >"$dir/freezer.state"
    for p in "/$CG" "/$CG/inner"; do
        update_config --arg p "$p" '.linux.cgroupsPath = $p | .process.args = ["true"]'
        # Without the check the init would stop in the frozen cgroup and
        # create would wait for it for ever.
        run timeout 60 "$HULL_BIN" $HULL_ISOLATION_FLAG --root "$HULL_ROOT" run --bundle "$BUNDLE" "$ID"
        assert_failure 1
        assert_output "hull: container's cgroup unexpectedly frozen"
        [ ! -e "$HULL_ROOT/$ID" ] || fail "state dir left behind"
        [ ! -e "$dir/inner" ] || fail "$dir/inner left behind"
    done
    grep -qx FROZEN "$dir/freezer.state"   # left as it was
    echo THAWED >"$dir/freezer.state"
}

@test "cgroups path: an existing empty cgroup is accepted, as runc does" {
    mkdir -p "/sys/fs/cgroup/memory/$CG"
    update_config --arg p "/$CG" '.linux.cgroupsPath = $p'
    run hullq run --bundle "$BUNDLE" "$ID"
    assert_success
}
