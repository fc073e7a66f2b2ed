#!/usr/bin/env bats
# hull's VMM under this machine's real /dev/kvm: the freestanding test guest
# booted through the 64-bit boot protocol with `hull vm boot`, and the
# errors a person gets for bad input.

load helpers
bats_require_minimum_version 1.5.0

TESTGUEST="$SRC_DIR/build/testguest/testguest.elf"

# `hull vm` once the CLI table has it, else build/vmm-boot (same argv).
vm() {
    if "$HULL_BIN" vm --help >/dev/null 2>&1; then
        timeout 120 "$HULL_BIN" vm "$@"
    else
        timeout 120 "$SRC_DIR/build/vmm-boot" "$@"
    fi
}

setup() {
    requires root kvm
    [ -f "$TESTGUEST" ] || fail "test guest not built: make $TESTGUEST"
}

teardown() {
    if [ -n "${VMM_PID:-}" ]; then
        kill -KILL "$VMM_PID" 2>/dev/null || true
        wait "$VMM_PID" 2>/dev/null || true
    fi
}

@test "vm boot: test guest says hello over the serial port and exits by i8042 reset" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=hello" --verbose </dev/null
    assert_success
    assert_line "hello from the hull test guest (64-bit entry)"
    assert_line "TESTGUEST-EXIT 0"
    [[ "$stderr" == *"guest exited (reset)"* ]] || fail "stderr: $stderr"
}

@test "vm boot: default command line boots the hello scenario" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" </dev/null
    assert_success
    assert_line "hello from the hull test guest (64-bit entry)"
}

@test "vm boot: guest exit codes reach the serial output" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=exitcode code=42" </dev/null
    assert_success
    assert_line "TESTGUEST-EXIT 42"
}

@test "vm boot: the command line reaches the guest through the zero page" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=cmdline hull.test=abc-123 x=y" </dev/null
    assert_success
    assert_line "cmdline: scenario=cmdline hull.test=abc-123 x=y"
}

@test "vm boot: --cmdline=VALUE form" {
    run --separate-stderr vm boot --kernel="$TESTGUEST" --cmdline="scenario=cmdline a=b" </dev/null
    assert_success
    assert_line "cmdline: scenario=cmdline a=b"
}

@test "vm boot: triple fault (reboot=t) ends the VM in order" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=exitcode code=7 reboot=t" --verbose </dev/null
    assert_success
    assert_line "TESTGUEST-EXIT 7"
    [[ "$stderr" == *"guest exited (triple-fault)"* ]] || fail "stderr: $stderr"
}

@test "vm boot: --cpus 2 gives an MP table, APIC ids and a second CPU that starts" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpus 2 --cmdline "scenario=smp" </dev/null
    assert_success
    assert_line "smp: mptable cpus 2, bsp apic id 0, hypervisor bit 1"
    assert_line "smp: hypervisor signature KVMKVMKVM"
    assert_line "smp: cpu with apic id 1 is up"
    assert_line "smp: 2 of 2 cpus up"
    assert_line "TESTGUEST-EXIT 0"
}

@test "vm boot: --cpus 4" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpus 4 --cmdline "scenario=smp" </dev/null
    assert_success
    assert_line "smp: 4 of 4 cpus up"
}

@test "vm boot: one vCPU has a one-CPU MP table" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=smp" </dev/null
    assert_success
    assert_line "smp: 1 of 1 cpus up"
}

@test "vm boot: --memory sizes the e820 map and the top of RAM is usable" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --memory 64 --cmdline "scenario=mem" </dev/null
    assert_success
    assert_line "e820: 0x0-0x9fbff type 1"
    assert_line "e820: 0x100000-0x3ffffff type 1"
    assert_line "TESTGUEST-EXIT 0"
}

@test "vm boot: serial input reaches the guest" {
    run --separate-stderr bash -c '(sleep 0.5; echo "hello guest") | "$0" "$@"' \
        "$(command -v timeout)" 120 "$SRC_DIR/build/vmm-boot" boot --kernel "$TESTGUEST" --cmdline "scenario=echo"
    assert_success
    assert_line "echo: hello guest"
    assert_line "TESTGUEST-EXIT 0"
}

