package garbagecollector

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Monitors returns the resources the collector r watches, split by
// whether it reuses the controllers' typed informer (shared) or runs a
// metadata informer of its own.
func Monitors(r controller.Runner) (shared, own []schema.GroupVersionResource) {
	c := r.(*Controller)
	c.monitorsMu.Lock()
	defer c.monitorsMu.Unlock()
	for gvr, s := range c.monitors {
		if s {
			shared = append(shared, gvr)
		} else {
			own = append(own, gvr)
		}
	}
	sort.Slice(shared, func(i, j int) bool { return shared[i].String() < shared[j].String() })
	return shared, own
}
