#!/usr/bin/env bash
# Builds the controller image with buildah on a machine that cannot reach any registry: first the
# locally assembled base images, then controller/Containerfile on top of them.
#   controller/image/build-local.sh [tag]     (default localhost/ipam-in-cluster/controller:dev)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-localhost/ipam-in-cluster/controller:dev}
"$repo/controller/image/build-local-bases.sh"
revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
# --network host: the build stage installs dependencies from the npm registry. --isolation chroot:
# RUN steps without an OCI runtime (crun cannot create cgroups inside this sandbox).
buildah bud --isolation chroot --network host --layers \
  --build-arg BUILD_IMAGE=localhost/ipam-in-cluster/node-build:24 \
  --build-arg RUNTIME_IMAGE=localhost/ipam-in-cluster/node-runtime:24 \
  --build-arg REVISION="$revision" \
  -f "$repo/controller/Containerfile" -t "$tag" "$repo"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$tag"