@test "vm boot: serial input longer than the UART FIFO arrives whole" {
    local line
    line=$(printf 'abcdefghij%.0s' $(seq 10))
    run --separate-stderr bash -c 'echo "$1" | "$2" 120 "$3" boot --kernel "$4" --cmdline "scenario=echo"' \
        _ "$line" "$(command -v timeout)" "$SRC_DIR/build/vmm-boot" "$TESTGUEST"
    assert_success
    assert_line "echo: $line"
}

@test "vm boot: SIGTERM stops a running 2-vCPU guest, status 143" {
    local out="$BATS_TEST_TMPDIR/serial" i
    "$SRC_DIR/build/vmm-boot" boot --kernel "$TESTGUEST" --cpus 2 --cmdline "scenario=idle" </dev/null >"$out" 2>&1 &
    VMM_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q IDLE "$out" && break
        sleep 0.1
    done
    grep -q IDLE "$out" || fail "guest never became idle: $(cat "$out")"
    kill -TERM "$VMM_PID"
    local status=0
    wait "$VMM_PID" || status=$?
    VMM_PID=
    [ "$status" -eq 143 ] || fail "exit status $status, want 143; output: $(cat "$out")"
}

@test "vm boot: a triple fault from a page fault with no IDT ends the VM in order" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=triple-fault" --verbose </dev/null
    assert_success
    assert_line "TESTGUEST-EXIT 0"
    [[ "$stderr" == *"guest exited (triple-fault)"* ]] || fail "stderr: $stderr"
}

@test "vm boot: int3 reaches the guest's #BP handler (injected by the VMM where KVM cannot emulate it)" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=int3" </dev/null
    assert_success
    assert_line "int3: handled 2 of 2"
    assert_line "TESTGUEST-EXIT 0"
}

@test "vm boot: CPUID: hypervisor bit set, --cpuid-mask cx16 hides cmpxchg16b" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cmdline "scenario=cpuid" </dev/null
    assert_success
    assert_line --regexp "^cpuid: leaf1 .* hypervisor=1$"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpuid-mask cx16 --cmdline "scenario=cpuid" </dev/null
    assert_success
    assert_line --regexp "^cpuid: leaf1 .* cx16=0 .*"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpuid-mask cx16,avx512 </dev/null
    assert_one_line_error "unknown feature \`avx512\`"
}

@test "vm boot: --disk adds a virtio-mmio window and its command-line entry" {
    truncate -s 1M "$BATS_TEST_TMPDIR/a.img" "$BATS_TEST_TMPDIR/b.img"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$BATS_TEST_TMPDIR/a.img,ro" \
        --disk "$BATS_TEST_TMPDIR/b.img" --cmdline "scenario=cmdline" </dev/null
    assert_success
    assert_line "cmdline: scenario=cmdline virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6"
}

# ---- bad input: one line on stderr, status 1, nothing left behind

assert_one_line_error() {
    assert_failure 1
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "want one stderr line, got: $stderr"
    [[ "$stderr" == "hull: vm boot: "* ]] || fail "stderr: $stderr"
    [[ "$stderr" == *"$1"* ]] || fail "stderr lacks '$1': $stderr"
    [ -z "$output" ] || fail "unexpected guest output: $output"
}

@test "vm boot: missing kernel" {
    run --separate-stderr vm boot --kernel "$BATS_TEST_TMPDIR/nope" </dev/null
    assert_one_line_error "No such file or directory"
}

@test "vm boot: corrupt kernel" {
    head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/bad.img"
    run --separate-stderr vm boot --kernel "$BATS_TEST_TMPDIR/bad.img" </dev/null
    assert_one_line_error "not a bzImage"
}

@test "vm boot: truncated ELF kernel" {
    head -c 700 "$TESTGUEST" >"$BATS_TEST_TMPDIR/short.elf"
    run --separate-stderr vm boot --kernel "$BATS_TEST_TMPDIR/short.elf" </dev/null
    assert_one_line_error "outside the file"
}

@test "vm boot: bzImage with a too old boot protocol" {
    # A real-looking setup header claiming protocol 2.11.
    python3 - "$BATS_TEST_TMPDIR/old.bz" <<'PY'
import struct, sys
img = bytearray(8192)
img[0x1f1] = 1
img[0x1fe:0x200] = b"\x55\xaa"
img[0x201] = 0x66
img[0x202:0x206] = b"HdrS"
img[0x206:0x208] = struct.pack("<H", 0x020b)
img[0x211] = 1
open(sys.argv[1], "wb").write(img)
PY
    run --separate-stderr vm boot --kernel "$BATS_TEST_TMPDIR/old.bz" </dev/null
    assert_one_line_error "older than 2.12"
}

