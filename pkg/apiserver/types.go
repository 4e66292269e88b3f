package apiserver

import (
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
)

// Types is what the verb handlers need to know about the objects of one
// served resource version beyond its store: how request bodies become
// objects, at which version and in which Table responses show them, how
// managedFields are tracked and what …/scale reads and writes. Built-in
// resources use the scheme's Go types (schemeTypes, builtin.go); each
// served version of a CRD has its own, over the CRD's schema
// (pkg/apiserver/crtypes). An implementation is used concurrently by
// every request to its endpoints and must not change after it is built.
type Types interface {
	// Decode reads the body of a create or update (body, in the
	// format r's Content-Type names) into a new object of the resource's
	// kind, defaulted. Unknown and duplicate fields are a 400 or Warning
	// headers on w, as r's fieldValidation parameter says.
	Decode(r *http.Request, w http.ResponseWriter, body []byte) (runtime.Object, error)
	// DecodePatched is Decode for the JSON a patch produced, under the
	// fieldValidation directive validation.
	DecodePatched(w http.ResponseWriter, validation string, patched []byte) (runtime.Object, error)
	// CheckPatch refuses (415) a patch type the resource does not take
	// (custom resources have no strategic merge patch); nil otherwise.
	CheckPatch(pt types.PatchType) error
	// ApplyConfiguration parses the YAML (or JSON) body of a
	// server-side apply.
	ApplyConfiguration(body []byte) (map[string]any, error)
	// AdmitApplied admits the object a server-side apply produced as
	// Decode admits a body, warnings on w. It may change obj in place.
	AdmitApplied(w http.ResponseWriter, validation string, obj runtime.Object) error

	// ToVersion returns obj (an object or list as the store returns
	// it) at the served version; obj is shared and never changed.
	ToVersion(obj runtime.Object) runtime.Object
	// Protobuf reports whether objects have a protobuf encoding.
	Protobuf() bool
	// ToTable is the Table form of an object or list (the contract of
	// printers.ToTable).
	ToTable(obj runtime.Object, opts *metav1.TableOptions, noHeaders bool) (*metav1.Table, error)
	// ReturnsDeletedObject reports whether a DELETE that removes the
	// object answers with it rather than with a Success Status.
	ReturnsDeletedObject() bool

	// FieldManager builds the managedFields tracker (and server-side
	// apply) of the endpoint sub: "" for the resource, "status" or
	// "approval". Called once per endpoint, on its first write.
	FieldManager(sub string) (*managedfields.FieldManager, error)
	// Scale is the autoscaling/v1 Scale view of obj; SetReplicas
	// writes a Scale's spec.replicas into obj.
	Scale(obj runtime.Object) (*autoscalingv1.Scale, error)
	SetReplicas(obj runtime.Object, replicas int32) error
}
