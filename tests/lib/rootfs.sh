# shellcheck shell=bash
# A rootfs from Debian's busybox-static, shared by the bats suites
# (tests/bats/helpers.bash) and the benchmarks (bench/lib.sh): plain bash,
# no bats.
#
#   busybox_rootfs DIR   /bin/busybox plus its applet links, /etc/passwd and
#                        /etc/group with root, a uid-1000 user and nobody
#
# $BUSYBOX names the binary (default /bin/busybox).

busybox_rootfs() {
    local dir=$1 busybox=${BUSYBOX:-/bin/busybox} applet
    mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,usr/bin,usr/sbin,var,run}
    cp "$busybox" "$dir/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
    chmod 1777 "$dir/tmp"
}
