#!/usr/bin/env bats
# The guest kernel build (microvm/guest/kernel/): the fragment-survival check
# that makes the build fail when Kconfig drops a requested setting, the cache
# key and --print-path, and the cached kernel itself when it has been built.
load helpers

KDIR=$SRC_DIR/microvm/guest/kernel
FRAGMENT=$KDIR/microvm.fragment
CHECK=$KDIR/check-config.sh

# A resolved .config that kept every line of the fragment, as Kconfig writes
# it: "=n" requests appear as "# CONFIG_X is not set", plus unrelated symbols.
config_from_fragment() {
    {
        echo "# Automatically generated file; DO NOT EDIT."
        echo "CONFIG_UNRELATED_SYMBOL=y"
        grep -E '^CONFIG_' "$FRAGMENT" | sed -E 's/^(CONFIG_[A-Za-z0-9_]+)=n$/# \1 is not set/'
        echo "# CONFIG_ANOTHER_UNRELATED is not set"
    } >"$1"
}

@test "check-config accepts a .config that kept every line of the fragment" {
    config_from_fragment "$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$FRAGMENT" "$BATS_TEST_TMPDIR/config"
    assert_success
    assert_output ""
}

@test "check-config fails and names a =y line Kconfig dropped" {
    config_from_fragment "$BATS_TEST_TMPDIR/config"
    sed -i '/^CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y$/d' "$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$FRAGMENT" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_output "Kconfig dropped: CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y (got: not set)"
}

@test "check-config fails when a =y line came out as 'is not set'" {
    config_from_fragment "$BATS_TEST_TMPDIR/config"
    sed -i 's/^CONFIG_EXT4_FS=y$/# CONFIG_EXT4_FS is not set/' "$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$FRAGMENT" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_output "Kconfig dropped: CONFIG_EXT4_FS=y (got: not set)"
}

@test "check-config fails when an =n line got enabled" {
    grep -qx 'CONFIG_ACPI=n' "$FRAGMENT"
    config_from_fragment "$BATS_TEST_TMPDIR/config"
    sed -i 's/^# CONFIG_ACPI is not set$/CONFIG_ACPI=y/' "$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$FRAGMENT" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_output "Kconfig dropped: CONFIG_ACPI=n (got: CONFIG_ACPI=y)"
}

@test "check-config fails on changed string and number values, and lists every loss" {
    config_from_fragment "$BATS_TEST_TMPDIR/config"
    sed -i -e 's/^CONFIG_LOCALVERSION=.*/CONFIG_LOCALVERSION="-other"/' \
           -e 's/^CONFIG_NR_CPUS=.*/CONFIG_NR_CPUS=8/' "$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$FRAGMENT" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_line 'Kconfig dropped: CONFIG_LOCALVERSION="-microvm" (got: CONFIG_LOCALVERSION="-other")'
    assert_line 'Kconfig dropped: CONFIG_NR_CPUS=64 (got: CONFIG_NR_CPUS=8)'
    assert_equal "${#lines[@]}" 2
}

@test "check-config understands '# CONFIG_X is not set' in a fragment" {
    printf '# CONFIG_FOO is not set\nCONFIG_BAR=m\n' >"$BATS_TEST_TMPDIR/fragment"
    printf 'CONFIG_BAR=m\n# CONFIG_FOO is not set\n' >"$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$BATS_TEST_TMPDIR/fragment" "$BATS_TEST_TMPDIR/config"
    assert_success
    printf 'CONFIG_BAR=m\nCONFIG_FOO=y\n' >"$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$BATS_TEST_TMPDIR/fragment" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_output "Kconfig dropped: # CONFIG_FOO is not set (got: CONFIG_FOO=y)"
}

@test "check-config rejects a malformed fragment, an empty one and missing files" {
    printf 'CONFIG_OK=y\nVIRTIO=y\n' >"$BATS_TEST_TMPDIR/fragment"
    printf 'CONFIG_OK=y\n' >"$BATS_TEST_TMPDIR/config"
    run "$CHECK" "$BATS_TEST_TMPDIR/fragment" "$BATS_TEST_TMPDIR/config"
    assert_failure 1
    assert_output --partial "not a Kconfig line: VIRTIO=y"

    printf '# only a comment\n\n' >"$BATS_TEST_TMPDIR/fragment"
    run "$CHECK" "$BATS_TEST_TMPDIR/fragment" "$BATS_TEST_TMPDIR/config"
    assert_failure 2
    assert_output "check-config: no settings in fragment"

    run "$CHECK" "$BATS_TEST_TMPDIR/nope" "$BATS_TEST_TMPDIR/config"
    assert_failure 2
    assert_output --partial "cannot read fragment"
}

@test "build.sh --print-path fails with a clear message when nothing is cached" {
    dpkg-query -W linux-source-6.1 >/dev/null 2>&1 || skip "needs linux-source-6.1 (.ci/install-deps kernel)"
    HULL_GUEST_KERNEL_CACHE=$BATS_TEST_TMPDIR/cache run "$KDIR/build.sh" --print-path
    assert_failure 1
    assert_output --regexp "^guest-kernel: not built: $BATS_TEST_TMPDIR/cache/6\.1\.[0-9]+-[0-9a-z.+~-]+-[0-9a-f]{12} \(run: make guest-kernel\)$"
    [ ! -e "$BATS_TEST_TMPDIR/cache" ]
}

