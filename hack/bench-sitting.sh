#!/usr/bin/env bash
# One benchmark sitting, as BENCHMARKS.md records it: the same `tinykube
# bench` load against (1) raw etcd, (2) `tinykube apiserver` on that etcd
# and (3) upstream kube-apiserver v1.37.2 on an etcd set up the same way
# (../shared/tools/baseline), then start-up time and idle memory of
# `tinykube server` (embedded etcd) next to upstream's.
#
#   hack/bench-sitting.sh [OUT_DIR] [extra `bench api` flags…]
#
# Needs the baseline binaries (../shared/tools/baseline/build.sh) and free
# ports 2379/2380/6443/16443. JSON reports land in OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
KB=${KB:-$HOME/.cache/tinykube-baseline}
BASE=$(cd ../shared/tools/baseline && pwd)
OUT=${1:-/tmp/tinykube-bench-$(date +%Y%m%d-%H%M%S)}; shift || true
mkdir -p "$OUT"
go build -trimpath -ldflags "-s -w" -o "$OUT/tinykube" ./cmd/tinykube
TK=$OUT/tinykube
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/sitting.log" >&2; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# rss_parts PID: what the RSS is made of. Anonymous memory is the Go heap,
# stacks and runtime; the binary's pages and etcd's bbolt file (mapped with
# MAP_POPULATE, so all of it after a restart) are file-backed, and how many
# binary pages are mapped depends on the page cache (the kernel maps whole
# large folios around each touched page), so compare anon across sittings.
rss_parts() {
  local bin db
  bin=$(awk -v f="$(realpath "$TK")" '$6 == f {m=1; next} /^[0-9a-f]+-[0-9a-f]+ / {m=0} m && /^Rss:/ {s+=$2} END {printf "%.0f", s/1024}' "/proc/$1/smaps")
  db=$(awk '$6 ~ /member\/snap\/db$/ {m=1; next} /^[0-9a-f]+-[0-9a-f]+ / {m=0} m && /^Rss:/ {s+=$2} END {printf "%.0f", s/1024}' "/proc/$1/smaps")
  awk -v bin="$bin" -v db="$db" '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {printf "anon %.0f MB, file %.0f MB (binary %s, etcd db %s)", a/1024, f/1024, bin, db}' "/proc/$1/status"
}

start_etcd() {
  rm -rf "$OUT/etcd-data"
  "$KB/bin/etcd" --name default --data-dir "$OUT/etcd-data" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster default=http://127.0.0.1:2380 --initial-cluster-state new > "$OUT/etcd.log" 2>&1 &
  ETCD_PID=$!
  for _ in $(seq 1 200); do curl -sf http://127.0.0.1:2379/health >/dev/null && return; sleep 0.1; done
  echo "etcd did not start" >&2; exit 1
}
wait_ready() { # url ca cert key
  for _ in $(seq 1 1200); do
    [[ $(curl -s --cacert "$2" --cert "$3" --key "$4" "$1/readyz" 2>/dev/null) == ok ]] && return 0; sleep 0.01
  done
  return 1
}

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. raw etcd
start_etcd
log "raw etcd: bench etcd"
"$TK" bench etcd --endpoints http://127.0.0.1:2379 > "$OUT/etcd.json" 2> "$OUT/etcd.err"
kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || true

# 2. tinykube apiserver on the same kind of etcd
start_etcd
rm -rf "$OUT/tk-ext"
"$TK" apiserver --data-dir "$OUT/tk-ext" --secure-port 16443 --etcd-servers http://127.0.0.1:2379 > "$OUT/tk-ext.log" 2>&1 &
TK_PID=$!
for _ in $(seq 1 500); do [[ -f $OUT/tk-ext/admin.kubeconfig ]] && break; sleep 0.02; done
wait_ready https://127.0.0.1:16443 "$OUT/tk-ext/pki/ca.crt" "$OUT/tk-ext/pki/admin.crt" "$OUT/tk-ext/pki/admin.key"
log "tinykube apiserver (external etcd): bench api"
"$TK" bench api --kubeconfig "$OUT/tk-ext/admin.kubeconfig" "$@" > "$OUT/api-tinykube.json" 2> "$OUT/api-tinykube.err"
log "tinykube apiserver: watch phase again, watchers decoding the whole Pod"
"$TK" bench api --kubeconfig "$OUT/tk-ext/admin.kubeconfig" --phases watch --watch-decode full "$@" > "$OUT/watch-full-tinykube.json" 2> "$OUT/watch-full-tinykube.err"
log "tinykube apiserver RSS after bench: $(rss_mb $TK_PID) MB"
kill "$TK_PID"; wait "$TK_PID" 2>/dev/null || true
kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || true

# 3. upstream kube-apiserver on etcd (start-baseline.sh sets both up)
log "upstream: start-baseline.sh"
"$BASE/start-baseline.sh" 2>&1 | tee -a "$OUT/sitting.log" >&2
log "upstream kube-apiserver: bench api"
"$TK" bench api --kubeconfig "$KB/kubeconfig" "$@" > "$OUT/api-upstream.json" 2> "$OUT/api-upstream.err" || true
log "upstream kube-apiserver: watch phase again, watchers decoding the whole Pod"
"$TK" bench api --kubeconfig "$KB/kubeconfig" --phases watch --watch-decode full "$@" > "$OUT/watch-full-upstream.json" 2> "$OUT/watch-full-upstream.err" || true
log "upstream RSS after bench: kube-apiserver $(rss_mb "$(cat "$KB/run/kube-apiserver.pid")") MB, etcd $(rss_mb "$(cat "$KB/run/etcd.pid")") MB"
"$BASE/stop-baseline.sh" >/dev/null 2>&1 || true

# 4. start-up and idle memory of tinykube server (embedded etcd)
for i in 1 2 3 4 5; do
  dir=$OUT/tk-start; [[ $i == 1 ]] && rm -rf "$dir"
  t0=$(date +%s%N)
  "$TK" server --data-dir "$dir" --secure-port 16443 > "$OUT/tk-start-$i.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 500); do [[ -f $dir/pki/admin.key ]] && break; sleep 0.005; done
  wait_ready https://127.0.0.1:16443 "$dir/pki/ca.crt" "$dir/pki/admin.crt" "$dir/pki/admin.key"
  log "tinykube server start $i ($([[ $i == 1 ]] && echo fresh || echo restart)): /readyz ok after $(ms_since "$t0") ms"
  if [[ $i == 1 || $i == 5 ]]; then
    sleep 20
    log "tinykube server idle RSS ($([[ $i == 1 ]] && echo fresh || echo restarted), 20 s after ready, embedded etcd included): $(rss_mb $pid) MB: $(rss_parts $pid)"
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
log "binary size: $(du -h "$TK" | cut -f1) (stripped, -trimpath)"
log "done: $OUT"
