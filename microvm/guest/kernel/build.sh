#!/bin/bash
# Build the microVM guest kernel from Debian's linux-source-6.1: allnoconfig
# plus the committed fragment, refusing to build when Kconfig drops a line of
# the fragment.  The result is cached outside the tree under
#
#   $HULL_GUEST_KERNEL_CACHE/<source version>-<sha256(fragment), 12 chars>/
#       bzImage  vmlinux  config
#
# (default cache /var/cache/hull/guest-kernel) and never rebuilt while that
# directory exists.  The last line of output is the directory.
#
#   build.sh                 build unless cached; print the directory
#   build.sh --print-path    print the directory if the kernel is built,
#                            else say so on stderr and exit 1
#   build.sh --check-only    resolve the configuration and check that the
#                            fragment survives it, without building or caching
#   build.sh --fragment F    use another fragment (default: microvm.fragment
#                            beside this script)
#
# Needs the `kernel` group of .ci/install-deps.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
FRAGMENT=$HERE/microvm.fragment
CACHE=${HULL_GUEST_KERNEL_CACHE:-/var/cache/hull/guest-kernel}
SOURCE_PKG=linux-source-6.1
SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
PRINT_ONLY=0
CHECK_ONLY=0

die() { echo "guest-kernel: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
    --print-path) PRINT_ONLY=1; shift ;;
    --check-only) CHECK_ONLY=1; shift ;;
    --fragment) FRAGMENT=$(readlink -f "${2:?--fragment needs a file}"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[ -r "$FRAGMENT" ] || die "cannot read fragment $FRAGMENT"

version=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG" 2>/dev/null) \
    && [ -r "$SOURCE_TAR" ] \
    || die "$SOURCE_PKG is not installed (run: .ci/install-deps kernel)"
key=$version-$(sha256sum "$FRAGMENT" | cut -c1-12)
out=$CACHE/$key

is_built() { [ -s "$out/bzImage" ] && [ -s "$out/vmlinux" ] && [ -s "$out/config" ]; }

if [ $PRINT_ONLY = 1 ]; then
    is_built || die "not built: $out (run: make guest-kernel)"
    echo "$out"
    exit 0
fi

for tool in make gcc bc bison flex lz4 cpio xz; do
    command -v $tool >/dev/null || die "missing tool '$tool' (run: .ci/install-deps kernel)"
done
[ -e /usr/include/libelf.h ] || die "missing libelf-dev (run: .ci/install-deps kernel)"
[ -e /usr/include/openssl/ssl.h ] || die "missing libssl-dev (run: .ci/install-deps kernel)"

if [ $CHECK_ONLY = 0 ]; then
    mkdir -p "$CACHE"
    # One build per key at a time; a second caller waits, then finds it cached.
    exec 9>"$CACHE/.$key.lock"
    flock 9
    if is_built; then
        echo "$out"
        exit 0
    fi
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/hull-guest-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ $CHECK_ONLY = 1 ] || echo "guest-kernel: building $key in $work" >&2
tar -C "$work" -xf "$SOURCE_TAR"
src=$work/linux-source-6.1
[ -d "$src" ] || die "unexpected layout of $SOURCE_TAR"
obj=$work/obj
kmake() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }

kmake KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig >"$work/config.log" 2>&1 \
    || { cat "$work/config.log" >&2; die "allnoconfig failed"; }
kmake olddefconfig >>"$work/config.log" 2>&1 \
    || { cat "$work/config.log" >&2; die "olddefconfig failed"; }
"$HERE/check-config.sh" "$FRAGMENT" "$obj/.config" \
    || die "the fragment does not survive Kconfig; fix $FRAGMENT"
if [ $CHECK_ONLY = 1 ]; then
    echo "guest-kernel: every line of $FRAGMENT survives Kconfig ($SOURCE_PKG $version)"
    exit 0
fi

kmake -j"$(nproc)" bzImage vmlinux >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; die "kernel build failed"; }

staging=$CACHE/.$key.tmp
rm -rf "$staging"
mkdir -p "$staging"
cp "$obj/arch/x86/boot/bzImage" "$staging/bzImage"
cp "$obj/vmlinux" "$staging/vmlinux"
cp "$obj/.config" "$staging/config"
rm -rf "$out"
mv "$staging" "$out"
echo "$out"
