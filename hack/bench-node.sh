#!/usr/bin/env bash
# One real node, side by side (BENCHMARKS.md §6): `tinykube node --runtime
# containerd` (A) and the upstream kubelet v1.37.2 (B), each on a private
# containerd 1.6 with the same config (the one tinykube writes: cgroupfs,
# overlayfs, Debian's bridge/host-local/portmap/loopback CNI plugins,
# sandbox_image registry.k8s.io/pause:3.10 imported, never pulled), against
# the same `tinykube server` (no --node). Runs A and B in ABBA order, RUNS
# times each; every run starts the agent and its containerd afresh and
# records:
#   - agent and containerd RSS 20 s after the node is Ready (idle);
#   - `tinykube bench density` with 30 pods (one Deployment), then with 100
#     pods (two Deployments, namespace kept);
#   - agent, containerd and shim RSS with the 100 pods running;
# then deletes the namespace, waits for the runtime to stop every task
# and stops the agent. `summary.txt` has the medians.
#
#   hack/bench-node.sh [OUT_DIR] [RUNS]     (root; RUNS defaults to 3)
#
# TK_BIN=PATH uses that tinykube binary instead of building this tree;
# SIDES=a (or b) runs one side only.
#
# Needs root, Debian's containerd, runc and containernetworking-plugins,
# and the upstream kubelet in $KB/bin (KB defaults to ~/.cache/tinykube-
# baseline, where the baseline tools are built: `go build
# k8s.io/kubernetes/cmd/kubelet` at v1.37.2 from the module proxy).
#
# The upstream kubelet's settings for this machine (cgroup v1, no
# systemd, swap on, a disk more than 85% full) are in kubelet_config
# below; its pods run the imported pause image with the default
# imagePullCredentialsVerificationPolicy (NeverVerifyPreloadedImages).
set -euo pipefail
cd "$(dirname "$0")/.."
KB=${KB:-$HOME/.cache/tinykube-baseline}
OUT=${1:-/tmp/tkn-bench-$(date +%H%M%S)}
RUNS=${2:-3}
[[ -x $KB/bin/kubelet ]] || { echo "no upstream kubelet at $KB/bin/kubelet" >&2; exit 1; }
command -v containerd >/dev/null || { echo "containerd is not installed (apt install containerd runc containernetworking-plugins)" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ -n ${TK_BIN:-} ]]; then cp "$TK_BIN" "$OUT/tinykube"; else go build -trimpath -ldflags "-s -w" -o "$OUT/tinykube" ./cmd/tinykube; fi
TK=$OUT/tinykube
K="$KB/bin/kubectl --kubeconfig $OUT/srv/admin.kubeconfig"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/bench.log" >&2; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# rss PID: "VmRSS anon file" in MB.
rss() { awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {printf "%.1f %.1f %.1f", r/1024, a/1024, f/1024}' "/proc/$1/status"; }
# cpu PID: CPU seconds used by PID and its reaped children (containerd's
# CNI plugin runs are its children; runc runs are the shims').
cpu() { awk '{printf "%.2f", ($14 + $15 + $16 + $17) / 100}' "/proc/$1/stat"; }
# shims_cpu SOCKET: CPU seconds of the shims of that containerd and of
# the runc runs they waited for.
shims_cpu() {
  local p
  for p in $(pgrep -f -- "-address $1" || true); do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{t += $14 + $15 + $16 + $17} END {printf "%.2f", t / 100}'
}
# shims_pss SOCKET: total PSS in MB of the shims of that containerd (their
# RSS is mostly the shim binary's pages, shared among them).
shims_pss() {
  local p
  for p in $(pgrep -f -- "-address $1" || true); do cat "/proc/$p/smaps_rollup" 2>/dev/null || true; done |
    awk '/^Pss:/ {t += $2} END {printf "%.1f", t / 1024}'
}

SRV_PORT=$(free_port)
"$TK" server --data-dir "$OUT/srv" --secure-port "$SRV_PORT" --unsafe-no-fsync --cluster-cidr 10.252.0.0/16 > "$OUT/server.log" 2>&1 &
SRV_PID=$!
AGENT_PID=; CTRD_PID=
# cni_cleanup: what an interrupted run leaves behind on the host: the
# bridges' pods' network namespaces, the bridges, and the bridge plugin's
# ipMasq rules for the pod subnets used here.
cni_cleanup() {
  local br ns line chain
  for br in $(sort -u "$OUT/bridges" 2>/dev/null); do
    for ns in $(ip link show master "$br" 2>/dev/null | grep -o 'link-netns [^ ]*' | awk '{print $2}'); do ip netns del "$ns" 2>/dev/null || true; done
    ip link del "$br" 2>/dev/null || true
  done
  iptables -w -t nat -S POSTROUTING | grep -E -- '-s (10\.252\.|10\.253\.250\.)' | while read -r line; do
    chain=${line##* -j }
    eval "iptables -w -t nat ${line/-A /-D }" 2>/dev/null || true
    iptables -w -t nat -F "$chain" 2>/dev/null; iptables -w -t nat -X "$chain" 2>/dev/null || true
  done
  for chain in $(iptables -w -t nat -S | grep -E -- '-d (10\.252\.|10\.253\.250\.)' | grep -oE '^-A CNI-[0-9a-f]+' | awk '{print $2}' | sort -u); do
    iptables -w -t nat -F "$chain" 2>/dev/null; iptables -w -t nat -X "$chain" 2>/dev/null || true
  done
}
cleanup() {
  [[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [[ -n $CTRD_PID ]] && kill "$CTRD_PID" 2>/dev/null && wait "$CTRD_PID" 2>/dev/null
  kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null
  cni_cleanup
  grep " $OUT/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount -l 2>/dev/null || true
  true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for _ in $(seq 1 300); do [[ -f $OUT/srv/admin.kubeconfig ]] && $K get --raw /readyz >/dev/null 2>&1 && break; sleep 0.2; done
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "${TK_BIN:+binary $TK_BIN, tree }commit $(git rev-parse --short HEAD), containerd $(containerd --version | awk '{print $3}'), kubelet $("$KB/bin/kubelet" --version)"

# The kubelet's containerd: tinykube's config and CNI conflist for a node
# whose data dir is $OUT/b, written by a throwaway tinykube node run (the
# conflist's subnet is moved off tinykube's podCIDRs).
prepare_b() {
  "$TK" node --runtime containerd --kubeconfig "$OUT/srv/admin.kubeconfig" --data-dir "$OUT/b" \
    --node-name bench-gen --port "$(free_port)" > "$OUT/gen.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do ls "$OUT"/b/containerd/cni/net.d/*.conflist >/dev/null 2>&1 && break; sleep 0.2; done
  kill $pid; wait $pid 2>/dev/null || true
  $K delete node bench-gen >/dev/null 2>&1 || true
  local f; f=$(ls "$OUT"/b/containerd/cni/net.d/*.conflist)
  jq '.plugins[0].ipam.ranges = [[{"subnet": "10.253.250.0/24"}]]' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  jq -r '.plugins[0].bridge' "$f" >> "$OUT/bridges"
  cat > "$OUT/b/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$OUT/b/containerd/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
port: $(free_port)
readOnlyPort: 0
healthzPort: 0
podLogsDir: $OUT/b/pod-logs
resolvConf: /etc/resolv.conf
EOF
}
prepare_b

start_a() {
  "$TK" node --runtime containerd --kubeconfig "$OUT/srv/admin.kubeconfig" --data-dir "$OUT/a" \
    --node-name bench-tk --port "$(free_port)" >> "$OUT/a.log" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 1 300); do [[ -f $OUT/a/containerd/containerd.pid ]] && break; sleep 0.2; done
  CTRD_PID=; SOCK=$OUT/a/containerd/containerd.sock; NODE=bench-tk
}
start_b() {
  containerd --config "$OUT/b/containerd/config.toml" >> "$OUT/b/containerd.log" 2>&1 &
  CTRD_PID=$!
  SOCK=$OUT/b/containerd/containerd.sock; NODE=bench-kubelet
  # The kubelet exits if containerd's CRI plugin is not serving yet.
  for _ in $(seq 1 20); do
    "$KB/bin/kubelet" --config "$OUT/b/kubelet.yaml" --kubeconfig "$OUT/srv/admin.kubeconfig" \
      --root-dir "$OUT/b/root" --cert-dir "$OUT/b/pki" --hostname-override bench-kubelet >> "$OUT/b.log" 2>&1 &
    AGENT_PID=$!
    sleep 2; kill -0 "$AGENT_PID" 2>/dev/null && return
  done
  echo "the kubelet does not start: $OUT/b.log" >&2; exit 1
}
ctrd_pid() { [[ -n $CTRD_PID ]] && echo "$CTRD_PID" || cat "$OUT/a/containerd/containerd.pid"; }
running_tasks() { ctr -a "$SOCK" -n k8s.io tasks ls 2>/dev/null | grep -c RUNNING || true; }
# pod_veths: pods whose network is not torn down yet.
pod_veths() { local br; br=$(jq -r '.plugins[0].bridge' "$(dirname "$SOCK")"/cni/net.d/*.conflist); ip link show master "$br" 2>/dev/null | grep -c link-netns || true; }

# drain NS: delete the namespace and wait until the runtime has stopped
# every task and torn down every pod's network.
drain() {
  $K delete namespace "$1" --timeout=5m >/dev/null || true
  for _ in $(seq 1 300); do [[ $(running_tasks) == 0 && $(pod_veths) == 0 ]] && break; sleep 1; done
}

one_run() { # side(a|b) index
  local side=$1 i=$2 t0 ns
  t0=$(date +%s)
  "start_$side"
  for _ in $(seq 1 600); do
    [[ $($K get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && break; sleep 0.2
  done
  [[ $side == a ]] && jq -r '.plugins[0].bridge' "$OUT"/a/containerd/cni/net.d/*.conflist >> "$OUT/bridges"
  sleep 20
  log "$side$i idle: agent $(rss "$AGENT_PID"), containerd $(rss "$(ctrd_pid)") (VmRSS anon file MB)"
  local ca cc
  ca=$(cpu "$AGENT_PID"); cc=$(cpu "$(ctrd_pid)")
  ns=bench-$side$i-30
  "$TK" bench density --kubeconfig "$OUT/srv/admin.kubeconfig" --nodes 1 --pods 30 --deployments 1 \
    --image registry.k8s.io/pause:3.10 --probe-rate 0 --namespace "$ns" --keep-namespace > "$OUT/$side$i-30.json" 2> "$OUT/$side$i-30.err"
  log "$side$i 30 pods: $(grep -E 'all running after|startup \(watch\)' "$OUT/$side$i-30.err" | xargs)"
  log "$side$i 30 pods CPU: agent $(awk -v a="$(cpu "$AGENT_PID")" -v b="$ca" 'BEGIN {printf "%.2f", a - b}') s, containerd+CNI $(awk -v a="$(cpu "$(ctrd_pid)")" -v b="$cc" 'BEGIN {printf "%.2f", a - b}') s, shims+runc $(shims_cpu "$SOCK") s (load $(cut -d' ' -f1 /proc/loadavg))"
  drain "$ns"
  ns=bench-$side$i-100
  "$TK" bench density --kubeconfig "$OUT/srv/admin.kubeconfig" --nodes 1 --pods 100 --deployments 2 \
    --image registry.k8s.io/pause:3.10 --probe-rate 0 --namespace "$ns" --keep-namespace > "$OUT/$side$i-100.json" 2> "$OUT/$side$i-100.err"
  log "$side$i 100 pods: $(grep -E 'all running after|startup \(watch\)' "$OUT/$side$i-100.err" | xargs)"
  sleep 5
  log "$side$i 100 pods running ($(running_tasks) tasks): agent $(rss "$AGENT_PID"), containerd $(rss "$(ctrd_pid)"), shims PSS $(shims_pss "$SOCK") MB"
  drain "$ns"
  kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=
  if [[ -n $CTRD_PID ]]; then kill "$CTRD_PID"; wait "$CTRD_PID" 2>/dev/null || true; CTRD_PID=; fi
  # The Node goes (the next run registers it afresh, with a new
  # podCIDR), and so does tinykube's bridge, which keeps the old
  # podCIDR's gateway address.
  $K delete node "$NODE" >/dev/null 2>&1 || true
  [[ $side == a ]] && { ip link del "$(jq -r '.plugins[0].bridge' "$OUT"/a/containerd/cni/net.d/*.conflist)" 2>/dev/null || true; }
  log "$side$i done in $(( $(date +%s) - t0 )) s"
}

order=()
for ((r = 0; r < RUNS; r++)); do if ((r % 2 == 0)); then order+=(a b); else order+=(b a); fi; done
if [[ -n ${SIDES:-} ]]; then # SIDES=a: tinykube only (e.g. TK_BIN=an older build)
  read -ra keep <<< "$SIDES"; order=($(for s in "${order[@]}"; do [[ " ${keep[*]} " == *" $s "* ]] && echo "$s" || true; done))
fi
declare -A n=([a]=0 [b]=0)
for side in "${order[@]}"; do n[$side]=$(( ${n[$side]} + 1 )); one_run "$side" "${n[$side]}"; done

# Medians.
python3 - "$OUT" > "$OUT/summary.txt" <<'PY'
import json, re, statistics as st, sys, glob, os
out = sys.argv[1]
log = open(os.path.join(out, "bench.log")).read()
def med(xs): return st.median(xs) if xs else float("nan")
for side, name in (("a", "tinykube node"), ("b", "upstream kubelet")):
    r = {}
    for n in (30, 100):
        p50, p99, allr = [], [], []
        for f in sorted(glob.glob(f"{out}/{side}[0-9]*-{n}.err")):
            t = open(f).read()
            m = re.search(r"startup \(watch\)\s+p50\s+([\d.]+)\s+p90\s+[\d.]+\s+p99\s+([\d.]+)", t)
            a = re.search(r"all running after ([\d.]+)s", t)
            if m: p50.append(float(m[1])); p99.append(float(m[2]))
            if a: allr.append(float(a[1]))
        r[n] = (med(p50), med(p99), med(allr), len(allr))
    idle = [tuple(map(float, x)) for x in re.findall(rf"{side}\d+ idle: agent ([\d.]+) ([\d.]+) ([\d.]+), containerd ([\d.]+)", log)]
    full = [tuple(map(float, x)) for x in re.findall(rf"{side}\d+ 100 pods running \(\d+ tasks\): agent ([\d.]+) ([\d.]+) ([\d.]+), containerd ([\d.]+) [\d.]+ [\d.]+, shims PSS ([\d.]+)", log)]
    print(f"{name}: runs {r[30][3]}/{r[100][3]}")
    print(f"  30 pods:  startup p50 {r[30][0]:.0f} ms, p99 {r[30][1]:.0f} ms, all running {r[30][2]:.2f} s")
    print(f"  100 pods: startup p50 {r[100][0]:.0f} ms, p99 {r[100][1]:.0f} ms, all running {r[100][2]:.2f} s")
    cpu = [tuple(map(float, x)) for x in re.findall(rf"{side}\d+ 30 pods CPU: agent ([\d.]+) s, containerd\+CNI ([\d.]+) s, shims\+runc ([\d.]+) s", log)]
    if cpu: print(f"  30 pods CPU: agent {med([x[0] for x in cpu]):.2f} s, containerd+CNI {med([x[1] for x in cpu]):.2f} s, shims+runc {med([x[2] for x in cpu]):.2f} s")
    if idle: print(f"  idle RSS: agent {med([x[0] for x in idle]):.1f} MB (anon {med([x[1] for x in idle]):.1f}, file {med([x[2] for x in idle]):.1f}), containerd {med([x[3] for x in idle]):.1f} MB")
    if full: print(f"  100 pods RSS: agent {med([x[0] for x in full]):.1f} MB (anon {med([x[1] for x in full]):.1f}, file {med([x[2] for x in full]):.1f}), containerd {med([x[3] for x in full]):.1f} MB, shims PSS {med([x[4] for x in full]):.1f} MB")
PY
cat "$OUT/summary.txt" | tee -a "$OUT/bench.log"
