#!/usr/bin/env bash
# Runs upstream e2e specs (e2e.test, e.g. v1.37.2's [Conformance] ones)
# against `tinykube server --node`: the control plane and one real node
# (a private containerd) in one process, built from this checkout. Needs
# root, containerd, runc and containernetworking-plugins, like the
# real-node tests.
#
#   hack/conformance-node.sh -o OUT [-f FOCUS] [-s SKIP] [-p PROCS] [-d DATA_DIR]
#
#   -o  output dir (created): server.log, e2e.log, junit reports,
#       summary.txt (one PASS/FAIL/SKIP line per spec, failures with the
#       first line of their message, totals last)
#   -f  ginkgo focus regex   (default '\[Conformance\]')
#   -s  ginkgo skip regex    (default '\[Serial\]|\[Disruptive\]')
#   -p  parallel ginkgo processes (default 1; >1 runs the ginkgo CLI)
#   -d  the server's data dir (default /tmp/tkconf.PID; keep it short:
#       containerd's socket lives under it)
#
# Steps: go build ./cmd/tinykube into OUT; start the server (--node,
# --kubelet-port 0, its own --cluster-cidr) and wait for the node to be
# Ready; hack/e2e-images.sh imports the e2e image stand-ins into its
# containerd; run e2e.test (--provider skeleton, --num-nodes 1); then
# clean up: delete the pods left, remove every pod sandbox
# (hack/nodecleanup: the node leaves its pods running when it stops, as a
# kubelet does), stop the server (it stops its containerd), remove the
# node's cgroups, bridge and mounts and the nftables tables it added (its
# table inet tinykube, iptables-nft's emptied ip nat), check no shim of
# the data dir is left and delete the data dir (KEEP=1 keeps it).
#
# Env: E2E_TEST, GINKGO, KUBECTL (default ~/.cache/tinykube-baseline/bin/…,
# where shared tooling builds upstream's binaries; kubectl falls back to
# the one on $PATH), CLUSTER_CIDR (default 10.251.0.0/16: apart from the
# ranges the tests use), NODE_NAME (default tkconf), TK (a tinykube
# binary to use instead of building one), EXTRA (more e2e.test flags).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=${BIN:-$HOME/.cache/tinykube-baseline/bin}
E2E_TEST=${E2E_TEST:-$BIN/e2e.test} GINKGO=${GINKGO:-$BIN/ginkgo}
KUBECTL=${KUBECTL:-$BIN/kubectl}
[[ -x $KUBECTL ]] || KUBECTL=$(command -v kubectl)
CLUSTER_CIDR=${CLUSTER_CIDR:-10.251.0.0/16} NODE_NAME=${NODE_NAME:-tkconf}
FOCUS='\[Conformance\]' SKIP='\[Serial\]|\[Disruptive\]' P=1 OUT='' D=/tmp/tkconf.$$

usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    -o) OUT=$2; shift 2 ;;
    -f) FOCUS=$2; shift 2 ;;
    -s) SKIP=$2; shift 2 ;;
    -p) P=$2; shift 2 ;;
    -d) D=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ -n $OUT ]] || { echo "-o OUT is required" >&2; usage; }
[[ -x $E2E_TEST ]] || { echo "no e2e.test at $E2E_TEST (set E2E_TEST)" >&2; exit 2; }
[[ $P -le 1 || -x $GINKGO ]] || { echo "no ginkgo at $GINKGO (set GINKGO, or -p 1)" >&2; exit 2; }
[[ -e $D ]] && { echo "data dir $D exists; remove it or pick another -d" >&2; exit 2; }
mkdir -p "$OUT" "$D"; OUT=$(readlink -f "$OUT"); D=$(readlink -f "$D")
log() { echo "[$(date +%T)] $*" >&2; }

TK=${TK:-}
if [[ -z $TK ]]; then
  log "building tinykube"
  go build -o "$OUT/tinykube" ./cmd/tinykube || exit 1
  TK=$OUT/tinykube
fi
go build -o "$OUT/nodecleanup" ./hack/nodecleanup || exit 1

KCFG=$D/admin.kubeconfig
k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }

