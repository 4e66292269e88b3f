#!/usr/bin/env bash
# Upstream's kube-controller-manager and kube-scheduler v1.37.2 against
# `tinykube apiserver`: starts the API server, both upstream components
# (binaries from ../shared/tools/baseline/build.sh, in $HOME/.cache/
# tinykube-baseline/bin) and 3 simulated tinykube nodes, creates a
# 3-replica Deployment, waits for its pods to run on the nodes, then
# prints every "failed to list/watch" the upstream components logged (an
# informer of a resource tinykube does not serve, or serves wrong).
#
#   hack/upstream-components.sh TINYKUBE_BIN OUT_DIR
set -u
TK=$1; OUT=$2; KB=$HOME/.cache/tinykube-baseline/bin
rm -rf "$OUT"; mkdir -p "$OUT"
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$TK" apiserver --data-dir "$OUT/data" --secure-port "$PORT" --unsafe-no-fsync > "$OUT/apiserver.log" 2>&1 &
APID=$!
for i in $(seq 1 200); do [ -f "$OUT/data/admin.kubeconfig" ] && break; sleep 0.1; done
KC=$OUT/data/admin.kubeconfig
K="$KB/kubectl --kubeconfig $KC"
for i in $(seq 1 100); do $K get --raw /readyz >/dev/null 2>&1 && break; sleep 0.2; done
"$KB/kube-scheduler" --kubeconfig "$KC" --authentication-kubeconfig "$KC" --authorization-kubeconfig "$KC" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false > "$OUT/kube-scheduler.log" 2>&1 &
SPID=$!
"$KB/kube-controller-manager" --kubeconfig "$KC" --authentication-kubeconfig "$KC" --authorization-kubeconfig "$KC" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --service-cluster-ip-range=10.0.0.0/24 \
  --controllers='*' --use-service-account-credentials=false > "$OUT/kube-controller-manager.log" 2>&1 &
CPID=$!
"$TK" node --kubeconfig "$KC" --simulated 3 > "$OUT/node.log" 2>&1 &
NPID=$!
sleep 5
$K create deployment web --image=nginx --replicas=3 >/dev/null
ok=no
for i in $(seq 1 90); do
  n=$($K get pods -l app=web --field-selector=status.phase=Running -o name 2>/dev/null | wc -l)
  [ "$n" = 3 ] && { ok=yes; break; }; sleep 1
done
echo "deployment pods running: $ok ($i s)"
$K get pods -o wide -l app=web
$K api-resources > "$OUT/api-resources.txt" 2>&1
kill $SPID $CPID $NPID $APID 2>/dev/null; wait 2>/dev/null
echo "--- list/watch errors (scheduler):"; grep -iE "failed to list|failed to watch|the server could not find" "$OUT/kube-scheduler.log" | sed 's/^.*\] //' | sort | uniq -c | head -20
echo "--- list/watch errors (kcm):"; grep -iE "failed to list|failed to watch|the server could not find" "$OUT/kube-controller-manager.log" | sed 's/^.*\] //' | sort | uniq -c | head -30