@test "vm boot: kernel is a directory" {
    run --separate-stderr vm boot --kernel "$BATS_TEST_TMPDIR" </dev/null
    assert_one_line_error "Is a directory"
}

@test "vm boot: no /dev/kvm (--kvm-device)" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --kvm-device "$BATS_TEST_TMPDIR/kvm" </dev/null
    assert_one_line_error "open $BATS_TEST_TMPDIR/kvm: No such file or directory"
}

@test "vm boot: no /dev/kvm (HULL_KVM_DEVICE)" {
    HULL_KVM_DEVICE="$BATS_TEST_TMPDIR/kvm" run --separate-stderr vm boot --kernel "$TESTGUEST" </dev/null
    assert_one_line_error "open $BATS_TEST_TMPDIR/kvm"
}

@test "vm boot: a KVM device that is not KVM" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --kvm-device /dev/null </dev/null
    assert_one_line_error "/dev/null"
}

@test "vm boot: too much memory" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --memory 1000000 </dev/null
    assert_one_line_error "1000000 MiB of guest memory requested"
}

@test "vm boot: too little memory, bad numbers, bad vCPU counts" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --memory 2 </dev/null
    assert_one_line_error "MiB of guest memory requested"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --memory 12x </dev/null
    assert_one_line_error "invalid number"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpus 0 </dev/null
    assert_one_line_error "0 vCPUs requested"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --cpus 999 </dev/null
    assert_one_line_error "999 vCPUs requested"
}

@test "vm boot: bad TAP name and missing TAP; no interface is created" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --net "bad/name" </dev/null
    assert_one_line_error "not a valid interface name"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --net "averyveryverylongtapname" </dev/null
    assert_one_line_error "not a valid interface name"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --net "hullnotap$$" </dev/null
    assert_one_line_error "does not exist"
    ! ip link show "hullnotap$$" >/dev/null 2>&1 || fail "an interface was created"
}

@test "vm boot: missing disk" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --disk "$BATS_TEST_TMPDIR/none.img" </dev/null
    assert_one_line_error "disk \`$BATS_TEST_TMPDIR/none.img\`: No such file or directory"
}

@test "vm boot: missing initrd" {
    run --separate-stderr vm boot --kernel "$TESTGUEST" --initrd "$BATS_TEST_TMPDIR/none.cpio" </dev/null
    assert_one_line_error "initrd"
}

@test "vm boot: usage errors" {
    run --separate-stderr vm boot </dev/null
    assert_one_line_error "--kernel is required"
    run --separate-stderr vm boot --kernel "$TESTGUEST" --bogus 1 </dev/null
    assert_failure 1
    [[ "$stderr" == *"unknown option \`--bogus'"* || "$stderr" == *"unknown option"* ]] || fail "$stderr"
}

# ---- a real Linux guest: only where KVM is hardware virtualization.  On
# kvm_pvm hosts an unmodified kernel runs in instruction emulation and stops
# at the first interrupt it takes (see the README); these skip there.

guest_kernel_dir() {
    if [ -n "${HULL_GUEST_KERNEL_DIR:-}" ]; then
        echo "$HULL_GUEST_KERNEL_DIR"
        return
    fi
    "$SRC_DIR/microvm/guest/kernel/build.sh" --print-path 2>/dev/null ||
        dirname "$(ls -t "${HULL_GUEST_KERNEL_CACHE:-/var/cache/hull/guest-kernel}"/*/bzImage 2>/dev/null | head -1)"
}

# An initramfs whose /init (busybox sh) reports the CPUs and command line
# the kernel saw, then reboots: reboot=t makes that a triple fault.
make_initramfs() {
    local root="$BATS_TEST_TMPDIR/initramfs"
    mkdir -p "$root/bin" "$root/proc" "$root/dev"
    cp "$BUSYBOX" "$root/bin/busybox"
    cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "HULL-GUEST-UP cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo) cmdline=$(/bin/busybox cat /proc/cmdline)"
/bin/busybox reboot -f
INIT
    chmod 0755 "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip) >"$BATS_TEST_TMPDIR/initramfs.cpio.gz"
}

