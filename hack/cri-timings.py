#!/usr/bin/env python3
"""Per-pod CRI call timings from a containerd 1.6 log (info level).

    hack/cri-timings.py CONTAINERD_LOG [NAMESPACE_SUBSTRING]

For every pod sandbox of the matching namespaces: when its RunPodSandbox
was asked for (from the first one), how long containerd spent in
RunPodSandbox, CreateContainer and StartContainer, and the gaps between
them (time in the node agent: sandbox status, volumes, image check,
container config). Prints per-namespace medians and maxima, and the
most RunPodSandbox calls in flight at once.
"""
import re, sys, statistics as st
from datetime import datetime

def ts(line):
    m = re.match(r'time="([^"]+)"', line)
    s = m[1].rstrip("Z")
    base, frac = (s.split(".") + ["0"])[:2]
    return datetime.fromisoformat(base).timestamp() + float("0." + frac)

path = sys.argv[1]
want = sys.argv[2] if len(sys.argv) > 2 else ""
pods = {}      # (ns, name) -> dict
sb2pod, c2pod = {}, {}
for line in open(path, errors="replace"):
    if "level=info" not in line:
        continue
    m = re.search(r'msg="RunPodSandbox for &PodSandboxMetadata\{Name:([^,]+),Uid:[^,]+,Namespace:([^,]+),Attempt:\d+,\}(?: returns sandbox id \\"(\w+)\\")?"', line)
    if m:
        if want not in m[2]:
            continue
        p = pods.setdefault((m[2], m[1]), {})
        if m[3]:
            p["rps_end"] = ts(line); sb2pod[m[3]] = p
        else:
            p.setdefault("rps_start", ts(line))
        continue
    m = re.search(r'msg="CreateContainer within sandbox \\"(\w+)\\" for (?:container )?&ContainerMetadata\{[^}]*\}(?: returns container id \\"(\w+)\\")?"', line)
    if m and m[1] in sb2pod:
        p = sb2pod[m[1]]
        if m[2]:
            p["cc_end"] = ts(line); c2pod[m[2]] = p
        else:
            p.setdefault("cc_start", ts(line))
        continue
    m = re.search(r'msg="StartContainer for \\"(\w+)\\"( returns successfully)?"', line)
    if m and m[1] in c2pod:
        p = c2pod[m[1]]
        p["sc_end" if m[2] else "sc_start"] = ts(line)

def stats(xs):
    xs = sorted(xs)
    return f"p50 {1000*st.median(xs):7.0f}  max {1000*xs[-1]:7.0f} ms" if xs else "-"

byns = {}
for (ns, name), p in pods.items():
    if all(k in p for k in ("rps_start", "rps_end", "cc_start", "cc_end", "sc_start", "sc_end")):
        byns.setdefault(ns, []).append(p)
for ns, ps in sorted(byns.items(), key=lambda kv: min(p["rps_start"] for p in kv[1])):
    t0 = min(p["rps_start"] for p in ps)
    ev = sorted([(p["rps_start"], 1) for p in ps] + [(p["rps_end"], -1) for p in ps])
    cur = peak = 0
    for _, d in ev:
        cur += d; peak = max(peak, cur)
    print(f"{ns}: {len(ps)} pods, last StartContainer returned {max(p['sc_end'] for p in ps) - t0:.2f} s after the first RunPodSandbox; at most {peak} RunPodSandbox in flight")
    rows = [
        ("RunPodSandbox asked (from first)", [p["rps_start"] - t0 for p in ps]),
        ("in RunPodSandbox", [p["rps_end"] - p["rps_start"] for p in ps]),
        ("agent: sandbox -> CreateContainer", [p["cc_start"] - p["rps_end"] for p in ps]),
        ("in CreateContainer", [p["cc_end"] - p["cc_start"] for p in ps]),
        ("agent: created -> StartContainer", [p["sc_start"] - p["cc_end"] for p in ps]),
        ("in StartContainer", [p["sc_end"] - p["sc_start"] for p in ps]),
        ("RunPodSandbox asked -> started", [p["sc_end"] - p["rps_start"] for p in ps]),
        ("  of which in containerd", [(p["rps_end"] - p["rps_start"]) + (p["cc_end"] - p["cc_start"]) + (p["sc_end"] - p["sc_start"]) for p in ps]),
    ]
    for label, xs in rows:
        print(f"  {label:36s} {stats(xs)}")
