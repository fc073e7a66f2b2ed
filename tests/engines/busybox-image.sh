#!/bin/bash
# Write a busybox image as an archive that both `ctr image import` and
# `podman load -i` take, with no registry: an OCI image layout (oci-layout,
# index.json, blobs/sha256/...) that also carries a docker-archive
# manifest.json pointing at the same blobs.  The single layer is Debian's
# busybox-static with its applet links, /etc/passwd and /etc/group (root, a
# uid-1000 user, nobody).  Uncompressed and with fixed times and owners, so
# the same busybox gives the same image id.
#
#   tests/engines/busybox-image.sh OUTPUT.tar [NAME[:TAG]]   (default hull-busybox:latest)
set -euo pipefail

out=${1:?usage: busybox-image.sh OUTPUT.tar [NAME[:TAG]]}
name=${2:-hull-busybox:latest}
case $name in *:*) ;; *) name=$name:latest ;; esac
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "busybox-image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
for tool in jq sha256sum tar; do
    command -v $tool >/dev/null || { echo "busybox-image: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,usr/bin,usr/sbin,var,run}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/user"

image=$work/image
mkdir -p "$image/blobs/sha256"

# put FILE MEDIATYPE: store FILE as a blob, print its descriptor.
put() {
    local digest size
    digest=$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    mv "$1" "$image/blobs/sha256/$digest"
    jq -nc --arg m "$2" --arg d "sha256:$digest" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}

tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
layer=$(put "$work/layer.tar" application/vnd.oci.image.layer.v1.tar)

jq -n --arg diff "$diff_id" '{
    created: "1970-01-01T00:00:00Z", architecture: "amd64", os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
              Cmd: ["sh"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [$diff] },
    history: [ { created: "1970-01-01T00:00:00Z", created_by: "tests/engines/busybox-image.sh" } ] }' >"$work/config.json"
config=$(put "$work/config.json" application/vnd.oci.image.config.v1+json)

jq -n --argjson c "$config" --argjson l "$layer" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: $c, layers: [$l] }' >"$work/manifest.json"
manifest=$(put "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)

# containerd names the image after io.containerd.image.name; the OCI
# ref.name is the tag.  Docker's RepoTags name it for podman.
full=$name
case ${name%%/*} in *.*|*:*|localhost) ;; *) [[ $name == */* ]] && full=docker.io/$name || full=docker.io/library/$name ;; esac
jq -n --argjson m "$manifest" --arg full "$full" --arg tag "${name##*:}" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [ $m + { annotations: { "io.containerd.image.name": $full,
                                        "org.opencontainers.image.ref.name": $tag } } ] }' >"$image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$image/oci-layout"
jq -n --argjson c "$config" --argjson l "$layer" --arg name "$name" '[{
    Config: ("blobs/sha256/" + ($c.digest | ltrimstr("sha256:"))),
    RepoTags: [$name],
    Layers: [ "blobs/sha256/" + ($l.digest | ltrimstr("sha256:")) ] }]' >"$image/manifest.json"

tar -C "$image" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
