#!/usr/bin/env bats
# The network namespace a container joins by path (as podman and CNI hand
# one over): a test veth pair between a container netns and a "host" netns,
# the container sees the address and reaches the host end, and the host end
# reaches the container.  The same tests run at the microVM level
# (HULL_ISOLATION=microvm), where the guest takes over the veth through a TAP.

load helpers

setup() {
    requires root
    command -v ip >/dev/null || skip "needs ip (iproute2)"
    setup_bundle
    ID=$(test_id)
    veth_netns nw 10.231.9
    # busybox ping opens a raw ICMP socket: the process needs CAP_NET_RAW.
    update_config --arg ns "/var/run/netns/$CNS" '
        .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)
        | .process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])'
}

teardown() {
    teardown_bundle
}

@test "network: a container in a netns joined by path has the veth's address and pings the host end" {
    update_config '.process.args = ["sh", "-c",
        "ip -o -4 addr show dev eth0; ip route | grep ^default; ping -c 1 -W 10 10.231.9.1 >/dev/null && echo ping-ok"]'
    run hull run --bundle "$BUNDLE" "$ID" </dev/null
    assert_success
    assert_line --index 0 --partial "inet 10.231.9.2/24"
    assert_line --index 1 --partial "default via 10.231.9.1 dev eth0"
    assert_line --index 2 "ping-ok"
    assert_no_leftovers "$ID"
}

@test "network: the host end reaches a server in the container" {
    # The process stays up after serving, so the ping below reaches a
    # running container (in a microVM, the guest is gone once it exits).
    update_config '.process.args = ["sh", "-c", "echo hello-from-container | nc -l -p 7777; exec sleep 1000"]'
    run hullq run --detach --bundle "$BUNDLE" "$ID"
    assert_success
    wait_for_status "$ID" running 60
    # Poll: the server is listening only once the process has got that far
    # (in a microVM, once the guest has booted and started it).
    local i got=
    for ((i = 0; i < 120; i++)); do
        got=$(ip netns exec "$HNS" timeout 5 "$BUSYBOX" nc -w 2 10.231.9.2 7777 </dev/null 2>/dev/null) || true
        [ -z "$got" ] || break
        sleep 0.5
    done
    assert_equal "$got" "hello-from-container"
    run ip netns exec "$HNS" "$BUSYBOX" ping -c 1 -W 10 10.231.9.2
    assert_success
    hull delete --force "$ID"
    assert_no_leftovers "$ID"
}