linux_guest_setup() {
    requires hw_kvm
    KDIR=$(guest_kernel_dir)
    [ -n "$KDIR" ] && [ -f "$KDIR/bzImage" ] || skip "no guest kernel: run make guest-kernel"
    command -v cpio >/dev/null || skip "needs cpio"
    make_initramfs
}

@test "vm boot: Linux bzImage reaches /init with 2 CPUs from the MP table (hardware KVM only)" {
    linux_guest_setup
    run --separate-stderr timeout 120 "$SRC_DIR/build/vmm-boot" boot --kernel "$KDIR/bzImage" \
        --initrd "$BATS_TEST_TMPDIR/initramfs.cpio.gz" --memory 256 --cpus 2 \
        --cmdline "console=ttyS0 reboot=t panic=-1 quiet hull.marker=bz" </dev/null
    assert_success
    assert_output --partial "HULL-GUEST-UP cpus=2 cmdline=console=ttyS0 reboot=t panic=-1 quiet hull.marker=bz"
}

@test "vm boot: Linux vmlinux (ELF) reaches /init (hardware KVM only)" {
    linux_guest_setup
    [ -f "$KDIR/vmlinux" ] || skip "no vmlinux beside $KDIR/bzImage"
    run --separate-stderr timeout 120 "$SRC_DIR/build/vmm-boot" boot --kernel "$KDIR/vmlinux" \
        --initrd "$BATS_TEST_TMPDIR/initramfs.cpio.gz" --memory 256 \
        --cmdline "console=ttyS0 reboot=t panic=-1 quiet hull.marker=elf" </dev/null
    assert_success
    assert_output --partial "HULL-GUEST-UP cpus=1 cmdline=console=ttyS0 reboot=t panic=-1 quiet hull.marker=elf"
}

# On any KVM: a real kernel reads what the VMM built (zero page, e820,
# command line with the virtio entries, initrd, MP table).  Under kvm_pvm the
# kernel then stops at an emulation failure (a clear error, status 1); on
# hardware KVM it goes on to /init and reboots (status 0).  The masks and
# kernel options are the ones that get an unmodified kernel this far on PVM.
linux_early_boot() {   # $1: image name in the guest kernel dir
    requires root kvm
    KDIR=$(guest_kernel_dir)
    [ -n "$KDIR" ] && [ -f "$KDIR/$1" ] || skip "no guest kernel: run make guest-kernel"
    command -v cpio >/dev/null || skip "needs cpio"
    make_initramfs
    truncate -s 1M "$BATS_TEST_TMPDIR/disk.img"
    run --separate-stderr timeout 300 "$SRC_DIR/build/vmm-boot" boot --kernel "$KDIR/$1" \
        --initrd "$BATS_TEST_TMPDIR/initramfs.cpio.gz" --memory 256 --cpus 2 --cpuid-mask cx16 \
        --disk "$BATS_TEST_TMPDIR/disk.img,ro" \
        --cmdline "console=ttyS0 reboot=t panic=-1 noxsave clearcpuid=popcnt" </dev/null
    if [ "$status" -ne 0 ]; then
        assert_equal "$status" 1
        [[ "$stderr" == "hull: vm boot: guest stopped: vCPU "*"KVM internal error"* ]] || fail "stderr: $stderr"
    fi
    assert_output --partial "Linux version"
    assert_output --partial "Command line: console=ttyS0 reboot=t panic=-1 noxsave clearcpuid=popcnt virtio_mmio.device=4K@0xd0000000:5"
    assert_output --partial "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable"
    assert_output --partial "BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable"
    assert_output --partial "RAMDISK: [mem 0x0f"
    assert_output --partial "MPTABLE: OEM ID: HULL"
    assert_output --partial "Processors: 2"
}

@test "vm boot: Linux vmlinux reads the boot structures (any KVM; slow on kvm_pvm)" {
    linux_early_boot vmlinux
}

@test "vm boot: Linux bzImage decompresses and reads the boot structures (any KVM; slow on kvm_pvm)" {
    linux_early_boot bzImage
}
