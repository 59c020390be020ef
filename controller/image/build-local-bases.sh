#!/usr/bin/env bash
# Assembles the two base images the Containerfile needs, from files on this machine, for machines
# that cannot reach a container registry (no Docker Hub, no gcr.io):
#   localhost/ipam-in-cluster/node-build:24    like docker.io/library/node:24-bookworm-slim
#                                               (node at /usr/local/bin, npm at /usr/local/lib)
#   localhost/ipam-in-cluster/node-runtime:24  like gcr.io/distroless/nodejs24-debian12:nonroot
#                                               (node at /nodejs/bin/node, user 65532, no shell)
# Node is the project's own Node 24 (node_modules/.bin/node from the npm registry's `node` package);
# its shared libraries are copied from the host (glibc, libstdc++, libgcc_s).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
node_bin=$(readlink -f "$repo/node_modules/.bin/node")
[[ -x $node_bin ]] || { echo "build-local-bases: $repo/node_modules/.bin/node missing; run npm ci first" >&2; exit 1; }
version=$("$node_bin" --version)
[[ $version == v24.* ]] || { echo "build-local-bases: expected Node 24, found $version" >&2; exit 1; }
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
command -v buildah >/dev/null || { echo "build-local-bases: buildah is not installed (apt-get install buildah)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# A root filesystem with Node at $1 and the libraries it links.
make_rootfs() {
  local root=$1 node_path=$2
  mkdir -p "$root/etc" "$root/tmp" "$root/$(dirname "$node_path")" "$root/etc/ssl/certs"
  chmod 1777 "$root/tmp"
  strip -o "$root/$node_path" "$node_bin"
  ldd "$node_bin" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
    [[ -f $lib ]] || continue
    mkdir -p "$root/$(dirname "$lib")"
    cp -L "$lib" "$root/$lib"
  done
  # ld.so finds libraries through the standard paths (/lib64 and /lib/x86_64-linux-gnu).
  [[ -e /lib64 && ! -e $root/lib64 ]] && mkdir -p "$root/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
  mkdir -p "$root/home/nonroot" && chown 65532:65532 "$root/home/nonroot"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
}

commit() { # rootfs image-name user [extra buildah config args...]
  local ctr
  ctr=$(buildah from scratch)
  buildah add "$ctr" "$1" / >/dev/null
  buildah config --user "$3" "${@:4}" --label "org.opencontainers.image.description=$2, assembled locally" "$ctr"
  buildah commit --rm --quiet "$ctr" "$2" >/dev/null
  echo "built $2"
}

make_rootfs "$stage/runtime" /nodejs/bin/node
commit "$stage/runtime" localhost/ipam-in-cluster/node-runtime:24 65532:65532 --env NODE_ENV=production

make_rootfs "$stage/build" /usr/local/bin/node
mkdir -p "$stage/build/usr/local/lib/node_modules"
cp -a "$npm_dir" "$stage/build/usr/local/lib/node_modules/npm"
# The build stage reaches the npm registry through this machine's TLS setup: trust its CA bundle.
commit "$stage/build" localhost/ipam-in-cluster/node-build:24 0:0 --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
