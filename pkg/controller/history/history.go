package history

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
)

// HashLabel carries a revision's hash on the revision itself, as upstream.
const HashLabel = "controller.kubernetes.io/hash"

// Owner is the StatefulSet or DaemonSet whose history this is.
type Owner struct {
	Object metav1.Object
	Kind   schema.GroupVersionKind
	// Selector matches the owner's pods, and so its revisions, which
	// carry the template's labels.
	Selector labels.Selector
	// Template is the owner's current pod template.
	Template *corev1.PodTemplateSpec
	// CollisionCount is the owner's status.collisionCount; Sync raises it
	// when a hash collides with another object's revision.
	CollisionCount *int32
	// HashLabelKey is the label carrying the hash on a new revision:
	// HashLabel if empty (StatefulSets); DaemonSets use
	// controller-revision-hash, as upstream (clients such as e2e look
	// for it there).
	HashLabelKey string
}

// Data is the revision data for a template: a patch replacing
// spec.template, the form upstream stores (so `kubectl rollout history`
// and `rollout undo` read it).
func Data(t *corev1.PodTemplateSpec) ([]byte, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": m}})
}

// Template decodes the pod template a revision stores.
func Template(r *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var v struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(r.Data.Raw, &v); err != nil {
		return nil, fmt.Errorf("decoding revision %s: %w", r.Name, err)
	}
	return &v.Spec.Template, nil
}

// Hash is the name suffix for data under a collision count.
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		h.Write([]byte(strconv.Itoa(int(*collisionCount))))
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// List returns the owner's revisions, oldest revision number first.
func List(lister appslisters.ControllerRevisionLister, o Owner) ([]*appsv1.ControllerRevision, error) {
	all, err := lister.ControllerRevisions(o.Object.GetNamespace()).List(o.Selector)
	if err != nil {
		return nil, err
	}
	var out []*appsv1.ControllerRevision
	for _, r := range all {
		if ref := metav1.GetControllerOf(r); ref != nil && ref.UID == o.Object.GetUID() {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *appsv1.ControllerRevision) int {
		if a.Revision != b.Revision {
			return int(a.Revision - b.Revision)
		}
		return bytes.Compare([]byte(a.Name), []byte(b.Name))
	})
	return out, nil
}

// Sync finds or creates the revision of the owner's current template
// and makes it the newest. revs is List's result. It returns the update
// revision and the (possibly changed) revision list; when the hash
// collides with a foreign revision it raises *o.CollisionCount and
// returns ErrCollision, and the caller writes its status and retries.
func Sync(ctx context.Context, client kubernetes.Interface, o Owner, revs []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	data, err := Data(o.Template)
	if err != nil {
		return nil, nil, err
	}
	next := int64(1)
	if n := len(revs); n > 0 {
		next = revs[n-1].Revision + 1
	}
	for i, r := range revs {
		if !bytes.Equal(r.Data.Raw, data) {
			continue
		}
		if i == len(revs)-1 {
			return r, revs, nil
		}
		// A rollback to an older template: renumber it as the newest.
		r = r.DeepCopy()
		r.Revision = next
		updated, err := client.AppsV1().ControllerRevisions(r.Namespace).Update(ctx, r, metav1.UpdateOptions{})
		if err != nil {
			return nil, nil, err
		}
		revs = append(slices.Delete(slices.Clone(revs), i, i+1), updated)
		return updated, revs, nil
	}
	ns := o.Object.GetNamespace()
	hash := Hash(data, o.CollisionCount)
	lbls := maps.Clone(o.Template.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	key := o.HashLabelKey
	if key == "" {
		key = HashLabel
	}
	lbls[key] = hash
	r := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: o.Object.GetName() + "-" + hash, Namespace: ns, Labels: lbls,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(o.Object, o.Kind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: next,
	}
	created, err := client.AppsV1().ControllerRevisions(ns).Create(ctx, r, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		existing, getErr := client.AppsV1().ControllerRevisions(ns).Get(ctx, r.Name, metav1.GetOptions{})
		if getErr != nil {
			return nil, nil, getErr
		}
		ref := metav1.GetControllerOf(existing)
		if ref != nil && ref.UID == o.Object.GetUID() && bytes.Equal(existing.Data.Raw, data) {
			return existing, append(slices.Clone(revs), existing), nil // our cache was behind
		}
		*o.CollisionCount++
		return nil, nil, ErrCollision
	}
	if err != nil {
		return nil, nil, err
	}
	return created, append(slices.Clone(revs), created), nil
}

// ErrCollision reports a revision name taken by a different revision.
var ErrCollision = fmt.Errorf("controller revision hash collision")

// Truncate deletes the oldest revisions beyond limit, sparing those in
// live (the current and update revisions, and any a pod still uses).
func Truncate(ctx context.Context, client kubernetes.Interface, revs []*appsv1.ControllerRevision, live map[string]bool, limit int32) error {
	var old []*appsv1.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			old = append(old, r)
		}
	}
	for i := 0; i < len(old)-int(max(limit, 0)); i++ {
		err := client.AppsV1().ControllerRevisions(old[i].Namespace).Delete(ctx, old[i].Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// HashOf is the hash suffix of a revision's name (its HashLabel or
// controller-revision-hash label).
func HashOf(r *appsv1.ControllerRevision) string {
	if h, ok := r.Labels[HashLabel]; ok {
		return h
	}
	if h, ok := r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; ok {
		return h
	}
	return r.Name
}
