package localpath

import (
	"context"
	"fmt"
	"path"
	"sort"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/tinykube/tinykube/pkg/controller"
)

// Names the provisioner uses and honours.
const (
	// Provisioner is the StorageClass provisioner this controller serves.
	Provisioner = "tinykube.io/local-path"
	// ClassName is the default StorageClass the server creates.
	ClassName = "local-path"
	// PathParameter is the StorageClass parameter naming the base
	// directory on the node; DefaultPath when absent.
	PathParameter = "path"
	DefaultPath   = "/var/lib/tinykube/storage"

	AnnSelectedNode       = "volume.kubernetes.io/selected-node"
	AnnStorageProvisioner = "volume.kubernetes.io/storage-provisioner"
	AnnBetaProvisioner    = "volume.beta.kubernetes.io/storage-provisioner"
	AnnProvisionedBy      = "pv.kubernetes.io/provisioned-by"
	AnnBindCompleted      = "pv.kubernetes.io/bind-completed"
	AnnBoundByController  = "pv.kubernetes.io/bound-by-controller"
	AnnDefaultClass       = "storageclass.kubernetes.io/is-default-class"
)

// DefaultStorageClass is the class the server creates at start when the
// cluster has no default class.
func DefaultStorageClass(basePath string) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: ClassName, Annotations: map[string]string{AnnDefaultClass: "true"}},
		Provisioner:       Provisioner,
		Parameters:        map[string]string{PathParameter: basePath},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
}

// key is a queued claim (Volume false) or volume (Volume true, no
// namespace).
type key struct {
	Volume bool
	Name   cache.ObjectName
}

// Controller provisions and binds local-path volumes.
type Controller struct {
	client  kubernetes.Interface
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	synced  []cache.InformerSynced
	queue   workqueue.TypedRateLimitingInterface[key]
}

var _ controller.Runner = (*Controller)(nil)

// New builds the provisioner.
func New(_ context.Context, cc controller.Context) (controller.Runner, error) {
	f := cc.Informers
	claims, volumes := f.Core().V1().PersistentVolumeClaims(), f.Core().V1().PersistentVolumes()
	classes, pods, nodes := f.Storage().V1().StorageClasses(), f.Core().V1().Pods(), f.Core().V1().Nodes()
	c := &Controller{
		client: cc.Client, claims: claims.Lister(), volumes: volumes.Lister(), classes: classes.Lister(),
		pods: pods.Lister(), nodes: nodes.Lister(),
		synced: []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced,
			classes.Informer().HasSynced, pods.Informer().HasSynced, nodes.Informer().HasSynced},
		queue: controller.NewQueue[key]("local-path-provisioner"),
	}
	onClaim := func(obj any) {
		if pvc, ok := controller.Unwrap[*corev1.PersistentVolumeClaim](obj); ok {
			c.queue.Add(key{Name: cache.MetaObjectToName(pvc)})
			if pvc.Spec.VolumeName != "" {
				c.queue.Add(key{Volume: true, Name: cache.NewObjectName("", pvc.Spec.VolumeName)})
			}
		}
	}
	onVolume := func(obj any) {
		if pv, ok := controller.Unwrap[*corev1.PersistentVolume](obj); ok {
			c.queue.Add(key{Volume: true, Name: cache.NewObjectName("", pv.Name)})
			if ref := pv.Spec.ClaimRef; ref != nil {
				c.queue.Add(key{Name: cache.NewObjectName(ref.Namespace, ref.Name)})
			}
		}
	}
	onPod := func(obj any) {
		pod, ok := controller.Unwrap[*corev1.Pod](obj)
		if !ok || pod.Spec.NodeName == "" {
			return
		}
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				c.queue.Add(key{Name: cache.NewObjectName(pod.Namespace, v.PersistentVolumeClaim.ClaimName)})
			}
		}
	}
	onClass := func(any) {
		// A new default class or a changed one: look at waiting claims.
		all, _ := c.claims.List(labels.Everything())
		for _, pvc := range all {
			if pvc.Spec.VolumeName == "" {
				c.queue.Add(key{Name: cache.MetaObjectToName(pvc)})
			}
		}
	}
	for _, h := range []struct {
		inf cache.SharedIndexInformer
		fn  func(any)
	}{{claims.Informer(), onClaim}, {volumes.Informer(), onVolume}, {pods.Informer(), onPod}, {classes.Informer(), onClass}} {
		fn := h.fn
		if _, err := h.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: fn, UpdateFunc: func(_, obj any) { fn(obj) }, DeleteFunc: fn,
		}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Run waits for the caches, then runs workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	controller.RunWorkers(ctx, "local-path-provisioner", c.queue, c.synced, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, k key) error {
	if k.Volume {
		return c.syncVolume(ctx, k.Name.Name)
	}
	return c.syncClaim(ctx, k.Name)
}

