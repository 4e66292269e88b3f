package certificatesigningrequest

import (
	"context"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/tinykube/tinykube/pkg/api"
	"github.com/tinykube/tinykube/pkg/api/validation"
	"github.com/tinykube/tinykube/pkg/auth/authn"
	"github.com/tinykube/tinykube/pkg/registry/generic"
)

// Strategy is the CSR strategy; spec.signerName is a selectable field.
type Strategy struct {
	generic.Default
}

var (
	_ generic.Strategy         = Strategy{}
	_ generic.StatusStrategist = Strategy{}
)

// NewStrategy returns the strategy for the certificatesigningrequests
// resource r.
func NewStrategy(r api.Resource) Strategy {
	return Strategy{Default: generic.Default{Resource: r, ExtraFields: func(obj runtime.Object) fields.Set {
		return fields.Set{"spec.signerName": obj.(*certificatesv1.CertificateSigningRequest).Spec.SignerName}
	}}}
}

// PrepareForCreate records who asks and clears the status.
func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	csr := obj.(*certificatesv1.CertificateSigningRequest)
	csr.Spec.Username, csr.Spec.UID, csr.Spec.Groups, csr.Spec.Extra = "", "", nil, nil
	if u, ok := authn.UserFrom(ctx); ok {
		csr.Spec.Username, csr.Spec.UID = u.Name, u.UID
		csr.Spec.Groups = append([]string(nil), u.Groups...)
		if len(u.Extra) > 0 {
			csr.Spec.Extra = map[string]certificatesv1.ExtraValue{}
			for k, v := range u.Extra {
				csr.Spec.Extra[k] = append(certificatesv1.ExtraValue(nil), v...)
			}
		}
	}
	csr.Status = certificatesv1.CertificateSigningRequestStatus{}
}

// PrepareForUpdate keeps spec and status: an update changes metadata only.
func (s Strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	csr, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	csr.Spec, csr.Status = o.Spec, o.Status
}

// StatusStrategy returns the strategy of /status.
func (s Strategy) StatusStrategy() generic.Strategy { return statusStrategy{Strategy: s} }

// ApprovalStrategy returns the strategy of /approval.
func (s Strategy) ApprovalStrategy() generic.Strategy { return approvalStrategy{Strategy: s} }

// statusStrategy writes the status except the Approved and Denied
// conditions, which it keeps as stored.
type statusStrategy struct{ Strategy }

func (s statusStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (s statusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	csr, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	csr.Spec = o.Spec
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		preserve(csr, o, t)
	}
	stampConditions(csr, o)
}

func (s statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateCSRStatusUpdate(obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest))
}

// approvalStrategy writes status.conditions only.
type approvalStrategy struct{ Strategy }

func (s approvalStrategy) PrepareForCreate(context.Context, runtime.Object) {}

func (s approvalStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	csr, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	stampConditions(csr, o)
	conds := csr.Status.Conditions
	csr.Spec, csr.Status = o.Spec, o.Status
	csr.Status.Conditions = conds
}

func (s approvalStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateCSRApprovalUpdate(obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest))
}

// preserve puts back the stored conditions of type t when the update has
// as many of them; a different count is left for validation to reject.
func preserve(csr, old *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) {
	oldIdx, newIdx := indices(old, t), indices(csr, t)
	if len(oldIdx) != len(newIdx) {
		return
	}
	for i, j := range oldIdx {
		csr.Status.Conditions[newIdx[i]] = old.Status.Conditions[j]
	}
}

func indices(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []int {
	var out []int
	for i, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, i)
		}
	}
	return out
}

// stampConditions fills unset lastUpdateTime and lastTransitionTime with
// now, keeping the stored transition time while a condition's status
// stays the same.
func stampConditions(csr, old *certificatesv1.CertificateSigningRequest) {
	now := metav1.Now()
	for i := range csr.Status.Conditions {
		c := &csr.Status.Conditions[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = now
		}
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = now
		for _, oc := range old.Status.Conditions {
			if oc.Type == c.Type && oc.Status == c.Status && !oc.LastTransitionTime.IsZero() {
				c.LastTransitionTime = oc.LastTransitionTime
				break
			}
		}
	}
}

// Subresource names the endpoint for admission.
func (statusStrategy) Subresource() string { return "status" }

// Subresource names the endpoint for admission.
func (approvalStrategy) Subresource() string { return "approval" }
