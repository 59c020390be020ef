#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from Go modules at the pinned versions
# (test/cluster/versions.env) and caches them under $IPAM_CACHE_DIR (default ~/.cache/ipam-in-cluster),
# keyed by version. A second run finds the binaries and returns at once.
#
# Why a wrapper module: k8s.io/kubernetes requires its staging modules at v0.0.0 with local replace
# directives, so `go install k8s.io/kubernetes/cmd/...@vX` is refused. A wrapper that requires
# k8s.io/kubernetes and replaces every staging module with its published v0.Y.Z tag builds cleanly.
#
# Usage: build-binaries.sh [kubernetes|etcd|helm|clusterctl|actionlint|control-plane|all]   (default: control-plane)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${IPAM_CACHE_DIR:-$HOME/.cache/ipam-in-cluster}
what=${1:-control-plane}

fail() { echo "build-binaries: $*" >&2; exit 1; }
command -v go >/dev/null || fail "Go is not installed (needed to build the control plane); install Go >= 1.26 or put it on PATH"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

# build_with_wrapper NAME OUTDIR MODULE_REQUIRE GO_MOD_EXTRA PKG LDFLAGS...
build_kubernetes() {
  local out="$cache/kubernetes-$KUBERNETES_VERSION"
  if [[ -x $out/kube-apiserver && -x $out/kube-controller-manager ]]; then return 0; fi
  local src="$cache/src/kubernetes-$KUBERNETES_VERSION" log="$cache/build-kubernetes-$KUBERNETES_VERSION.log"
  mkdir -p "$src" "$out.tmp"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local staging=${KUBERNETES_VERSION/v1./v0.}
  echo "build-binaries: building Kubernetes $KUBERNETES_VERSION (kube-apiserver, kube-controller-manager); first build takes 10-25 min; log: $log" >&2
  (
    cd "$src"
    cat > go.mod <<MOD
module ipam-in-cluster/kubernetes-build

go 1.26

require k8s.io/kubernetes $KUBERNETES_VERSION
MOD
    # Every k8s.io/* module that k8s.io/kubernetes replaces with ./staging/... gets its published tag.
    curl -fsS "${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod" -o upstream.mod 2>/dev/null \
      || go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
    if [[ ! -s upstream.mod ]]; then
      cp "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod" upstream.mod
    fi
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' upstream.mod | awk '{print $1}' | while read -r m; do
      echo "replace $m => $m $staging" >> go.mod
    done
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
    go mod tidy
    local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    local ld="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
    done
    go build -trimpath -ldflags "$ld" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
    go build -trimpath -ldflags "$ld" -o "$out.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
  ) >"$log" 2>&1 || fail "building Kubernetes $KUBERNETES_VERSION failed; see $log"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION"
  if [[ -x $out/etcd ]]; then return 0; fi
  local src="$cache/src/etcd-$ETCD_VERSION" log="$cache/build-etcd-$ETCD_VERSION.log"
  mkdir -p "$src" "$out.tmp"
  echo "build-binaries: building etcd $ETCD_VERSION; log: $log" >&2
  (
    cd "$src"
    cat > go.mod <<MOD
module ipam-in-cluster/etcd-build

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
    cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
    go mod tidy
    go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  ) >"$log" 2>&1 || fail "building etcd $ETCD_VERSION failed; see $log"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# go_install NAME VERSION PACKAGE [LDFLAGS]: `go install PACKAGE@VERSION` into $cache/NAME-VERSION/.
go_install() {
  local name=$1 version=$2 pkg=$3 ld=${4:-"-s -w"}
  local out="$cache/$name-$version"
  if [[ -x $out/$name ]]; then return 0; fi
  local log="$cache/build-$name-$version.log"
  mkdir -p "$out.tmp"
  echo "build-binaries: building $name $version; log: $log" >&2
  GOBIN="$out.tmp" go install -trimpath -ldflags "$ld" "$pkg@$version" >"$log" 2>&1 \
    || fail "building $name $version failed; see $log"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

build_helm() {
  local major=${HELM_VERSION%%.*}
  go_install helm "$HELM_VERSION" "helm.sh/helm/$major/cmd/helm" \
    "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION"
}

build_actionlint() {
  go_install actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

build_clusterctl() {
  local out="$cache/clusterctl-$CLUSTERCTL_VERSION"
  if [[ -x $out/clusterctl ]]; then return 0; fi
  local src="$cache/src/clusterctl-$CLUSTERCTL_VERSION" log="$cache/build-clusterctl-$CLUSTERCTL_VERSION.log"
  mkdir -p "$src" "$out.tmp"
  echo "build-binaries: building clusterctl $CLUSTERCTL_VERSION; log: $log" >&2
  (
    cd "$src"
    # sigs.k8s.io/cluster-api replaces its api module with ./api, so `go install` is refused;
    # the wrapper requires the published api module at the same version instead.
    cat > go.mod <<MOD
module ipam-in-cluster/clusterctl-build

go 1.26

require (
	sigs.k8s.io/cluster-api $CLUSTERCTL_VERSION
	sigs.k8s.io/cluster-api/api $CLUSTERCTL_VERSION
)
MOD
    cat > tools.go <<'GO'
//go:build tools

package tools

import _ "sigs.k8s.io/cluster-api/cmd/clusterctl"
GO
    go mod tidy
    local ld="-s -w -X sigs.k8s.io/cluster-api/version.gitVersion=$CLUSTERCTL_VERSION -X sigs.k8s.io/cluster-api/version.gitMajor=1"
    go build -trimpath -ldflags "$ld" -o "$out.tmp/clusterctl" sigs.k8s.io/cluster-api/cmd/clusterctl
  ) >"$log" 2>&1 || fail "building clusterctl $CLUSTERCTL_VERSION failed; see $log"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# locked NAME FUNCTION: one build of NAME at a time across processes (the test runner runs files in
# parallel, and two of them may need helm on a fresh machine): a second caller waits for the first,
# then finds the binary and returns at once, instead of both sharing one NAME.tmp directory.
locked() {
  local name=$1 build=$2
  command -v flock >/dev/null || { "$build"; return; }
  (
    flock 9 || fail "cannot lock $cache/.lock-$name"
    "$build"
  ) 9>"$cache/.lock-$name"
}

mkdir -p "$cache"
case $what in
  kubernetes) locked kubernetes build_kubernetes ;;
  etcd) locked etcd build_etcd ;;
  helm) locked helm build_helm ;;
  clusterctl) locked clusterctl build_clusterctl ;;
  actionlint) locked actionlint build_actionlint ;;
  control-plane) locked etcd build_etcd; locked kubernetes build_kubernetes ;;
  all) locked etcd build_etcd; locked kubernetes build_kubernetes; locked helm build_helm; locked clusterctl build_clusterctl ;;
  *) fail "unknown target '$what' (kubernetes|etcd|helm|clusterctl|actionlint|control-plane|all)" ;;
esac
echo "$cache"
