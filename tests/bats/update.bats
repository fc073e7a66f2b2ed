#!/usr/bin/env bats
# hull update: runc's flags and --resources land in the cgroup files; a bad
# value, a nonexistent device or a stopped container changes nothing.

load helpers

setup() {
    requires root cgroup1
    setup_bundle
    ID=$(test_id)
}

teardown() {
    teardown_bundle
}

# The host directory of controller $2 for pid $1.
dir_of() {
    local rel
    rel=$(awk -F: -v k="$2" '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == k) print $3 }' "/proc/$1/cgroup" | head -1)
    echo "/sys/fs/cgroup/$2$rel"
}

start_limited() {   # 64M memory, 40 pids; prints the init pid
    update_config '.process.args = ["sleep", "1000"]
                   | .linux.resources.memory = { "limit": 67108864 } | .linux.resources.pids = { "limit": 40 }'
    hull run --detach --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    hull state "$ID" | jq -r .pid
}

@test "update: --memory and --pids-limit land in memory.limit_in_bytes and pids.max" {
    local pid
    pid=$(start_limited)
    hull update --memory 100M --pids-limit 50 "$ID"
    [ "$(cat "$(dir_of "$pid" memory)/memory.limit_in_bytes")" = 104857600 ]
    [ "$(cat "$(dir_of "$pid" pids)/pids.max")" = 50 ]
    hull update --memory 1g "$ID"
    [ "$(cat "$(dir_of "$pid" memory)/memory.limit_in_bytes")" = 1073741824 ]
    hull update --memory 98304k "$ID"
    [ "$(cat "$(dir_of "$pid" memory)/memory.limit_in_bytes")" = 100663296 ]
    hull update --pids-limit -1 "$ID"
    [ "$(cat "$(dir_of "$pid" pids)/pids.max")" = max ]
    # and the container feels it: 5 pids at most
    hull update --pids-limit 5 "$ID"
    run hull exec "$ID" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 100 </dev/null >/dev/null 2>&1 & done'
    assert_output --partial "fork"
}

@test "update: the cpu flags land in the cpu and cpuset files" {
    local pid cpu
    pid=$(start_limited)
    hull update --cpu-share 512 --cpu-period 100000 --cpu-quota 50000 --cpuset-cpus 0 --cpuset-mems 0 "$ID"
    cpu=$(dir_of "$pid" cpu)
    [ "$(cat "$cpu/cpu.shares")" = 512 ]
    [ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
    [ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ]
    [ "$(cat "$(dir_of "$pid" cpuset)/cpuset.cpus")" = 0 ]
    hull update --cpu-quota -1 "$ID"
    [ "$(cat "$cpu/cpu.cfs_quota_us")" = -1 ]
}

@test "update: --resources from a file and from stdin; the merged resources are kept" {
    local pid
    pid=$(start_limited)
    echo '{ "memory": { "limit": 83886080 }, "cpu": { "shares": 256 } }' >"$BATS_TEST_TMPDIR/res.json"
    hull update --resources "$BATS_TEST_TMPDIR/res.json" "$ID"
    [ "$(cat "$(dir_of "$pid" memory)/memory.limit_in_bytes")" = 83886080 ]
    [ "$(cat "$(dir_of "$pid" cpu)/cpu.shares")" = 256 ]
    echo '{ "pids": { "limit": 33 } }' | hull update -r - "$ID"
    [ "$(cat "$(dir_of "$pid" pids)/pids.max")" = 33 ]
    jq -e '.memory.limit == 83886080 and .cpu.shares == 256 and .pids.limit == 33' "$HULL_ROOT/$ID/resources.json"
    # events reads the same values back
    hull events --stats "$ID" | jq -e '.data.memory.usage.limit == 83886080 and .data.pids.limit == 33'
}

@test "update: an invalid value changes nothing" {
    local pid mem pids
    pid=$(start_limited)
    mem=$(dir_of "$pid" memory)
    pids=$(dir_of "$pid" pids)
    run hull update --memory 12x --pids-limit 50 "$ID"
    assert_failure
    assert_output --partial "--memory"
    run hull update --cpu-share lots "$ID"
    assert_failure
    assert_output --partial "--cpu-share"
    run hull update -r - "$ID" <<<'{ "memory": { "limit": "big" } }'
    assert_failure
    assert_output --partial "memory.limit"
    run hull update -r - "$ID" <<<'not json'
    assert_failure
    # the kernel refuses the cpus after the memory limit was written: put back
    run hull update -r - "$ID" <<<'{ "memory": { "limit": 104857600 }, "pids": { "limit": 77 }, "cpu": { "cpus": "999" } }'
    assert_failure
    assert_output --partial "cpus"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$pids/pids.max")" = 40 ]
    [ ! -e "$HULL_ROOT/$ID/resources.json" ]
}

@test "update: a nonexistent device changes nothing" {
    local pid mem
    pid=$(start_limited)
    mem=$(dir_of "$pid" memory)
    run hull update -r - "$ID" <<<'{ "memory": { "limit": 104857600 }, "blockIO": { "throttleReadBpsDevice": [ { "major": 250, "minor": 4095, "rate": 1048576 } ] } }'
    assert_failure
    assert_output --partial "250:4095"
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
}

@test "update: a stopped container is refused; Intel RDT is refused" {
    local pid
    pid=$(start_limited)
    run hull update --l3-cache-schema 'L3:0=f' "$ID"
    assert_failure
    assert_output --partial "Intel RDT"
    run hull update --mem-bw-schema 'MB:0=50' "$ID"
    assert_failure
    assert_output --partial "Intel RDT"
    hull kill "$ID" KILL
    wait_for_status "$ID" stopped 30
    run hull update --memory 100M "$ID"
    assert_failure
    assert_output --partial "container not running"
    run hull update --memory 100M nope
    assert_failure
    assert_output --partial "does not exist"
    hull delete "$ID"
    assert_no_leftovers "$ID"
}