SERVER_PID=
cleanup() {
  trap - EXIT INT TERM
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "cleanup: deleting the pods left"
    for ns in $(k get ns -o name 2>/dev/null | sed 's#namespace/##' | grep -vE '^(default|kube-system|kube-public|kube-node-lease)$'); do
      k delete ns "$ns" --wait=false >/dev/null 2>&1
    done
    k delete pods --all -A --grace-period=5 --timeout=90s >/dev/null 2>&1
    log "cleanup: removing pod sandboxes"
    "$OUT/nodecleanup" --data-dir "$D/node" --node-name "$NODE_NAME" || log "cleanup: nodecleanup failed"
    log "cleanup: stopping the server"
    kill -TERM "$SERVER_PID"
    for _ in $(seq 120); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$SERVER_PID" 2>/dev/null && { log "server still running after 60 s: SIGKILL"; kill -KILL "$SERVER_PID"; }
    wait "$SERVER_PID" 2>/dev/null
  fi
  "$OUT/nodecleanup" --data-dir "$D/node" --node-name "$NODE_NAME" --stopped || log "cleanup: nodecleanup --stopped failed"
  # Shims (and their containers) of this data dir that outlived it.
  local left
  left=$(pgrep -f "containerd-shim.*$D/" || true)
  if [[ -n $left ]]; then
    log "cleanup: killing leftover shims of $D: $left"
    for pid in $left; do kill -KILL "$pid" 2>/dev/null; done
  fi
  # nftables: the node's table inet tinykube (service proxy and
  # NetworkPolicy; a node leaves its rules when it stops, as kube-proxy
  # does) and the tables iptables-nft made for the CNI plugin's
  # masquerading, left empty, that the host did not have before.
  local t
  while read -r t; do
    [[ -z $t ]] && continue
    if [[ $t == "table inet tinykube" ]] || ! nft list $t | grep -qvE '^\s*(table |chain |type |\}|$)'; then
      nft delete $t && log "cleanup: deleted nftables $t"
    else
      log "cleanup: nftables $t has rules; left"
    fi
  done < <(comm -13 <(echo "$NFT_BEFORE") <(nft list tables | sort))
  if grep -q " $D/" /proc/self/mountinfo; then log "cleanup: mounts left under $D:"; grep " $D/" /proc/self/mountinfo >&2; fi
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$D"
  log "cleanup: done"
}
NFT_BEFORE=$(nft list tables | sort)
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting tinykube server --node (data $D, log $OUT/server.log)"
"$TK" server --data-dir "$D" --secure-port 0 --unsafe-no-fsync --node --node-name "$NODE_NAME" \
  --kubelet-port 0 --cluster-cidr "$CLUSTER_CIDR" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 240); do
  [[ -f $KCFG ]] && k wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited; see $OUT/server.log"; tail -5 "$OUT/server.log" >&2; exit 1; }
  sleep 0.5
done
k wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s >/dev/null || { log "node not Ready after 2 min"; exit 1; }
log "node $NODE_NAME Ready; importing the e2e images"
hack/e2e-images.sh --data-dir "$D/node" >"$OUT/images.log" 2>&1 || { log "hack/e2e-images.sh failed; see $OUT/images.log"; exit 1; }

# e2e.test runs kubectl from $PATH in places: ours first.
export PATH=$(dirname "$(readlink -f "$KUBECTL")"):$PATH
FLAGS=(--kubeconfig="$KCFG" --provider=skeleton --num-nodes=1 --allowed-not-ready-nodes=-1
  --kubectl-path="$KUBECTL" --report-dir="$OUT/report" ${EXTRA:-})
log "running e2e (focus $FOCUS, skip $SKIP, $P procs; log $OUT/e2e.log)"
t0=$(date +%s)
if [[ $P -le 1 ]]; then
  "$E2E_TEST" --ginkgo.focus="$FOCUS" --ginkgo.skip="$SKIP" --ginkgo.no-color --ginkgo.v \
    --ginkgo.timeout=24h "${FLAGS[@]}" >"$OUT/e2e.log" 2>&1
else
  "$GINKGO" run --procs="$P" --timeout=24h --no-color -v --focus="$FOCUS" --skip="$SKIP" \
    "$E2E_TEST" -- "${FLAGS[@]}" >"$OUT/e2e.log" 2>&1
fi
log "e2e rc=$? after $(($(date +%s) - t0)) s"

python3 - "$OUT/report" >"$OUT/summary.txt" <<'PY'
# One line per spec the focus selected, from ginkgo's JUnit report.
import glob, sys, xml.etree.ElementTree as ET
counts, lines = {}, []
for f in sorted(glob.glob(sys.argv[1] + "/**/junit*.xml", recursive=True)):
    for tc in ET.parse(f).getroot().iter("testcase"):
        name, t = tc.get("name", ""), float(tc.get("time") or 0)
        fail = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
        skip = tc.find("skipped")
        if skip is not None and skip.get("message", "") == "skipped":
            continue  # filtered out by focus/skip
        suite = name.startswith("[") and name.split("]")[0] + "]" in ("[BeforeSuite]", "[AfterSuite]",
            "[SynchronizedBeforeSuite]", "[SynchronizedAfterSuite]", "[ReportAfterSuite]", "[ReportBeforeSuite]", "[DeferCleanup (Suite)]")
        if fail is not None:
            msg = next((l.strip().removeprefix("[FAILED] ") for l in (fail.get("message") or fail.text or "").splitlines() if l.strip()), "")
            status = "SUITE-FAIL" if suite else "FAIL"
            lines.append(f"{status:5} {t:7.1f}s {name}  ::  {msg[:300]}")
        elif suite:
            continue
        elif skip is not None:
            status = "SKIP"
            lines.append(f"SKIP  {t:7.1f}s {name}  ::  {skip.get('message', '')[:200]}")
        else:
            status = "PASS"
            lines.append(f"PASS  {t:7.1f}s {name}")
        counts[status] = counts.get(status, 0) + 1
print("\n".join(sorted(lines, key=lambda l: (l.split()[0] != "FAIL", l))))
print("total: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
grep -E '^(FAIL|SUITE-FAIL)' "$OUT/summary.txt" | cut -c1-220 >&2
tail -1 "$OUT/summary.txt" >&2
