#!/usr/bin/env bats
# The CLI itself: help for hull and every command, --version, runc's global
# flag spellings, --log with text and json, --debug, unsupported flags.

load helpers

setup() {
    requires root
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

COMMANDS="create start run state list kill delete spec features"

@test "cli: --help and -h for hull and for every command" {
    run "$HULL_BIN" --help
    assert_success
    assert_line --index 0 --regexp "^Usage: hull "
    local cmd
    for cmd in $COMMANDS; do
        assert_output --regexp "  $cmd +"
    done
    # Every command the help lists, the later ones included, has its own help.
    local listed
    listed=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$output")
    [ "$(wc -w <<<"$listed")" -ge 9 ]
    for cmd in $listed; do
        run "$HULL_BIN" "$cmd" --help
        assert_success
        assert_line --index 0 --regexp "^Usage: hull $cmd" || fail "$cmd --help"
    done
    run "$HULL_BIN" -h
    assert_success
    assert_line --index 0 --regexp "^Usage: hull "
    for cmd in $COMMANDS; do
        run "$HULL_BIN" "$cmd" --help
        assert_success
        assert_line --index 0 --regexp "^Usage: hull $cmd"
        run "$HULL_BIN" "$cmd" -h
        assert_success
        assert_line --index 0 --regexp "^Usage: hull $cmd"
    done
}

@test "cli: --version prints hull's, the spec's and libseccomp's versions" {
    run "$HULL_BIN" --version
    assert_success
    assert_line --index 0 --regexp '^hull version [0-9]+\.[0-9]+\.[0-9]+'
    assert_line --index 1 "spec: 1.2.0"
    assert_line --index 2 --regexp '^libseccomp: [0-9]+\.[0-9]+\.[0-9]+$'
    run "$HULL_BIN" -v
    assert_success
}

@test "cli: unknown commands and options are one-line errors" {
    run "$HULL_BIN" frobnicate
    assert_failure
    assert_output "hull: unknown command \`frobnicate\`; see hull --help"
    run "$HULL_BIN"
    assert_failure
    assert_output "hull: no command given; see hull --help"
    run "$HULL_BIN" --frob list
    assert_failure
    assert_output "hull: unknown option \`--frob\`"
    run hull list --frob
    assert_failure
    assert_output "hull: list: unknown option \`--frob\`"
    run hull create --bundle
    assert_failure
    assert_output "hull: create: option \`--bundle\` needs a value"
    run hull create
    assert_failure
    assert_output "hull: create: requires exactly 1 argument: CONTAINER-ID"
    run hull state a b
    assert_failure
    assert_output "hull: state: requires exactly 1 argument: CONTAINER-ID"
}

@test "cli: global flags take --flag value and --flag=value" {
    update_config '.process.args = ["sleep", "1000"]'
    "$HULL_BIN" --root="$HULL_ROOT" create --bundle="$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run "$HULL_BIN" --root "$HULL_ROOT" state "$ID"
    assert_success
    run "$HULL_BIN" --root="$HULL_ROOT" --log-format=json --log="$BATS_TEST_TMPDIR/log.json" state "$ID"
    assert_success
    run "$HULL_BIN" --root "$HULL_ROOT" delete -f "$ID"
    assert_success
    assert_no_leftovers "$ID"
}

@test "cli: --log-format json appends one JSON line per error, as containerd reads them" {
    local log="$BATS_TEST_TMPDIR/log.json"
    run hull --log "$log" --log-format json state "nosuch-$ID"
    assert_failure
    assert_output "hull: container nosuch-$ID does not exist"
    run hull --log "$log" --log-format json kill "nosuch-$ID"
    assert_failure
    [ "$(wc -l <"$log")" -eq 2 ]
    jq -e -s --arg id "nosuch-$ID" '
        length == 2 and all(.[]; .level == "error" and .msg == ("container " + $id + " does not exist")
                               and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")))' "$log"
}

@test "cli: --log text and --debug lines" {
    local log="$BATS_TEST_TMPDIR/log.txt"
    run hull --log "$log" state "nosuch-$ID"
    assert_failure
    grep -q "level=error msg=\"container nosuch-$ID does not exist\"" "$log"

    local jlog="$BATS_TEST_TMPDIR/debug.json"
    update_config '.process.args = ["true"]'
    run hull --debug --log "$jlog" --log-format json run --bundle "$BUNDLE" "$ID"
    assert_success
    jq -e -s 'map(select(.level == "debug")) | length > 0' "$jlog"
    jq -e -s 'any(.[]; .msg | test("created, init pid"))' "$jlog"
    assert_no_leftovers "$ID"
}

@test "cli: an invalid --log-format or --isolation is refused" {
    run hull --log-format yaml list
    assert_failure
    assert_output "hull: invalid --log-format \`yaml\`: use text or json"
    run hull --isolation kvm list
    assert_failure
    assert_output "hull: invalid --isolation \`kvm\`: use container or microvm"
}

@test "cli: --systemd-cgroup is a clear error for create, ignored by other commands" {
    run hullq --systemd-cgroup create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: --systemd-cgroup is not supported yet"
    assert_no_leftovers "$ID"
    run hull --systemd-cgroup list -q
    assert_success
}

@test "cli: an annotation contradicting --isolation is refused at create" {
    update_config '.annotations["io.hull.isolation"] = "container"'
    run hullq --isolation microvm create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output --partial "contradicts"
    assert_no_leftovers "$ID"
    update_config '.annotations["io.hull.isolation"] = "vm"'
    run hullq create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: invalid annotation io.hull.isolation=\`vm\`: use container or microvm"
    assert_no_leftovers "$ID"
}

@test "cli: the isolation is recorded in the state" {
    update_config '.process.args = ["sleep", "1000"]'
    hullq --isolation container create --bundle "$BUNDLE" "$ID" >/dev/null
    jq -e '.isolation == "container"' "$HULL_ROOT/$ID/state.json"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}

@test "cli: spec writes a default config.json, refuses to overwrite, and hull runs it" {
    local b="$BATS_TEST_TMPDIR/specbundle"
    mkdir -p "$b"
    run hull spec --bundle "$b"
    assert_success
    jq -e '.ociVersion and .process.args and .root.path == "rootfs"' "$b/config.json"
    run hull spec --bundle "$b"
    assert_failure
    assert_output --partial "exists"
    run hull spec -b "$BATS_TEST_TMPDIR/rootless" --rootless
    assert_failure   # the directory does not exist
    mkdir "$BATS_TEST_TMPDIR/rootless"
    run hull spec -b "$BATS_TEST_TMPDIR/rootless" --rootless
    assert_success
    jq -e '.linux.namespaces | map(.type) | index("user") != null' "$BATS_TEST_TMPDIR/rootless/config.json"
    # The default spec runs as is (with a non-interactive process).
    mv "$BUNDLE/rootfs" "$b/rootfs"
    jq '.process.terminal = false | .process.args = ["true"]' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
    run hull run --bundle "$b" "$ID"
    assert_success
    mv "$b/rootfs" "$BUNDLE/rootfs"
    assert_no_leftovers "$ID"
}

@test "cli: features prints the OCI features document" {
    run hull features
    assert_success
    jq -e '.ociVersionMin and .ociVersionMax and (.hooks | index("createRuntime") != null)' <<<"$output"
    jq -e '.annotations["io.github.seccomp.libseccomp.version"] | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")' <<<"$output"
}

@test "cli: invoked as hull-vm, a container annotation is a contradiction and a sandbox stays a container" {
    ln -s "$HULL_BIN" "$BATS_TEST_TMPDIR/hull-vm"
    update_config '.annotations["io.hull.isolation"] = "container"'
    run "$BATS_TEST_TMPDIR/hull-vm" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$ID"
    assert_failure
    assert_output "hull: annotation io.hull.isolation=container contradicts the requested isolation microvm"
    assert_no_leftovers "$ID"
    update_config '.annotations = {"io.kubernetes.cri.container-type": "sandbox"} | .process.args = ["sleep", "1000"]'
    "$BATS_TEST_TMPDIR/hull-vm" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    jq -e '.isolation == "container"' "$HULL_ROOT/$ID/state.json"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
