package scheduler

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/tinykube/tinykube/pkg/controller"
)

// nonTerminalPods is the pods informer's field selector, as upstream's:
// finished pods hold no resources and are never scheduled.
const nonTerminalPods = "status.phase!=" + string(corev1.PodSucceeded) + ",status.phase!=" + string(corev1.PodFailed)

// addEventHandlers wires the informers to the queue and the cache:
//   - unassigned pods of this scheduler → queue (add, update, delete);
//   - assigned pods → cache; a new one may satisfy pod affinity or change
//     topology spread, a deleted one frees room: both move unschedulable
//     pods back;
//   - nodes → cache; a new node or a change in labels, taints,
//     unschedulable or allocatable moves unschedulable pods back.
func (s *Scheduler) addEventHandlers(factory informers.SharedInformerFactory) error {
	podInformer := factory.InformerFor(&corev1.Pod{}, func(c kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewFilteredPodInformer(c, metav1.NamespaceAll, resync,
			cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc},
			func(o *metav1.ListOptions) { o.FieldSelector = nonTerminalPods })
	})
	s.pods = factory.Core().V1().Pods().Lister()
	nodeInformer := factory.Core().V1().Nodes().Informer()
	s.synced = append(s.synced, podInformer.HasSynced, nodeInformer.HasSynced)

	_, err := podInformer.AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj any) bool {
			p := podOf(obj)
			return p != nil && p.Spec.NodeName == "" && p.Spec.SchedulerName == s.cfg.SchedulerName
		},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { s.queue.Add(podOf(obj)) },
			UpdateFunc: func(_, obj any) { s.queue.Update(podOf(obj)) },
			DeleteFunc: func(obj any) {
				if p := podOf(obj); p != nil {
					s.queue.Delete(p)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	_, err = podInformer.AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj any) bool { p := podOf(obj); return p != nil && p.Spec.NodeName != "" },
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) {
				s.cache.AddPod(podOf(obj))
				s.queue.MoveAll(rejectedBy("InterPodAffinity", "PodTopologySpread"))
			},
			UpdateFunc: func(oldObj, obj any) {
				old, p := podOf(oldObj), podOf(obj)
				if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
					s.cache.RemovePod(p)
					s.queue.MoveAll(nil)
					return
				}
				s.cache.UpdatePod(p)
				if !equality.Semantic.DeepEqual(old.Labels, p.Labels) {
					s.queue.MoveAll(rejectedBy("InterPodAffinity", "PodTopologySpread"))
				}
			},
			DeleteFunc: func(obj any) {
				if p := podOf(obj); p != nil {
					s.cache.RemovePod(p)
					s.queue.MoveAll(nil)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	_, err = nodeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if n, ok := obj.(*corev1.Node); ok {
				s.cache.AddNode(n)
				s.queue.MoveAll(nil)
			}
		},
		UpdateFunc: func(oldObj, obj any) {
			old, n := oldObj.(*corev1.Node), obj.(*corev1.Node)
			s.cache.UpdateNode(n)
			if nodeChangeMayHelp(old, n) {
				s.queue.MoveAll(nil)
			}
		},
		DeleteFunc: func(obj any) {
			if n, ok := controller.Unwrap[*corev1.Node](obj); ok {
				s.cache.RemoveNode(n.Name)
			}
		},
	})
	return err
}

// nodeChangeMayHelp: only what filters read matters, not heartbeats.
func nodeChangeMayHelp(old, n *corev1.Node) bool {
	return old.Spec.Unschedulable != n.Spec.Unschedulable ||
		!equality.Semantic.DeepEqual(old.Labels, n.Labels) ||
		!equality.Semantic.DeepEqual(old.Spec.Taints, n.Spec.Taints) ||
		!equality.Semantic.DeepEqual(old.Status.Allocatable, n.Status.Allocatable)
}

// rejectedBy selects pods that one of the plugins rejected.
func rejectedBy(plugins ...string) func(*QueuedPod) bool {
	return func(qp *QueuedPod) bool {
		return slices.ContainsFunc(plugins, func(p string) bool { return qp.UnschedulablePlugins.Has(p) })
	}
}

func podOf(obj any) *corev1.Pod {
	p, _ := controller.Unwrap[*corev1.Pod](obj)
	return p
}