// syncClaim moves one claim a step: default class, selected node,
// volume, binding.
func (c *Controller) syncClaim(ctx context.Context, name cache.ObjectName) error {
	pvc, err := c.claims.PersistentVolumeClaims(name.Namespace).Get(name.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pvc.DeletionTimestamp != nil {
		return nil
	}
	if pvc.Spec.VolumeName != "" {
		return c.completeBinding(ctx, pvc)
	}
	if pvc.Spec.StorageClassName == nil {
		def := c.defaultClass()
		if def == nil {
			return nil
		}
		pvc = pvc.DeepCopy()
		pvc.Spec.StorageClassName = ptr.To(def.Name)
		_, err := c.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{})
		return ignoreGone(err) // the update's event brings the claim back
	}
	class, err := c.classes.Get(*pvc.Spec.StorageClassName)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if class.Provisioner != Provisioner {
		return nil
	}
	if pvc.Spec.Selector != nil || pvc.Spec.DataSource != nil || pvc.Spec.DataSourceRef != nil {
		return nil // not provisionable here; left pending as upstream's provisioner would with an error
	}
	node := pvc.Annotations[AnnSelectedNode]
	if node == "" {
		if class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer {
			node = c.consumerNode(pvc)
			if node == "" {
				return nil // no consumer scheduled yet; a pod event brings the claim back
			}
		} else if node = c.anyReadyNode(); node == "" {
			return fmt.Errorf("claim %s/%s: no ready node to provision on: %w", pvc.Namespace, pvc.Name, controller.ErrWaiting)
		}
		pvc = pvc.DeepCopy()
		if pvc.Annotations == nil {
			pvc.Annotations = map[string]string{}
		}
		pvc.Annotations[AnnSelectedNode] = node
		pvc.Annotations[AnnStorageProvisioner] = Provisioner
		pvc.Annotations[AnnBetaProvisioner] = Provisioner
		_, err := c.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{})
		return ignoreGone(err)
	}
	pvName := "pvc-" + string(pvc.UID)
	pv, err := c.volumes.Get(pvName)
	if apierrors.IsNotFound(err) {
		pv, err = c.client.CoreV1().PersistentVolumes().Create(ctx, c.newVolume(pvc, class, pvName, node), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			pv, err = c.client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
		}
	}
	if err != nil {
		return err
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != pvc.UID {
		return nil // not ours to bind
	}
	pvc = pvc.DeepCopy()
	pvc.Spec.VolumeName = pv.Name
	if pvc.Annotations == nil {
		pvc.Annotations = map[string]string{}
	}
	pvc.Annotations[AnnBindCompleted] = "yes"
	pvc.Annotations[AnnBoundByController] = "yes"
	_, err = c.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{})
	return ignoreGone(err)
}

