package nodeipam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/tinykube/tinykube/pkg/controller"
)

// ErrFull is returned when every subnet of the cluster CIDR is taken.
var ErrFull = errors.New("nodeipam: cluster CIDR is full")

// Controller assigns podCIDRs to Nodes.
type Controller struct {
	client kubernetes.Interface
	nodes  corelisters.NodeLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	alloc  *allocator
}

var _ controller.Runner = (*Controller)(nil)

// New builds the controller; it is disabled (nil Runner) without a
// cluster CIDR.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	if !cc.ClusterCIDR.IsValid() {
		return nil, nil
	}
	alloc, err := newAllocator(cc.ClusterCIDR, cc.NodeCIDRMaskSize)
	if err != nil {
		return nil, err
	}
	inf := cc.Informers.Core().V1().Nodes()
	c := &Controller{
		client: cc.Client, nodes: inf.Lister(), synced: inf.Informer().HasSynced, alloc: alloc,
		queue: controller.NewQueue[string]("nodeipam"),
	}
	_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueue(obj) },
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: func(obj any) {
			if n, ok := controller.Unwrap[*corev1.Node](obj); ok {
				c.alloc.release(n.Name, n.Spec.PodCIDR)
			}
		},
	})
	return c, err
}

func (c *Controller) enqueue(obj any) {
	if n, ok := obj.(*corev1.Node); ok && n.Spec.PodCIDR == "" {
		c.queue.Add(n.Name)
	}
}

// Run waits for the node cache, marks every podCIDR already assigned as
// used, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "listing nodes")
		return
	}
	for _, n := range nodes {
		if n.Spec.PodCIDR != "" {
			if err := c.alloc.occupy(n.Name, n.Spec.PodCIDR); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "node has a podCIDR outside the cluster CIDR", "node", n.Name)
			}
		}
	}
	controller.StartWorkers(ctx, "nodeipam", c.queue, workers, c.sync)
	<-ctx.Done()
}

// sync gives node name a podCIDR if it has none.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if node.Spec.PodCIDR != "" {
		return c.alloc.occupy(name, node.Spec.PodCIDR)
	}
	cidr, err := c.alloc.allocate(name)
	if err != nil {
		return err
	}
	patch, _ := json.Marshal(map[string]any{
		"spec": map[string]any{"podCIDR": cidr.String(), "podCIDRs": []string{cidr.String()}},
	})
	_, err = c.client.CoreV1().Nodes().Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		c.alloc.release(name, cidr.String())
		return nil
	}
	if err != nil {
		c.alloc.release(name, cidr.String())
		return fmt.Errorf("patching podCIDR of node %s: %w", name, err)
	}
	return nil
}

// allocator hands out the /mask subnets of a cluster CIDR. It remembers
// which node holds which subnet so that a node synced twice before the
// cache shows its podCIDR gets the same one.
type allocator struct {
	cidr  netip.Prefix
	mask  int
	count uint64

	mu     sync.Mutex
	used   map[uint64]string // subnet index → node
	byNode map[string]uint64
	next   uint64
}

func newAllocator(cidr netip.Prefix, mask int) (*allocator, error) {
	cidr = cidr.Masked()
	bits := mask - cidr.Bits()
	if bits <= 0 || mask > cidr.Addr().BitLen() {
		return nil, fmt.Errorf("nodeipam: node mask /%d does not fit in %s", mask, cidr)
	}
	count := uint64(1) << min(bits, 62)
	return &allocator{cidr: cidr, mask: mask, count: count, used: map[uint64]string{}, byNode: map[string]uint64{}}, nil
}

func (a *allocator) subnet(i uint64) netip.Prefix {
	base := new(big.Int).SetBytes(a.cidr.Addr().AsSlice())
	base.Add(base, new(big.Int).Lsh(new(big.Int).SetUint64(i), uint(a.cidr.Addr().BitLen()-a.mask)))
	ip, _ := netip.AddrFromSlice(base.FillBytes(make([]byte, a.cidr.Addr().BitLen()/8)))
	return netip.PrefixFrom(ip, a.mask)
}

func (a *allocator) index(cidr string) (uint64, bool) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Bits() != a.mask || !a.cidr.Contains(p.Addr()) {
		return 0, false
	}
	off := new(big.Int).Sub(new(big.Int).SetBytes(p.Masked().Addr().AsSlice()), new(big.Int).SetBytes(a.cidr.Addr().AsSlice()))
	return off.Rsh(off, uint(a.cidr.Addr().BitLen()-a.mask)).Uint64(), true
}

// occupy records that node holds cidr.
func (a *allocator) occupy(node, cidr string) error {
	i, ok := a.index(cidr)
	if !ok {
		return fmt.Errorf("podCIDR %s is not a /%d of %s", cidr, a.mask, a.cidr)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.byNode[node]; ok && old != i {
		delete(a.used, old)
	}
	a.used[i], a.byNode[node] = node, i
	return nil
}

// allocate returns node's subnet, taking the next free one if it has none.
func (a *allocator) allocate(node string) (netip.Prefix, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.byNode[node]; ok {
		return a.subnet(i), nil
	}
	for n := uint64(0); n < a.count; n++ {
		i := (a.next + n) % a.count
		if _, taken := a.used[i]; !taken {
			a.used[i], a.byNode[node], a.next = node, i, i+1
			return a.subnet(i), nil
		}
	}
	return netip.Prefix{}, ErrFull
}

// release frees node's subnet.
func (a *allocator) release(node, cidr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.byNode[node]; ok {
		delete(a.used, i)
		delete(a.byNode, node)
		return
	}
	if i, ok := a.index(cidr); ok && a.used[i] == node {
		delete(a.used, i)
	}
}