@test "the cache key is the source version and the fragment's sha256" {
    dpkg-query -W linux-source-6.1 >/dev/null 2>&1 || skip "needs linux-source-6.1 (.ci/install-deps kernel)"
    local version hash
    version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
    hash=$(sha256sum "$FRAGMENT" | cut -c1-12)
    HULL_GUEST_KERNEL_CACHE=$BATS_TEST_TMPDIR/cache run "$KDIR/build.sh" --print-path
    assert_output --partial "$BATS_TEST_TMPDIR/cache/$version-$hash "
    # Another fragment, another key.
    { cat "$FRAGMENT"; echo "CONFIG_PRINTK_TIME=y"; } >"$BATS_TEST_TMPDIR/fragment"
    HULL_GUEST_KERNEL_CACHE=$BATS_TEST_TMPDIR/cache run "$KDIR/build.sh" --fragment "$BATS_TEST_TMPDIR/fragment" --print-path
    assert_failure 1
    refute_output --partial "$version-$hash "
    assert_output --partial "$version-$(sha256sum "$BATS_TEST_TMPDIR/fragment" | cut -c1-12) "
}

@test "the cached guest kernel matches the fragment and is a bootable x86-64 kernel" {
    local dir
    dir=$("$KDIR/build.sh" --print-path 2>/dev/null) || skip "guest kernel not built (make guest-kernel)"
    run "$CHECK" "$FRAGMENT" "$dir/config"
    assert_success
    # bzImage: "HdrS" at 0x202, boot protocol >= 2.12 at 0x206, XLF_KERNEL_64
    # in xloadflags (0x236): the 64-bit entry the VMM uses.
    [ "$(dd if="$dir/bzImage" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ]
    local proto xlf
    proto=$(od -An -tu2 -j $((0x206)) -N2 "$dir/bzImage" | tr -d ' ')
    [ "$proto" -ge $((0x020c)) ]
    xlf=$(od -An -tu2 -j $((0x236)) -N2 "$dir/bzImage" | tr -d ' ')
    [ $((xlf & 1)) = 1 ]
    # vmlinux: a 64-bit little-endian x86-64 ELF executable.
    [ "$(od -An -c -N4 "$dir/vmlinux" | tr -d ' ')" = '177ELF' ]
    [ "$(od -An -tu1 -j4 -N2 "$dir/vmlinux" | tr -s ' ')" = " 2 1" ]
    [ "$(od -An -tu2 -j18 -N2 "$dir/vmlinux" | tr -d ' ')" = 62 ]
}

@test "make guest-kernel does not rebuild a cached kernel and prints its directory last" {
    local dir before
    dir=$("$KDIR/build.sh" --print-path 2>/dev/null) || skip "guest kernel not built (make guest-kernel)"
    before=$(stat -c %Y:%i "$dir/bzImage" "$dir/vmlinux")
    run make -s -C "$SRC_DIR" guest-kernel
    assert_success
    assert_equal "${lines[-1]}" "$dir"
    assert_equal "$(stat -c %Y:%i "$dir/bzImage" "$dir/vmlinux")" "$before"
}

@test "real Kconfig: a fragment line that cannot survive fails the build before compiling" {
    [ -r /usr/src/linux-source-6.1.tar.xz ] || skip "needs linux-source-6.1 (.ci/install-deps kernel)"
    # VIRTIO_BLK depends on BLOCK, and the symbol below does not exist.
    sed 's/^CONFIG_BLOCK=y$/CONFIG_BLOCK=n/' "$FRAGMENT" >"$BATS_TEST_TMPDIR/fragment"
    echo "CONFIG_HULL_NO_SUCH_SYMBOL=y" >>"$BATS_TEST_TMPDIR/fragment"
    TMPDIR=$BATS_TEST_TMPDIR HULL_GUEST_KERNEL_CACHE=$BATS_TEST_TMPDIR/cache \
        run timeout 600 "$KDIR/build.sh" --fragment "$BATS_TEST_TMPDIR/fragment"
    assert_failure 1
    assert_line "Kconfig dropped: CONFIG_VIRTIO_BLK=y (got: not set)"
    assert_line "Kconfig dropped: CONFIG_HULL_NO_SUCH_SYMBOL=y (got: not set)"
    assert_line --partial "guest-kernel: the fragment does not survive Kconfig"
    # Nothing cached, and the work tree is gone.
    [ -z "$(find "$BATS_TEST_TMPDIR/cache" -mindepth 1 ! -name '.*.lock' 2>/dev/null)" ]
    [ -z "$(ls -d "$BATS_TEST_TMPDIR"/hull-guest-kernel.* 2>/dev/null)" ]
}

@test "real Kconfig: the committed fragment survives (build.sh --check-only)" {
    [ -r /usr/src/linux-source-6.1.tar.xz ] || skip "needs linux-source-6.1 (.ci/install-deps kernel)"
    TMPDIR=$BATS_TEST_TMPDIR run timeout 600 "$KDIR/build.sh" --check-only
    assert_success
    assert_output --partial "guest-kernel: every line of $FRAGMENT survives Kconfig"
    [ -z "$(ls -d "$BATS_TEST_TMPDIR"/hull-guest-kernel.* 2>/dev/null)" ]
}
