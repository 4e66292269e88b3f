package generic

import (
	"context"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/api/validation"
)

// Strategy is what makes one resource different from another. The store
// calls it in the order fixed in writepath.go. Implementations must not
// keep per-request state; they are shared by all requests.
type Strategy interface {
	// PrepareForCreate clears fields the client may not set on create
	// (status, for resources with a status subresource).
	PrepareForCreate(ctx context.Context, obj runtime.Object)
	// PrepareForUpdate carries over fields this endpoint may not change
	// (status on the main endpoint, spec on /status) from old to obj.
	PrepareForUpdate(ctx context.Context, obj, old runtime.Object)
	// Validate and ValidateUpdate return field errors that become 422.
	Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// AllowCreateOnUpdate: PUT of a missing object creates it.
	AllowCreateOnUpdate() bool
	// GetAttrs returns labels and selectable fields (metadata.name and,
	// for namespaced resources, metadata.namespace are always included).
	GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error)
	// TracksGeneration: metadata.generation starts at 1 and is bumped
	// when the spec changes.
	TracksGeneration() bool
}

// GenerationTrigger is implemented by strategies whose metadata.generation
// also moves on changes outside the spec (deployments: annotations, which
// the controller copies to ReplicaSets). Only consulted when
// TracksGeneration is true; /status endpoints never bump generation.
type GenerationTrigger interface {
	// BumpsGeneration reports whether obj differs from old in a way
	// that moves generation, beyond a spec change.
	BumpsGeneration(obj, old runtime.Object) bool
}

// GracefulDeleter is implemented by strategies whose objects go through
// a grace period (pods bound to a node) instead of being removed at once.
type GracefulDeleter interface {
	// GracePeriod returns the grace period to apply and whether the
	// deletion should be graceful at all.
	GracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) (seconds int64, graceful bool)
}

// Default is the Strategy for a plain resource: status (if the type has
// one) is owned by the /status endpoint, generation tracks spec changes,
// and validation is pkg/api/validation. Resource strategies embed it and
// override what differs.
type Default struct {
	Resource api.Resource
	// ExtraFields adds selectable fields beyond metadata.name/namespace.
	ExtraFields func(obj runtime.Object) fields.Set
}

var _ Strategy = Default{}

func (d Default) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if _, ok := d.Resource.Sub("status"); ok {
		resetField(obj, nil, "Status")
	}
}

func (d Default) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if _, ok := d.Resource.Sub("status"); ok {
		resetField(obj, old, "Status")
	}
}

func (d Default) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateCreate(obj)
}

func (d Default) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateUpdate(obj, old)
}

func (d Default) AllowCreateOnUpdate() bool { return false }

// TracksGeneration is the row's (api.Resource.TracksGeneration).
func (d Default) TracksGeneration() bool { return d.Resource.TracksGeneration }

func (d Default) GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	fs := fields.Set{"metadata.name": m.GetName()}
	if d.Resource.Namespaced {
		fs["metadata.namespace"] = m.GetNamespace()
	}
	if d.ExtraFields != nil {
		for k, v := range d.ExtraFields(obj) {
			fs[k] = v
		}
	}
	return labels.Set(m.GetLabels()), fs, nil
}

// StatusStrategy wraps a resource's strategy for its /status endpoint:
// only status changes; spec and the rest come from the stored object.
type StatusStrategy struct {
	Strategy
}

func (s StatusStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (s StatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	keepOnly(obj, old, "Status")
}

func (s StatusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateStatusUpdate(obj, old)
}

func (s StatusStrategy) AllowCreateOnUpdate() bool { return false }

// Subresource: admission sees writes through StatusStrategy as "status".
func (s StatusStrategy) Subresource() string { return "status" }

// StatusStrategist is implemented by strategies that bring their own
// /status strategy: StatusStrategy works by reflection on typed structs,
// which unstructured custom resources are not.
type StatusStrategist interface {
	StatusStrategy() Strategy
}

// SubresourceStrategist is implemented by strategies of resources with
// subresources, other than status, that read and write the object
// itself (pods/ephemeralcontainers): GET answers the object, PUT and
// PATCH write it through the strategy returned.
type SubresourceStrategist interface {
	// SubresourceStrategy returns the strategy of the named
	// subresource, nil if it is not one of these.
	SubresourceStrategy(name string) Strategy
}

// ForStatus returns the strategy of s's /status endpoint.
func ForStatus(s Strategy) Strategy {
	if ss, ok := s.(StatusStrategist); ok {
		return ss.StatusStrategy()
	}
	return StatusStrategy{Strategy: s}
}

// resetField sets obj.<name> to from.<name>, or to its zero value when
// from is nil. Types without the field are left alone.
func resetField(obj, from runtime.Object, name string) {
	dst := reflect.ValueOf(obj).Elem().FieldByName(name)
	if !dst.IsValid() || !dst.CanSet() {
		return
	}
	if from == nil {
		dst.Set(reflect.Zero(dst.Type()))
		return
	}
	dst.Set(reflect.ValueOf(from).Elem().FieldByName(name))
}

// keepOnly copies every top-level field except ObjectMeta, TypeMeta and
// keep from old into obj: obj's changes survive only in keep. Labels,
// annotations, finalizers and ownerReferences may still change, as with
// upstream's status strategies that only reset the spec.
func keepOnly(obj, old runtime.Object, keep string) {
	dst, src := reflect.ValueOf(obj).Elem(), reflect.ValueOf(old).Elem()
	t := dst.Type()
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case keep, "ObjectMeta", "TypeMeta":
			continue
		}
		dst.Field(i).Set(src.Field(i))
	}
}

// specOf returns the value of obj's Spec field, or an invalid Value.
func specOf(obj runtime.Object) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName("Spec")
}

// Finalizing is implemented by resources whose deletion waits on more than
// metadata.finalizers: namespaces wait on spec.finalizers, which the
// namespace controller clears through /finalize once the namespace is
// empty.
type Finalizing interface {
	// HasPendingFinalizers reports whether obj still waits on its own
	// finalizers.
	HasPendingFinalizers(obj runtime.Object) bool
	// MarkDeleting records the start of deletion in obj (phase
	// Terminating).
	MarkDeleting(obj runtime.Object)
}
