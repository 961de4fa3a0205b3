#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by the *IT tests of the "real control plane" tier:
# kube-apiserver and kube-controller-manager from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3,
# all from their Go modules (no registry ships these binaries).
#
# The versions are the ones pinned in go.mod (this folder) and etcd/go.mod. Binaries are cached outside
# the repository in ${FENCEWATCH_CONTROL_PLANE_CACHE:-~/.cache/fencewatch/control-plane}/<k8s>-etcd-<etcd>/
# and rebuilt only when go.mod / go.sum change (their checksum is kept in a stamp file next to them).
#
# Exit status: 0 built or up to date; 3 Go is not installed and CI is not "true" (the tier is skipped);
# anything else: the build failed (on CI, with CI=true, a missing Go is a failure too). Prints the binary
# folder on its last line of stdout, and points <cache>/latest at it (where the tests look by default).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v go >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "control-plane: Go is not on the PATH, and CI=true requires the real control plane" >&2
    exit 1
  fi
  echo "control-plane: Go is not on the PATH; the real control-plane tests are skipped" >&2
  exit 3
fi

k8s_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$here/go.mod")"
etcd_version="$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" {print $3}' "$here/etcd/go.mod")"
if [[ -z "$k8s_version" || -z "$etcd_version" ]]; then
  echo "control-plane: cannot read the pinned versions from go.mod and etcd/go.mod" >&2
  exit 1
fi

cache_root="${FENCEWATCH_CONTROL_PLANE_CACHE:-$HOME/.cache/fencewatch/control-plane}"
out="$cache_root/kubernetes-${k8s_version}-etcd-${etcd_version}"
stamp="$out/.inputs.sha256"
inputs="$(cat "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$inputs" \
      && -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/etcd" ]]; then
  echo "control-plane: up to date (kubernetes $k8s_version, etcd $etcd_version)" >&2
  ln -sfn "$out" "$cache_root/latest"
  echo "$out"
  exit 0
fi

mkdir -p "$out"
rm -f "$stamp"

# Two cores are shared with other builders: two compile jobs at most, no cgo, no debug info.
export GOFLAGS="-mod=readonly -buildvcs=false -trimpath -p=${FENCEWATCH_GO_JOBS:-2}"
export CGO_ENABLED=0

minor="${k8s_version#v1.}"; minor="${minor%%.*}"
build_date="$(date -u +'%Y-%m-%dT%H:%M:%SZ')"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

start=$(date +%s)
echo "control-plane: building kubernetes $k8s_version and etcd $etcd_version into $out (takes a while once)" >&2
(cd "$here" && go build -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
(cd "$here" && go build -ldflags "$ldflags" -o "$out/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager)
(cd "$here/etcd" && go build -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version" -o "$out/etcd" go.etcd.io/etcd/server/v3)
echo "$inputs" > "$stamp"
ln -sfn "$out" "$cache_root/latest"
echo "control-plane: built in $(( $(date +%s) - start )) s: $(cd "$out" && du -h kube-apiserver kube-controller-manager etcd | tr '\t\n' ' ')" >&2
echo "$out"
