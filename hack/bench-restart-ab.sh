#!/usr/bin/env bash
# A/B of `tinykube server` restarts, as BENCHMARKS.md §0b records them:
# the binaries take turns (ABBA order, so drift in machine load hits both
# alike), each restarting on its own data dir (created by a first start
# that is not counted). Per restart: start → `/readyz` ok, polled as
# hack/bench-sitting.sh does (ms); the server's own start-up time (its
# "tinykube ready … startup=" log line); CPU the process used until
# /readyz answered; and, with IDLE_SECONDS > 0, RSS and anonymous RSS
# that long after ready. One CSV line per restart on stdout, then the
# medians per binary on stderr.
#
#   hack/bench-restart-ab.sh ROUNDS IDLE_SECONDS BINARY...
#
# Copy the binaries (cp) just before: how many of a binary's file pages
# are resident depends on how its file sits in the page cache (a freshly
# linked file differs from a copied one by several MB), so compare
# anonymous RSS, or binaries put there the same way. Port 26443.
set -uo pipefail
rounds=$1 idle=$2; shift 2
port=${PORT:-26443}
out=$(mktemp -d /tmp/tinykube-restart-ab.XXXXXX)
ready() { # data dir
  for _ in $(seq 1 3000); do
    [[ $(curl -s --cacert "$1/pki/ca.crt" --cert "$1/pki/admin.crt" --key "$1/pki/admin.key" "https://127.0.0.1:$port/readyz" 2>/dev/null) == ok ]] && return 0
    sleep 0.01
  done
  return 1
}
declare -A dir
for b in "$@"; do
  dir[$b]=$out/data-$(basename "$b")
  "$b" server --data-dir "${dir[$b]}" --secure-port "$port" > "$out/init.log" 2>&1 & p=$!
  ready "${dir[$b]}" || { echo "$b: not ready" >&2; exit 1; }
  sleep 3; kill "$p"; wait "$p"
done
echo "binary,round,readyz_ms,startup_ms,cpu_ms,rss_mb,anon_mb,load1"
for r in $(seq 1 "$rounds"); do
  order=("$@"); (( r % 2 )) || { order=(); for ((i=$#; i>=1; i--)); do order+=("${!i}"); done; }
  for b in "${order[@]}"; do
    log=$out/run.log t0=$(date +%s%N)
    "$b" server --data-dir "${dir[$b]}" --secure-port "$port" > "$log" 2>&1 & p=$!
    ready "${dir[$b]}" || echo "$b: not ready" >&2
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    cpu=$(awk '{print ($14 + $15) * 10}' "/proc/$p/stat") # clock ticks of 10 ms
    rss=- anon=-
    if (( idle > 0 )); then
      sleep "$idle"
      rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$p/status")
      anon=$(awk '/RssAnon/ {printf "%.1f", $2/1024}' "/proc/$p/status")
    fi
    startup=$(grep -o 'startup=[0-9.]*ms' "$log" | head -1 | tr -dc '0-9.')
    echo "$(basename "$b"),$r,$ms,${startup:--},$cpu,$rss,$anon,$(cut -d' ' -f1 /proc/loadavg)"
    kill "$p"; wait "$p" 2>/dev/null
  done
done | tee "$out/results.csv"
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for b in "$@"; do
  line=$(basename "$b")
  for c in 3:readyz_ms 4:startup_ms 5:cpu_ms 6:rss_mb 7:anon_mb; do
    m=$(awk -F, -v b="$(basename "$b")" -v c="${c%%:*}" '$1 == b && $c != "-" {print $c}' "$out/results.csv" | median)
    [[ -n $m ]] && line+="  ${c#*:} $m"
  done
  echo "median of $rounds: $line" >&2
done
rm -rf "$out"/data-*
