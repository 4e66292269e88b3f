#!/usr/bin/env bash
# Local stand-ins for the images the upstream e2e suite pulls, under the
# exact names `e2e.test --list-images` prints, imported into a tinykube
# node (no registry, no internet):
#
#   - agnhost (2.66.1, 2.55): built here from its upstream source,
#     k8s.io/kubernetes@v1.37.2 test/images/agnhost (module cache or
#     proxy), on Debian's busybox-static (for sh, cat, nc… as upstream's
#     image has them; curl, dig, getent and an nc with -v -u -z from
#     hack/e2eimages/nettools; /bin/sh is the host's dash, as Debian's
#     busybox sh runs its own nc before PATH's), with the image's /localhost.crt and
#     /localhost.key from the same source;
#   - glibc-dns-testing: the agnhost stand-in's files (sh, dig, getent);
#   - busybox (1.37.0-2, 1.36.1-1): Debian's busybox-static;
#   - nonewprivs: upstream's nnp (test/images/nonewprivs) built from the
#     same source, set-user-ID root, on busybox-static;
#   - pause:3.10.2, nginx, kitten, nautilus: agnhost-based stand-ins
#     (pause mode; netexec on port 80; test-webserver, with upstream's
#     html/data.json and picture from the same k8s.io/kubernetes source)
#     — see hack/e2eimages for which names are left out and why.
#
#   hack/e2e-images.sh [--data-dir DIR | --container-runtime-endpoint unix:///…]
#
# The flags go to `tinykube images import`. OUT (default
# $TINYKUBE_CACHE or ~/.cache/tinykube) keeps agnhost and the tar.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-${TINYKUBE_CACHE:-$HOME/.cache/tinykube}}
K8S_VERSION=v1.37.2 STAGING_VERSION=v0.37.2
mkdir -p "$OUT"
agnhost=$OUT/agnhost-$K8S_VERSION

if [[ ! -x $agnhost ]]; then
  echo "building agnhost from k8s.io/kubernetes@$K8S_VERSION" >&2
  mod=$(mktemp -d /tmp/tinykube-agnhost.XXXXXX)
  trap 'rm -rf "$mod"' EXIT
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module agnhostbuild"
    echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/').0"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging; use the
    # published ones of the same release instead.
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
  } >"$mod/go.mod"
  echo 'package agnhostbuild' >"$mod/x.go"
  (cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
    go build -trimpath -ldflags "-s -w" -o "$agnhost.tmp" k8s.io/kubernetes/test/images/agnhost)
  mv "$agnhost.tmp" "$agnhost"
fi

k8s_src=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
# nnp imports only the standard library: built from its file, outside
# any module.
nnp=$OUT/nnp-$K8S_VERSION
[[ -x $nnp ]] || (cd /tmp && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -o "$nnp" "$k8s_src/test/images/nonewprivs/nnp.go")
nettools=$OUT/nettools
CGO_ENABLED=0 go build -trimpath -o "$nettools" ./hack/e2eimages/nettools
tar=$OUT/e2e-images.tar
go run ./hack/e2eimages --agnhost "$agnhost" --nettools "$nettools" --k8s-src "$k8s_src" --nnp "$nnp" --out "$tar" >&2
go run ./cmd/tinykube images import "$@" "$tar"
