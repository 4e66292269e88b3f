// Package node is the nodes resource: selectable by spec.unschedulable.
package node
