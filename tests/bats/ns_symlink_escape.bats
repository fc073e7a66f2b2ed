#!/usr/bin/env bats
# Hostile images: symlinks in the rootfs must never redirect a mount, a
# device node, a masked or read-only path, or the cwd onto the host.  Every
# target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT).

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
    # A host directory an attacker would love to write to.
    VICTIM="$BATS_TEST_TMPDIR/victim"
    mkdir -p "$VICTIM"
    echo precious >"$VICTIM/file"
}

teardown() {
    teardown_bundle
    if grep -q " $BATS_TEST_TMPDIR/" /proc/self/mountinfo; then
        awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
    fi
}

victim_untouched() {
    [ "$(ls -A "$VICTIM")" = file ] || fail "host directory changed: $(ls -lA "$VICTIM")"
    [ "$(cat "$VICTIM/file")" = precious ] || fail "host file changed"
    ! grep -q " $VICTIM" /proc/self/mountinfo || fail "a mount landed on the host: $(grep " $VICTIM" /proc/self/mountinfo)"
}

@test "escape: rootfs/dev is a symlink to a host directory" {
    rm -rf "$BUNDLE/rootfs/dev"
    ln -s "$VICTIM" "$BUNDLE/rootfs/dev"
    update_config '.process.args = ["sh", "-c", "ls /dev/null && readlink -f /dev"]'
    run hull run --bundle "$BUNDLE" "$ID"
    victim_untouched
    # inside the container the absolute link resolves within the rootfs
    [ -d "$BUNDLE/rootfs/$VICTIM" ] || [ "$status" -ne 0 ]
}

@test "escape: a mount destination through a symlink to /" {
    ln -s / "$BUNDLE/rootfs/rootlink"
    update_config --arg d "/rootlink$VICTIM" '.mounts += [{"destination": $d, "type": "tmpfs", "source": "tmpfs"}]
        | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    victim_untouched
    # the tmpfs went to rootfs/$VICTIM, inside the image
    [ -d "$BUNDLE/rootfs$VICTIM" ]
}

@test "escape: a relative symlink climbing out of the rootfs" {
    ln -s ../../../../../../../../../../.. "$BUNDLE/rootfs/up"
    update_config --arg d "/up$VICTIM" '.mounts += [{"destination": $d, "type": "tmpfs", "source": "tmpfs"}]
        | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    victim_untouched
}

@test "escape: a bind mount whose destination file is a symlink to a host file" {
    echo payload >"$BATS_TEST_TMPDIR/payload"
    ln -s "$VICTIM/file" "$BUNDLE/rootfs/etc/hosts"
    update_config --arg s "$BATS_TEST_TMPDIR/payload" '.mounts += [{"destination": "/etc/hosts", "type": "bind", "source": $s, "options": ["bind"]}]
        | .process.args = ["cat", "/etc/hosts"]'
    run hull run --bundle "$BUNDLE" "$ID"
    victim_untouched
}

@test "escape: device nodes through a symlinked /dev without a /dev mount" {
    rm -rf "$BUNDLE/rootfs/dev"
    ln -s "$VICTIM" "$BUNDLE/rootfs/dev"
    update_config '.mounts |= map(select(.destination | startswith("/dev") | not)) | .root.readonly = false
        | .linux.devices = [{"path": "/dev/evil", "type": "c", "major": 1, "minor": 3}] | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    victim_untouched
    [ ! -e "$VICTIM/null" ] && [ ! -e "$VICTIM/evil" ]
}

@test "escape: masked and read-only paths through symlinks" {
    ln -s "$VICTIM/file" "$BUNDLE/rootfs/etc/masked-link"
    ln -s "$VICTIM" "$BUNDLE/rootfs/ro-link"
    update_config '.linux.maskedPaths = ["/etc/masked-link"] | .linux.readonlyPaths = ["/ro-link"] | .process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    victim_untouched
}

@test "escape: the cwd through a symlink stays in the rootfs" {
    ln -s "$VICTIM" "$BUNDLE/rootfs/cwdlink"
    update_config '.process.cwd = "/cwdlink" | .process.args = ["sh", "-c", "ls -A; echo end"]'
    run hull run --bundle "$BUNDLE" "$ID"
    assert_success
    # the link's target was created inside the rootfs, empty
    assert_output end
    [ -d "$BUNDLE/rootfs$VICTIM" ]
    victim_untouched
}

@test "escape: /proc in the image is a symlink to a host directory" {
    mkdir -p "$VICTIM/proc"
    rm -rf "$BUNDLE/rootfs/proc"
    ln -s "$VICTIM/proc" "$BUNDLE/rootfs/proc"
    update_config '.process.args = ["true"]'
    run hull run --bundle "$BUNDLE" "$ID"
    ! grep -q " $VICTIM/proc " /proc/self/mountinfo
    [ -z "$(ls -A "$VICTIM/proc")" ]
}
