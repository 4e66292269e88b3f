// Package routes is the node agent's pod routing between nodes: every
// node programs a route to every other node's podCIDR, so that pods on
// different nodes reach each other by IP, as flannel's host-gw and vxlan
// backends do.
//
// Agent watches Nodes with an informer and reconciles after every change
// (a node joining, leaving or changing its addresses is in place on every
// node within a second or so) and once more after a failure. Modes
// (`tinykube node --pod-network`):
//
//   - ModeHostGW (the default): `<podCIDR> via <InternalIP>` for every
//     other node. Needs the nodes on one L2 segment: the kernel refuses a
//     gateway that is not on a directly connected network.
//   - ModeVXLAN: flannel's vxlan backend. The node makes a VXLAN device of
//     its own (DeviceName, VNI 1, UDP port 8472, learning off, MTU of the
//     parent link - 50; PodMTU is what the pod network must then use),
//     gives it its VTEP address (its podCIDR's network address, /32) and
//     publishes the device's MAC on its own Node (BackendDataAnnotation).
//     For every other node that published one: `<podCIDR> via <its VTEP
//     address> dev DeviceName onlink`, a permanent neighbour entry (VTEP
//     address → VTEP MAC) and a forwarding-database entry (VTEP MAC → its
//     InternalIP).
//   - ModeNone: nothing; routing is someone else's. Routes and a device an
//     earlier run left are removed.
//
// Every route the agent makes carries its own route protocol number
// (Protocol, shown as "proto 116" by `ip route`): it removes only routes
// with that number, so a restart reconciles (adds what is missing, drops
// routes to nodes that are gone) without touching routes it did not make.
// Routes stay when the agent stops, as pods keep running then.
//
// A Node with a malformed podCIDR or address is skipped with a logged
// reason (wanted in want.go decides, a pure function with unit tests);
// the rest of the nodes are routed as usual.
//
// Files: want.go (Nodes → wanted routes), routes.go (Agent: informer and
// reconcile loop), netlink.go (routes, device, neighbour and FDB
// entries).
package routes
