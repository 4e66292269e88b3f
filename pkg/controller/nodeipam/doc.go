// Package nodeipam is the node IPAM controller: it gives every Node a
// spec.podCIDR (and podCIDRs) cut from the cluster CIDR, so the node agent
// can give pods IPs. Its allocation map is rebuilt from the Nodes' own
// podCIDRs when it starts; a deleted Node's range is freed.
package nodeipam