// completeBinding sets the status of a claim whose spec names a volume
// that claims it, and of that volume, to Bound.
func (c *Controller) completeBinding(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	pv, err := c.volumes.Get(pvc.Spec.VolumeName)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != pvc.UID {
		return nil
	}
	if pv.Status.Phase != corev1.VolumeBound {
		pv = pv.DeepCopy()
		pv.Status.Phase = corev1.VolumeBound
		pv.Status.Message, pv.Status.Reason = "", ""
		if _, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
			return ignoreGone(err)
		}
	}
	if pvc.Status.Phase == corev1.ClaimBound {
		return nil
	}
	pvc = pvc.DeepCopy()
	pvc.Status.Phase = corev1.ClaimBound
	pvc.Status.AccessModes = pv.Spec.AccessModes
	pvc.Status.Capacity = pv.Spec.Capacity
	_, err = c.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).UpdateStatus(ctx, pvc, metav1.UpdateOptions{})
	return ignoreGone(err)
}

// syncVolume deletes a provisioned volume whose claim is gone (reclaim
// Delete) or marks it Released (Retain).
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ref := pv.Spec.ClaimRef
	if pv.Annotations[AnnProvisionedBy] != Provisioner || ref == nil || pv.DeletionTimestamp != nil {
		return nil
	}
	if pvc, err := c.claims.PersistentVolumeClaims(ref.Namespace).Get(ref.Name); err == nil && pvc.UID == ref.UID {
		return nil
	}
	// The cache may trail: ask the server before letting go of data.
	pvc, err := c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err == nil && pvc.UID == ref.UID {
		return nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
		err := c.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(pv.UID))})
		return ignoreGone(err)
	}
	if pv.Status.Phase == corev1.VolumeReleased {
		return nil
	}
	pv = pv.DeepCopy()
	pv.Status.Phase = corev1.VolumeReleased
	_, err = c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{})
	return ignoreGone(err)
}

// newVolume is the hostPath volume for pvc on node.
func (c *Controller) newVolume(pvc *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, name, node string) *corev1.PersistentVolume {
	base := class.Parameters[PathParameter]
	if base == "" {
		base = DefaultPath
	}
	hostname := node
	if n, err := c.nodes.Get(node); err == nil && n.Labels[corev1.LabelHostname] != "" {
		hostname = n.Labels[corev1.LabelHostname]
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{AnnProvisionedBy: Provisioner}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes: pvc.Spec.AccessModes,
			VolumeMode:  pvc.Spec.VolumeMode,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: path.Join(base, name+"_"+pvc.Namespace+"_"+pvc.Name), Type: ptr.To(corev1.HostPathDirectoryOrCreate)}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name,
				UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			MountOptions:                  class.MountOptions,
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname}}},
			}}}},
		},
	}
}

// consumerNode is the node of the first (by name) scheduled, unfinished
// pod that uses pvc.
func (c *Controller) consumerNode(pvc *corev1.PersistentVolumeClaim) string {
	pods, err := c.pods.Pods(pvc.Namespace).List(labels.Everything())
	if err != nil {
		return ""
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name {
				return p.Spec.NodeName
			}
		}
	}
	return ""
}

func (c *Controller) anyReadyNode() string {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return ""
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for _, n := range nodes {
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue && !n.Spec.Unschedulable {
				return n.Name
			}
		}
	}
	return ""
}

// defaultClass is the newest class annotated default (upstream's rule
// when there are several).
func (c *Controller) defaultClass() *storagev1.StorageClass {
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		return nil
	}
	var best *storagev1.StorageClass
	for _, sc := range classes {
		if sc.Annotations[AnnDefaultClass] != "true" {
			continue
		}
		if best == nil || sc.CreationTimestamp.After(best.CreationTimestamp.Time) ||
			(sc.CreationTimestamp.Equal(&best.CreationTimestamp) && sc.Name < best.Name) {
			best = sc
		}
	}
	return best
}

func ignoreGone(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Gone, or changed meanwhile: the change's event requeues it.
		if apierrors.IsConflict(err) {
			return fmt.Errorf("%w: %v", controller.ErrWaiting, err)
		}
		return nil
	}
	return err
}
