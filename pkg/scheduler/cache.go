package scheduler

import (
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/tinykube/tinykube/pkg/scheduler/framework"
)

// Cache is the scheduler's view of what runs where: a NodeInfo per node
// with the pods bound to it, including pods the scheduler has assumed
// bound (decided, binding in flight or done but not yet seen through the
// informer), so that back-to-back decisions never overcommit a node.
//
// An assumed pod becomes an ordinary pod when the informer delivers it;
// if the binding fails it is forgotten; if the informer never delivers it
// within the TTL after binding finished, it expires. All methods are safe
// for concurrent use.
type Cache struct {
	clock clock.Clock
	ttl   time.Duration

	mu         sync.Mutex
	nodes      map[string]*framework.NodeInfo
	pods       map[types.UID]*podState
	generation int64
}

type podState struct {
	pi      *framework.PodInfo
	assumed bool
	// deadline is set once binding finished: the assumed pod expires then.
	deadline *time.Time
}

// NewCache returns an empty cache whose assumed pods expire ttl after
// their binding finished.
func NewCache(clk clock.Clock, ttl time.Duration) *Cache {
	return &Cache{clock: clk, ttl: ttl, nodes: map[string]*framework.NodeInfo{}, pods: map[types.UID]*podState{}}
}

// nodeLocked returns the NodeInfo of name, creating one without a Node
// for pods seen before their node.
func (c *Cache) nodeLocked(name string) *framework.NodeInfo {
	n := c.nodes[name]
	if n == nil {
		n = framework.NewNodeInfo(nil)
		c.nodes[name] = n
	}
	return n
}

func (c *Cache) touchLocked(n *framework.NodeInfo) {
	c.generation++
	n.Generation = c.generation
}

func (c *Cache) addPodLocked(pi *framework.PodInfo) {
	n := c.nodeLocked(pi.Pod.Spec.NodeName)
	n.AddPod(pi)
	c.touchLocked(n)
}

func (c *Cache) removePodLocked(pod *corev1.Pod) {
	n := c.nodes[pod.Spec.NodeName]
	if n == nil || !n.RemovePod(pod.UID) {
		return
	}
	c.touchLocked(n)
	if n.Node == nil && len(n.Pods) == 0 {
		delete(c.nodes, pod.Spec.NodeName)
	}
}

// AssumePod counts pi (whose spec.nodeName is set) on its node before
// the binding is confirmed.
func (c *Cache) AssumePod(pi *framework.PodInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pi.Pod.UID]; ok {
		return
	}
	c.addPodLocked(pi)
	c.pods[pi.Pod.UID] = &podState{pi: pi, assumed: true}
}

// FinishBinding starts the expiry clock of an assumed pod.
func (c *Cache) FinishBinding(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps := c.pods[uid]; ps != nil && ps.assumed {
		d := c.clock.Now().Add(c.ttl)
		ps.deadline = &d
	}
}

// ForgetPod drops an assumed pod whose binding failed.
func (c *Cache) ForgetPod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps := c.pods[uid]; ps != nil && ps.assumed {
		c.removePodLocked(ps.pi.Pod)
		delete(c.pods, uid)
	}
}

// AddPod records a bound pod seen through the informer (confirming it if
// it was assumed).
func (c *Cache) AddPod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps := c.pods[pod.UID]; ps != nil {
		c.removePodLocked(ps.pi.Pod)
	}
	pi := framework.NewPodInfo(pod)
	c.addPodLocked(pi)
	c.pods[pod.UID] = &podState{pi: pi}
}

// UpdatePod replaces a bound pod's object.
func (c *Cache) UpdatePod(pod *corev1.Pod) { c.AddPod(pod) }

// RemovePod forgets a bound pod that was deleted (or finished).
func (c *Cache) RemovePod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps := c.pods[pod.UID]; ps != nil {
		c.removePodLocked(ps.pi.Pod)
		delete(c.pods, pod.UID)
	}
}

// IsAssumed reports whether the pod is assumed and not yet confirmed.
func (c *Cache) IsAssumed(uid types.UID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := c.pods[uid]
	return ps != nil && ps.assumed
}

// AddNode and UpdateNode record a node's object.
func (c *Cache) AddNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeLocked(node.Name)
	n.SetNode(node)
	c.touchLocked(n)
}

// UpdateNode is AddNode.
func (c *Cache) UpdateNode(node *corev1.Node) { c.AddNode(node) }

// RemoveNode forgets a node; pods still counted on it keep a NodeInfo
// without a Node until they go too.
func (c *Cache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	if n == nil {
		return
	}
	if len(n.Pods) == 0 {
		delete(c.nodes, name)
	} else {
		n.Node = nil
	}
	c.generation++
}

// ExpireAssumed drops assumed pods whose binding finished more than ttl
// ago without the informer confirming them.
func (c *Cache) ExpireAssumed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for uid, ps := range c.pods {
		if ps.assumed && ps.deadline != nil && now.After(*ps.deadline) {
			c.removePodLocked(ps.pi.Pod)
			delete(c.pods, uid)
		}
	}
}

// Snapshot is one scheduling cycle's immutable view of the nodes. The
// scheduler owns it; UpdateSnapshot refreshes only the nodes that changed.
type Snapshot struct {
	nodes      map[string]*framework.NodeInfo
	names      []string
	list       []*framework.NodeInfo
	generation int64
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot { return &Snapshot{nodes: map[string]*framework.NodeInfo{}} }

// Nodes lists the nodes, in name order.
func (s *Snapshot) Nodes() []*framework.NodeInfo { return s.list }

// Get returns one node, or nil.
func (s *Snapshot) Get(name string) *framework.NodeInfo { return s.nodes[name] }

// UpdateSnapshot brings s up to date by cloning the nodes that changed
// since it was last updated.
func (c *Cache) UpdateSnapshot(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.generation == c.generation && s.list != nil {
		return
	}
	membership := false
	for name, n := range c.nodes {
		_, had := s.nodes[name]
		if n.Node == nil {
			if had {
				delete(s.nodes, name)
				membership = true
			}
			continue
		}
		if !had {
			membership = true
		}
		if !had || n.Generation > s.generation {
			s.nodes[name] = n.Clone()
		}
	}
	for name := range s.nodes {
		if n, ok := c.nodes[name]; !ok || n.Node == nil {
			delete(s.nodes, name)
			membership = true
		}
	}
	if membership || s.names == nil {
		s.names = s.names[:0]
		for name := range s.nodes {
			s.names = append(s.names, name)
		}
		sort.Strings(s.names)
	}
	s.list = s.list[:0]
	for _, name := range s.names {
		s.list = append(s.list, s.nodes[name])
	}
	s.generation = c.generation
}
