// Package policy enforces NetworkPolicies (networking.k8s.io/v1) on a
// real node: `tinykube node` runs an Enforcer (off with
// --network-policy=false) that watches NetworkPolicies, Pods and
// Namespaces and programs nftables for the pods on its node.
//
// Semantics are upstream's: a pod is isolated for ingress (egress) when
// a policy of its namespace selects it with that policy type
// (policyTypes; when empty, Ingress always and Egress if the policy has
// egress rules); an isolated pod's traffic is allowed if any selecting
// policy's rules allow it (the union); a connection between two pods
// needs the source's egress and the destination's ingress. Peers are
// podSelector (the policy's namespace), namespaceSelector ({}: every
// namespace), both in one peer (pods matching both) and ipBlock less its
// excepts; ports by protocol (default TCP), endPort ranges, a protocol
// with no port (all its ports), and named ports, resolved on each
// destination pod's container ports. Replies of allowed connections pass
// (conntrack established/related). Traffic from and to the node itself
// (probes, host processes) is not filtered, as upstream allows it.
// IPv4 only: IPv6 traffic passes unfiltered.
//
// Layout (compute.go, pure: Input -> Ruleset, unit-tested), in table
// inet tinykube, which the service proxy shares; this package owns only
// objects named policy-* and never touches the others:
//
//	chain policy-ingress  (filter, hook forward, priority filter)
//	  meta nfproto != ipv4 accept
//	  ct state established,related accept
//	  ip daddr != @policy-ingress-isolated accept
//	  ip daddr @policy-<id>-pods jump policy-<id>-in   (one per policy)
//	  drop
//	chain policy-<id>-in   (one rule, or two, per ingress rule)
//	  ip saddr @policy-<id>-in0-peers meta l4proto . th dport @policy-<id>-in0-ports accept
//	  ip saddr @policy-<id>-in0-peers ip daddr . meta l4proto . th dport @policy-<id>-in0-named accept
//
// and the same for egress (policy-egress, ip saddr; peers on ip daddr).
// <id> is a hash of namespace/name (the chain's comment names it). Sets
// per policy: -pods (its selected pods on this node), per rule -peers
// (an interval set: pod addresses and ipBlock ranges, merged), -ports
// (proto . port-range, interval) and -named (addr . proto . port). So a
// packet meets one rule per policy selecting its pod, never one per
// pod pair, and only a connection's first packet gets past the
// established check. Policies selecting no pod on the node get no
// objects. Forward runs after the service proxy's DNAT in prerouting, so
// traffic to a ClusterIP is filtered on the backend pod's address.
// So is a query to kube-dns: the cluster DNS of `tinykube server` is
// not a pod but the server's listener (its address, port 10053 unless
// --cluster-dns-port), and an isolated pod's egress reaches it only by
// an ipBlock rule for that address and port; upstream's usual "allow
// UDP/TCP 53" or "allow to k8s-app=kube-dns pods" egress rules, which
// match CoreDNS pods, do not match it.
// Traffic between two pods of one node crosses the bridge, which reaches
// the forward hook only with net.bridge.bridge-nf-call-iptables = 1: the
// Enforcer turns it on in the node's network namespace.
//
// nft.go applies a Ruleset with sigs.k8s.io/knftables: the first sync
// (and any after an error) rewrites every policy-* object in one
// transaction and removes those an earlier run left that are no longer
// wanted, so a restarted agent takes its rules over with no gap; later
// syncs send only the difference from the last Ruleset (elements added
// and removed, chains rewritten, objects added or deleted). controller.go
// is the Enforcer: informers (pods slimmed to what Compute reads), one
// sync per burst of events, retries with backoff, a full sync every ten
// minutes. Parts of a policy that cannot be used (a malformed ipBlock
// the API let through) are logged once and match nothing.
package policy
