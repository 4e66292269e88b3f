package generic

import (
	"context"

	"github.com/google/uuid"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
)

// Create stores a new object in namespace ns. obj has been decoded and
// defaulted by the caller; the store owns it from here on.
func (s *Store) Create(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	m := objectMeta(obj)
	if m.GetResourceVersion() != "" {
		return nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	w := &write{strategy: s.Strategy, ns: ns, obj: obj, dryRun: dryRun}
	if _, err := s.writePath(ctx, w); err != nil {
		return nil, err
	}
	if dryRun {
		// A dry run must still report a name clash.
		if _, exists, err := s.Exists(ctx, ns, m.GetName()); err != nil {
			return nil, err
		} else if exists {
			return nil, apierrors.NewAlreadyExists(s.Resource.GVR().GroupResource(), m.GetName())
		}
		return obj, nil
	}
	out := s.New()
	if err := s.Storage.Create(ctx, s.key(ns, m.GetName()), obj, out); err != nil {
		w.undoAllocation()
		return nil, s.toAPIError(err, m.GetName())
	}
	s.noteWrite(out)
	return out, nil
}

// fillCreateMeta is step 2 of a create: the server-owned metadata of a
// new object.
func (s *Store) fillCreateMeta(m metav1.Object) {
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + utilrand.String(5))
	}
	m.SetUID(types.UID(uuid.NewString()))
	m.SetCreationTimestamp(metav1.Now())
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	if s.Strategy.TracksGeneration() {
		m.SetGeneration(1)
	} else {
		m.SetGeneration(0)
	}
	if !s.Resource.Namespaced {
		m.SetNamespace("")
	}
}
